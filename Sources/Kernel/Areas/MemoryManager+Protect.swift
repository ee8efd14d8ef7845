import Memory

/// ZwProtectVirtualMemory / NtProtectVirtualMemory on memory the driver got
/// from ZwAllocateVirtualMemory. An executable NewProtect is Driver Verifier
/// 0xC4/0x2001 (the WIN32 protection is DV's third parameter), as for
/// ZwAllocateVirtualMemory; the pages then get the rights asked for, and with
/// HVCI on the SLAT still keeps them non-executable.
extension MemoryManagerArea {
    /// NTSTATUS ZwProtectVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, PSIZE_T RegionSize,
    ///                                 ULONG NewProtect, PULONG OldProtect)
    static func protectVirtual(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel
        let baseAddress = try call.arg(1), sizeAddress = try call.arg(2), protection = try call.arg32(3)
        let oldOut = try call.arg(4)
        let base = try kernel.readU64(baseAddress), size = try kernel.readU64(sizeAddress)
        call.note("0x\(String(base, radix: 16)), \(size) bytes, \(DriverVerifier.protectionName(protection))")
        try kernel.checkPageProtection(call, protection, fix: "keep the memory PAGE_READWRITE or PAGE_READONLY; never make it executable")
        guard let rights = rights(for: protection) else { return UInt64(AreaStatus.invalidPageProtection) }
        let start = base & ~0xFFF
        let (end, overflow) = base.addingReportingOverflow(size)
        guard size > 0, size <= PoolArea.maxAllocation, !overflow,
              let region = kernel.memory.allocation(containing: start),
              kernel.objects.virtualAllocations.contains(region.base),
              end <= region.base &+ UInt64(region.byteCount) else {
            return UInt64(AreaStatus.conflictingAddresses)
        }
        let pages = Int((end - start + 0xFFF) / 0x1000)
        let old = win32Protection(kernel.memory.pte(of: start).rights)
        try kernel.memory.protect(start, pages: pages, rights: rights)
        try kernel.writeU64(baseAddress, start)
        try kernel.writeU64(sizeAddress, UInt64(pages) * 0x1000)
        if oldOut != 0 { try kernel.writeU32(oldOut, old) }
        return UInt64(NTStatus.success)
    }

    /// The WIN32 protection that gives `rights` (the inverse of `rights(for:)`).
    static func win32Protection(_ rights: PageRights) -> UInt32 {
        switch (rights.contains(.read), rights.contains(.write), rights.contains(.execute)) {
        case (_, true, true): return 0x40 // PAGE_EXECUTE_READWRITE
        case (_, false, true): return 0x20 // PAGE_EXECUTE_READ
        case (_, true, false): return 0x04 // PAGE_READWRITE
        case (true, false, false): return 0x02 // PAGE_READONLY
        default: return 0x01 // PAGE_NOACCESS
        }
    }
}
