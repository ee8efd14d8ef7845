import Foundation
import Testing

/// A minimal valid x64 driver image, built byte by byte: headers, `.text`
/// (R-X) and `.rdata` (R--) holding one import, ntoskrnl.exe!DbgPrint, and
/// its IAT. The constants are the file offsets the tests corrupt.
/// (The PEImageTests target has a full builder; test targets cannot share code.)
private enum TinyPE {
    static let lfanew = 0x80
    static let fileHeader = lfanew + 4
    static let optionalHeader = lfanew + 24
    static let dataDirectories = optionalHeader + 112
    static let sectionTable = optionalHeader + 240
    static let sectionTableEnd = sectionTable + 2 * 40
    static let text = (rva: 0x1000, file: 0x200), rdata = (rva: 0x2000, file: 0x400)
    // Inside .rdata: IAT +0x00, descriptors +0x10, INT +0x38, hint/name +0x48, module name +0x58.
    static let iat = rdata.file, importDescriptors = rdata.file + 0x10, nameTable = rdata.file + 0x38
    static let hintName = rdata.file + 0x48, moduleName = rdata.file + 0x58
    static let size = 0x600

    static func build(sectionNames: (String, String) = (".text", ".rdata"), module: String = "ntoskrnl.exe") -> [UInt8] {
        var b = [UInt8](repeating: 0, count: size)
        func put(_ value: UInt64, _ width: Int, at offset: Int) {
            for i in 0..<width { b[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
        }
        put(0x5A4D, 2, at: 0)
        put(UInt64(lfanew), 4, at: 0x3C)
        put(0x4550, 4, at: lfanew)
        put(0x8664, 2, at: fileHeader)                 // Machine
        put(2, 2, at: fileHeader + 2)                  // NumberOfSections
        put(240, 2, at: fileHeader + 16)               // SizeOfOptionalHeader
        put(0x22, 2, at: fileHeader + 18)
        let oh = optionalHeader
        put(0x20B, 2, at: oh)
        put(UInt64(text.rva), 4, at: oh + 16)          // AddressOfEntryPoint
        put(0x1_4000_0000, 8, at: oh + 24)             // ImageBase
        put(0x1000, 4, at: oh + 32); put(0x200, 4, at: oh + 36)
        put(10, 2, at: oh + 40); put(10, 2, at: oh + 48)
        put(0x3000, 4, at: oh + 56)                    // SizeOfImage
        put(0x200, 4, at: oh + 60)                     // SizeOfHeaders
        put(1, 2, at: oh + 68)                         // native
        put(0x160, 2, at: oh + 70)                     // NX_COMPAT | DYNAMIC_BASE | HIGH_ENTROPY_VA
        put(16, 4, at: oh + 108)
        put(UInt64(rdata.rva + 0x10), 4, at: dataDirectories + 8)   // import directory
        put(40, 4, at: dataDirectories + 12)
        put(UInt64(rdata.rva), 4, at: dataDirectories + 96)         // IAT directory
        put(16, 4, at: dataDirectories + 100)
        for (i, (name, va, file, flags)) in [(sectionNames.0, text.rva, text.file, 0x6000_0020),
                                             (sectionNames.1, rdata.rva, rdata.file, 0x4000_0040)].enumerated() {
            let h = sectionTable + 40 * i
            for (j, byte) in name.utf8.prefix(8).enumerated() { b[h + j] = byte }
            put(0x100, 4, at: h + 8); put(UInt64(va), 4, at: h + 12)
            put(0x200, 4, at: h + 16); put(UInt64(file), 4, at: h + 20)
            put(UInt64(flags), 4, at: h + 36)
        }
        b[text.file] = 0x33; b[text.file + 1] = 0xC0; b[text.file + 2] = 0xC3   // xor eax,eax; ret
        let hintNameRVA = UInt64(rdata.rva + 0x48)
        put(hintNameRVA, 8, at: iat)
        put(hintNameRVA, 8, at: nameTable)
        put(UInt64(rdata.rva + 0x38), 4, at: importDescriptors)       // OriginalFirstThunk
        put(UInt64(rdata.rva + 0x58), 4, at: importDescriptors + 12)  // Name
        put(UInt64(rdata.rva), 4, at: importDescriptors + 16)         // FirstThunk
        for (j, byte) in "DbgPrint".utf8.enumerated() { b[hintName + 2 + j] = byte }
        for (j, byte) in module.utf8.enumerated() { b[moduleName + j] = byte }
        return b
    }
}

private func put32(_ bytes: inout [UInt8], _ value: UInt32, at offset: Int) {
    for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
}

/// A damaged image and a word its error message must contain.
struct CLICorruption: Sendable, CustomTestStringConvertible {
    var name: String
    var mentions: String
    var mutate: @Sendable (inout [UInt8]) -> Void
    var testDescription: String { name }
    init(_ name: String, mentions: String, mutate: @escaping @Sendable (inout [UInt8]) -> Void) {
        self.name = name; self.mentions = mentions; self.mutate = mutate
    }
}

private let cliCorruptions: [CLICorruption] = [
    .init("empty file", mentions: "e_magic") { $0 = [] },
    .init("bad MZ signature", mentions: "e_magic") { $0[0] = 0x4E },
    .init("bad PE signature", mentions: "PE signature") { $0[TinyPE.lfanew] = 0x51 },
    .init("e_lfanew outside the file", mentions: "e_lfanew") { put32(&$0, 0x10_0000, at: 0x3C) },
    .init("e_lfanew 0xFFFFFFF0", mentions: "e_lfanew") { put32(&$0, 0xFFFF_FFF0, at: 0x3C) },
    .init("bad optional header magic", mentions: "OptionalHeader.Magic") { $0[TinyPE.optionalHeader] = 0x07 },
    .init("SizeOfOptionalHeader too small", mentions: "SizeOfOptionalHeader") { $0[TinyPE.fileHeader + 16] = 0x10 },
    .init("NumberOfSections 0xFFFF", mentions: "NumberOfSections") {
        $0[TinyPE.fileHeader + 2] = 0xFF; $0[TinyPE.fileHeader + 3] = 0xFF
    },
    .init("SectionAlignment 0", mentions: "SectionAlignment") { put32(&$0, 0, at: TinyPE.optionalHeader + 32) },
    .init("SectionAlignment not a power of two", mentions: "SectionAlignment") {
        put32(&$0, 0x1001, at: TinyPE.optionalHeader + 32)
    },
    .init("SizeOfImage 0xFFFFF000", mentions: "SizeOfImage") { put32(&$0, 0xFFFF_F000, at: TinyPE.optionalHeader + 56) },
    .init("SizeOfImage 0xFFFFFFFF", mentions: "SizeOfImage") { put32(&$0, 0xFFFF_FFFF, at: TinyPE.optionalHeader + 56) },
    .init("raw data beyond EOF", mentions: "raw data end") { put32(&$0, 0xFFFF_FE00, at: TinyPE.sectionTable + 40 + 20) },
    .init("overlapping sections", mentions: "overlaps section 0") { put32(&$0, 0x1080, at: TinyPE.sectionTable + 40 + 12) },
    .init("import directory RVA wraps", mentions: "import descriptor 0") {
        put32(&$0, 0xFFFF_FFF0, at: TinyPE.dataDirectories + 8)
    },
    .init("import descriptor chain loops", mentions: "import descriptor 1") {
        for i in 0..<20 { $0[TinyPE.importDescriptors + 20 + i] = $0[TinyPE.importDescriptors + i] }
    },
    .init("module name without NUL", mentions: "module name") {
        for i in TinyPE.moduleName..<TinyPE.size { $0[i] = 0x41 }
    },
    .init("thunk array without terminator", mentions: "import thunk") {
        for i in stride(from: TinyPE.size - 16, to: TinyPE.size, by: 8) { $0[i] = 1; $0[i + 7] = 0x80 }
        put32(&$0, UInt32(TinyPE.rdata.rva + TinyPE.size - 16 - TinyPE.rdata.file), at: TinyPE.importDescriptors)
    },
    .init("hint/name RVA beyond the image", mentions: "hint/name") { put32(&$0, 0x7FFF_0000, at: TinyPE.nameTable) },
]

@Suite("Malformed input through the CLI")
struct MalformedInputTests {
    @Test func tinyImageIsCompatible() throws {
        let path = try temporaryFile(TinyPE.build())
        let result = try runHVCISim(["check", path])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.isEmpty)
    }

    /// Exit status 2 and exactly one line on stderr, `hvcisim: PATH: reason`, naming the field.
    @Test(arguments: cliCorruptions)
    func corruption(_ c: CLICorruption) throws {
        var bytes = TinyPE.build()
        c.mutate(&bytes)
        let path = try temporaryFile(bytes)
        for format in ["text", "json"] {
            let result = try runHVCISim(["check", "--format", format, path])
            #expect(result.status == 2, "\(format): \(result.stderr)")
            #expect(result.stderr.hasPrefix("hvcisim: \(path): "), "\(result.stderr)")
            #expect(result.stderr.hasSuffix("\n") && result.stderr.filter { $0 == "\n" }.count == 1, "\(result.stderr)")
            #expect(result.stderr.contains(c.mentions), "\(result.stderr)")
        }
    }

    /// The file cut at each header boundary (and just inside each structure), all in one run:
    /// one stderr line per file, each naming the file.
    @Test func truncationAtEveryHeaderBoundary() throws {
        let full = TinyPE.build()
        let boundaries = [0, 1, 2, 0x3C, 0x3F, 0x40, TinyPE.lfanew, TinyPE.lfanew + 2, TinyPE.fileHeader,
                          TinyPE.fileHeader + 10, TinyPE.optionalHeader, TinyPE.optionalHeader + 1,
                          TinyPE.optionalHeader + 60, TinyPE.optionalHeader + 111, TinyPE.dataDirectories,
                          TinyPE.dataDirectories + 13, TinyPE.sectionTable - 1, TinyPE.sectionTable,
                          TinyPE.sectionTable + 39, TinyPE.sectionTableEnd - 1, TinyPE.sectionTableEnd,
                          0x200, TinyPE.rdata.file, TinyPE.importDescriptors + 10, TinyPE.size - 1]
        var paths: [String] = []
        for length in boundaries {
            paths.append(try temporaryFile(Array(full.prefix(length)), name: "cut-\(length).sys"))
        }
        let result = try runHVCISim(["check"] + paths)
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == paths.count, "\(result.stderr)")
        for (line, path) in zip(lines, paths) {
            #expect(line.hasPrefix("hvcisim: \(path): "), "\(line)")
            #expect(line.contains("truncated") || line.contains("raw data end"), "\(line)")
        }
    }

    /// A file whose section or module names hold control characters (a newline, a terminal escape).
    struct HostileNames: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var text = ".text", rdata = ".rdata", module = "ntoskrnl.exe"
    }

    /// Names from the file end up in messages; control characters in them must not
    /// break the one-line contract or reach the terminal raw.
    @Test(arguments: [HostileNames(testDescription: "newline in a section name", text: "A\nB"),
                      HostileNames(testDescription: "terminal escape in a section name", rdata: "\u{1B}[31m\r"),
                      HostileNames(testDescription: "newline in an import module name", module: "ntos\nkrnl.exe")])
    func controlCharactersInNamesStayOnOneLine(_ names: HostileNames) throws {
        var bytes = TinyPE.build(sectionNames: (names.text, names.rdata), module: names.module)
        if names.module == "ntoskrnl.exe" {
            put32(&bytes, 0x1080, at: TinyPE.sectionTable + 40 + 12)             // overlap: names both sections
        } else {
            put32(&bytes, 0x7FFF_0000, at: TinyPE.nameTable)                    // hint/name error names the module
        }
        let path = try temporaryFile(bytes)
        let result = try runHVCISim(["check", path])
        #expect(result.status == 2)
        #expect(result.stderr.filter { $0 == "\n" }.count == 1, "\(result.stderr.debugDescription)")
        #expect(!result.stderr.dropLast().contains { $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } ?? false },
                "\(result.stderr.debugDescription)")
    }

    /// JSON output stays a valid document listing the failure next to the good report.
    @Test func jsonListsFailures() throws {
        let good = try temporaryFile(TinyPE.build(), name: "good.sys")
        var damaged = TinyPE.build()
        put32(&damaged, 0xFFFF_F000, at: TinyPE.optionalHeader + 56)
        let bad = try temporaryFile(damaged, name: "bad.sys")
        let result = try runHVCISim(["check", "--format", "json", good, bad])
        #expect(result.status == 2)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let failures = try #require(document["failures"] as? [[String: Any]])
        #expect(failures.count == 1)
        #expect(failures.first?["path"] as? String == bad)
        #expect((failures.first?["error"] as? String)?.contains("SizeOfImage") == true)
        #expect((document["reports"] as? [Any])?.count == 1)
    }

    /// Seeded random damage, a few hundred files in one run: the tool must end with 0, 1 or 2
    /// (a trap would be a signal) and print one `hvcisim: PATH: reason` line per failed file.
    @Test func randomDamageNeverCrashesTheTool() throws {
        let base = TinyPE.build()
        var state: UInt64 = 0xC0FF_EE00_D15E_A5E5
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let hot = [0..<TinyPE.sectionTableEnd, TinyPE.rdata.file..<(TinyPE.rdata.file + 0x70)]
        var paths: [String] = []
        for i in 0..<300 {
            var bytes = base
            for _ in 0..<(1 + Int(next() % 3)) {
                let range = hot[Int(next() % 2)]
                let at = range.lowerBound + Int(next() % UInt64(range.count))
                bytes[at] = next() % 4 == 0 ? 0xFF : UInt8(truncatingIfNeeded: next())
            }
            paths.append(try temporaryFile(bytes, name: "fuzz-\(i).sys"))
        }
        let result = try runHVCISim(["check"] + paths)
        #expect([0, 1, 2].contains(result.status), "status \(result.status): \(result.stderr.suffix(400))")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count <= paths.count)
        for line in lines {
            #expect(line.hasPrefix("hvcisim: ") && line.contains("/fuzz-"), "\(line)")
        }
    }
}
