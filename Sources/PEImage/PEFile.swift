/// A parsed and validated PE/COFF image (PE32 or PE32+).
///
/// Parsing is strict where the Windows loader is strict: a header, section
/// table or import table the loader would reject is a `PEError` naming the
/// field and file offset. Optional directories that only tools read (debug,
/// version resource) are parsed leniently: damage there leaves them empty.
///
/// ```swift
/// let image = try PEFile(bytes: Array(data))
/// for module in image.imports { print(module.name, module.functions.count) }
/// ```
public struct PEFile: Sendable {
    /// Limits a hostile file cannot push past.
    public enum Limits {
        /// The Windows loader refuses images with more sections than this.
        public static let maxSections = 96
        /// The largest image the tool will describe or map (SizeOfImage).
        public static let maxSizeOfImage: UInt32 = 0x4000_0000
        public static let maxImportModules = 4096
        public static let maxThunksPerModule = 65536
        /// Functions per import (or delay-import) directory, all modules together.
        public static let maxImportedFunctions = 65536
        public static let maxExports = 65536
        public static let maxRelocationBlocks = 1 << 20
        public static let maxRuntimeFunctions = 1 << 20
        public static let maxDebugEntries = 64
    }

    public let reader: ByteReader
    public let peHeaderOffset: Int
    public let fileHeader: FileHeader
    public let optionalHeader: OptionalHeader
    /// File offset of the optional header's data directory table.
    public let dataDirectoryOffset: Int
    public let sections: [Section]
    public private(set) var imports: [ImportedModule] = []
    public private(set) var delayImports: [ImportedModule] = []
    public private(set) var exports: ExportTable?
    public private(set) var relocations: [RelocationBlock] = []
    public private(set) var loadConfig: LoadConfig?
    public private(set) var runtimeFunctions: [RuntimeFunction] = []
    public private(set) var debugInfo: [DebugEntry] = []
    public private(set) var versionStrings: [String: String] = [:]

    public var machine: Machine { fileHeader.machine }
    public var is64Bit: Bool { optionalHeader.isPE32Plus }
    /// Whether the Windows loader's security directory (Authenticode signature) is present.
    public var hasSignature: Bool { optionalHeader.directory(.security).isPresent }

    public init(bytes: [UInt8]) throws {
        let reader = ByteReader(bytes)
        self.reader = reader

        let mz = try reader.u16("DOS header e_magic", at: 0)
        guard mz == 0x5A4D else {
            throw PEError.badMagic(field: "DOS header e_magic", offset: 0, found: UInt64(mz), expected: 0x5A4D)
        }
        let lfanew = Int(try reader.u32("DOS header e_lfanew", at: 0x3C))
        try reader.require("PE signature (e_lfanew)", at: lfanew, size: 4)
        let signature = try reader.u32("PE signature", at: lfanew)
        guard signature == 0x0000_4550 else {
            throw PEError.badMagic(field: "PE signature", offset: lfanew, found: UInt64(signature), expected: 0x4550)
        }
        peHeaderOffset = lfanew

        let fh = lfanew + 4
        let fileHeader = FileHeader(
            machine: Machine(rawValue: try reader.u16("FileHeader.Machine", at: fh)),
            numberOfSections: try reader.u16("FileHeader.NumberOfSections", at: fh + 2),
            timeDateStamp: try reader.u32("FileHeader.TimeDateStamp", at: fh + 4),
            sizeOfOptionalHeader: try reader.u16("FileHeader.SizeOfOptionalHeader", at: fh + 16),
            characteristics: try reader.u16("FileHeader.Characteristics", at: fh + 18))
        self.fileHeader = fileHeader

        let oh = fh + 20
        let (optional, directoryOffset) = try Self.parseOptionalHeader(reader, at: oh, declaredSize: Int(fileHeader.sizeOfOptionalHeader))
        optionalHeader = optional
        dataDirectoryOffset = directoryOffset

        let count = Int(fileHeader.numberOfSections)
        guard count <= Limits.maxSections else {
            throw PEError.invalidValue(field: "FileHeader.NumberOfSections", offset: fh + 2, value: UInt64(count),
                                       reason: "the Windows loader accepts at most \(Limits.maxSections) sections")
        }
        sections = try Self.parseSections(reader, at: oh + Int(fileHeader.sizeOfOptionalHeader), count: count,
                                          optional: optional)

        // Directories the loader processes: damage is fatal.
        imports = try ImportParser(image: self).parseImports()
        delayImports = try ImportParser(image: self).parseDelayImports()
        exports = try ExportParser(image: self).parse()
        relocations = try RelocationParser(image: self).parse()
        loadConfig = try LoadConfigParser(image: self).parse()
        runtimeFunctions = try RuntimeFunctionParser(image: self).parse()
        // Directories only tools read: damage leaves them empty.
        debugInfo = (try? DebugParser(image: self).parse()) ?? []
        versionStrings = (try? VersionResourceParser(image: self).parse()) ?? [:]
    }

    private static func parseOptionalHeader(_ r: ByteReader, at oh: Int, declaredSize: Int) throws
        -> (OptionalHeader, Int)
    {
        let magic = try r.u16("OptionalHeader.Magic", at: oh)
        let wide: Bool
        switch magic {
        case OptionalHeader.magicPE32Plus: wide = true
        case OptionalHeader.magicPE32: wide = false
        default:
            throw PEError.badMagic(field: "OptionalHeader.Magic", offset: oh, found: UInt64(magic),
                                   expected: UInt64(OptionalHeader.magicPE32Plus))
        }
        let fixedSize = wide ? 112 : 96
        guard declaredSize >= fixedSize else {
            throw PEError.invalidValue(field: "FileHeader.SizeOfOptionalHeader", offset: oh - 4, value: UInt64(declaredSize),
                                       reason: "smaller than the \(fixedSize)-byte fixed part of the optional header")
        }
        try r.require("optional header", at: oh, size: fixedSize)
        let p = wide ? 8 : 4
        let stackReserveAt = oh + 72
        let rvaCountAt = stackReserveAt + 4 * p + 4
        let rvaCount = Int(try r.u32("OptionalHeader.NumberOfRvaAndSizes", at: rvaCountAt))
        let dirOffset = rvaCountAt + 4
        // The loader reads at most 16 entries, and only those inside the declared header.
        let fits = max(0, (oh + declaredSize - dirOffset) / 8)
        let dirCount = min(rvaCount, 16, fits)
        var dirs: [DataDirectory] = []
        for i in 0..<dirCount {
            let at = dirOffset + 8 * i
            dirs.append(DataDirectory(rva: try r.u32("DataDirectory[\(i)].VirtualAddress", at: at),
                                      size: try r.u32("DataDirectory[\(i)].Size", at: at + 4)))
        }
        let header = OptionalHeader(
            magic: magic,
            addressOfEntryPoint: try r.u32("OptionalHeader.AddressOfEntryPoint", at: oh + 16),
            baseOfCode: try r.u32("OptionalHeader.BaseOfCode", at: oh + 20),
            imageBase: wide ? try r.u64("OptionalHeader.ImageBase", at: oh + 24)
                            : UInt64(try r.u32("OptionalHeader.ImageBase", at: oh + 28)),
            sectionAlignment: try r.u32("OptionalHeader.SectionAlignment", at: oh + 32),
            fileAlignment: try r.u32("OptionalHeader.FileAlignment", at: oh + 36),
            majorOperatingSystemVersion: try r.u16("OptionalHeader.MajorOperatingSystemVersion", at: oh + 40),
            majorSubsystemVersion: try r.u16("OptionalHeader.MajorSubsystemVersion", at: oh + 48),
            sizeOfImage: try r.u32("OptionalHeader.SizeOfImage", at: oh + 56),
            sizeOfHeaders: try r.u32("OptionalHeader.SizeOfHeaders", at: oh + 60),
            checkSum: try r.u32("OptionalHeader.CheckSum", at: oh + 64),
            subsystem: Subsystem(rawValue: try r.u16("OptionalHeader.Subsystem", at: oh + 68)),
            dllCharacteristics: try r.u16("OptionalHeader.DllCharacteristics", at: oh + 70),
            sizeOfStackReserve: try r.pointer("OptionalHeader.SizeOfStackReserve", at: stackReserveAt, wide: wide),
            dataDirectories: dirs)
        try validate(header, at: oh)
        return (header, dirOffset)
    }

    private static func validate(_ h: OptionalHeader, at oh: Int) throws {
        func powerOfTwo(_ v: UInt32) -> Bool { v != 0 && v & (v - 1) == 0 }
        guard powerOfTwo(h.sectionAlignment) else {
            throw PEError.invalidValue(field: "OptionalHeader.SectionAlignment", offset: oh + 32,
                                       value: UInt64(h.sectionAlignment), reason: "not a power of two")
        }
        guard powerOfTwo(h.fileAlignment), h.fileAlignment <= h.sectionAlignment else {
            throw PEError.invalidValue(field: "OptionalHeader.FileAlignment", offset: oh + 36, value: UInt64(h.fileAlignment),
                                       reason: "not a power of two no larger than SectionAlignment")
        }
        guard h.sizeOfImage != 0, h.sizeOfImage <= Limits.maxSizeOfImage else {
            throw PEError.invalidValue(field: "OptionalHeader.SizeOfImage", offset: oh + 56, value: UInt64(h.sizeOfImage),
                                       reason: "must be non-zero and at most \(hex(Limits.maxSizeOfImage)) (1 GiB)")
        }
        guard h.sizeOfHeaders <= h.sizeOfImage else {
            throw PEError.invalidValue(field: "OptionalHeader.SizeOfHeaders", offset: oh + 60, value: UInt64(h.sizeOfHeaders),
                                       reason: "larger than SizeOfImage \(hex(h.sizeOfImage))")
        }
        if h.isPE32Plus {
            // The image must fit in the address space from its preferred base.
            let (_, overflow) = h.imageBase.addingReportingOverflow(UInt64(h.sizeOfImage))
            guard !overflow, h.imageBase & 0xFFFF == 0 else {
                throw PEError.invalidValue(field: "OptionalHeader.ImageBase", offset: oh + 24, value: h.imageBase,
                                           reason: "must be 64 KiB aligned and leave room for SizeOfImage")
            }
        } else {
            guard h.imageBase & 0xFFFF == 0, h.imageBase + UInt64(h.sizeOfImage) <= 0x1_0000_0000 else {
                throw PEError.invalidValue(field: "OptionalHeader.ImageBase", offset: oh + 28, value: h.imageBase,
                                           reason: "must be 64 KiB aligned and leave room for SizeOfImage below 4 GiB")
            }
        }
    }

    private static func parseSections(_ r: ByteReader, at tableOffset: Int, count: Int, optional: OptionalHeader) throws
        -> [Section]
    {
        try r.require("section table (\(count) entries)", at: tableOffset, size: count * 40)
        var sections: [Section] = []
        sections.reserveCapacity(count)
        for i in 0..<count {
            let at = tableOffset + 40 * i
            let section = Section(
                name: try r.paddedName("Section[\(i)].Name", at: at, size: 8),
                virtualSize: try r.u32("Section[\(i)].VirtualSize", at: at + 8),
                virtualAddress: try r.u32("Section[\(i)].VirtualAddress", at: at + 12),
                sizeOfRawData: try r.u32("Section[\(i)].SizeOfRawData", at: at + 16),
                pointerToRawData: try r.u32("Section[\(i)].PointerToRawData", at: at + 20),
                characteristics: try r.u32("Section[\(i)].Characteristics", at: at + 36),
                headerOffset: at)
            let label = "section \(i) (\(section.name))"
            let end = UInt64(section.virtualAddress) + UInt64(section.mappedSize)
            guard end <= UInt64(optional.sizeOfImage) else {
                throw PEError.invalidValue(field: "\(label) VirtualAddress+VirtualSize", offset: at + 8, value: end,
                                           reason: "extends past SizeOfImage \(hex(optional.sizeOfImage))")
            }
            if section.sizeOfRawData != 0 {
                let rawEnd = UInt64(section.pointerToRawData) + UInt64(section.sizeOfRawData)
                guard rawEnd <= UInt64(r.count) else {
                    throw PEError.invalidValue(field: "\(label) raw data end", offset: at + 20, value: rawEnd,
                                               reason: "beyond the end of the file (\(hex(r.count)) bytes)")
                }
            }
            if let previous = sections.last {
                let previousEnd = UInt64(previous.virtualAddress) + UInt64(previous.mappedSize)
                guard UInt64(section.virtualAddress) >= previousEnd else {
                    throw PEError.inconsistent(field: "\(label) VirtualAddress", offset: at + 12,
                                               reason: "overlaps section \(i - 1) (\(previous.name)), which ends at RVA \(hex(previousEnd))")
                }
            } else if section.virtualAddress < optional.sizeOfHeaders {
                throw PEError.inconsistent(field: "\(label) VirtualAddress", offset: at + 12,
                                           reason: "overlaps the headers (SizeOfHeaders \(hex(optional.sizeOfHeaders)))")
            }
            sections.append(section)
        }
        return sections
    }
}

// MARK: - Address translation

extension PEFile {
    /// The section whose memory image contains `rva`.
    public func section(containing rva: UInt64) -> Section? {
        sections.first { $0.contains(rva: rva) }
    }

    /// The file offset of `size` bytes at `rva`, checking that all of them lie
    /// in one section's file data (or in the headers). `field` names what is
    /// being read; `referencedAt` is where the RVA itself was read from.
    public func fileOffset(ofRVA rva: UInt64, size: Int, field: String, referencedAt: Int) throws -> Int {
        guard size >= 0 else {
            throw PEError.invalidValue(field: field, offset: referencedAt, value: 0, reason: "negative size")
        }
        let (end, overflow) = rva.addingReportingOverflow(UInt64(size))
        guard !overflow, end <= UInt64(optionalHeader.sizeOfImage) else {
            throw PEError.badRVA(field: field, offset: referencedAt, rva: rva,
                                 reason: "\(size) bytes there run past SizeOfImage \(hex(optionalHeader.sizeOfImage))")
        }
        if end <= UInt64(optionalHeader.sizeOfHeaders), end <= UInt64(reader.count) {
            return Int(rva)
        }
        guard let section = section(containing: rva) else {
            throw PEError.badRVA(field: field, offset: referencedAt, rva: rva, reason: "not inside any section")
        }
        let delta = rva - UInt64(section.virtualAddress)
        guard end <= UInt64(section.virtualAddress) + UInt64(section.sizeOfRawData) else {
            throw PEError.badRVA(field: field, offset: referencedAt, rva: rva,
                                 reason: "\(size) bytes there are not all in the file data of section \(section.name)")
        }
        return Int(UInt64(section.pointerToRawData) + delta)
    }

    /// Reads a NUL-terminated name at `rva`, bounded by its section's file data.
    public func cString(atRVA rva: UInt64, field: String, referencedAt: Int, maxLength: Int = 4096) throws -> String {
        let start = try fileOffset(ofRVA: rva, size: 1, field: field, referencedAt: referencedAt)
        var available = maxLength
        if let section = section(containing: rva) {
            let rawEnd = UInt64(section.virtualAddress) + UInt64(section.sizeOfRawData)
            available = Int(min(UInt64(maxLength), rawEnd - rva))
        }
        do {
            return try reader.cString(field, at: start, maxLength: available)
        } catch {
            throw PEError.inconsistent(field: field, offset: start,
                                       reason: "name at RVA \(hex(rva)) has no NUL terminator within its section data")
        }
    }
}
