/// MmAllocatePagesForMdl(Ex) / MmFreePagesFromMdl: physical pages handed out
/// described by an MDL, not mapped — the driver maps them with
/// MmMapLockedPagesSpecifyCache (where DV 0x2002 applies) and frees the MDL
/// itself with ExFreePool after MmFreePagesFromMdl.
///
/// Windows leaves such an MDL's StartVa meaningless; the model puts the
/// address of the model's own backing of the pages there, because its MDL
/// mappings alias pages by virtual address (MemoryManager.swift).
enum PagesForMdlArea {
    static let handlers: [KernelExport] = [
        .ntoskrnl("MmAllocatePagesForMdl") { try allocate($0, totalBytes: $0.arg(3)) },
        .ntoskrnl("MmAllocatePagesForMdlEx") { try allocate($0, totalBytes: $0.arg(3)) },
        .ntoskrnl("MmFreePagesFromMdl") { try free($0) },
        // InitializeSListHead(ListHead): an empty SLIST_HEADER (16 bytes of zero).
        .ntoskrnl("InitializeSListHead") { call in
            try call.kernel.fill(call.arg(0), count: 16)
            return 0
        },
    ]

    final class State {
        /// Backing allocation base of each MDL's pages.
        var backing: [UInt64: UInt64] = [:]
    }

    static func pagesState(_ kernel: Kernel) -> State { kernel.state(State.self) { State() } }

    /// MmAllocatePagesForMdl(LowAddress, HighAddress, SkipBytes, TotalBytes) and the Ex form
    /// (…, CacheType, Flags): zeroed pages, ByteCount = TotalBytes rounded to pages, MDL from
    /// nonpaged pool; NULL when TotalBytes is 0 or beyond what the model grants.
    static func allocate(_ call: KernelCall, totalBytes: UInt64) throws -> UInt64 {
        typealias M = Layout.MDL
        let kernel = call.kernel, state = pagesState(kernel)
        guard totalBytes > 0, totalBytes <= PoolArea.maxAllocation, state.backing.count < 4096 else { return 0 }
        let pages = Int((totalBytes + 0xFFF) / 0x1000)
        guard let backing = try? kernel.memory.allocate(pages: pages, owner: .kernelStructure("pages for MDL")) else { return 0 }
        let mdl = try kernel.allocatePool(size: UInt64(M.pfnArray + 8 * pages), tag: 0x206C_644D, poolType: 512, executable: false)
        try kernel.fill(mdl, count: M.pfnArray)
        try kernel.writeU16(mdl &+ UInt64(M.size), UInt16(clamping: M.pfnArray + 8 * pages))
        try kernel.writeU16(mdl &+ UInt64(M.mdlFlags), M.pagesLocked)
        try kernel.writeU64(mdl &+ UInt64(M.startVa), backing.base)
        try kernel.writeU32(mdl &+ UInt64(M.byteCount), UInt32(pages * 0x1000))
        for index in 0..<pages {
            let pfn = kernel.memory.frame(of: backing.base &+ UInt64(index) * 0x1000) ?? 0
            try kernel.writeU64(mdl &+ UInt64(M.pfnArray + 8 * index), pfn)
        }
        state.backing[mdl] = backing.base
        call.note("\(pages) page(s)")
        return mdl
    }

    /// MmFreePagesFromMdl(Mdl): the pages go back; the MDL itself stays for ExFreePool.
    static func free(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, mdl = try call.arg(0)
        guard let base = pagesState(kernel).backing.removeValue(forKey: mdl) else {
            call.note("MDL not from MmAllocatePagesForMdl")
            return 0
        }
        try? kernel.memory.free(base)
        try kernel.writeU32(mdl &+ UInt64(Layout.MDL.byteCount), 0)
        return 0
    }
}
