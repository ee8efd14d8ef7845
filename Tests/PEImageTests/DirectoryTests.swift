import PEImage
import Testing

@Suite("Data directories")
struct DirectoryTests {
    static let full64 = PEBuilder.full().build()
    static let full32 = PEBuilder.full(is64: false).build()

    // MARK: Imports

    @Test(arguments: [true, false])
    func importsByNameAndOrdinal(is64: Bool) throws {
        let built = is64 ? Self.full64 : Self.full32
        let pe = try built.parse()
        #expect(pe.imports.map(\.name) == ["ntoskrnl.exe", "HAL.dll"])
        #expect(pe.imports.allSatisfy { !$0.isDelayLoaded })
        let nt = pe.imports[0].functions
        #expect(nt.map(\.displayName) == ["DbgPrint", "ExAllocatePool2", "#7"])
        #expect(nt.map(\.hint) == [0x11, 0x22, 0])
        #expect(nt[2].name == nil)
        #expect(nt[2].ordinal == 7)
        #expect(nt[0].ordinal == nil)
        let width = UInt32(is64 ? 8 : 4)
        let iat = built.rva(ofFileOffset: built.importAddressTables[0])
        #expect(nt.map(\.iatRVA) == [iat, iat + width, iat + 2 * width])
        let hal = pe.imports[1].functions
        #expect(hal.map(\.displayName) == ["KeStallExecutionProcessor"])
        #expect(hal[0].hint == 3)
        #expect(hal[0].iatRVA == built.rva(ofFileOffset: built.importAddressTables[1]))
        // Data directory 12 covers both import address tables.
        let iatDir = pe.optionalHeader.directory(.iat)
        #expect(iatDir.rva == iat)
        #expect(iatDir.size == 6 * width)   // 3 + 1 thunks, a terminator each
    }

    /// Without OriginalFirstThunk the loader walks FirstThunk (the IAT) for names.
    @Test func importsWithoutOriginalFirstThunk() throws {
        var built = PEBuilder.minimal().build()
        let d = try #require(built.importDescriptors)
        built.put32(0, at: d)
        let pe = try built.parse()
        #expect(pe.imports[0].functions.map(\.displayName) == ["DbgPrint"])
        #expect(pe.imports[0].functions[0].iatRVA == built.rva(ofFileOffset: built.importAddressTables[0]))
    }

    @Test func noImports() throws {
        var b = PEBuilder()
        b.exports = .init(moduleName: "x.sys", functions: [.init(name: "F", target: .rva(0x1000))])
        let pe = try b.build().parse()
        #expect(pe.imports.isEmpty)
        #expect(pe.delayImports.isEmpty)
        #expect(pe.optionalHeader.directory(.import).rva == 0)
    }

    @Test(arguments: [true, false])
    func delayImports(is64: Bool) throws {
        let pe = try (is64 ? Self.full64 : Self.full32).parse()
        #expect(pe.delayImports.count == 1)
        let cng = try #require(pe.delayImports.first)
        #expect(cng.name == "cng.sys")
        #expect(cng.isDelayLoaded)
        #expect(cng.functions.map(\.displayName) == ["BCryptGenRandom", "#12"])
        #expect(cng.functions[0].hint == 5)
    }

    /// Attributes bit 0 clear: the descriptor holds VAs (Visual C++ 6 style).
    @Test func delayImportsWithVAs() throws {
        var b = PEBuilder.minimal(is64: false)
        b.delayImports = [.init(name: "old.dll", functions: [.ordinal(3), .name("OldFunction", hint: 9)])]
        var built = b.build()
        let d = try #require(built.delayImportDescriptors)
        built.put32(0, at: d)
        // The name thunk in the INT becomes a VA too.
        let int = try #require(built.fileOffset(ofRVA: built.get32(at: d + 16)))
        built.put32(built.get32(at: int + 4) + UInt32(built.imageBase), at: int + 4)
        for field in [4, 12, 16] {
            built.put32(built.get32(at: d + field) + UInt32(built.imageBase), at: d + field)
        }
        let pe = try built.parse()
        #expect(pe.delayImports.map(\.name) == ["old.dll"])
        #expect(pe.delayImports[0].functions.map(\.displayName) == ["#3", "OldFunction"])
        #expect(pe.delayImports[0].functions[1].hint == 9)
    }

    // MARK: Exports

    @Test(arguments: [true, false])
    func exportsWithForwarder(is64: Bool) throws {
        let pe = try (is64 ? Self.full64 : Self.full32).parse()
        let exports = try #require(pe.exports)
        #expect(exports.moduleName == "sample.sys")
        #expect(exports.functions.count == 4)
        #expect(exports.functions.map(\.ordinal) == [1, 2, 3, 4])
        #expect(exports.functions.map(\.name) == ["Beta", "Alpha", nil, "Forwarded"])
        #expect(exports.functions[0].rva == 0x1010)
        #expect(exports.functions[1].rva == 0x1000)
        #expect(exports.functions[2].rva == 0x1020)
        #expect(exports.functions.prefix(3).allSatisfy { $0.forwarder == nil })
        #expect(exports.functions[3].forwarder == "ntoskrnl.DbgPrint")
    }

    /// Ordinals count from Base; an EAT slot holding 0 is an unused ordinal and is left out.
    @Test func exportOrdinalBaseAndUnusedSlots() throws {
        var b = PEBuilder.minimal()
        b.exports = .init(moduleName: "m.sys", base: 100, functions: [.init(name: "A", target: .rva(0x1000)),
                                                                       .init(name: nil, target: .rva(0)),
                                                                       .init(name: "C", target: .rva(0x1002))])
        let exports = try #require(try b.build().parse().exports)
        #expect(exports.functions.map(\.ordinal) == [100, 102])
        #expect(exports.functions.map(\.name) == ["A", "C"])
        #expect(exports.functions.allSatisfy { $0.forwarder == nil })
    }

    @Test func noExports() throws {
        #expect(try PEBuilder.minimal().build().parse().exports == nil)
    }

    // MARK: Relocations

    @Test(arguments: [true, false])
    func relocations(is64: Bool) throws {
        let pe = try (is64 ? Self.full64 : Self.full32).parse()
        #expect(pe.relocations.map(\.pageRVA) == [0x1000, 0x3000])
        #expect(pe.relocations[0].entries.map(\.type) == [Relocation.dir64, Relocation.dir64, Relocation.absolute])
        #expect(pe.relocations[0].entries.map(\.offset) == [0x010, 0x018, 0])
        #expect(pe.relocations[1].entries.map(\.type) == [10, Relocation.highLow])
        #expect(pe.relocations[1].entries.map(\.offset) == [0, 8])
    }

    /// Zero padding after the last block ends the table.
    @Test func relocationZeroPadding() throws {
        var built = PEBuilder.full().build()
        built.widenDirectorySection()
        let entry = built.directoryEntry(.baseRelocation)
        let size = built.get32(at: entry + 4)
        built.put32(size + 8, at: entry + 4)
        let relocations = try #require(built.relocations)
        #expect(built.get32(at: relocations + Int(size)) == 0, "the builder leaves zeros after the table")
        #expect(try built.parse().relocations.count == 2)
    }

    // MARK: Load config

    @Test func loadConfigPE32Plus() throws {
        let pe = try Self.full64.parse()
        let lc = try #require(pe.loadConfig)
        #expect(lc.size == 0x94)
        #expect(lc.securityCookieVA == 0x1_4000_3000)
        #expect(lc.guardFlags == LoadConfig.guardCFInstrumented)
        let lcAt = try #require(Self.full64.loadConfig)
        #expect(Self.full64.get32(at: lcAt + 0x58) == 0x4000_3000)
        #expect(Self.full64.get32(at: lcAt + 0x5C) == 0x1)
        #expect(Self.full64.get32(at: lcAt + 0x90) == 0x100)
    }

    @Test func loadConfigPE32() throws {
        let pe = try Self.full32.parse()
        let lc = try #require(pe.loadConfig)
        #expect(lc.size == 0x5C)
        #expect(lc.securityCookieVA == 0x1_3000)
        #expect(lc.guardFlags == 0x100)
        let lcAt = try #require(Self.full32.loadConfig)
        #expect(Self.full32.get32(at: lcAt + 0x3C) == 0x1_3000)
        #expect(Self.full32.get32(at: lcAt + 0x58) == 0x100)
    }

    /// Fields beyond the declared Size are absent (0), not read.
    @Test(arguments: [(UInt32(0x40), UInt64(0), UInt32(0)), (0x60, 0x1_4000_3000, 0), (0x94, 0x1_4000_3000, 0x100)])
    func loadConfigDeclaredSize(size: UInt32, cookie: UInt64, guardFlags: UInt32) throws {
        var b = PEBuilder.minimal()
        b.loadConfig = .init(size: size, securityCookieVA: 0x1_4000_3000, guardFlags: 0x100)
        let lc = try #require(try b.build().parse().loadConfig)
        #expect(lc.size == size)
        #expect(lc.securityCookieVA == cookie)
        #expect(lc.guardFlags == guardFlags)
    }

    /// The cookie VA points at the default /GS value the builder put in .data.
    @Test func securityCookieDefault() throws {
        let built = Self.full64
        #expect(built.sectionRVAs[2] == 0x3000)
        let pe = try built.parse()
        let va = try #require(pe.loadConfig?.securityCookieVA)
        let at = try pe.fileOffset(ofRVA: va - pe.optionalHeader.imageBase, size: 8, field: "cookie", referencedAt: 0)
        #expect(try pe.reader.u64("cookie", at: at) == LoadConfig.defaultSecurityCookie64)
    }

    // MARK: .pdata

    @Test func runtimeFunctionLookup() throws {
        let pe = try Self.full64.parse()
        #expect(pe.runtimeFunctions.count == 3)
        #expect(pe.runtimeFunctions.map(\.beginAddress) == [0x1000, 0x1010, 0x1040])
        #expect(pe.runtimeFunctions.map(\.endAddress) == [0x1003, 0x1020, 0x1080])
        #expect(pe.runtimeFunctions.map(\.unwindInfoAddress) == [0x2F00, 0x2F08, 0x2F10])
        #expect(pe.runtimeFunction(containing: 0x1000)?.beginAddress == 0x1000)
        #expect(pe.runtimeFunction(containing: 0x1002)?.beginAddress == 0x1000)
        #expect(pe.runtimeFunction(containing: 0x1003) == nil)   // EndAddress is exclusive
        #expect(pe.runtimeFunction(containing: 0x1010)?.unwindInfoAddress == 0x2F08)
        #expect(pe.runtimeFunction(containing: 0x101F)?.beginAddress == 0x1010)
        #expect(pe.runtimeFunction(containing: 0x1030) == nil)
        #expect(pe.runtimeFunction(containing: 0x107F)?.beginAddress == 0x1040)
        #expect(pe.runtimeFunction(containing: 0x1080) == nil)
        #expect(pe.runtimeFunction(containing: 0xFFF) == nil)
        #expect(pe.runtimeFunction(containing: 0) == nil)
        #expect(pe.runtimeFunction(containing: .max) == nil)
    }

    @Test func runtimeFunctionsOnlyForX64() throws {
        #expect(try Self.full32.parse().runtimeFunctions.isEmpty)
        #expect(try Self.full32.parse().runtimeFunction(containing: 0x1000) == nil)
    }

    /// A size that is not a multiple of 12 ignores the partial entry.
    @Test func runtimeFunctionPartialEntry() throws {
        var built = PEBuilder.full().build()
        built.put32(12 * 2 + 5, at: built.directoryEntry(.exception) + 4)
        #expect(try built.parse().runtimeFunctions.count == 2)
    }

    // MARK: Debug

    @Test(arguments: [true, false])
    func codeViewPDBPath(is64: Bool) throws {
        let pe = try (is64 ? Self.full64 : Self.full32).parse()
        #expect(pe.pdbPath == #"C:\build\sample\x64\Release\sample.pdb"#)
        #expect(pe.debugInfo.map(\.type) == [DebugEntry.codeView])
        #expect(pe.debugInfo.first?.pdbPath == pe.pdbPath)
    }

    @Test func nonCodeViewDebugEntry() throws {
        var built = PEBuilder.full().build()
        let at = try #require(built.debugDirectory)
        built.put32(13, at: at + 12)  // IMAGE_DEBUG_TYPE_POGO
        let pe = try built.parse()
        #expect(pe.debugInfo.map(\.type) == [13])
        #expect(pe.pdbPath == nil)
    }

    /// The debug directory is read leniently: damage drops the path, parsing succeeds.
    @Test func damagedCodeViewIsIgnored() throws {
        var built = PEBuilder.full().build()
        let rsds = try #require(built.codeView)
        built.put32(0x3031_4E4E, at: rsds)             // "NB10"-ish, not RSDS
        #expect(try built.parse().pdbPath == nil)
        var unterminated = PEBuilder.full().build()
        let at = try #require(unterminated.debugDirectory)
        unterminated.put32(24 + 4, at: at + 16)         // SizeOfData leaves 4 bytes for the path, no NUL
        #expect(try unterminated.parse().pdbPath == nil)
        var far = PEBuilder.full().build()
        far.put32(0xFFFF_FFF0, at: at + 24)             // PointerToRawData beyond the file
        #expect(try far.parse().pdbPath == nil)
    }

    // MARK: Version resource

    @Test(arguments: [true, false])
    func versionStrings(is64: Bool) throws {
        let pe = try (is64 ? Self.full64 : Self.full32).parse()
        #expect(pe.versionStrings == ["CompanyName": "Example Corp", "FileVersion": "1.2.3.4", "ProductName": "Sample Driver"])
    }

    @Test func versionStringsNonASCII() throws {
        var b = PEBuilder.minimal()
        b.versionStrings = [("LegalCopyright", "© 2026 Exämple — ☃"), ("Empty", "")]
        #expect(try b.build().parse().versionStrings == ["LegalCopyright": "© 2026 Exämple — ☃", "Empty": ""])
    }

    @Test func damagedVersionResourceIsIgnored() throws {
        var built = PEBuilder.full().build()
        let info = try #require(built.versionInfo)
        built.put16(0xFFFF, at: info)   // wLength past the resource
        let pe = try built.parse()
        #expect(pe.versionStrings.isEmpty)
        #expect(pe.imports.count == 2)
    }
}
