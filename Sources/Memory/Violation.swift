/// How an access was made.
public enum AccessType: String, Sendable, Hashable {
    case read, write, execute
}

/// A memory access (or page-table edit) the model's rights forbid, with everything a report needs.
public struct Violation: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// A write to a page holding code (verified image code, or a PTE-executable page).
        case codePageWrite
        /// Execution of a page that is not verified code (data execution), or PTE NX.
        case executeNonVerified
        /// Kernel-mode execution of a user-mode page (PTE U/S set): SMEP faults, HVCI on or off.
        case smepViolation
        /// A guest write to a PTE that asks for what the SLAT will not give (execute on data,
        /// write on code). Not a fault: the page tables belong to the kernel. Logged as a warning
        /// and never stops the guest; the SLAT decides when the page is used (DESIGN §2.1).
        case pteTamper
        /// A write to a read-only data page.
        case readOnlyWrite
        /// An access to an unmapped or not-present page.
        case unmapped

        /// An instruction fetch was refused (the guest cannot simply go on past it).
        public var isFetch: Bool { self == .executeNonVerified || self == .smepViolation }
    }

    /// Which level of translation refused the access.
    public enum DeniedBy: String, Sendable, Hashable {
        /// The guest page tables (a real #PF, HVCI or not).
        case pageTable
        /// Only the SLAT (the hypervisor on behalf of CI): an HVCI violation.
        case slat
        /// Nothing is mapped there.
        case notMapped
    }

    public var kind: Kind
    public var access: AccessType
    /// The faulting address (for `pteTamper`: the VA whose PTE was edited).
    public var address: UInt64
    /// Guest RIP of the faulting instruction.
    public var rip: UInt64
    /// Access size in bytes (0 if unknown).
    public var size: Int
    /// The PTE rights of the page (nil: no PTE / not present).
    public var pteRights: PageRights?
    /// The SLAT rights of the frame (nil: no frame).
    public var slatRights: PageRights?
    public var pfn: PFN?
    /// The owner of the virtual range that contains `address`.
    public var owner: MemoryOwner?
    /// The owner of the frame (differs from `owner` for aliases, e.g. an MDL mapping of code).
    public var frameOwner: MemoryOwner?
    public var deniedBy: DeniedBy
    /// Whether HVCI was on.
    public var hvci: Bool
    /// The bug check Windows would raise (DESIGN §2.5).
    public var bugCheckCode: UInt32
    /// For `pteTamper`: the entry before and after the edit.
    public var pteBefore: PageTableEntry?
    public var pteAfter: PageTableEntry?
    /// Whether the guest was let go on (audit), rather than stopped.
    public var continued: Bool
    /// The PTE of `address` when the access was made (nil: no page-table page there).
    public var pte: PageTableEntry? = nil
    /// The kernel routine that made the access for the driver (e.g. "ntoskrnl.exe!memcpy");
    /// nil for the driver's own instructions. `rip` is then the driver's call (the return address).
    public var routine: String? = nil
    /// Where the routine's code is (its trampoline slot): the instruction address Windows would
    /// put in 0x50's third parameter. Nil for the driver's own instructions.
    public var routineAddress: UInt64? = nil

    public static let attemptedWriteToReadonlyMemory: UInt32 = 0xBE
    public static let attemptedExecuteOfNoexecuteMemory: UInt32 = 0xFC
    public static let pageFaultInNonpagedArea: UInt32 = 0x50

    /// DESIGN §2.7: 0xBE write to read-only, 0xFC execute no-execute, 0x50 an unmapped access;
    /// 0 (none) for a PTE edit, which is not a fault.
    public static func bugCheck(for kind: Kind) -> UInt32 {
        switch kind {
        case .codePageWrite, .readOnlyWrite: return attemptedWriteToReadonlyMemory
        case .executeNonVerified, .smepViolation: return attemptedExecuteOfNoexecuteMemory
        case .unmapped: return pageFaultInNonpagedArea
        case .pteTamper: return 0
        }
    }

    /// 0x50's second parameter on x64 since Windows 10 1507: 0 read, 2 write, 0x10 execute
    /// (the write and instruction-fetch bits of the processor's page-fault error code).
    public static func pageFaultAccessFlags(_ access: AccessType) -> UInt64 {
        switch access {
        case .read: return 0
        case .write: return 2
        case .execute: return 0x10
        }
    }

    /// 0x50's fourth parameter: NONPAGED_BUGCHECK_NOT_PRESENT_PAGE_TABLE (2), or
    /// NONPAGED_BUGCHECK_VA_NOT_CANONICAL (4) for a non-canonical address.
    public static func pageFaultType(_ address: UInt64) -> UInt64 {
        PageGeometry.isCanonical(address) ? 2 : 4
    }

    /// The four parameters Windows passes with `bugCheckCode` (docs/memory-behaviour.md):
    /// 0xBE and 0xFC: the address, the PTE contents, two reserved zeros; 0x50: the address, the
    /// access flags, the instruction that referenced it (the routine's, for a kernel routine),
    /// the fault type. Empty when there is no bug check (a PTE edit).
    public var bugCheckParameters: [UInt64] {
        switch kind {
        case .codePageWrite, .readOnlyWrite, .executeNonVerified, .smepViolation:
            return [address, pte?.raw ?? 0, 0, 0]
        case .unmapped:
            return [address, Self.pageFaultAccessFlags(access), routineAddress ?? rip, Self.pageFaultType(address)]
        case .pteTamper:
            return []
        }
    }

    public var description: String {
        var text = "\(kind.rawValue): \(access.rawValue) at 0x\(String(address, radix: 16)) from rip 0x\(String(rip, radix: 16))"
        text += " (PTE \(pteRights?.description ?? "none"), SLAT \(slatRights?.description ?? "none")"
        text += ", denied by \(deniedBy.rawValue), bug check 0x\(String(bugCheckCode, radix: 16)))"
        if let routine { text += " by \(routine)" }
        if let owner { text += " in \(owner)" }
        if let frameOwner, frameOwner != owner { text += " [frame of \(frameOwner)]" }
        return text
    }
}

/// A change of a PTE, by the guest (through the self-map) or by the kernel model.
public struct PageTableEdit: Sendable, Hashable {
    /// The virtual page whose PTE changed.
    public var virtualAddress: UInt64
    /// Where that PTE lives (self-map address).
    public var pteAddress: UInt64
    public var before: PageTableEntry
    public var after: PageTableEntry
    /// Guest RIP for guest writes; nil for edits through the API.
    public var rip: UInt64?
}

/// Everything the memory model logs, in order.
public enum MemoryEvent: Sendable, Hashable {
    case violation(Violation)
    /// A guest write to the page tables (also logged when harmless).
    case pageTableEdit(PageTableEdit)
    /// A supervisor write to a read-only PTE that CR0.WP = 0 let through; `routine` names the
    /// kernel routine that wrote for the driver (`rip` is then the driver's call).
    case writeProtectBypass(address: UInt64, rip: UInt64, routine: String? = nil)
    /// Something the model could not do while handling a trap (an engine error).
    case internalError(String)
}

/// What to do after a violation: the policy of audit versus enforce.
public enum Enforcement: Sendable, Hashable {
    /// Log and go on: a denied write is dropped (the instruction completes without storing; a
    /// kernel routine's denied page is skipped), a denied fetch runs anyway.
    /// Unmapped accesses stop regardless (there is nothing to continue with).
    /// PTE edits are never stopped, in either mode: they are not faults.
    case audit
    /// Log and stop emulation at the violation.
    case enforce
}
