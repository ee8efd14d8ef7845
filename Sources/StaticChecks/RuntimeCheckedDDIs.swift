/// Kernel functions whose arguments decide whether a driver gets executable
/// memory. Importing one is not a violation; the run-time check decides. The
/// first group is the list Microsoft's HVCI readiness guidance names as
/// possibly affected (DESIGN.md §2.3) restricted to plain C exports; the second
/// adds the newer or sibling DDIs with the same kind of argument.
public enum RuntimeCheckedDDIs {
    /// What kind of argument decides executability, for the fix text.
    public enum Kind: Sendable {
        case poolType, poolFlags, lookaside, protection, mdlMapping, ioSpace
    }

    public static let all: [(name: String, kind: Kind)] = [
        ("ExAllocatePool", .poolType), ("ExAllocatePoolWithQuota", .poolType),
        ("ExAllocatePoolWithQuotaTag", .poolType), ("ExAllocatePoolWithTag", .poolType),
        ("ExAllocatePoolWithTagPriority", .poolType),
        ("ExInitializeNPagedLookasideList", .lookaside), ("ExInitializeLookasideListEx", .lookaside),
        ("MmAllocateContiguousMemory", .poolType), ("MmAllocateContiguousMemorySpecifyCache", .poolType),
        ("MmAllocateContiguousMemorySpecifyCacheNode", .protection), ("MmAllocateContiguousNodeMemory", .protection),
        ("MmCopyMemory", .protection), ("MmMapIoSpace", .ioSpace),
        ("MmMapLockedPages", .mdlMapping), ("MmMapLockedPagesSpecifyCache", .mdlMapping),
        ("MmProtectMdlSystemAddress", .protection), ("ZwAllocateVirtualMemory", .protection),
        ("ZwCreateSection", .protection), ("ZwMapViewOfSection", .protection),
        ("NtCreateSection", .protection), ("NtMapViewOfSection", .protection),
        // Beyond the seed list: same decision, newer or sibling DDIs.
        ("ExAllocatePool2", .poolFlags), ("ExAllocatePool3", .poolFlags),
        ("MmMapIoSpaceEx", .protection), ("ZwProtectVirtualMemory", .protection),
        ("NtAllocateVirtualMemory", .protection),
    ]

    static let byName: [String: Kind] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0.kind) })

    static func fix(for kind: Kind) -> String {
        switch kind {
        case .poolType: return "pass NonPagedPoolNx (or PagedPool), never NonPagedPool/NonPagedPoolExecute"
        case .poolFlags: return "pass POOL_FLAG_NON_PAGED (or POOL_FLAG_PAGED), never POOL_FLAG_NON_PAGED_EXECUTE"
        case .lookaside: return "pass POOL_NX_ALLOCATION in Flags (or NonPagedPoolNx as the pool type)"
        case .protection: return "ask for PAGE_READWRITE/PAGE_READONLY, never a PAGE_EXECUTE* protection"
        case .mdlMapping: return "use MmMapLockedPagesSpecifyCache with MdlMappingNoExecute OR'd into Priority"
        case .ioSpace: return "use MmMapIoSpaceEx with PAGE_READWRITE | PAGE_NOCACHE"
        }
    }
}
