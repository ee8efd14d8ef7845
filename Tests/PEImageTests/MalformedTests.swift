import PEImage
import Testing

/// One way of damaging a built image, and the error the parser must give.
struct Corruption: Sendable, CustomTestStringConvertible {
    var name: String
    var kind: PEErrorKind
    /// Text the error's field (and so its message) must contain.
    var field: String
    var builder: @Sendable () -> PEBuilder = { PEBuilder.full() }
    var mutate: @Sendable (inout BuiltPE) -> Void
    /// The file offset the error must report, when it is worth pinning down.
    var offset: (@Sendable (BuiltPE) -> Int)? = nil

    var testDescription: String { name }

    init(_ name: String, _ kind: PEErrorKind, _ field: String, builder: @escaping @Sendable () -> PEBuilder = { PEBuilder.full() },
         offset: (@Sendable (BuiltPE) -> Int)? = nil, mutate: @escaping @Sendable (inout BuiltPE) -> Void) {
        self.name = name
        self.kind = kind
        self.field = field
        self.builder = builder
        self.offset = offset
        self.mutate = mutate
    }
}

/// Damage the parser must accept.
struct Damage: Sendable, CustomTestStringConvertible {
    var name: String
    var mutate: @Sendable (inout BuiltPE) -> Void
    var testDescription: String { name }
    init(_ name: String, mutate: @escaping @Sendable (inout BuiltPE) -> Void) { self.name = name; self.mutate = mutate }
}

extension BuiltPE {
    /// Fills `range` with a non-zero byte (a string or table with no terminator).
    mutating func fill(_ range: Range<Int>, with byte: UInt8 = 0x41) {
        for i in range { bytes[i] = byte }
    }

    /// Puts eight non-NUL bytes at the very end of the directory section's raw data
    /// (made part of the image) and points the 32-bit RVA field at `field` to them.
    mutating func nameAtEndOfDirectorySection(pointedAt field: Int) {
        widenDirectorySection()
        let at = directorySectionRawEnd - 8
        fill(at..<directorySectionRawEnd)
        put32(rva(ofFileOffset: at), at: field)
    }
}

private let headerCorruptions: [Corruption] = [
    Corruption("MZ signature", .badMagic, "e_magic", offset: { _ in 0 }) { $0.put16(0x5A4E, at: 0) },
    Corruption("PE signature", .badMagic, "PE signature", offset: { $0.peHeader }) { $0.put32(0x0000_4551, at: $0.peHeader) },
    Corruption("e_lfanew = 0 (reads MZ as the PE signature)", .badMagic, "PE signature") { $0.put32(0, at: 0x3C) },
    Corruption("e_lfanew at end of file", .truncated, "e_lfanew") { $0.put32(UInt32($0.bytes.count), at: 0x3C) },
    Corruption("e_lfanew 3 bytes before end of file", .truncated, "e_lfanew") { $0.put32(UInt32($0.bytes.count - 3), at: 0x3C) },
    Corruption("e_lfanew 0xFFFFFFF0 (negative-looking)", .truncated, "e_lfanew") { $0.put32(0xFFFF_FFF0, at: 0x3C) },
    Corruption("e_lfanew 0x7FFFFFFF", .truncated, "e_lfanew") { $0.put32(0x7FFF_FFFF, at: 0x3C) },
    Corruption("e_lfanew 0xFFFFFFFF", .truncated, "e_lfanew") { $0.put32(0xFFFF_FFFF, at: 0x3C) },
    Corruption("optional header magic 0x107 (ROM)", .badMagic, "OptionalHeader.Magic", offset: { $0.optionalHeader }) {
        $0.put16(0x107, at: $0.optionalHeader)
    },
    Corruption("optional header magic 0", .badMagic, "OptionalHeader.Magic") { $0.put16(0, at: $0.optionalHeader) },
    Corruption("SizeOfOptionalHeader 0", .invalidValue, "SizeOfOptionalHeader") { $0.put16(0, at: $0.fileHeader + 16) },
    Corruption("SizeOfOptionalHeader 111 (< PE32+ fixed part)", .invalidValue, "SizeOfOptionalHeader") {
        $0.put16(111, at: $0.fileHeader + 16)
    },
    Corruption("SizeOfOptionalHeader 95 (< PE32 fixed part)", .invalidValue, "SizeOfOptionalHeader",
               builder: { PEBuilder.full(is64: false) }) { $0.put16(95, at: $0.fileHeader + 16) },
    Corruption("SizeOfOptionalHeader 0xFFFF (section table past EOF)", .truncated, "section table") {
        $0.put16(0xFFFF, at: $0.fileHeader + 16)
    },
    Corruption("NumberOfSections 0xFFFF", .invalidValue, "NumberOfSections", offset: { $0.fileHeader + 2 }) {
        $0.put16(0xFFFF, at: $0.fileHeader + 2)
    },
    Corruption("NumberOfSections 97", .invalidValue, "NumberOfSections") { $0.put16(97, at: $0.fileHeader + 2) },
    Corruption("NumberOfSections 96, table past EOF", .truncated, "section table") {
        $0.put16(96, at: $0.fileHeader + 2)
        $0.bytes.removeSubrange($0.sectionTableEnd...)
    },
    Corruption("NumberOfSections 0 (directories point nowhere)", .badRVA, "import descriptor 0") {
        $0.put16(0, at: $0.fileHeader + 2)
    },
    Corruption("SectionAlignment 0", .invalidValue, "SectionAlignment") {
        $0.put32(0, at: $0.optionalHeader + BuiltPE.OH.sectionAlignment)
    },
    Corruption("SectionAlignment 0x1001 (not a power of two)", .invalidValue, "SectionAlignment") {
        $0.put32(0x1001, at: $0.optionalHeader + BuiltPE.OH.sectionAlignment)
    },
    Corruption("SectionAlignment 0x3000 (not a power of two)", .invalidValue, "SectionAlignment") {
        $0.put32(0x3000, at: $0.optionalHeader + BuiltPE.OH.sectionAlignment)
    },
    Corruption("SectionAlignment 0x80000000 (FileAlignment fits, sections do not)", .invalidValue, "FileAlignment") {
        $0.put32(0x8000_0000, at: $0.optionalHeader + BuiltPE.OH.sectionAlignment)
        $0.put32(0x300, at: $0.optionalHeader + BuiltPE.OH.fileAlignment)
    },
    Corruption("FileAlignment 0", .invalidValue, "FileAlignment") {
        $0.put32(0, at: $0.optionalHeader + BuiltPE.OH.fileAlignment)
    },
    Corruption("FileAlignment larger than SectionAlignment", .invalidValue, "FileAlignment") {
        $0.put32(0x2000, at: $0.optionalHeader + BuiltPE.OH.fileAlignment)
    },
    Corruption("SizeOfImage 0", .invalidValue, "SizeOfImage") { $0.put32(0, at: $0.optionalHeader + BuiltPE.OH.sizeOfImage) },
    Corruption("SizeOfImage 0xFFFFF000 (4 GiB)", .invalidValue, "SizeOfImage", offset: { $0.optionalHeader + 56 }) {
        $0.put32(0xFFFF_F000, at: $0.optionalHeader + BuiltPE.OH.sizeOfImage)
    },
    Corruption("SizeOfImage 0xFFFFFFFF", .invalidValue, "SizeOfImage") {
        $0.put32(0xFFFF_FFFF, at: $0.optionalHeader + BuiltPE.OH.sizeOfImage)
    },
    Corruption("SizeOfImage 0xFFFFFFFF (PE32)", .invalidValue, "SizeOfImage", builder: { PEBuilder.full(is64: false) }) {
        $0.put32(0xFFFF_FFFF, at: $0.optionalHeader + BuiltPE.OH.sizeOfImage)
    },
    Corruption("SizeOfImage 1 GiB + 4 KiB", .invalidValue, "SizeOfImage") {
        $0.put32(0x4000_1000, at: $0.optionalHeader + BuiltPE.OH.sizeOfImage)
    },
    Corruption("SizeOfImage smaller than the sections", .invalidValue, "VirtualAddress+VirtualSize") {
        $0.put32(0x2000, at: $0.optionalHeader + BuiltPE.OH.sizeOfImage)
    },
    Corruption("SizeOfHeaders larger than SizeOfImage", .invalidValue, "SizeOfHeaders") {
        $0.put32(0xFFFF_FFFF, at: $0.optionalHeader + BuiltPE.OH.sizeOfHeaders)
    },
    Corruption("ImageBase not 64 KiB aligned", .invalidValue, "ImageBase") {
        $0.put64(0x1_4000_1000, at: $0.optionalHeader + BuiltPE.OH.imageBase(true))
    },
    Corruption("ImageBase + SizeOfImage wraps 2^64", .invalidValue, "ImageBase") {
        $0.put64(0xFFFF_FFFF_FFFF_0000, at: $0.optionalHeader + BuiltPE.OH.imageBase(true))
        $0.put32(0x2_0000, at: $0.optionalHeader + BuiltPE.OH.sizeOfImage)
    },
    Corruption("PE32 ImageBase + SizeOfImage past 4 GiB", .invalidValue, "ImageBase", builder: { PEBuilder.full(is64: false) }) {
        $0.put32(0xFFFF_0000, at: $0.optionalHeader + BuiltPE.OH.imageBase(false))
        $0.put32(0x2_0000, at: $0.optionalHeader + BuiltPE.OH.sizeOfImage)
    },
]

private let sectionCorruptions: [Corruption] = [
    Corruption("raw data beyond EOF (PointerToRawData)", .invalidValue, "raw data end", offset: { $0.sectionHeaders[2] + 20 }) {
        $0.put32(0xFFFF_FE00, at: $0.sectionHeaders[2] + BuiltPE.SH.pointerToRawData)
    },
    Corruption("raw data beyond EOF (SizeOfRawData 0xFFFFFFFF)", .invalidValue, "raw data end") {
        $0.put32(0xFFFF_FFFF, at: $0.sectionHeaders[1] + BuiltPE.SH.sizeOfRawData)
    },
    Corruption("raw data one byte past EOF", .invalidValue, "raw data end") { $0.bytes.removeLast() },
    Corruption("VirtualSize 0xFFFFFFFF", .invalidValue, "VirtualAddress+VirtualSize") {
        $0.put32(0xFFFF_FFFF, at: $0.sectionHeaders[2] + BuiltPE.SH.virtualSize)
    },
    Corruption("VirtualAddress 0xFFFFF000 + VirtualSize wraps 32 bits", .invalidValue, "VirtualAddress+VirtualSize") {
        $0.put32(0xFFFF_F000, at: $0.sectionHeaders[2] + BuiltPE.SH.virtualAddress)
        $0.put32(0x2000, at: $0.sectionHeaders[2] + BuiltPE.SH.virtualSize)
    },
    Corruption("overlapping sections", .inconsistent, "VirtualAddress", offset: { $0.sectionHeaders[1] + 12 }) {
        $0.put32(0x1080, at: $0.sectionHeaders[1] + BuiltPE.SH.virtualAddress)
    },
    Corruption("two sections at the same VirtualAddress", .inconsistent, "section 1 (.rdata) VirtualAddress") {
        $0.put32(0x1000, at: $0.sectionHeaders[1] + BuiltPE.SH.virtualAddress)
    },
    Corruption("sections out of order", .inconsistent, "section 2 (.data)") {
        $0.put32(0x1000, at: $0.sectionHeaders[2] + BuiltPE.SH.virtualAddress)
    },
    Corruption("first section overlaps the headers", .inconsistent, "section 0 (.text)") {
        $0.put32(0x100, at: $0.sectionHeaders[0] + BuiltPE.SH.virtualAddress)
    },
]

private let importCorruptions: [Corruption] = [
    Corruption("import directory RVA 0xFFFFFFF0 (wraps)", .badRVA, "import descriptor 0",
               offset: { $0.directoryEntry(.import) }) {
        $0.put32(0xFFFF_FFF0, at: $0.directoryEntry(.import))
    },
    Corruption("import directory RVA past SizeOfImage", .badRVA, "import descriptor 0") {
        $0.put32($0.sizeOfImage, at: $0.directoryEntry(.import))
    },
    Corruption("import directory between sections", .badRVA, "import descriptor 0") {
        $0.put32(0x1800, at: $0.directoryEntry(.import))
    },
    Corruption("import descriptor chain loops (terminator repeats descriptor 0)", .inconsistent, "import descriptor 2") {
        let d = $0.importDescriptors!
        for i in 0..<20 { $0.bytes[d + 40 + i] = $0.bytes[d + i] }
    },
    Corruption("import descriptors run off the section without a terminator", .badRVA, "import descriptor 2") {
        // Two distinct, valid descriptors in the last 40 bytes of .rdata's raw data; then nothing.
        $0.widenDirectorySection()
        let d = $0.importDescriptors!, at = $0.directorySectionRawEnd - 40
        for i in 0..<20 { $0.bytes[at + i] = $0.bytes[d + i]; $0.bytes[at + 20 + i] = $0.bytes[d + i] }
        $0.put32(0, at: at + 20)
        $0.put32($0.rva(ofFileOffset: at), at: $0.directoryEntry(.import))
    },
    Corruption("module name without NUL to the end of the section", .inconsistent, "import descriptor 0 module name") {
        $0.nameAtEndOfDirectorySection(pointedAt: $0.importDescriptors! + 12)
    },
    Corruption("module name without NUL to the end of the file", .inconsistent, "import descriptor 0 module name",
               builder: { var b = PEBuilder.minimal(); b.sections.removeLast(); return b }) {
        #expect($0.directorySectionRawEnd == $0.bytes.count)
        $0.nameAtEndOfDirectorySection(pointedAt: $0.importDescriptors! + 12)
    },
    Corruption("module name RVA 0xFFFFFFFF", .badRVA, "import descriptor 0 module name") {
        $0.put32(0xFFFF_FFFF, at: $0.importDescriptors! + 12)
    },
    Corruption("OriginalFirstThunk 0xFFFFFFFC", .badRVA, "import thunk 0 of ntoskrnl.exe") {
        $0.put32(0xFFFF_FFFC, at: $0.importDescriptors!)
    },
    Corruption("hint/name RVA past the image", .badRVA, "hint/name of import thunk 0") {
        $0.put64(0x7FFF_FFF0, at: $0.importNameTables[0])
    },
    Corruption("hint/name RVA at 0xFFFFFFFF", .badRVA, "hint/name of import thunk 1") {
        $0.put64(0xFFFF_FFFF, at: $0.importNameTables[0] + 8)
    },
    Corruption("function name without NUL", .inconsistent, "name of import thunk 0 of ntoskrnl.exe") {
        $0.nameAtEndOfDirectorySection(pointedAt: $0.importNameTables[0])   // hint 0x4141, then "AAAAAA"
    },
    Corruption("thunk array without terminator", .badRVA, "import thunk 2 of ntoskrnl.exe") {
        $0.widenDirectorySection()
        let at = $0.directorySectionRawEnd - 16
        $0.put64(1 << 63 | 1, at: at)
        $0.put64(1 << 63 | 2, at: at + 8)
        $0.put32($0.rva(ofFileOffset: at), at: $0.importDescriptors!)
    },
    Corruption("PE32 thunk array without terminator", .badRVA, "import thunk 2 of ntoskrnl.exe",
               builder: { PEBuilder.full(is64: false) }) {
        $0.widenDirectorySection()
        let at = $0.directorySectionRawEnd - 8
        $0.put32(1 << 31 | 1, at: at)
        $0.put32(1 << 31 | 2, at: at + 4)
        $0.put32($0.rva(ofFileOffset: at), at: $0.importDescriptors!)
    },
    Corruption("IAT slot beyond 4 GiB", .badRVA, "import address table of ntoskrnl.exe") {
        $0.put32(0xFFFF_FFFC, at: $0.importDescriptors! + 16)
    },
    Corruption("delay-import module name RVA 0xFFFFFFFF", .badRVA, "delay-import descriptor 0 module name") {
        $0.put32(0xFFFF_FFFF, at: $0.delayImportDescriptors! + 4)
    },
    Corruption("delay-import descriptor chain loops", .inconsistent, "delay-import descriptor 1") {
        let d = $0.delayImportDescriptors!
        for i in 0..<32 { $0.bytes[d + 32 + i] = $0.bytes[d + i] }
    },
    Corruption("delay-import VA below ImageBase", .badRVA, "DllNameRVA") {
        $0.put32(0, at: $0.delayImportDescriptors!)   // Attributes 0: the fields are VAs
    },
    Corruption("delay-import directory RVA wraps", .badRVA, "delay-import descriptor 0") {
        $0.put32(0xFFFF_FFF8, at: $0.directoryEntry(.delayImport))
    },
    Corruption("delay-import name table RVA past the image", .badRVA, "import thunk 0 of cng.sys") {
        $0.put32(0xFFFF_0000, at: $0.delayImportDescriptors! + 16)
    },
]

private let otherCorruptions: [Corruption] = [
    Corruption("export ordinal beyond NumberOfFunctions", .invalidValue, "export ordinal table entry 0",
               offset: { $0.exportOrdinals! }) {
        $0.put16(0xFFFF, at: $0.exportOrdinals!)
    },
    Corruption("export ordinal equal to NumberOfFunctions", .invalidValue, "export ordinal table entry 2") {
        $0.put16(4, at: $0.exportOrdinals! + 4)
    },
    Corruption("export NumberOfFunctions 0xFFFFFFFF", .invalidValue, "NumberOfFunctions") {
        $0.put32(0xFFFF_FFFF, at: $0.exportDirectory! + 20)
    },
    Corruption("export NumberOfNames > NumberOfFunctions", .invalidValue, "NumberOfNames") {
        $0.put32(5, at: $0.exportDirectory! + 24)
    },
    Corruption("export AddressOfFunctions 0xFFFFFFFF", .badRVA, "export address table") {
        $0.put32(0xFFFF_FFFF, at: $0.exportDirectory! + 28)
    },
    Corruption("export AddressOfNames past the image", .badRVA, "export name pointer table") {
        $0.put32(0x7FFF_0000, at: $0.exportDirectory! + 32)
    },
    Corruption("export AddressOfNameOrdinals wraps", .badRVA, "export ordinal table") {
        $0.put32(0xFFFF_FFFE, at: $0.exportDirectory! + 36)
    },
    Corruption("export name pointer 0xFFFFFFFF", .badRVA, "export name 1") {
        $0.put32(0xFFFF_FFFF, at: $0.exportNamePointers! + 4)
    },
    Corruption("export module name RVA past the image", .badRVA, "export directory module name") {
        $0.put32(0x00FF_0000, at: $0.exportDirectory! + 12)
    },
    Corruption("export directory RVA wraps", .badRVA, "export directory") {
        $0.put32(0xFFFF_FFF0, at: $0.directoryEntry(.export))
    },
    Corruption("export forwarder without NUL", .inconsistent, "export forwarder 3") {
        let forwarder = $0.fileOffset(ofRVA: $0.get32(at: $0.exportAddressTable! + 12))!
        $0.fill(forwarder..<$0.directorySectionRawEnd)
    },
    Corruption("relocation SizeOfBlock 0 (non-zero page)", .invalidValue, "SizeOfBlock", offset: { $0.relocations! + 4 }) {
        $0.put32(0, at: $0.relocations! + 4)
    },
    Corruption("relocation SizeOfBlock 4 (< 8)", .invalidValue, "SizeOfBlock") { $0.put32(4, at: $0.relocations! + 4) },
    Corruption("relocation SizeOfBlock odd", .invalidValue, "SizeOfBlock") { $0.put32(9, at: $0.relocations! + 4) },
    Corruption("relocation SizeOfBlock past the directory", .invalidValue, "SizeOfBlock") {
        $0.put32(0x1000, at: $0.relocations! + 4)
    },
    Corruption("relocation SizeOfBlock 0xFFFFFFFF", .invalidValue, "SizeOfBlock") {
        $0.put32(0xFFFF_FFFF, at: $0.relocations! + 4)
    },
    Corruption("second relocation block SizeOfBlock 0xFFFFFFFE", .invalidValue, "SizeOfBlock") {
        $0.put32(0xFFFF_FFFE, at: $0.relocations! + 14 + 4)
    },
    Corruption("relocation directory RVA wraps", .badRVA, "base relocation block 0") {
        $0.put32(0xFFFF_FFF8, at: $0.directoryEntry(.baseRelocation))
    },
    Corruption("relocation directory runs into non-zero bytes", .invalidValue, "SizeOfBlock") {
        $0.widenDirectorySection()
        let entry = $0.directoryEntry(.baseRelocation)
        let end = $0.relocations! + Int($0.get32(at: entry + 4))
        $0.put32(0x5000, at: end)
        $0.put32(0x0101_0101, at: end + 4)
        $0.put32($0.get32(at: entry + 4) + 0x100, at: entry + 4)
    },
    Corruption("load config RVA 0xFFFFFFFF", .badRVA, "load config directory") {
        $0.put32(0xFFFF_FFFF, at: $0.directoryEntry(.loadConfig))
    },
    Corruption("load config SecurityCookie past the section data", .badRVA, "load config SecurityCookie") {
        $0.widenDirectorySection()
        let at = $0.directorySectionRawEnd - 8
        $0.put32(0x94, at: at)
        $0.put32($0.rva(ofFileOffset: at), at: $0.directoryEntry(.loadConfig))
    },
    Corruption("exception directory Size 0xFFFFFFFF", .invalidValue, "exception directory Size") {
        $0.put32(0xFFFF_FFFF, at: $0.directoryEntry(.exception) + 4)
    },
    Corruption("exception directory past the section data", .badRVA, "exception directory") {
        $0.put32(12 * 0x10000, at: $0.directoryEntry(.exception) + 4)
    },
    Corruption("exception directory RVA wraps", .badRVA, "exception directory") {
        $0.put32(0xFFFF_FFF4, at: $0.directoryEntry(.exception))
    },
]

@Suite("Malformed input")
struct MalformedTests {
    @Test(arguments: headerCorruptions + sectionCorruptions + importCorruptions + otherCorruptions)
    func corruption(_ c: Corruption) throws {
        let original = c.builder().build()
        #expect(throws: Never.self, "the undamaged image parses") { try original.parse() }
        var built = original
        c.mutate(&built)
        let error = expectPEError(built.bytes, c.kind, field: c.field)
        if let error, let offset = c.offset {
            #expect(error.offset == offset(original), "\(error)")
        }
        if let offset = error?.offset {
            #expect(offset >= 0)
        }
    }

    /// Damage the parser deliberately tolerates: optional tool-only directories, and
    /// directory sizes that wrap but whose contents end properly.
    @Test(arguments: [
        Damage("debug directory RVA past the image") { $0.put32(0xFFFF_FF00, at: $0.directoryEntry(.debug)) },
        Damage("debug directory Size 0xFFFFFFFF") { $0.put32(0xFFFF_FFFF, at: $0.directoryEntry(.debug) + 4) },
        Damage("CodeView SizeOfData 0xFFFFFFFF") { $0.put32(0xFFFF_FFFF, at: $0.debugDirectory! + 16) },
        Damage("resource directory RVA wraps") { $0.put32(0xFFFF_FFF8, at: $0.directoryEntry(.resource)) },
        Damage("resource entry offset 0x7FFFFFFF") { $0.put32(0xFFFF_FFFF, at: $0.resourceDirectory! + 20) },
        Damage("resource 0xFFFF entries") { $0.put16(0xFFFF, at: $0.resourceDirectory! + 14) },
        Damage("version data size 0xFFFFFFFF") { $0.put32(0xFFFF_FFFF, at: $0.resourceDirectory! + 76) },
        Damage("version node wLength 0") { $0.put16(0, at: $0.versionInfo!) },
        Damage("version node wValueLength 0xFFFF") { $0.put16(0xFFFF, at: $0.versionInfo! + 2) },
        Damage("relocation directory Size 0xFFFFFFFF (ends at zero padding)") {
            $0.widenDirectorySection()
            $0.put32(0xFFFF_FFFF, at: $0.directoryEntry(.baseRelocation) + 4)
        },
        Damage("export directory Size 0xFFFFFFFF") {
            $0.put32(0xFFFF_FFFF, at: $0.directoryEntry(.export) + 4)
        },
        Damage("load config Size 0xFFFFFFFF") { $0.put32(0xFFFF_FFFF, at: $0.loadConfig!) },
        Damage("checksum and timestamp garbage") {
            $0.put32(0xFFFF_FFFF, at: $0.optionalHeader + BuiltPE.OH.checkSum)
            $0.put32(0xFFFF_FFFF, at: $0.fileHeader + 4)
        },
    ])
    func tolerated(_ c: Damage) throws {
        var built = PEBuilder.full().build()
        c.mutate(&built)
        let pe = try built.parse()
        #expect(pe.imports.count == 2)
    }

    /// Section and module names come from the file; an error message quoting them
    /// must stay one printable line (the CLI prints it as `hvcisim: PATH: reason`).
    struct HostileName: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var name: String
    }

    @Test(arguments: [HostileName(testDescription: "newline", name: "A\nB"),
                      HostileName(testDescription: "terminal escape and CR", name: "\u{1B}[31m\r"),
                      HostileName(testDescription: "DEL and NUL", name: "x\u{7F}\u{1}y")])
    func messagesQuoteNamesPrintably(_ hostile: HostileName) throws {
        let name = hostile.name
        var b = PEBuilder.minimal()
        b.sections[1].name = name
        b.imports = [.init(name: "nt\(name)", functions: [.name("DbgPrint")])]
        var built = b.build()
        built.put32(0x1080, at: built.sectionHeaders[1] + BuiltPE.SH.virtualAddress)
        var other = b.build()
        other.put64(0x7FFF_0000, at: other.importNameTables[0])
        for bytes in [built.bytes, other.bytes] {
            let error = try #require(throws: PEError.self) { try PEFile(bytes: bytes) }
            #expect(!error.description.contains { $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } ?? false },
                    "\(error.description.debugDescription)")
        }
    }

    /// Many descriptors sharing one long thunk array: a 0.5 MB file must not turn into
    /// millions of imported functions (minutes of parsing and gigabytes of memory).
    @Test func importDescriptorsSharingOneHugeThunkArray() throws {
        let bytes = Self.sharedThunkArray(descriptors: 4, thunks: 65535)
        let error = expectPEError(bytes, .inconsistent, field: "import thunks of x.sys")
        #expect(error?.description.contains("65536") == true)
        // Just under the cap is fine.
        #expect(try PEFile(bytes: Self.sharedThunkArray(descriptors: 2, thunks: 32768)).imports.count == 2)
    }

    /// `.rdata` at 0x2000: one INT of `thunks` ordinal thunks, a module name, then
    /// `descriptors` import descriptors that all use that INT (distinct FirstThunks).
    static func sharedThunkArray(descriptors: Int, thunks: Int) -> [UInt8] {
        var buf = ByteBuffer()
        for i in 0..<thunks { buf.u64(1 << 63 | UInt64(i & 0xFFFF)) }
        buf.u64(0)
        let name = buf.count
        buf.cString("x.sys")
        buf.align(4)
        let table = buf.count
        for i in 0..<descriptors {
            buf.u32(0x2000); buf.u32(0); buf.u32(0)
            buf.u32(0x2000 + UInt32(name)); buf.u32(0x10_0000 + 8 * UInt32(i))
        }
        buf.zeros(20)
        var b = PEBuilder()
        b.sections = [.init(name: ".rdata", characteristics: PEBuilder.rdata, contents: buf.bytes, virtualAddress: 0x2000)]
        var built = b.build()
        built.put32(0x2000 + UInt32(table), at: built.directoryEntry(.import))
        built.put32(20 * UInt32(descriptors + 1), at: built.directoryEntry(.import) + 4)
        return built.bytes
    }

    // MARK: Truncation

    static let truncationImage = PEBuilder.full().build()

    /// The field a file cut to `length` bytes must be reported as truncated at.
    static func expectedField(forLength length: Int, in built: BuiltPE) -> String {
        let oh = built.optionalHeader
        switch length {
        case ..<2: return "e_magic"
        case ..<0x40: return "e_lfanew"
        case ..<(built.peHeader + 4): return "PE signature"
        case ..<(built.peHeader + 24): return "FileHeader."
        case ..<(oh + 2): return "OptionalHeader.Magic"
        case ..<(oh + (built.is64 ? 112 : 96)): return "optional header"
        case ..<built.sectionTable: return "DataDirectory["
        default: return "section table"
        }
    }

    /// Cutting the file at every length up to the end of the section table gives `truncated`, naming the structure.
    @Test(arguments: 0..<truncationImage.sectionTableEnd)
    func truncatedHeaders(length: Int) throws {
        let built = Self.truncationImage
        let field = Self.expectedField(forLength: length, in: built)
        let error = expectPEError(Array(built.bytes.prefix(length)), .truncated, field: field)
        if case let .truncated(_, offset, size, fileSize)? = error {
            #expect(fileSize == length)
            #expect(offset + size > length, "the reported range must really leave the file")
        }
    }

    @Test(arguments: [true, false])
    func truncatedHeadersBothFormats(is64: Bool) throws {
        let built = PEBuilder.full(is64: is64).build()
        for length in 0..<built.sectionTableEnd {
            let error = expectPEError(Array(built.bytes.prefix(length)), .truncated,
                                      field: Self.expectedField(forLength: length, in: built))
            if error == nil { break }
        }
    }

    /// Past the section table, every shorter file cuts some section's raw data.
    @Test func truncatedSectionData() throws {
        let built = Self.truncationImage
        for length in built.sectionTableEnd..<built.bytes.count {
            if expectPEError(Array(built.bytes.prefix(length)), .invalidValue, field: "raw data end") == nil { break }
        }
        #expect(throws: Never.self) { try PEFile(bytes: built.bytes) }
    }

    // MARK: Random damage

    /// Thousands of seeded random mutations of a valid image: parsing must succeed or throw
    /// `PEError`; a Swift trap would crash the test process.
    @Test(arguments: [true, false])
    func randomMutations(is64: Bool) throws {
        let built = PEBuilder.full(is64: is64).build()
        var rng = SplitMix64(seed: is64 ? 0x5EED_0064 : 0x5EED_0032)
        // Interesting places: the headers, the directory payload.
        let hot = [0..<built.sectionTableEnd, built.directorySectionFile..<built.directorySectionRawEnd]
        let values: [UInt32] = [0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFF0, 0xFFFF_FFFF]
        var parsed = 0, rejected = 0
        for _ in 0..<5000 {
            var bytes = built.bytes
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let region = Int.random(in: 0..<4, using: &rng)
                let at = region < 3 ? Int.random(in: hot[region % 2], using: &rng) : Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[at] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes[at] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
                default:
                    let v = values.randomElement(using: &rng)!
                    for i in 0..<4 where at + i < bytes.count { bytes[at + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) }
                }
            }
            if Int.random(in: 0..<8, using: &rng) == 0 {
                bytes.removeLast(Int.random(in: 0..<bytes.count, using: &rng))
            }
            do {
                let pe = try PEFile(bytes: bytes)
                // Exercise the lookups on whatever parsed.
                _ = pe.runtimeFunction(containing: UInt32.random(in: 0...0x5000, using: &rng))
                _ = pe.section(containing: UInt64.random(in: 0...0x5000, using: &rng))
                _ = pe.pdbPath
                parsed += 1
            } catch let error as PEError {
                #expect(!error.description.isEmpty)
                rejected += 1
            } catch {
                Issue.record("non-PEError: \(error)")
            }
        }
        #expect(parsed > 100 && rejected > 100, "mutations should hit both outcomes (parsed \(parsed), rejected \(rejected))")
    }
}
