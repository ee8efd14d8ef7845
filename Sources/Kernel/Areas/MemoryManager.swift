import Events
import Memory

/// MDLs and virtual memory. MDL mappings are aliases of the described
/// frames (shared bytes, shared SLAT rights), so a write through a mapping of
/// a code page is stopped by the SLAT with HVCI on and really patches the
/// code with HVCI off.
enum MemoryManagerArea {
    static let handlers: [KernelExport] = [
        .ntoskrnl("IoAllocateMdl") { try allocateMdl($0) },
        .ntoskrnl("IoFreeMdl") { try freeMdl($0) },
        .ntoskrnl("MmBuildMdlForNonPagedPool") { try buildMdl($0) },
        .ntoskrnl("MmProbeAndLockPages") { try buildMdl($0) },
        .ntoskrnl("MmUnlockPages") { try unlockPages($0) },
        .ntoskrnl("MmMapLockedPagesSpecifyCache") { try mapLocked($0, priority: $0.arg(5), specifyCache: true) },
        .ntoskrnl("MmMapLockedPages") { try mapLocked($0, priority: 0, specifyCache: false) },
        .ntoskrnl("MmUnmapLockedPages") { try unmapLocked($0) },
        .ntoskrnl("MmProtectMdlSystemAddress") { try protectMdl($0) },
        .ntoskrnl("ZwAllocateVirtualMemory") { try allocateVirtual($0) },
        .ntoskrnl("NtAllocateVirtualMemory") { try allocateVirtual($0) },
        // NTSTATUS ZwProtectVirtualMemory(HANDLE, PVOID *BaseAddress, PSIZE_T RegionSize, ULONG NewProtect, PULONG OldProtect)
        .ntoskrnl("ZwProtectVirtualMemory") { try protectVirtual($0) },
        .ntoskrnl("NtProtectVirtualMemory") { try protectVirtual($0) },
        // NTSTATUS MmCopyMemory(PVOID TargetAddress, MM_COPY_ADDRESS SourceAddress, SIZE_T NumberOfBytes, ULONG Flags,
        //                       PSIZE_T NumberOfBytesTransferred)
        .ntoskrnl("MmCopyMemory") { try copyMemory($0) },
        .ntoskrnl("ZwFreeVirtualMemory") { try freeVirtual($0) },
        .ntoskrnl("NtFreeVirtualMemory") { try freeVirtual($0) },
        .ntoskrnl("MmIsAddressValid") { call in call.kernel.memory.frame(of: try call.arg(0)) != nil ? 1 : 0 },
        .ntoskrnl("MmGetPhysicalAddress") { call in
            let va = try call.arg(0)
            guard let pfn = call.kernel.memory.frame(of: va) else { return 0 }
            return pfn << 12 | (va & 0xFFF)
        },
        .ntoskrnl("MmGetSystemRoutineAddress") { call in
            guard let name = try call.kernel.readUnicodeString(call.arg(0)) else { return 0 }
            call.note(name)
            return try call.kernel.resolve(module: "ntoskrnl.exe", function: name)
        },
    ]

    static let mdlHeaderSize = UInt64(Layout.MDL.pfnArray)

    /// IoAllocateMdl(VirtualAddress, Length, SecondaryBuffer, ChargeQuota, Irp).
    static func allocateMdl(_ call: KernelCall) throws -> UInt64 {
        let va = try call.arg(0), length = try call.arg32(1)
        let pages = (Int(va & 0xFFF) + Int(length) + 0xFFF) / 0x1000
        guard length > 0, pages <= 0x10000 else { return 0 }
        let kernel = call.kernel
        let mdl = try kernel.heap.allocate(Int(mdlHeaderSize) + 8 * pages, name: "MDL")
        try kernel.writeU16(mdl &+ UInt64(Layout.MDL.size), UInt16(clamping: Int(mdlHeaderSize) + 8 * pages))
        try kernel.writeU64(mdl &+ UInt64(Layout.MDL.startVa), va & ~0xFFF)
        try kernel.writeU32(mdl &+ UInt64(Layout.MDL.byteCount), length)
        try kernel.writeU32(mdl &+ UInt64(Layout.MDL.byteOffset), UInt32(va & 0xFFF))
        call.note("va 0x\(String(va, radix: 16)), \(length) bytes")
        return mdl
    }

    struct MdlInfo {
        var startVa: UInt64
        var byteOffset: UInt64
        var byteCount: UInt64
        var pages: Int
        var va: UInt64 { startVa &+ byteOffset }
    }

    static func readMdl(_ kernel: Kernel, _ mdl: UInt64) throws -> MdlInfo {
        let start = try kernel.readU64(mdl &+ UInt64(Layout.MDL.startVa))
        let count = UInt64(try kernel.readU32(mdl &+ UInt64(Layout.MDL.byteCount)))
        let offset = UInt64(try kernel.readU32(mdl &+ UInt64(Layout.MDL.byteOffset)) & 0xFFF)
        return MdlInfo(startVa: start, byteOffset: offset, byteCount: count,
                       pages: Int((offset + count + 0xFFF) / 0x1000))  // both < 2^32: no overflow
    }

    /// Fills the PFN array (MmBuildMdlForNonPagedPool, MmProbeAndLockPages).
    static func buildMdl(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, mdl = try call.arg(0)
        let info = try readMdl(kernel, mdl)
        for index in 0..<info.pages {
            let pfn = kernel.memory.frame(of: info.startVa &+ UInt64(index) * 0x1000) ?? 0
            try kernel.writeU64(mdl &+ mdlHeaderSize &+ UInt64(8 * index), pfn)
        }
        let flags = try kernel.readU16(mdl &+ UInt64(Layout.MDL.mdlFlags))
        try kernel.writeU16(mdl &+ UInt64(Layout.MDL.mdlFlags), flags | Layout.MDL.sourceIsNonpagedPool)
        try kernel.writeU64(mdl &+ UInt64(Layout.MDL.mappedSystemVa), info.va)
        return 0
    }

    /// MmMapLockedPagesSpecifyCache(Mdl, AccessMode, CacheType, RequestedAddress, BugCheckOnFailure, Priority).
    static func mapLocked(_ call: KernelCall, priority: UInt64, specifyCache: Bool) throws -> UInt64 {
        let kernel = call.kernel, mdl = try call.arg(0)
        let noExecute = specifyCache && priority & DriverVerifier.mdlMappingNoExecute != 0
        call.note("Priority 0x\(String(priority, radix: 16))" + (noExecute ? " (MdlMappingNoExecute)" : ""))
        if !noExecute {
            try kernel.verifierViolation(
                call, subcode: 0x2002,
                title: specifyCache ? "executable MDL mapping (no MdlMappingNoExecute)" : "executable MDL mapping (MmMapLockedPages)",
                p3: priority, p4: nil,
                fix: specifyCache ? "OR MdlMappingNoExecute into Priority (MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority | MdlMappingNoExecute))"
                                  : "use MmMapLockedPagesSpecifyCache with MdlMappingNoExecute instead of MmMapLockedPages",
                details: [(key: "priority", value: "0x" + String(priority, radix: 16))])
        }
        let info = try readMdl(kernel, mdl)
        guard info.pages > 0, info.pages <= 0x10000 else { return 0 }
        let rights: PageRights = noExecute ? .readWrite : .all
        guard let alias = try? kernel.memory.alias(va: info.startVa, count: info.pages, owner: .mdlMapping, rights: rights) else {
            return 0
        }
        kernel.objects.mdlMappings[mdl] = alias.base
        try reportWritableCodeAlias(call, info: info, mapping: alias.base)
        let flags = try kernel.readU16(mdl &+ UInt64(Layout.MDL.mdlFlags))
        try kernel.writeU16(mdl &+ UInt64(Layout.MDL.mdlFlags), flags | Layout.MDL.mappedToSystemVa)
        try kernel.writeU64(mdl &+ UInt64(Layout.MDL.mappedSystemVa), alias.base + info.byteOffset)
        return alias.base + info.byteOffset
    }

    /// A writable system mapping of pages that are code: the classic way to patch code
    /// past its read-only PTE. HVCI's SLAT blocks writes through it; legacy Windows does not.
    static func reportWritableCodeAlias(_ call: KernelCall, info: MdlInfo, mapping: UInt64) throws {
        let kernel = call.kernel
        for index in 0..<info.pages {
            let page = info.startVa &+ UInt64(index) * 0x1000
            guard kernel.memory.pte(of: page).rights.contains(.execute),
                  case .imageSection(let image, let section)? = kernel.memory.allocation(containing: page)?.owner else { continue }
            kernel.record(Finding(
                code: "WRITABLE_CODE_ALIAS", title: "writable MDL mapping of code pages (\(image)!\(section))",
                severity: .error, phase: .runtime,
                fix: "do not map code pages writable to patch them; HVCI blocks every write through such a mapping",
                details: [(key: "function", value: "MmMapLockedPagesSpecifyCache"), (key: "code", value: "0x" + String(page, radix: 16)),
                          (key: "mapping", value: "0x" + String(mapping, radix: 16))],
                site: call.site))
            return
        }
    }

    /// MmUnlockPages(Mdl): the pages are no longer locked; a system mapping made for the MDL
    /// (MDL_MAPPED_TO_SYSTEM_VA) goes with them, as MmUnlockPages unmaps it.
    static func unlockPages(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, mdl = try call.arg(0)
        let flags = try kernel.readU16(mdl &+ UInt64(Layout.MDL.mdlFlags))
        if flags & Layout.MDL.mappedToSystemVa != 0, let base = kernel.objects.mdlMappings.removeValue(forKey: mdl) {
            try? kernel.memory.free(base)
            call.note("system mapping 0x\(String(base, radix: 16)) unmapped")
        }
        try kernel.writeU16(mdl &+ UInt64(Layout.MDL.mdlFlags), flags & ~(Layout.MDL.pagesLocked | Layout.MDL.mappedToSystemVa))
        return 0
    }

    /// IoFreeMdl(Mdl): the MDL is retired (its header cleared, so a use after free reads an
    /// empty MDL); a system mapping still open is a driver bug, noted and released. The
    /// kernel heap does not reuse the bytes.
    static func freeMdl(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, mdl = try call.arg(0)
        guard mdl != 0 else { return 0 }
        if let base = kernel.objects.mdlMappings.removeValue(forKey: mdl) {
            try? kernel.memory.free(base)
            call.note("MDL freed while still mapped at 0x\(String(base, radix: 16))")
        }
        try kernel.fill(mdl, count: Int(mdlHeaderSize))
        return 0
    }

    /// MmUnmapLockedPages(BaseAddress, Mdl).
    static func unmapLocked(_ call: KernelCall) throws -> UInt64 {
        let base = try call.arg(0) & ~0xFFF, mdl = try call.arg(1)
        if call.kernel.objects.mdlMappings[mdl] == base {
            call.kernel.objects.mdlMappings[mdl] = nil
            try? call.kernel.memory.free(base)
        }
        return 0
    }

    /// The page rights a WIN32 page protection asks for.
    static func rights(for protection: UInt32) -> PageRights? {
        switch protection & 0xFF {
        case 0x01: return []
        case 0x02: return .read
        case 0x04, 0x08: return .readWrite
        case 0x10, 0x20: return .readExecute
        case 0x40, 0x80: return .all
        default: return nil
        }
    }

    /// MmProtectMdlSystemAddress(MemoryDescriptorList, NewProtect).
    static func protectMdl(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, mdl = try call.arg(0), protection = try call.arg32(1)
        call.note(DriverVerifier.protectionName(protection))
        try kernel.checkPageProtection(call, protection, fix: "ask for PAGE_READWRITE or PAGE_READONLY")
        guard let base = kernel.objects.mdlMappings[mdl], let rights = rights(for: protection) else {
            return UInt64(NTStatus.invalidParameter)
        }
        let info = try readMdl(kernel, mdl)
        try kernel.memory.protect(base, pages: info.pages, rights: rights)
        return UInt64(NTStatus.success)
    }

    /// ZwAllocateVirtualMemory(ProcessHandle, *BaseAddress, ZeroBits, *RegionSize, AllocationType, Protect).
    /// The pages go to the user half of the (one) process address space, with U/S PTEs: the
    /// kernel may read and write them, but executing them is a SMEP fault (0xFC), HVCI or not.
    static func allocateVirtual(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel
        let baseAddress = try call.arg(1), sizeAddress = try call.arg(3), protection = try call.arg32(5)
        let size = try kernel.readU64(sizeAddress)
        call.note("\(size) bytes, \(DriverVerifier.protectionName(protection))")
        try kernel.checkPageProtection(call, protection, fix: "ask for PAGE_READWRITE; never allocate executable memory from a driver")
        guard size > 0, size <= PoolArea.maxAllocation, let rights = rights(for: protection) else {
            return UInt64(NTStatus.invalidParameter)
        }
        let pages = Int((size + 0xFFF) / 0x1000)
        guard let allocation = try? kernel.memory.allocate(pages: pages, owner: .userMemory(protection: protection),
                                                           rights: rights) else {
            return UInt64(NTStatus.noMemory)
        }
        kernel.objects.virtualAllocations.insert(allocation.base)
        try kernel.writeU64(baseAddress, allocation.base)
        try kernel.writeU64(sizeAddress, UInt64(allocation.byteCount))
        return UInt64(NTStatus.success)
    }

    /// ZwFreeVirtualMemory(ProcessHandle, *BaseAddress, *RegionSize, FreeType).
    static func freeVirtual(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel
        let base = try kernel.readU64(call.arg(1))
        guard kernel.objects.virtualAllocations.remove(base) != nil else { return UInt64(NTStatus.invalidParameter) }
        try? kernel.memory.free(base)
        return UInt64(NTStatus.success)
    }
}
