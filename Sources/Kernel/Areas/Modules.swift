import Memory

/// The loaded-module list: one KLDR_DATA_TABLE_ENTRY per kernel module, in load
/// order (ntoskrnl.exe, hal.dll, …, the driver last), linked through
/// InLoadOrderLinks into the `PsLoadedModuleList` head ntoskrnl exports.
///
/// Windows' loader (MiProcessLoaderEntry) inserts each driver's entry before
/// calling DriverEntry and points DRIVER_OBJECT.DriverSection at it. Drivers
/// rely on both: they walk PsLoadedModuleList to find ntoskrnl's base, and a
/// well-known trick sets `DriverSection->Flags |= 0x20` (LDRP_IMAGE_INTEGRITY_FORCED)
/// so that MmVerifyCallbackFunction accepts Ps*NotifyRoutineEx registrations
/// from an image not linked with /INTEGRITYCHECK.
///
/// Before the driver come the modules every Windows 10 system has loaded (`systemModules`):
/// ntoskrnl.exe and hal.dll, then boot and system drivers the kernel's own exports depend on
/// (CI.dll, FLTMGR.SYS, ksecdd.sys, cng.sys, WDFLDR.SYS, ndis.sys, NETIO.SYS, …) and the
/// win32k session drivers. Drivers look modules up by name in this list (SystemModuleInformation,
/// a PsLoadedModuleList walk) and use the base they find without checking it.
///
/// None of them has code in the model. Each gets a read-only page
/// holding a minimal PE header (no sections, no data directories) at its DllBase,
/// so a driver that parses the header it found finds a valid image that exports
/// nothing. ntoskrnl's header page sits right below the trampoline pages and its
/// SizeOfImage covers them, so every kernel routine address a driver is given
/// lies inside ntoskrnl's range, as on Windows.
final class LoadedModules {
    struct Module {
        var name: String
        var base: UInt64
        var size: UInt64
        var entry: UInt64
    }

    var head: UInt64 = 0
    var modules: [Module] = []
}

extension Kernel {
    static let ntoskrnlHeaderBase = Trampolines.base - 0x1000
    static let ntoskrnlImageSize = UInt64(Trampolines.pages + 1) * 0x1000
    static let halBase: UInt64 = 0xFFFF_F807_0F00_0000
    static let halImageSize: UInt64 = 0x1000
    /// Where the other system modules' header pages go: one 1 MiB slot each below hal.dll.
    static let systemModulesBase: UInt64 = 0xFFFF_F807_0E00_0000

    /// The modules loaded before any driver, in load order: name and full path as
    /// SystemModuleInformation and KLDR_DATA_TABLE_ENTRY.FullDllName show them.
    static let systemModules: [(name: String, path: String)] = [
        ("ntoskrnl.exe", "\\SystemRoot\\system32\\ntoskrnl.exe"),
        ("hal.dll", "\\SystemRoot\\system32\\hal.dll"),
    ] + ["CI.dll"].map { ($0, "\\SystemRoot\\system32\\" + $0) }
      + ["CLFS.SYS", "FLTMGR.SYS", "ksecdd.sys", "cng.sys", "Wdf01000.sys", "WDFLDR.SYS", "ACPI.sys", "ndis.sys",
         "NETIO.SYS", "tcpip.sys", "Ntfs.sys"].map { ($0, "\\SystemRoot\\System32\\drivers\\" + $0) }
      + ["win32k.sys", "win32kbase.sys", "win32kfull.sys"].map { ($0, "\\SystemRoot\\System32\\" + $0) }

    /// DllBase and SizeOfImage of the `index`th system module.
    static func systemModuleRange(_ index: Int) -> (base: UInt64, size: UInt64) {
        switch index {
        case 0: return (ntoskrnlHeaderBase, ntoskrnlImageSize)
        case 1: return (halBase, halImageSize)
        default: return (systemModulesBase &+ UInt64(index - 2) &* 0x10_0000, 0x1000)
        }
    }

    /// The module list, with the system modules, built on first use (the driver's
    /// DRIVER_OBJECT, or an import of PsLoadedModuleList).
    @discardableResult
    func loadedModules() throws -> LoadedModules {
        let list = state(LoadedModules.self) { LoadedModules() }
        guard list.head == 0 else { return list }
        let head: UInt64
        if let exported = objects.dataExports["PsLoadedModuleList"] {
            head = exported
        } else {
            head = try heap.allocate(0x10, name: "PsLoadedModuleList")
        }
        try writeU64(head, head)
        try writeU64(head &+ 8, head)
        list.head = head
        for (index, module) in Self.systemModules.enumerated() {
            let (base, size) = Self.systemModuleRange(index)
            try memory.allocate(pages: 1, owner: .kernelStructure(module.name + " headers"), rights: .read, at: base)
            try writeMinimalImageHeader(at: base, size: size)
            try addLoadedModule(name: module.name, path: module.path, base: base, size: size, entryPoint: 0)
        }
        return list
    }

    /// The DllBase of the module in PsLoadedModuleList whose [DllBase, DllBase+SizeOfImage)
    /// holds `address` (walked in guest memory, as RtlPcToFileHeader walks it); nil if none does.
    func loadedModuleBase(containing address: UInt64) throws -> UInt64? {
        typealias E = Layout.KldrDataTableEntry
        let list = try loadedModules()
        var link = try readU64(list.head), steps = 0
        while link != list.head, link != 0, steps < 0x1000 {
            let entry = link &- UInt64(E.inLoadOrderLinks)
            let base = try readU64(entry &+ UInt64(E.dllBase))
            let size = UInt64(try readU32(entry &+ UInt64(E.sizeOfImage)))
            if base != 0, address >= base, address - base < size { return base }
            link = try readU64(link)
            steps += 1
        }
        return nil
    }

    /// Appends a KLDR_DATA_TABLE_ENTRY for the image at `base` to the list and returns it.
    /// Fields that come from the image (exception directory, checksum, time stamp, the
    /// FORCE_INTEGRITY characteristic) are read from its mapped headers when they are valid.
    @discardableResult
    func addLoadedModule(name: String, path: String, base: UInt64, size: UInt64, entryPoint: UInt64) throws -> UInt64 {
        typealias E = Layout.KldrDataTableEntry
        let list = state(LoadedModules.self) { LoadedModules() }
        if list.head == 0 { try loadedModules() }
        let entry = try heap.allocate(E.totalSize, name: "KLDR_DATA_TABLE_ENTRY " + name)
        let facts = imageHeaderFacts(at: base)
        var flags = E.entryProcessed
        if facts.forceIntegrity { flags |= E.integrityForced }
        try writeU64(entry &+ UInt64(E.dllBase), base)
        try writeU64(entry &+ UInt64(E.entryPoint), entryPoint)
        try writeU32(entry &+ UInt64(E.sizeOfImage), UInt32(truncatingIfNeeded: size))
        try writeU32(entry &+ UInt64(E.sizeOfImageNotRounded), UInt32(truncatingIfNeeded: size))
        if let exceptions = facts.exceptionDirectory {
            try writeU64(entry &+ UInt64(E.exceptionTable), base &+ UInt64(exceptions.rva))
            try writeU32(entry &+ UInt64(E.exceptionTableSize), exceptions.size)
        }
        try writeU32(entry &+ UInt64(E.checkSum), facts.checkSum)
        try writeU32(entry &+ UInt64(E.timeDateStamp), facts.timeDateStamp)
        try writeU32(entry &+ UInt64(E.flags), flags)
        try writeU16(entry &+ UInt64(E.loadCount), 1)
        for (offset, text) in [(E.fullDllName, path), (E.baseDllName, name)] {
            let string = try makeUnicodeString(text, name: "KLDR_DATA_TABLE_ENTRY name")
            try writeBytes(entry &+ UInt64(offset), try readBytes(string, count: Layout.UnicodeString.size))
        }
        // Insert at the tail: entry.Flink = head, entry.Blink = old tail.
        let tail = try readU64(list.head &+ 8)
        try writeU64(entry &+ UInt64(E.inLoadOrderLinks), list.head)
        try writeU64(entry &+ UInt64(E.inLoadOrderLinks) &+ 8, tail)
        try writeU64(tail, entry)
        try writeU64(list.head &+ 8, entry)
        list.modules.append(.init(name: name, base: base, size: size, entry: entry))
        return entry
    }

    /// What a KLDR_DATA_TABLE_ENTRY copies from a mapped PE32+ header; zeros when the
    /// header is missing or malformed (every read is checked, nothing traps).
    func imageHeaderFacts(at base: UInt64)
        -> (checkSum: UInt32, timeDateStamp: UInt32, forceIntegrity: Bool, exceptionDirectory: (rva: UInt32, size: UInt32)?)
    {
        let none: (UInt32, UInt32, Bool, (rva: UInt32, size: UInt32)?) = (0, 0, false, nil)
        guard (try? readU16(base)) == 0x5A4D, let lfanew = try? readU32(base &+ 0x3C), lfanew < 0x1000,
              (try? readU32(base &+ UInt64(lfanew))) == 0x0000_4550 else { return none }
        let nt = base &+ UInt64(lfanew), optional = nt &+ 0x18
        guard (try? readU16(optional)) == 0x20B else { return none }
        let timeDateStamp = (try? readU32(nt &+ 8)) ?? 0
        let checkSum = (try? readU32(optional &+ 0x40)) ?? 0
        let characteristics = (try? readU16(optional &+ 0x46)) ?? 0
        let directories = (try? readU32(optional &+ 0x6C)) ?? 0
        var exceptions: (rva: UInt32, size: UInt32)?
        if directories > 3, let rva = try? readU32(optional &+ 0x70 &+ 3 * 8),
           let size = try? readU32(optional &+ 0x70 &+ 3 * 8 &+ 4), rva != 0, size != 0 {
            exceptions = (rva, size)
        }
        // IMAGE_DLLCHARACTERISTICS_FORCE_INTEGRITY (0x80): linked with /INTEGRITYCHECK.
        return (checkSum, timeDateStamp, characteristics & 0x80 != 0, exceptions)
    }

    /// DOS header, "PE\0\0", an AMD64 file header and a PE32+ optional header with no
    /// sections and sixteen empty data directories: a valid image that exports nothing.
    func writeMinimalImageHeader(at base: UInt64, size: UInt64) throws {
        let nt = base &+ 0x80, optional = nt &+ 0x18
        try writeU16(base, 0x5A4D)                  // "MZ"
        try writeU32(base &+ 0x3C, 0x80)            // e_lfanew
        try writeU32(nt, 0x0000_4550)               // "PE\0\0"
        try writeU16(nt &+ 4, 0x8664)               // Machine: AMD64
        try writeU16(nt &+ 0x14, 0xF0)              // SizeOfOptionalHeader
        try writeU16(nt &+ 0x16, 0x22)              // EXECUTABLE_IMAGE | LARGE_ADDRESS_AWARE
        try writeU16(optional, 0x20B)               // PE32+
        try writeU64(optional &+ 0x18, base)        // ImageBase
        try writeU32(optional &+ 0x20, 0x1000)      // SectionAlignment
        try writeU32(optional &+ 0x24, 0x200)       // FileAlignment
        try writeU16(optional &+ 0x28, 10)          // MajorOperatingSystemVersion
        try writeU16(optional &+ 0x30, 10)          // MajorSubsystemVersion
        try writeU32(optional &+ 0x38, UInt32(truncatingIfNeeded: size)) // SizeOfImage
        try writeU32(optional &+ 0x3C, 0x1000)      // SizeOfHeaders
        try writeU16(optional &+ 0x44, 1)           // Subsystem: native
        try writeU16(optional &+ 0x46, 0x160)       // HIGH_ENTROPY_VA | DYNAMIC_BASE | NX_COMPAT
        try writeU32(optional &+ 0x6C, 16)          // NumberOfRvaAndSizes
    }

    /// The driver's own entry (DRIVER_OBJECT.DriverSection), added after ntoskrnl and hal.
    func addDriverModule(base: UInt64, size: UInt64, entryPoint: UInt64) throws -> UInt64 {
        let name = configuration.driverName
        return try addLoadedModule(name: name, path: "\\SystemRoot\\System32\\drivers\\" + name, base: base,
                                   size: size, entryPoint: entryPoint)
    }
}
