import PEImage
import Testing

@Suite("Headers, sections and RVA mapping")
struct HeaderTests {
    @Test func pe32PlusHeaders() throws {
        let built = PEBuilder.full().build()
        let pe = try built.parse()
        #expect(pe.peHeaderOffset == 0x80)
        #expect(pe.machine == .amd64)
        #expect(pe.machine.description == "x64")
        #expect(pe.is64Bit)
        #expect(pe.fileHeader.numberOfSections == 3)
        #expect(pe.fileHeader.timeDateStamp == 0x5F5E_1000)
        #expect(pe.fileHeader.sizeOfOptionalHeader == 240)
        #expect(pe.fileHeader.characteristics == 0x22)
        let oh = pe.optionalHeader
        #expect(oh.magic == OptionalHeader.magicPE32Plus)
        #expect(oh.isPE32Plus)
        #expect(oh.addressOfEntryPoint == 0x1000)
        #expect(oh.baseOfCode == 0x1000)
        #expect(oh.imageBase == 0x1_4000_0000)
        #expect(oh.sectionAlignment == 0x1000)
        #expect(oh.fileAlignment == 0x200)
        #expect(oh.majorOperatingSystemVersion == 10)
        #expect(oh.majorSubsystemVersion == 10)
        #expect(oh.sizeOfImage == built.sizeOfImage)
        #expect(oh.sizeOfHeaders == 0x200)
        #expect(oh.checkSum == 0x1234)
        #expect(oh.subsystem == .native)
        #expect(oh.subsystem.description == "native")
        #expect(oh.dllCharacteristics == 0x160)
        #expect(oh.dllCharacteristics & DllCharacteristics.nxCompat != 0)
        #expect(oh.sizeOfStackReserve == 0x4_0000)
        #expect(oh.dataDirectories.count == 16)
        #expect(pe.dataDirectoryOffset == built.dataDirectories)
        #expect(pe.dataDirectoryOffset == 0x80 + 24 + 112)
        #expect(!pe.hasSignature)
    }

    @Test func pe32Headers() throws {
        let built = PEBuilder.full(is64: false).build()
        let pe = try built.parse()
        #expect(pe.machine == .i386)
        #expect(pe.machine.description == "x86")
        #expect(!pe.is64Bit)
        #expect(pe.optionalHeader.magic == OptionalHeader.magicPE32)
        #expect(pe.fileHeader.sizeOfOptionalHeader == 224)
        #expect(pe.optionalHeader.imageBase == 0x1_0000)
        #expect(pe.optionalHeader.sizeOfStackReserve == 0x4_0000)
        #expect(pe.optionalHeader.sizeOfImage == built.sizeOfImage)
        #expect(pe.dataDirectoryOffset == 0x80 + 24 + 96)
        #expect(pe.optionalHeader.dataDirectories.count == 16)
    }

    @Test(arguments: [(UInt16(0xAA64), "arm64"), (0x01C4, "arm"), (0x1234, "unknown(0x1234)")])
    func machineNames(raw: UInt16, name: String) throws {
        var b = PEBuilder.minimal()
        b.machine = raw
        let pe = try b.build().parse()
        #expect(pe.machine.rawValue == raw)
        #expect(pe.machine.description == name)
    }

    @Test func subsystemNames() {
        #expect(Subsystem(rawValue: 3).description == "windows-cui")
        #expect(Subsystem(rawValue: 12).description == "efi-runtime-driver")
        #expect(Subsystem(rawValue: 99).description == "unknown(99)")
    }

    @Test func signatureDirectory() throws {
        var b = PEBuilder.minimal()
        b.signature = true
        let pe = try b.build().parse()
        #expect(pe.hasSignature)
        #expect(pe.optionalHeader.directory(.security).size == 8)
    }

    @Test func fewerDataDirectories() throws {
        var b = PEBuilder.minimal()
        b.numberOfRvaAndSizes = 6
        let pe = try b.build().parse()
        #expect(pe.optionalHeader.dataDirectories.count == 6)
        #expect(!pe.optionalHeader.directory(.iat).isPresent)
        #expect(pe.optionalHeader.directory(.iat).rva == 0 && pe.optionalHeader.directory(.iat).size == 0)
        #expect(!pe.optionalHeader.directory(.clrRuntime).isPresent)
        #expect(pe.imports.map(\.name) == ["ntoskrnl.exe"])
    }

    /// NumberOfRvaAndSizes larger than 16 (or than the declared optional header) is capped, not trusted.
    @Test(arguments: [UInt32(17), 0xFFFF, 0xFFFF_FFFF])
    func numberOfRvaAndSizesIsCapped(value: UInt32) throws {
        var built = PEBuilder.minimal().build()
        built.put32(value, at: built.optionalHeader + BuiltPE.OH.numberOfRvaAndSizes(true))
        let pe = try built.parse()
        #expect(pe.optionalHeader.dataDirectories.count == 16)
        #expect(pe.imports.count == 1)
    }

    @Test func zeroDataDirectories() throws {
        var built = PEBuilder.minimal().build()
        built.put32(0, at: built.optionalHeader + BuiltPE.OH.numberOfRvaAndSizes(true))
        let pe = try built.parse()
        #expect(pe.optionalHeader.dataDirectories.isEmpty)
        #expect(pe.imports.isEmpty)
    }

    // MARK: Sections

    @Test func sectionsAndPermissions() throws {
        let built = PEBuilder.full().build()
        let pe = try built.parse()
        #expect(pe.sections.map(\.name) == [".text", ".rdata", ".data"])
        #expect(pe.sections.map(\.permissions) == ["R-X", "R--", "RW-"])
        #expect(pe.sections.map(\.virtualAddress) == built.sectionRVAs)
        #expect(pe.sections.map { Int($0.pointerToRawData) } == built.sectionFileOffsets)
        #expect(pe.sections.map(\.headerOffset) == built.sectionHeaders)
        let text = pe.sections[0]
        #expect(text.virtualAddress == 0x1000)
        #expect(text.virtualSize == 0x100)
        #expect(text.sizeOfRawData == 0x200)
        #expect(text.pointerToRawData == 0x200)
        #expect(text.mappedSize == 0x100)
        #expect(text.isExecutable && text.isReadable && !text.isWritable && !text.isDiscardable)
        #expect(text.characteristics & SectionFlags.cntCode != 0)
        #expect(pe.sections[2].isWritable && !pe.sections[2].isExecutable)
    }

    @Test func sectionFlagsAndNames() throws {
        var b = PEBuilder.minimal()
        b.sections += [
            .init(name: "INIT", characteristics: 0xE200_0020, contents: [0xC3]),
            .init(name: "EIGHTCHR", characteristics: SectionFlags.memDiscardable | SectionFlags.memRead, contents: [1]),
            .init(name: "NOACCESS", characteristics: 0, contents: [1]),
        ]
        let pe = try b.build().parse()
        #expect(pe.sections.map(\.name) == [".text", ".rdata", ".data", "INIT", "EIGHTCHR", "NOACCESS"])
        #expect(pe.sections[3].permissions == "RWX")
        #expect(pe.sections[3].isDiscardable)
        #expect(pe.sections[4].permissions == "R--")
        #expect(pe.sections[4].isDiscardable)
        #expect(pe.sections[5].permissions == "---")
    }

    @Test func zeroVirtualSizeMapsRawSize() throws {
        var built = PEBuilder.minimal().build()
        built.put32(0, at: built.sectionHeaders[2] + BuiltPE.SH.virtualSize)
        let pe = try built.parse()
        #expect(pe.sections[2].virtualSize == 0)
        #expect(pe.sections[2].mappedSize == 0x200)
        #expect(pe.sections[2].contains(rva: UInt64(pe.sections[2].virtualAddress) + 0x1FF))
        #expect(!pe.sections[2].contains(rva: UInt64(pe.sections[2].virtualAddress) + 0x200))
    }

    @Test func sectionContaining() throws {
        let pe = try PEBuilder.full().build().parse()
        #expect(pe.section(containing: 0x1000)?.name == ".text")
        #expect(pe.section(containing: 0x10FF)?.name == ".text")
        #expect(pe.section(containing: 0x1100) == nil)        // past VirtualSize, before .rdata
        #expect(pe.section(containing: 0x2000)?.name == ".rdata")
        #expect(pe.section(containing: 0) == nil)             // headers belong to no section
        #expect(pe.section(containing: UInt64.max) == nil)
    }

    // MARK: RVA → file offset

    @Test func rvaInHeaders() throws {
        let pe = try PEBuilder.minimal().build().parse()
        #expect(try pe.fileOffset(ofRVA: 0, size: 2, field: "t", referencedAt: 0) == 0)
        #expect(try pe.fileOffset(ofRVA: 0x3C, size: 4, field: "t", referencedAt: 0) == 0x3C)
        #expect(try pe.fileOffset(ofRVA: 0x1FC, size: 4, field: "t", referencedAt: 0) == 0x1FC)
        #expect(try pe.fileOffset(ofRVA: 0x200, size: 0, field: "t", referencedAt: 0) == 0x200)
    }

    @Test func rvaInSections() throws {
        let built = PEBuilder.full().build()
        let pe = try built.parse()
        #expect(try pe.fileOffset(ofRVA: 0x1000, size: 1, field: "t", referencedAt: 0) == 0x200)
        #expect(try pe.fileOffset(ofRVA: 0x1002, size: 1, field: "t", referencedAt: 0) == 0x202)
        #expect(try pe.fileOffset(ofRVA: 0x10FF, size: 1, field: "t", referencedAt: 0) == 0x2FF)
        let rdata = pe.sections[1]
        #expect(try pe.fileOffset(ofRVA: UInt64(rdata.virtualAddress) + 0x10, size: 4, field: "t", referencedAt: 0)
                == Int(rdata.pointerToRawData) + 0x10)
        #expect(built.rva(ofFileOffset: Int(rdata.pointerToRawData) + 0x10) == rdata.virtualAddress + 0x10)
    }

    @Test func rvaErrors() throws {
        var b = PEBuilder.minimal()
        b.sections.append(.init(name: ".bss", characteristics: PEBuilder.data, contents: [1, 2, 3, 4], virtualSize: 0x2000))
        let pe = try b.build().parse()
        let bss = UInt64(pe.sections[3].virtualAddress)
        func failure(_ rva: UInt64, _ size: Int) -> PEError? {
            do { _ = try pe.fileOffset(ofRVA: rva, size: size, field: "probe", referencedAt: 0x1234); return nil }
            catch let e as PEError { return e } catch { return nil }
        }
        // Straddles the end of the headers into the gap before .text.
        #expect(failure(UInt64(pe.optionalHeader.sizeOfHeaders) - 0x10, 0x20)?.kind == .badRVA)
        // Between sections.
        #expect(failure(0x1100, 1)?.description.contains("not inside any section") == true)
        // The uninitialised tail of .bss has no file data.
        #expect(failure(bss + 0x300, 4)?.description.contains("not all in the file data of section .bss") == true)
        #expect(failure(bss + 0x1FE, 4)?.kind == .badRVA)
        #expect(try pe.fileOffset(ofRVA: bss + 0x1FC, size: 4, field: "t", referencedAt: 0) == Int(pe.sections[3].pointerToRawData) + 0x1FC)
        // Past SizeOfImage, and arithmetic that would wrap.
        #expect(failure(UInt64(pe.optionalHeader.sizeOfImage), 1)?.description.contains("past SizeOfImage") == true)
        #expect(failure(0xFFFF_FFFF, 1)?.kind == .badRVA)
        #expect(failure(UInt64.max, 1)?.kind == .badRVA)
        #expect(failure(UInt64.max - 1, 8)?.kind == .badRVA)
        let error = try #require(failure(0xFFFF_FFF0, 0x20))
        #expect(error.field == "probe")
        #expect(error.offset == 0x1234)
    }

    @Test func cStringAtRVA() throws {
        let built = PEBuilder.minimal().build()
        let pe = try built.parse()
        let nameRVA = UInt64(built.rva(ofFileOffset: built.importModuleNames[0]))
        #expect(try pe.cString(atRVA: nameRVA, field: "n", referencedAt: 0) == "ntoskrnl.exe")
        #expect(try pe.cString(atRVA: nameRVA + 8, field: "n", referencedAt: 0) == ".exe")
        #expect(throws: PEError.self) { try pe.cString(atRVA: nameRVA, field: "n", referencedAt: 0, maxLength: 4) }
    }
}
