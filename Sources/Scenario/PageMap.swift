import Memory

/// One region of the driver's address space as plain values, so that reports draw it without
/// the memory model: where, what kind, whose, and the rights at both levels of translation.
public struct PageMapRegion: Sendable, Equatable {
    public var start: UInt64
    public var size: UInt64
    /// "image", "pool", "mdl", "stack", "user" or "kernel" (structures and trampolines).
    public var kind: String
    /// The image section (".text"), the pool tag, or the structure's name; may be empty.
    public var name: String
    /// The owner as findings name it ("drv.sys!.text", "pool 'Hvci' (type 0x200)").
    public var owner: String
    /// Guest PTE and SLAT rights, "rwx" style ("---": not present / none).
    public var pte: String
    public var slat: String
    public var alias: Bool
    /// Captured when a violation hit it and gone (freed) by the end of the run.
    public var freedBeforeEnd: Bool = false

    public var end: UInt64 { start &+ size }
    public func contains(_ address: UInt64) -> Bool { address >= start && address < end }
}

/// The driver's address space at the end of a run, plus regions violations hit that were freed
/// before it ended (each captured when the violation happened).
public struct PageMap: Sendable, Equatable {
    public var regions: [PageMapRegion] = []
    /// Regions left out past the cap.
    public var omitted = 0

    public init(regions: [PageMapRegion] = [], omitted: Int = 0) {
        self.regions = regions
        self.omitted = omitted
    }

    /// Regions kept at most: a driver allocating thousands of blocks still gives a drawable map.
    public static let limit = 2000

    /// The map of `memory` now.
    static func capture(_ memory: MemoryModel) -> PageMap {
        let (entries, omitted) = memory.pageMap(limit: limit)
        return PageMap(regions: entries.map(PageMapRegion.init), omitted: omitted)
    }

    /// Adds regions captured at violations that the final map no longer has.
    mutating func addFreed(_ captured: [PageMapRegion]) {
        for var region in captured where !regions.contains(where: { $0.contains(region.start) }) {
            guard regions.count < Self.limit else { omitted += 1; continue }
            region.freedBeforeEnd = true
            regions.append(region)
        }
        regions.sort { $0.start < $1.start }
    }
}

extension PageMapRegion {
    init(_ entry: PageMapEntry) {
        start = entry.start
        size = entry.byteCount
        owner = entry.owner.description
        pte = entry.pte.description
        slat = entry.slat.description
        alias = entry.isAlias
        switch entry.owner {
        case let .imageSection(_, section): (kind, name) = ("image", section)
        case let .pool(tag, _): (kind, name) = ("pool", MemoryOwner.tagText(tag))
        case .mdlMapping: (kind, name) = ("mdl", "")
        case .stack: (kind, name) = ("stack", "")
        case .userMemory: (kind, name) = ("user", "")
        case let .kernelStructure(structure): (kind, name) = ("kernel", structure)
        case .trampoline: (kind, name) = ("kernel", "trampoline")
        case .pageTable: (kind, name) = ("kernel", "page table")
        }
    }
}
