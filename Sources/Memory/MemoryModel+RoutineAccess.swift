import CPU

/// A kernel routine running for the driver (memcpy, RtlCopyMemory, a DDI filling an
/// out-parameter): who makes an access the SLAT judges like a driver instruction.
public struct RoutineCall: Sendable, Hashable {
    /// The routine, e.g. "ntoskrnl.exe!memcpy".
    public var routine: String
    /// The driver's call: the return address into the driver.
    public var site: UInt64
    /// The routine's own code (its trampoline slot), where Windows would locate the access.
    public var entry: UInt64

    public init(routine: String, site: UInt64, entry: UInt64) {
        self.routine = routine
        self.site = site
        self.entry = entry
    }
}

/// Kernel-mode writes made by kernel routines for the driver (DESIGN §2.1: the SLAT does not
/// know who writes). Unicorn does not see host-side copies, so the model judges them here, page
/// by page, exactly as `handleProtectedWrite` judges a trapped driver store.
extension MemoryModel {
    /// Writes `bytes` at `va` for `call`. Pages Unicorn maps writable are written at once (the
    /// common case, no per-byte work); any other page is judged: kernel-owned memory (the model's
    /// own structures) is written as bookkeeping; with CR0.WP clear a read-only PTE does not stop
    /// the write if the SLAT lets it through (logged as `writeProtectBypass`); otherwise a
    /// violation at the driver's call names the routine. Audit skips the refused page and writes
    /// the rest; a stop throws `.refused` before anything is written. An unmapped page throws
    /// `.notMapped` with its first address and writes nothing.
    public func write(_ va: UInt64, _ bytes: [UInt8], for call: RoutineCall) throws(MemoryError) {
        guard !bytes.isEmpty else { return }
        guard bytes.count <= Self.maximumTransfer else { throw .invalidArgument("transfer of \(bytes.count) bytes") }
        guard !va.addingReportingOverflow(UInt64(bytes.count - 1)).overflow else {
            throw .addressOverflow(address: va, count: bytes.count)
        }
        var refused: [Range<Int>] = []
        var offset = 0
        while offset < bytes.count {
            let address = va &+ UInt64(offset)
            let length = min(bytes.count - offset, Int(PageGeometry.pageSize) - PageGeometry.pageOffset(address))
            switch judgeRoutineWrite(address, size: length, for: call) {
            case .allowed:
                break
            case .notMapped:
                throw .notMapped(address)
            case .writeProtectBypass:
                log(.writeProtectBypass(address: address, rip: call.site, routine: call.routine))
            case .denied(let violation):
                guard report(violation) else {
                    // The kernel ends the entry point itself (a bug check at the call).
                    stopViolation = nil
                    var stopped = violation
                    stopped.continued = false
                    throw .refused(stopped)
                }
                refused.append(offset..<(offset + length))
            }
            offset += length
        }
        guard !refused.isEmpty else { return try write(va, bytes, mode: .privileged) }
        var start = 0
        for range in refused + [bytes.count..<bytes.count] {
            if range.lowerBound > start {
                try write(va &+ UInt64(start), Array(bytes[start..<range.lowerBound]), mode: .privileged)
            }
            start = range.upperBound
        }
    }

    /// Logs the fault of a routine that touched unmapped memory for the driver (the kernel turns
    /// it into bug check 0x50 at the call) and returns it.
    @discardableResult
    public func reportRoutineFault(at address: UInt64, access: AccessType, for call: RoutineCall) -> Violation {
        var violation = makeViolation(.unmapped, access: access, address: address, rip: call.site, size: 0,
                                      entry: isSelfMap(address) ? nil : readPTE(address), deniedBy: .notMapped)
        violation.routine = call.routine
        violation.routineAddress = call.entry
        violation.continued = false
        log(.violation(violation))
        return violation
    }

    private enum RoutineWrite {
        case allowed, notMapped, writeProtectBypass
        case denied(Violation)
    }

    /// The verdict on one page of a routine's write (`size` bytes from `address`, within the page).
    private func judgeRoutineWrite(_ address: UInt64, size: Int, for call: RoutineCall) -> RoutineWrite {
        // Page tables: left to the privileged write, which refuses them (the model has no
        // kernel-routine PTE edits).
        if pageTablePage(containing: address) != nil { return .allowed }
        guard let page = mapped[PageGeometry.pageNumber(address)] else { return .notMapped }
        if page.protection.contains(.write) { return .allowed }
        if allocation(containing: address)?.owner.isKernelOwned == true { return .allowed }
        let entry = readPTE(address)
        let writeProtect = currentWriteProtect()
        if !writeProtect, entry.present, !entry.writable, verifier.slatRights(of: page.pfn).contains(.write) {
            return .writeProtectBypass
        }
        let isCode = verifier.isExecutable(page.pfn) || !entry.noExecute
        let deniedBy: Violation.DeniedBy = entry.writable || !writeProtect ? .slat : .pageTable
        var violation = makeViolation(isCode ? .codePageWrite : .readOnlyWrite, access: .write, address: address,
                                      rip: call.site, size: size, entry: entry, deniedBy: deniedBy)
        violation.routine = call.routine
        violation.routineAddress = call.entry
        return .denied(violation)
    }
}

extension MemoryOwner {
    /// Memory the kernel model keeps for itself: its writes there are bookkeeping, not the driver's.
    var isKernelOwned: Bool {
        switch self {
        case .kernelStructure, .trampoline, .pageTable: return true
        case .imageSection, .pool, .mdlMapping, .stack, .userMemory: return false
        }
    }
}
