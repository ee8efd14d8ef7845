import PEImage

/// Little-endian byte buffer used to assemble test images.
struct ByteBuffer {
    var bytes: [UInt8] = []
    var count: Int { bytes.count }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { for i in 0..<2 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
    mutating func u32(_ v: UInt32) { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
    mutating func u64(_ v: UInt64) { for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
    mutating func append(_ b: [UInt8]) { bytes += b }
    mutating func zeros(_ n: Int) { bytes += [UInt8](repeating: 0, count: n) }
    mutating func align(_ n: Int) { while bytes.count % n != 0 { bytes.append(0) } }
    /// ASCII/UTF-8 text followed by a NUL.
    mutating func cString(_ s: String) { bytes += Array(s.utf8); bytes.append(0) }

    mutating func put16(_ v: UInt16, at o: Int) { for i in 0..<2 { bytes[o + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) } }
    mutating func put32(_ v: UInt32, at o: Int) { for i in 0..<4 { bytes[o + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) } }
    mutating func put64(_ v: UInt64, at o: Int) { for i in 0..<8 { bytes[o + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) } }
}

/// Builds small, valid PE32+ / PE32 images byte by byte, recording the file
/// offsets of the structures tests want to corrupt.
///
/// Layout: DOS header (e_lfanew = `lfanew`), NT headers, section table, then
/// each section's raw data in order. Every directory lives in the section
/// marked `holdsDirectories` (by default `.rdata`).
struct PEBuilder {
    enum Import: Sendable {
        case name(String, hint: UInt16 = 0)
        case ordinal(UInt16)
    }

    struct Module: Sendable {
        var name: String
        var functions: [Import]
    }

    struct Export: Sendable {
        enum Target: Sendable { case rva(UInt32), forwarder(String) }
        var name: String?
        var target: Target
    }

    struct Exports: Sendable {
        var moduleName: String
        var base: UInt32 = 1
        var functions: [Export]
    }

    struct LoadConfigSpec: Sendable {
        /// Declared Size field; nil → just large enough for GuardFlags.
        var size: UInt32? = nil
        var securityCookieVA: UInt64
        var guardFlags: UInt32 = 0
    }

    struct RelocationBlockSpec: Sendable {
        var pageRVA: UInt32
        var entries: [UInt16]
    }

    struct RuntimeFunctionSpec: Sendable {
        var begin: UInt32, end: UInt32, unwind: UInt32
    }

    struct SectionSpec: Sendable {
        var name: String
        var characteristics: UInt32
        var contents: [UInt8] = []
        /// nil → the contents' length.
        var virtualSize: UInt32? = nil
        /// nil → the next SectionAlignment boundary after the previous section.
        var virtualAddress: UInt32? = nil
        var holdsDirectories = false
    }

    static let text: UInt32 = 0x6000_0020     // code, R-X
    static let rdata: UInt32 = 0x4000_0040    // initialised data, R--
    static let data: UInt32 = 0xC000_0040     // initialised data, RW-

    /// `.text` (R-X, 0x100 bytes: `xor eax,eax; ret` then int3), `.rdata` (R--,
    /// the directories), `.data` (RW-, the default x64 /GS cookie).
    static var defaultSections: [SectionSpec] {
        [SectionSpec(name: ".text", characteristics: text, contents: [0x33, 0xC0, 0xC3] + [UInt8](repeating: 0xCC, count: 0xFD)),
         SectionSpec(name: ".rdata", characteristics: rdata, holdsDirectories: true),
         SectionSpec(name: ".data", characteristics: data, contents: [0x32, 0xA2, 0xDF, 0x2D, 0x99, 0x2B, 0, 0] + [UInt8](repeating: 0, count: 8))]
    }

    var is64 = true
    var machine: UInt16? = nil
    var imageBase: UInt64? = nil
    var lfanew = 0x80
    var sectionAlignment: UInt32 = 0x1000
    var fileAlignment: UInt32 = 0x200
    var dllCharacteristics: UInt16 = 0x0160
    var subsystem: UInt16 = 1
    var timeDateStamp: UInt32 = 0x5F5E_1000
    var checkSum: UInt32 = 0x1234
    var numberOfRvaAndSizes = 16
    var sections: [SectionSpec] = PEBuilder.defaultSections
    var imports: [Module] = []
    var delayImports: [Module] = []
    /// Point data directory 12 (IAT) at the import address tables.
    var iatDirectory = true
    var exports: Exports? = nil
    var relocations: [RelocationBlockSpec] = []
    var loadConfig: LoadConfigSpec? = nil
    var runtimeFunctions: [RuntimeFunctionSpec] = []
    var pdbPath: String? = nil
    var versionStrings: [(key: String, value: String)] = []
    /// Append an 8-byte "certificate" and point the security directory at it.
    var signature = false

    var resolvedImageBase: UInt64 { imageBase ?? (is64 ? 0x1_4000_0000 : 0x1_0000) }

    /// An image with every directory the parser reads: two import modules
    /// (by name and by ordinal), a delay import, exports with a forwarder,
    /// relocations, load config, .pdata, a CodeView entry and version strings.
    static func full(is64: Bool = true) -> PEBuilder {
        var b = PEBuilder()
        b.is64 = is64
        let base = b.resolvedImageBase
        b.imports = [
            Module(name: "ntoskrnl.exe", functions: [.name("DbgPrint", hint: 0x11), .name("ExAllocatePool2", hint: 0x22),
                                                      .ordinal(7)]),
            Module(name: "HAL.dll", functions: [.name("KeStallExecutionProcessor", hint: 3)]),
        ]
        b.delayImports = [Module(name: "cng.sys", functions: [.name("BCryptGenRandom", hint: 5), .ordinal(12)])]
        b.exports = Exports(moduleName: "sample.sys", base: 1, functions: [
            Export(name: "Beta", target: .rva(0x1010)),
            Export(name: "Alpha", target: .rva(0x1000)),
            Export(name: nil, target: .rva(0x1020)),
            Export(name: "Forwarded", target: .forwarder("ntoskrnl.DbgPrint")),
        ])
        b.relocations = [RelocationBlockSpec(pageRVA: 0x1000, entries: [0xA010, 0xA018, 0x0000]),
                         RelocationBlockSpec(pageRVA: 0x3000, entries: [0xA000, 0x3008])]
        b.loadConfig = LoadConfigSpec(securityCookieVA: base + 0x3000, guardFlags: 0x0000_0100)
        b.runtimeFunctions = [RuntimeFunctionSpec(begin: 0x1000, end: 0x1003, unwind: 0x2F00),
                              RuntimeFunctionSpec(begin: 0x1010, end: 0x1020, unwind: 0x2F08),
                              RuntimeFunctionSpec(begin: 0x1040, end: 0x1080, unwind: 0x2F10)]
        b.pdbPath = #"C:\build\sample\x64\Release\sample.pdb"#
        b.versionStrings = [("CompanyName", "Example Corp"), ("FileVersion", "1.2.3.4"), ("ProductName", "Sample Driver")]
        return b
    }

    /// A minimal image: the default three sections, one import, nothing else.
    static func minimal(is64: Bool = true) -> PEBuilder {
        var b = PEBuilder()
        b.is64 = is64
        b.imports = [Module(name: "ntoskrnl.exe", functions: [.name("DbgPrint")])]
        return b
    }

    func build() -> BuiltPE {
        let p = is64 ? 8 : 4
        let fixedOptional = is64 ? 112 : 96
        let sizeOfOptionalHeader = fixedOptional + 8 * numberOfRvaAndSizes
        let sectionTable = lfanew + 24 + sizeOfOptionalHeader
        let sectionTableEnd = sectionTable + 40 * sections.count
        let sizeOfHeaders = align(sectionTableEnd, Int(fileAlignment))

        var dirs = [(rva: UInt32, size: UInt32)](repeating: (0, 0), count: 16)
        var layout = BuiltPE(bytes: [], is64: is64, imageBase: resolvedImageBase, peHeader: lfanew,
                             sectionTable: sectionTable, sectionTableEnd: sectionTableEnd,
                             sizeOfOptionalHeader: sizeOfOptionalHeader)

        // Sections' placement and contents.
        struct Placed { var spec: SectionSpec; var va: UInt32; var vsize: UInt32; var raw: [UInt8]; var pointer: Int }
        var placed: [Placed] = []
        var nextVA = UInt32(align(sizeOfHeaders, Int(sectionAlignment)))
        var nextFile = sizeOfHeaders
        for spec in sections {
            let va = spec.virtualAddress ?? nextVA
            var contents = spec.contents
            if spec.holdsDirectories {
                var b = ByteBuffer(bytes: contents)
                b.align(16)
                let payloadStart = b.count
                var payload = Payload(buffer: b, sectionRVA: va, sectionFile: nextFile)
                buildDirectories(&payload, &dirs, &layout, p: p)
                contents = payload.buffer.bytes
                layout.directorySectionRVA = va + UInt32(payloadStart)
                layout.directorySectionFile = nextFile + payloadStart
                layout.directorySectionRawEnd = nextFile + align(contents.count, Int(fileAlignment))
            }
            let vsize = spec.virtualSize ?? UInt32(contents.count)
            let rawSize = align(contents.count, Int(fileAlignment))
            let raw = contents + [UInt8](repeating: 0, count: rawSize - contents.count)
            placed.append(Placed(spec: spec, va: va, vsize: vsize, raw: raw, pointer: rawSize == 0 ? 0 : nextFile))
            nextFile += rawSize
            nextVA = UInt32(align(Int(va) + Int(max(vsize, 1)), Int(sectionAlignment)))
        }
        let sizeOfImage = placed.last.map { UInt32(align(Int($0.va) + Int(max($0.vsize, 1)), Int(sectionAlignment))) }
            ?? UInt32(align(sizeOfHeaders, Int(sectionAlignment)))

        var out = ByteBuffer()
        // DOS header.
        out.u16(0x5A4D)
        out.zeros(0x3A)
        out.u32(UInt32(lfanew))
        out.zeros(lfanew - out.count)
        // PE signature and file header.
        out.u32(0x0000_4550)
        out.u16(machine ?? (is64 ? 0x8664 : 0x014C))
        out.u16(UInt16(sections.count))
        out.u32(timeDateStamp)
        out.u32(0); out.u32(0)
        out.u16(UInt16(sizeOfOptionalHeader))
        out.u16(is64 ? 0x0022 : 0x0102)
        // Optional header.
        let oh = out.count
        out.u16(is64 ? 0x20B : 0x10B)
        out.u8(14); out.u8(0)
        out.u32(placed.first.map { UInt32($0.raw.count) } ?? 0) // SizeOfCode
        out.u32(0); out.u32(0)
        let entry = placed.first { $0.spec.characteristics & 0x2000_0000 != 0 }?.va ?? 0
        out.u32(entry)                                          // AddressOfEntryPoint
        out.u32(entry)                                          // BaseOfCode
        if is64 { out.u64(resolvedImageBase) } else { out.u32(0); out.u32(UInt32(resolvedImageBase)) }
        out.u32(sectionAlignment); out.u32(fileAlignment)
        out.u16(10); out.u16(0)                                 // OS version
        out.u16(0); out.u16(0)                                  // image version
        out.u16(10); out.u16(0)                                 // subsystem version
        out.u32(0)                                              // Win32VersionValue
        out.u32(sizeOfImage); out.u32(UInt32(sizeOfHeaders)); out.u32(checkSum)
        out.u16(subsystem); out.u16(dllCharacteristics)
        for value: UInt64 in [0x4_0000, 0x1000, 0x10_0000, 0x1000] {
            if is64 { out.u64(value) } else { out.u32(UInt32(value)) }
        }
        out.u32(0)                                              // LoaderFlags
        out.u32(UInt32(numberOfRvaAndSizes))
        precondition(out.count == oh + fixedOptional)
        layout.dataDirectories = out.count
        var fileEnd = nextFile
        if signature {
            dirs[DirectoryIndex.security.rawValue] = (UInt32(fileEnd), 8)
            fileEnd += 8
        }
        for i in 0..<numberOfRvaAndSizes {
            let d: (rva: UInt32, size: UInt32) = i < 16 ? dirs[i] : (0, 0)
            out.u32(d.rva); out.u32(d.size)
        }
        // Section table.
        precondition(out.count == sectionTable)
        for s in placed {
            layout.sectionHeaders.append(out.count)
            var name = Array(s.spec.name.utf8.prefix(8))
            name += [UInt8](repeating: 0, count: 8 - name.count)
            out.append(name)
            out.u32(s.vsize); out.u32(s.va); out.u32(UInt32(s.raw.count)); out.u32(UInt32(s.pointer))
            out.u32(0); out.u32(0); out.u16(0); out.u16(0)
            out.u32(s.spec.characteristics)
        }
        out.zeros(sizeOfHeaders - out.count)
        for s in placed {
            layout.sectionFileOffsets.append(s.pointer)
            layout.sectionRVAs.append(s.va)
            layout.sectionRawSizes.append(s.raw.count)
            out.append(s.raw)
        }
        if signature { out.append([0x08, 0, 0, 0, 0, 2, 2, 0]) }
        precondition(out.count == fileEnd)
        layout.bytes = out.bytes
        layout.sizeOfHeaders = sizeOfHeaders
        layout.sizeOfImage = sizeOfImage
        return layout
    }

    // MARK: - Directories

    /// The directory section's contents being assembled, with RVA/file-offset translation.
    struct Payload {
        var buffer: ByteBuffer
        let sectionRVA: UInt32
        let sectionFile: Int
        var here: Int { buffer.count }
        func rva(_ position: Int) -> UInt32 { sectionRVA + UInt32(position) }
        func file(_ position: Int) -> Int { sectionFile + position }
    }

    private func buildDirectories(_ pl: inout Payload, _ dirs: inout [(rva: UInt32, size: UInt32)],
                                  _ layout: inout BuiltPE, p: Int) {
        let ordinalFlag: UInt64 = is64 ? 1 << 63 : 1 << 31
        func thunkArray(_ values: [UInt64]) {
            for v in values { if p == 8 { pl.buffer.u64(v) } else { pl.buffer.u32(UInt32(v)) } }
            if p == 8 { pl.buffer.u64(0) } else { pl.buffer.u32(0) }
        }
        /// Hint/name entries and the module name; returns the thunk values and the name's position.
        func names(_ module: Module, va: Bool) -> (thunks: [UInt64], name: Int) {
            var thunks: [UInt64] = []
            for f in module.functions {
                switch f {
                case let .name(name, hint):
                    pl.buffer.align(2)
                    let rva = UInt64(pl.rva(pl.here))
                    thunks.append(va ? rva + resolvedImageBase : rva)
                    pl.buffer.u16(hint)
                    pl.buffer.cString(name)
                case let .ordinal(n):
                    thunks.append(ordinalFlag | UInt64(n))
                }
            }
            let name = pl.here
            pl.buffer.cString(module.name)
            return (thunks, name)
        }

        // Import directory: names, IATs (data directory 12), descriptors, INTs.
        if !imports.isEmpty {
            let entries = imports.map { names($0, va: false) }
            pl.buffer.align(8)
            let iatStart = pl.here
            var iats: [Int] = []
            for e in entries { iats.append(pl.here); thunkArray(e.thunks) }
            if iatDirectory { dirs[DirectoryIndex.iat.rawValue] = (pl.rva(iatStart), UInt32(pl.here - iatStart)) }
            pl.buffer.align(8)
            let descriptors = pl.here
            pl.buffer.zeros(20 * (imports.count + 1))
            var ints: [Int] = []
            for (i, e) in entries.enumerated() {
                pl.buffer.align(8)
                ints.append(pl.here)
                thunkArray(e.thunks)
                let d = descriptors + 20 * i
                pl.buffer.put32(pl.rva(ints[i]), at: d)        // OriginalFirstThunk
                pl.buffer.put32(pl.rva(e.name), at: d + 12)    // Name
                pl.buffer.put32(pl.rva(iats[i]), at: d + 16)   // FirstThunk
            }
            dirs[DirectoryIndex.import.rawValue] = (pl.rva(descriptors), UInt32(20 * (imports.count + 1)))
            layout.importDescriptors = pl.file(descriptors)
            layout.importNameTables = ints.map(pl.file)
            layout.importAddressTables = iats.map(pl.file)
            layout.importModuleNames = entries.map { pl.file($0.name) }
        }

        // Delay imports (RVA-based, Attributes = 1): names, handles, IATs, INTs, descriptors.
        if !delayImports.isEmpty {
            let entries = delayImports.map { names($0, va: false) }
            pl.buffer.align(8)
            let handles = pl.here
            pl.buffer.zeros(8 * delayImports.count)
            var iats: [Int] = [], ints: [Int] = []
            for e in entries { iats.append(pl.here); thunkArray(e.thunks) }
            for e in entries { ints.append(pl.here); thunkArray(e.thunks) }
            let descriptors = pl.here
            for (i, e) in entries.enumerated() {
                pl.buffer.u32(1)
                pl.buffer.u32(pl.rva(e.name))
                pl.buffer.u32(pl.rva(handles + 8 * i))
                pl.buffer.u32(pl.rva(iats[i]))
                pl.buffer.u32(pl.rva(ints[i]))
                pl.buffer.u32(0); pl.buffer.u32(0); pl.buffer.u32(0)
            }
            pl.buffer.zeros(32)
            dirs[DirectoryIndex.delayImport.rawValue] = (pl.rva(descriptors), UInt32(32 * (delayImports.count + 1)))
            layout.delayImportDescriptors = pl.file(descriptors)
        }

        // Export directory: header, EAT, name pointers (sorted), ordinals, strings.
        if let exports {
            pl.buffer.align(8)
            let dir = pl.here
            let named = exports.functions.enumerated().compactMap { i, f in f.name.map { (name: $0, index: i) } }
                .sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
            pl.buffer.zeros(40)
            let eat = pl.here
            pl.buffer.zeros(4 * exports.functions.count)
            let npt = pl.here
            pl.buffer.zeros(4 * named.count)
            let ot = pl.here
            for n in named { pl.buffer.u16(UInt16(n.index)) }
            let moduleName = pl.here
            pl.buffer.cString(exports.moduleName)
            for (j, n) in named.enumerated() {
                pl.buffer.put32(pl.rva(pl.here), at: npt + 4 * j)
                pl.buffer.cString(n.name)
            }
            for (i, f) in exports.functions.enumerated() {
                switch f.target {
                case let .rva(rva): pl.buffer.put32(rva, at: eat + 4 * i)
                case let .forwarder(text):
                    pl.buffer.put32(pl.rva(pl.here), at: eat + 4 * i)
                    pl.buffer.cString(text)
                }
            }
            pl.buffer.put32(pl.rva(moduleName), at: dir + 12)
            pl.buffer.put32(exports.base, at: dir + 16)
            pl.buffer.put32(UInt32(exports.functions.count), at: dir + 20)
            pl.buffer.put32(UInt32(named.count), at: dir + 24)
            pl.buffer.put32(pl.rva(eat), at: dir + 28)
            pl.buffer.put32(pl.rva(npt), at: dir + 32)
            pl.buffer.put32(pl.rva(ot), at: dir + 36)
            dirs[DirectoryIndex.export.rawValue] = (pl.rva(dir), UInt32(pl.here - dir))
            layout.exportDirectory = pl.file(dir)
            layout.exportAddressTable = pl.file(eat)
            layout.exportNamePointers = pl.file(npt)
            layout.exportOrdinals = pl.file(ot)
        }

        // Load config: Size, then SecurityCookie and GuardFlags at their PE32/PE32+ offsets.
        if let loadConfig {
            pl.buffer.align(8)
            let at = pl.here
            let cookieOffset = is64 ? 0x58 : 0x3C
            let guardOffset = is64 ? 0x90 : 0x58
            let size = Int(loadConfig.size ?? UInt32(guardOffset + 4))
            pl.buffer.zeros(max(size, guardOffset + 4))
            pl.buffer.put32(UInt32(size), at: at)
            if is64 { pl.buffer.put64(loadConfig.securityCookieVA, at: at + cookieOffset) }
            else { pl.buffer.put32(UInt32(truncatingIfNeeded: loadConfig.securityCookieVA), at: at + cookieOffset) }
            pl.buffer.put32(loadConfig.guardFlags, at: at + guardOffset)
            dirs[DirectoryIndex.loadConfig.rawValue] = (pl.rva(at), UInt32(size))
            layout.loadConfig = pl.file(at)
        }

        // Exception directory (.pdata contents).
        if !runtimeFunctions.isEmpty {
            pl.buffer.align(4)
            let at = pl.here
            for f in runtimeFunctions { pl.buffer.u32(f.begin); pl.buffer.u32(f.end); pl.buffer.u32(f.unwind) }
            dirs[DirectoryIndex.exception.rawValue] = (pl.rva(at), UInt32(12 * runtimeFunctions.count))
            layout.exceptionTable = pl.file(at)
        }

        // Debug directory with one CodeView (RSDS) entry.
        if let pdbPath {
            pl.buffer.align(4)
            let at = pl.here
            pl.buffer.zeros(28)
            let rsds = pl.here
            pl.buffer.u32(0x5344_5352)
            pl.buffer.append((0..<16).map { UInt8($0 * 17) })
            pl.buffer.u32(1)
            pl.buffer.cString(pdbPath)
            pl.buffer.put32(timeDateStamp, at: at + 4)
            pl.buffer.put32(2, at: at + 12)
            pl.buffer.put32(UInt32(pl.here - rsds), at: at + 16)
            pl.buffer.put32(pl.rva(rsds), at: at + 20)
            pl.buffer.put32(UInt32(pl.file(rsds)), at: at + 24)
            dirs[DirectoryIndex.debug.rawValue] = (pl.rva(at), 28)
            layout.debugDirectory = pl.file(at)
            layout.codeView = pl.file(rsds)
        }

        // Resource directory: RT_VERSION (16) → id 1 → language 0x409 → VS_VERSIONINFO.
        if !versionStrings.isEmpty {
            pl.buffer.align(16)
            let root = pl.here
            func directory(id: UInt32, target: Int, isDirectory: Bool) {
                pl.buffer.zeros(12); pl.buffer.u16(0); pl.buffer.u16(1)
                pl.buffer.u32(id)
                pl.buffer.u32(UInt32(target - root) | (isDirectory ? 0x8000_0000 : 0))
            }
            directory(id: 16, target: root + 24, isDirectory: true)
            directory(id: 1, target: root + 48, isDirectory: true)
            directory(id: 0x409, target: root + 72, isDirectory: false)
            let dataEntry = pl.here
            pl.buffer.zeros(16)
            let blob = Self.versionInfo(versionStrings)
            let blobAt = pl.here
            pl.buffer.append(blob)
            pl.buffer.put32(pl.rva(blobAt), at: dataEntry)
            pl.buffer.put32(UInt32(blob.count), at: dataEntry + 4)
            dirs[DirectoryIndex.resource.rawValue] = (pl.rva(root), UInt32(pl.here - root))
            layout.resourceDirectory = pl.file(root)
            layout.versionInfo = pl.file(blobAt)
        }

        // Base relocations.
        if !relocations.isEmpty {
            pl.buffer.align(4)
            let at = pl.here
            for block in relocations {
                pl.buffer.u32(block.pageRVA)
                pl.buffer.u32(UInt32(8 + 2 * block.entries.count))
                for e in block.entries { pl.buffer.u16(e) }
            }
            dirs[DirectoryIndex.baseRelocation.rawValue] = (pl.rva(at), UInt32(pl.here - at))
            layout.relocations = pl.file(at)
        }
    }

    /// A VS_VERSIONINFO blob: fixed info, StringFileInfo/040904B0 with `strings`, VarFileInfo.
    static func versionInfo(_ strings: [(key: String, value: String)]) -> [UInt8] {
        func node(_ key: String, type: UInt16, value: [UInt8], valueLength: Int, children: [[UInt8]]) -> [UInt8] {
            var b = ByteBuffer()
            b.u16(0); b.u16(UInt16(valueLength)); b.u16(type)
            for unit in key.utf16 { b.u16(unit) }
            b.u16(0)
            b.align(4)
            b.append(value)
            for child in children { b.align(4); b.append(child) }
            b.put16(UInt16(b.count), at: 0)
            return b.bytes
        }
        let stringNodes = strings.map { s -> [UInt8] in
            var v = ByteBuffer()
            for unit in s.value.utf16 { v.u16(unit) }
            v.u16(0)
            return node(s.key, type: 1, value: v.bytes, valueLength: s.value.utf16.count + 1, children: [])
        }
        let table = node("040904B0", type: 1, value: [], valueLength: 0, children: stringNodes)
        let stringFileInfo = node("StringFileInfo", type: 1, value: [], valueLength: 0, children: [table])
        let translation = node("Translation", type: 0, value: [0x09, 0x04, 0xB0, 0x04], valueLength: 4, children: [])
        let varFileInfo = node("VarFileInfo", type: 1, value: [], valueLength: 0, children: [translation])
        var fixed = ByteBuffer()
        fixed.u32(0xFEEF_04BD); fixed.u32(0x0001_0000)
        fixed.zeros(44)
        return node("VS_VERSION_INFO", type: 0, value: fixed.bytes, valueLength: 52, children: [stringFileInfo, varFileInfo])
    }
}

/// A built image and the file offsets of its structures.
struct BuiltPE: Sendable {
    var bytes: [UInt8]
    let is64: Bool
    let imageBase: UInt64
    /// e_lfanew: file offset of the PE signature.
    let peHeader: Int
    let sectionTable: Int
    let sectionTableEnd: Int
    let sizeOfOptionalHeader: Int
    var dataDirectories = 0
    var sizeOfHeaders = 0
    var sizeOfImage: UInt32 = 0
    var sectionHeaders: [Int] = []
    var sectionFileOffsets: [Int] = []
    var sectionRVAs: [UInt32] = []
    var sectionRawSizes: [Int] = []
    /// Where the directories start in the directory section, and the end of that section's raw data.
    var directorySectionRVA: UInt32 = 0
    var directorySectionFile = 0
    var directorySectionRawEnd = 0

    var importDescriptors: Int?
    var importNameTables: [Int] = []
    var importAddressTables: [Int] = []
    var importModuleNames: [Int] = []
    var delayImportDescriptors: Int?
    var exportDirectory: Int?
    var exportAddressTable: Int?
    var exportNamePointers: Int?
    var exportOrdinals: Int?
    var loadConfig: Int?
    var exceptionTable: Int?
    var debugDirectory: Int?
    var codeView: Int?
    var resourceDirectory: Int?
    var versionInfo: Int?
    var relocations: Int?

    var fileHeader: Int { peHeader + 4 }
    var optionalHeader: Int { peHeader + 24 }

    /// File offset of data directory `index`'s VirtualAddress field.
    func directoryEntry(_ index: DirectoryIndex) -> Int { dataDirectories + 8 * index.rawValue }

    /// The RVA of a file offset inside a section's raw data.
    func rva(ofFileOffset offset: Int) -> UInt32 {
        for i in sectionFileOffsets.indices where sectionRawSizes[i] != 0 {
            let start = sectionFileOffsets[i]
            if offset >= start, offset < start + sectionRawSizes[i] { return sectionRVAs[i] + UInt32(offset - start) }
        }
        return UInt32(offset)
    }

    /// The file offset of an RVA inside a section's raw data.
    func fileOffset(ofRVA rva: UInt32) -> Int? {
        for i in sectionRVAs.indices where rva >= sectionRVAs[i] && Int(rva - sectionRVAs[i]) < sectionRawSizes[i] {
            return sectionFileOffsets[i] + Int(rva - sectionRVAs[i])
        }
        return nil
    }

    /// Makes the directory section's VirtualSize cover its whole raw data, so
    /// the zero padding after the last directory is part of the image.
    mutating func widenDirectorySection() {
        guard let i = sectionRVAs.indices.first(where: {
            directorySectionRVA >= sectionRVAs[$0] && Int(directorySectionRVA - sectionRVAs[$0]) < sectionRawSizes[$0]
        }) else { return }
        put32(UInt32(sectionRawSizes[i]), at: sectionHeaders[i] + BuiltPE.SH.virtualSize)
    }

    func parse() throws -> PEFile { try PEFile(bytes: bytes) }

    mutating func put8(_ v: UInt8, at o: Int) { bytes[o] = v }
    mutating func put16(_ v: UInt16, at o: Int) { for i in 0..<2 { bytes[o + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) } }
    mutating func put32(_ v: UInt32, at o: Int) { for i in 0..<4 { bytes[o + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) } }
    mutating func put64(_ v: UInt64, at o: Int) { for i in 0..<8 { bytes[o + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) } }
    func get32(at o: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[o + $1]) << (8 * $1) } }

    /// Offsets inside the optional header (same in PE32 and PE32+ unless noted).
    enum OH {
        static let magic = 0, entryPoint = 16, sectionAlignment = 32, fileAlignment = 36
        static let sizeOfImage = 56, sizeOfHeaders = 60, checkSum = 64, subsystem = 68, dllCharacteristics = 70
        static func imageBase(_ is64: Bool) -> Int { is64 ? 24 : 28 }
        static func numberOfRvaAndSizes(_ is64: Bool) -> Int { is64 ? 108 : 92 }
    }

    /// Offsets inside a 40-byte section header.
    enum SH {
        static let name = 0, virtualSize = 8, virtualAddress = 12, sizeOfRawData = 16, pointerToRawData = 20
        static let characteristics = 36
    }
}

func align(_ value: Int, _ alignment: Int) -> Int {
    alignment <= 1 ? value : (value + alignment - 1) / alignment * alignment
}
