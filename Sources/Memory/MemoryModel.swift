import CPU

/// The guest's memory under a model of HVCI (DESIGN §2.1): frames, guest page tables
/// materialised at the self-map, and the SLAT owned by the `CodeIntegrityVerifier`.
///
/// Unicorn's MMU stays off. Every present virtual page is its own Unicorn region mapped with
/// `uc_mem_map_ptr` onto its frame's host memory (so aliases share bytes), with protection
/// = PTE rights ∧ SLAT rights of the frame. Ordinary instructions therefore run at full speed;
/// only faults reach the model (`MemoryModel+Traps.swift`). Page-table pages are mapped
/// read-only so that guest PTE writes trap, are applied here, and re-derive the rights of the
/// pages they describe.
///
/// Not thread-safe; one model per engine.
public final class MemoryModel {
    public struct Configuration: Sendable {
        public var hvci: Bool
        public var enforcement: Enforcement
        /// Cap on guest frames (data and page tables), in bytes.
        public var guestMemoryLimit: Int
        /// Where the PTEs appear in the guest's address space.
        public var selfMapBase: UInt64
        /// Virtual range for allocations without a fixed address (pool, stacks, MDL mappings).
        public var arena: Range<UInt64>
        /// Virtual range for user-mode allocations (`MemoryOwner.userMemory`): the user half of
        /// the current process, where ZwAllocateVirtualMemory puts them.
        public var userArena: Range<UInt64>

        public init(hvci: Bool, enforcement: Enforcement = .audit, guestMemoryLimit: Int = 256 << 20,
                    selfMapBase: UInt64 = PageGeometry.classicSelfMapBase,
                    arena: Range<UInt64> = 0xFFFF_B000_0000_0000..<0xFFFF_B100_0000_0000,
                    userArena: Range<UInt64> = 0x0000_0200_0000_0000..<0x0000_0210_0000_0000) {
            self.hvci = hvci
            self.enforcement = enforcement
            self.guestMemoryLimit = guestMemoryLimit
            self.selfMapBase = selfMapBase
            self.arena = arena
            self.userArena = userArena
        }
    }

    /// What Unicorn currently maps at a virtual page.
    struct MappedPage: Equatable {
        var pfn: PFN
        var protection: Protection
    }

    public let engine: Engine
    public let verifier: CodeIntegrityVerifier
    public let configuration: Configuration
    /// Audit or enforce; `decide` can override it per violation.
    public var enforcement: Enforcement
    /// Per-violation policy; nil: `enforcement` for all.
    public var decide: ((Violation) -> Enforcement)?
    /// CR0.WP as the kernel layer last saw the guest set it. When false, supervisor writes
    /// ignore read-only PTEs (the SLAT still applies).
    public var writeProtect = true
    /// If true, a write trap reads CR0.WP from the CPU instead of `writeProtect`.
    public var followGuestCR0 = false
    /// Called for every logged event, as it happens.
    public var onEvent: ((MemoryEvent) -> Void)?
    public internal(set) var events: [MemoryEvent] = []
    /// The violation that made a hook stop emulation (cleared by `takeStopViolation`).
    public internal(set) var stopViolation: Violation?

    let frames: FramePool
    var arena: VirtualArena
    var userArena: VirtualArena
    var allocations: [UInt64: Allocation] = [:]
    var allocationOfPage: [UInt64: UInt64] = [:]
    var frameOwners: [PFN: MemoryOwner] = [:]
    var frameRefs: [PFN: Int] = [:]
    /// Page-table pages by index ((va >> 21) & 0x7FF_FFFF, i.e. one per 2 MiB of VA).
    var pageTablePages: [UInt64: PFN] = [:]
    /// Unicorn's current mapping of each present data page, by virtual page number.
    var mapped: [UInt64: MappedPage] = [:]
    var mappingsOfFrame: [PFN: Set<UInt64>] = [:]
    /// Unicorn regions of data pages, by first page, and each mapped page's run (`MemoryModel+Regions`).
    var runs: [UInt64: RegionRun] = [:]
    var runStart: [UInt64: UInt64] = [:]
    /// Pages whose mapping changed since Unicorn's regions were last derived.
    var regionDirty: Set<UInt64> = []
    var regionBatchDepth = 0
    /// Pages whose present PTE names a frame that is not allocated (a dangling mapping the
    /// guest made, or left after a free): re-derived when that frame is handed out again.
    var danglingPTEs: [PFN: Set<UInt64>] = [:]
    var auditedFetchPages: Set<UInt64> = []
    /// Pages whose PTE the guest changed inside a store hook, to re-derive once it returned.
    var pendingSync: Set<UInt64> = []
    /// A hook stopped emulation only to apply `pendingSync`; `run` resumes.
    var resumeRequested = false
    /// Where to retry after a fault deferred to pending PTE changes (RIP is not precise then).
    var resumeAddress: UInt64?
    var faultHook: HookHandle?
    lazy var disassembler: Disassembler? = try? Disassembler()

    public init(engine: Engine, configuration: Configuration) throws(MemoryError) {
        let base = configuration.selfMapBase
        guard base % PageGeometry.selfMapSize == 0, PageGeometry.isCanonical(base) else {
            throw .invalidArgument("self-map base must be a canonical, 512 GiB-aligned address")
        }
        self.engine = engine
        self.configuration = configuration
        enforcement = configuration.enforcement
        verifier = CodeIntegrityVerifier(hvciEnabled: configuration.hvci)
        frames = try FramePool(limitBytes: configuration.guestMemoryLimit)
        arena = VirtualArena(lower: configuration.arena.lowerBound, upper: configuration.arena.upperBound)
        userArena = VirtualArena(lower: configuration.userArena.lowerBound, upper: configuration.userArena.upperBound)
        verifier.frameOwner = { [unowned self] in frameOwners[$0] }
        verifier.slatChanged = { [unowned self] in resync(frames: $0) }
        do {
            faultHook = try engine.addFaultHook(.all) { [weak self] _, access in
                self?.handleFault(access) ?? false
            }
        } catch {
            throw .engine(error)
        }
    }

    deinit {
        if let faultHook { engine.removeHook(faultHook) }
    }

    public var hvciEnabled: Bool { configuration.hvci }
    /// Bytes of guest frames in use (data and page tables).
    public var usedBytes: Int { frames.inUse * Int(PageGeometry.pageSize) }

    /// The guest-physical addresses frames can have: [first frame, first frame + cap). What the
    /// kernel reports as installed RAM (MmGetPhysicalMemoryRanges) so it agrees with MmGetPhysicalAddress.
    public var physicalMemoryRange: Range<UInt64> {
        let first = FramePool.firstPFN << PageGeometry.pageShift
        return first..<(first + UInt64(frames.capacity) * PageGeometry.pageSize)
    }

    // MARK: Queries

    public func allocation(containing va: UInt64) -> Allocation? {
        allocationOfPage[PageGeometry.pageNumber(va)].flatMap { allocations[$0] }
    }

    public var allAllocations: [Allocation] { allocations.values.sorted { $0.base < $1.base } }

    /// The owner of the virtual range containing `va` (page tables for the self-map).
    public func owner(of va: UInt64) -> MemoryOwner? {
        if isSelfMap(va) { return pageTablePage(containing: va) == nil ? nil : .pageTable }
        return allocation(containing: va)?.owner
    }

    /// The owner of a frame: the allocation that took it from the pool.
    public func owner(ofFrame pfn: PFN) -> MemoryOwner? { frameOwners[pfn] }

    /// The PTE of `va`, as the guest would read it at `pteAddress(of:)`.
    public func pte(of va: UInt64) -> PageTableEntry { readPTE(va) }

    public func pteAddress(of va: UInt64) -> UInt64 {
        PageGeometry.pteAddress(of: va, selfMapBase: configuration.selfMapBase)
    }

    /// The frame `va` is mapped to now (present PTE on a live frame), if any.
    public func frame(of va: UInt64) -> PFN? { mapped[PageGeometry.pageNumber(va)]?.pfn }

    /// The rights Unicorn enforces at `va` now (nil: unmapped).
    public func effectiveRights(of va: UInt64) -> PageRights? {
        let vpn = PageGeometry.pageNumber(va)
        if let page = mapped[vpn] { return PageRights(rawValue: UInt8(page.protection.rawValue)) }
        return pageTablePage(containing: va) == nil ? nil : .read
    }

    /// The frames behind `pages` pages from `va` (all must be mapped).
    public func frames(of va: UInt64, pages: Int) throws(MemoryError) -> [PFN] {
        guard pages >= 0, PageGeometry.advance(va, pages: pages) != nil else {
            throw .addressOverflow(address: va, count: pages)
        }
        var result: [PFN] = []
        for index in 0..<pages {
            let page = PageGeometry.pageBase(va) &+ UInt64(index) &* PageGeometry.pageSize
            guard let pfn = frame(of: page) else { throw .notMapped(page) }
            result.append(pfn)
        }
        return result
    }

    /// Returns and clears the violation that stopped emulation.
    public func takeStopViolation() -> Violation? {
        defer { stopViolation = nil }
        return stopViolation
    }

    func log(_ event: MemoryEvent) {
        events.append(event)
        onEvent?(event)
    }

    func isSelfMap(_ va: UInt64) -> Bool {
        va >= configuration.selfMapBase && va - configuration.selfMapBase < PageGeometry.selfMapSize
    }
}
