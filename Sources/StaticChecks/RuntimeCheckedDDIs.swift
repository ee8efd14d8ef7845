/// Kernel functions Microsoft names as possibly affected by memory integrity
/// (DESIGN.md §2.3) restricted to plain C exports, plus newer or sibling DDIs
/// with the same kind of argument. Importing one is not a violation; the
/// static note says what `hvcisim run` does about it, honestly per DDI
/// (sources and reasoning: docs/ddi-checks.md).
public enum RuntimeCheckedDDIs {
    /// What kind of argument decides executability, for the fix text.
    public enum Kind: Sendable {
        case poolType, poolFlags, lookaside, protection, mdlMapping, ioSpace
        /// MmAllocateContiguousMemory*: no argument asks for NX; the memory is executable.
        case contiguous
        /// MmCopyMemory: no argument asks for memory of any protection.
        case copy
    }

    /// What `hvcisim run` does when the driver calls the DDI.
    public enum RunTimeCheck: Sendable, Equatable {
        /// The model applies Driver Verifier's documented check to the argument
        /// that asks for a pool type, page protection or MDL page priority.
        case arguments(code: UInt32)
        /// No argument can ask for non-executable memory; the model reports
        /// every call (an inference, not a documented per-DDI check).
        case everyCall(code: UInt32)
        /// No run-time check: Driver Verifier's documentation names none for
        /// this DDI's arguments.
        case none
    }

    public static let all: [(name: String, kind: Kind, check: RunTimeCheck)] = [
        ("ExAllocatePool", .poolType, .arguments(code: 0x2000)),
        ("ExAllocatePoolWithQuota", .poolType, .arguments(code: 0x2000)),
        ("ExAllocatePoolWithQuotaTag", .poolType, .arguments(code: 0x2000)),
        ("ExAllocatePoolWithTag", .poolType, .arguments(code: 0x2000)),
        ("ExAllocatePoolWithTagPriority", .poolType, .arguments(code: 0x2000)),
        ("ExInitializeNPagedLookasideList", .lookaside, .arguments(code: 0x2000)),
        ("ExInitializeLookasideListEx", .lookaside, .arguments(code: 0x2000)),
        ("MmAllocateContiguousMemory", .contiguous, .everyCall(code: 0x2000)),
        ("MmAllocateContiguousMemorySpecifyCache", .contiguous, .everyCall(code: 0x2000)),
        ("MmAllocateContiguousMemorySpecifyCacheNode", .contiguous, .everyCall(code: 0x2000)),
        ("MmAllocateContiguousNodeMemory", .protection, .arguments(code: 0x2001)),
        ("MmCopyMemory", .copy, .none),
        ("MmMapIoSpace", .ioSpace, .none),
        ("MmMapLockedPages", .mdlMapping, .everyCall(code: 0x2002)),
        ("MmMapLockedPagesSpecifyCache", .mdlMapping, .arguments(code: 0x2002)),
        ("MmProtectMdlSystemAddress", .protection, .arguments(code: 0x2001)),
        ("ZwAllocateVirtualMemory", .protection, .arguments(code: 0x2001)),
        ("ZwCreateSection", .protection, .arguments(code: 0x2001)),
        ("ZwMapViewOfSection", .protection, .arguments(code: 0x2001)),
        ("NtCreateSection", .protection, .arguments(code: 0x2001)),
        ("NtMapViewOfSection", .protection, .arguments(code: 0x2001)),
        ("FltAllocatePoolAlignedWithTag", .poolType, .arguments(code: 0x2000)),
        // Beyond the seed list: same decision, newer or sibling DDIs.
        ("ExAllocatePool2", .poolFlags, .arguments(code: 0x2000)),
        ("ExAllocatePool3", .poolFlags, .arguments(code: 0x2000)),
        ("MmMapIoSpaceEx", .protection, .arguments(code: 0x2001)),
        ("ZwProtectVirtualMemory", .protection, .arguments(code: 0x2001)),
        ("NtProtectVirtualMemory", .protection, .arguments(code: 0x2001)),
        ("NtAllocateVirtualMemory", .protection, .arguments(code: 0x2001)),
    ]

    static let byName: [String: (kind: Kind, check: RunTimeCheck)] =
        Dictionary(uniqueKeysWithValues: all.map { ($0.name, ($0.kind, $0.check)) })

    /// The note's fix text: what to pass, then what the run does.
    static func note(kind: Kind, check: RunTimeCheck) -> String {
        let hex = { (code: UInt32) in "0x" + String(code, radix: 16) }
        switch check {
        case .arguments:
            return fix(for: kind) + "; `hvcisim run` checks the actual arguments"
        case .everyCall(let code):
            return fix(for: kind) + "; no argument asks for non-executable memory, so `hvcisim run` reports every call"
                + " as Driver Verifier \(hex(code)) (inferred: Microsoft documents no per-DDI check)"
        case .none:
            return fix(for: kind) + "; Driver Verifier documents no check of its arguments, so `hvcisim run` reports none"
        }
    }

    static func fix(for kind: Kind) -> String {
        switch kind {
        case .poolType: return "pass NonPagedPoolNx (or PagedPool), never NonPagedPool/NonPagedPoolExecute"
        case .poolFlags: return "pass POOL_FLAG_NON_PAGED (or POOL_FLAG_PAGED), never POOL_FLAG_NON_PAGED_EXECUTE"
        case .lookaside: return "pass POOL_NX_ALLOCATION in Flags (or NonPagedPoolNx as the pool type)"
        case .protection: return "ask for PAGE_READWRITE/PAGE_READONLY, never a PAGE_EXECUTE* protection"
        case .mdlMapping: return "use MmMapLockedPagesSpecifyCache with MdlMappingNoExecute OR'd into Priority"
        case .ioSpace: return "use MmMapIoSpaceEx with PAGE_READWRITE | PAGE_NOCACHE"
        case .contiguous: return "use MmAllocateContiguousNodeMemory with PAGE_READWRITE (the memory of this DDI is executable)"
        case .copy: return "copy into non-executable memory only"
        }
    }
}
