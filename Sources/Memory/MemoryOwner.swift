/// What a virtual range (or the frames behind it) belongs to, so a trap can name its target.
public enum MemoryOwner: Sendable, Hashable, CustomStringConvertible {
    /// A section of a loaded image (`image` is the file name, `section` e.g. ".text").
    case imageSection(image: String, section: String)
    /// A pool allocation: pool type (POOL_TYPE or POOL_FLAGS, as the caller asked) and tag.
    case pool(tag: UInt32, poolType: UInt64)
    /// A system-space mapping of an MDL's pages (MmMapLockedPages*).
    case mdlMapping
    /// A thread's kernel stack.
    case stack
    /// A kernel structure the model builds (DRIVER_OBJECT, KPCR, …).
    case kernelStructure(String)
    /// The emulator's own stub page (import thunks' targets, return traps).
    case trampoline
    /// A page of the materialised page tables (self-map).
    case pageTable
    /// User-mode memory of the current process (ZwAllocateVirtualMemory), with the page
    /// protection asked for: mapped in the user half with U/S set in its PTEs.
    case userMemory(protection: UInt32)

    /// Whether the range lies in the user half and its PTEs carry U/S.
    public var isUserMode: Bool {
        if case .userMemory = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case let .imageSection(image, section): return "\(image)!\(section)"
        case let .pool(tag, poolType): return "pool '\(Self.tagText(tag))' (type 0x\(String(poolType, radix: 16)))"
        case .mdlMapping: return "MDL mapping"
        case .stack: return "kernel stack"
        case let .kernelStructure(name): return "kernel structure \(name)"
        case .trampoline: return "emulator trampoline"
        case .pageTable: return "page table"
        case let .userMemory(protection): return "user-mode memory (protection 0x\(String(protection, radix: 16)))"
        }
    }

    /// A pool tag as Windows shows it: four ASCII characters, low byte first.
    public static func tagText(_ tag: UInt32) -> String {
        let bytes = (0..<4).map { UInt8(truncatingIfNeeded: tag >> (8 * $0)) }
        return String(decoding: bytes.map { (0x20...0x7E).contains($0) ? $0 : UInt8(ascii: ".") }, as: UTF8.self)
    }
}

/// A virtual range the model handed out.
public struct Allocation: Sendable, Hashable {
    /// First virtual address (page-aligned).
    public let base: UInt64
    public let pageCount: Int
    public let owner: MemoryOwner
    /// The frames behind each page, in order.
    public let frames: [PFN]
    /// True for a mapping of someone else's frames (`MemoryModel.alias`).
    public let isAlias: Bool

    /// One past the last byte.
    public var end: UInt64 { base &+ UInt64(pageCount) &* PageGeometry.pageSize }
    public var byteCount: Int { pageCount * Int(PageGeometry.pageSize) }
    public func contains(_ va: UInt64) -> Bool { va >= base && va < end }
}
