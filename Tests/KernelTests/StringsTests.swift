import Testing
@testable import Kernel

func ansiString(_ h: KernelHarness, _ text: [UInt8], maximum: Int? = nil) throws -> UInt64 {
    let header = try h.buffer(16 + max(text.count, maximum ?? 0) + 1)
    try h.kernel.writeBytes(header + 16, text)
    try h.kernel.writeU16(header, UInt16(text.count))
    try h.kernel.writeU16(header + 2, UInt16(maximum ?? text.count))
    try h.kernel.writeU64(header + 8, header + 16)
    return header
}

func emptyUnicode(_ h: KernelHarness, maximum: Int) throws -> UInt64 {
    let header = try h.buffer(16 + maximum)
    try h.kernel.writeUnicodeStringHeader(header, buffer: maximum == 0 ? 0 : header + 16, length: 0, maximumLength: maximum)
    return header
}

struct StringsTests {
    @Test func ansiToUnicodeAllocatesFreeablePool() throws {
        let h = try KernelHarness()
        let source = try ansiString(h, Array("Caf".utf8) + [0xE9, 0x80]) // é and € in Windows-1252
        let destination = try h.buffer(16)
        #expect(try h.call("RtlAnsiStringToUnicodeString", destination, source, 1) == 0)
        #expect(try h.kernel.readUnicodeString(destination) == "Café€")
        #expect(try h.kernel.readU16(destination + 2) == 12)
        let buffer = try h.kernel.readU64(destination + 8)
        #expect(h.kernel.objects.pool[buffer] != nil)
        try h.call("RtlFreeUnicodeString", destination)
        #expect(h.kernel.objects.pool[buffer] == nil)
        #expect(try h.kernel.readU64(destination + 8) == 0)
        // Without allocation, a short destination is STATUS_BUFFER_OVERFLOW.
        let small = try emptyUnicode(h, maximum: 4)
        #expect(UInt32(try h.call("RtlAnsiStringToUnicodeString", small, source, 0)) == NTStatus.bufferOverflow)
    }

    @Test func unicodeToAnsiTruncatesAndTerminates() throws {
        let h = try KernelHarness()
        let source = try unicodeString(h, "hello\u{263A}")
        let destination = try ansiString(h, [], maximum: 4)
        #expect(UInt32(try h.call("RtlUnicodeStringToAnsiString", destination, source, 0)) == NTStatus.bufferOverflow)
        #expect(try h.kernel.readU16(destination) == 3)
        #expect(try h.kernel.readCString(try h.kernel.readU64(destination + 8)) == "hel")
        let allocated = try h.buffer(16)
        #expect(try h.call("RtlUnicodeStringToAnsiString", allocated, source, 1) == 0)
        #expect(try h.kernel.readCString(try h.kernel.readU64(allocated + 8)) == "hello?")
        try h.call("RtlFreeAnsiString", allocated)
    }

    @Test func compareEqualPrefixAndHash() throws {
        let h = try KernelHarness()
        let a = try unicodeString(h, "Alpha"), b = try unicodeString(h, "ALPHA"), c = try unicodeString(h, "Alp")
        #expect(try h.call("RtlEqualUnicodeString", a, b, 0) == 0)
        #expect(try h.call("RtlEqualUnicodeString", a, b, 1) == 1)
        #expect(Int32(truncatingIfNeeded: try h.call("RtlCompareUnicodeString", a, b, 0)) > 0)
        #expect(try h.call("RtlCompareUnicodeString", a, b, 1) == 0)
        #expect(Int32(truncatingIfNeeded: try h.call("RtlCompareUnicodeString", c, a, 1)) < 0)
        #expect(try h.call("RtlPrefixUnicodeString", c, b, 1) == 1)
        #expect(try h.call("RtlPrefixUnicodeString", c, b, 0) == 0)
        let hash1 = try h.buffer(4), hash2 = try h.buffer(4)
        #expect(try h.call("RtlHashUnicodeString", a, 1, 0, hash1) == 0)
        #expect(try h.call("RtlHashUnicodeString", b, 1, 1, hash2) == 0)
        #expect(try h.kernel.readU32(hash1) == h.kernel.readU32(hash2))
        var expected: UInt32 = 0
        for u in "ALPHA".utf16 { expected = expected &* 65599 &+ UInt32(u) }
        #expect(try h.kernel.readU32(hash1) == expected)
        #expect(UInt32(try h.call("RtlHashUnicodeString", a, 1, 7, hash1)) == NTStatus.invalidParameter)
    }

    @Test func appendRespectsMaximumLength() throws {
        let h = try KernelHarness()
        let destination = try emptyUnicode(h, maximum: 10)
        #expect(try h.call("RtlAppendUnicodeToString", destination, try h.wide("abc")) == 0)
        #expect(UInt32(try h.call("RtlAppendUnicodeToString", destination, try h.wide("def"))) == NTStatus.bufferTooSmall)
        #expect(try h.call("RtlAppendUnicodeStringToString", destination, try unicodeString(h, "de")) == 0)
        #expect(try h.kernel.readUnicodeString(destination) == "abcde")
    }

    @Test func integersBothWays() throws {
        let h = try KernelHarness()
        let value = try h.buffer(4)
        #expect(try h.call("RtlUnicodeStringToInteger", try unicodeString(h, "  -0x1F"), 0, value) == 0)
        #expect(Int32(bitPattern: try h.kernel.readU32(value)) == -31)
        #expect(try h.call("RtlUnicodeStringToInteger", try unicodeString(h, "1010"), 2, value) == 0)
        #expect(try h.kernel.readU32(value) == 10)
        #expect(UInt32(try h.call("RtlUnicodeStringToInteger", try unicodeString(h, "1"), 7, value)) == NTStatus.invalidParameter)
        #expect(try h.call("RtlCharToInteger", try h.ansi("123abc"), 10, value) == 0)
        #expect(try h.kernel.readU32(value) == 123)
        let text = try emptyUnicode(h, maximum: 32)
        #expect(try h.call("RtlIntegerToUnicodeString", 255, 16, text) == 0)
        #expect(try h.kernel.readUnicodeString(text) == "FF")
        let tiny = try emptyUnicode(h, maximum: 2)
        #expect(UInt32(try h.call("RtlIntegerToUnicodeString", 1234, 10, tiny)) == NTStatus.bufferOverflow)
        #expect(try h.call("RtlInt64ToUnicodeString", 0x1_0000_0000, 10, text) == 0)
        #expect(try h.kernel.readUnicodeString(text) == "4294967296")
    }

    @Test func guidRoundTrip() throws {
        let h = try KernelHarness()
        let guid = try h.buffer(16)
        let text = "{4D36E97D-E325-11CE-BFC1-08002BE10318}"
        #expect(try h.call("RtlGUIDFromString", try unicodeString(h, text.lowercased()), guid) == 0)
        #expect(try h.kernel.readU32(guid) == 0x4D36_E97D)
        let string = try h.buffer(16)
        #expect(try h.call("RtlStringFromGUID", guid, string) == 0)
        #expect(try h.kernel.readUnicodeString(string) == text)
        #expect(UInt32(try h.call("RtlGUIDFromString", try unicodeString(h, "4D36E97D-E325-11CE-BFC1-08002BE10318"), guid)) == NTStatus.invalidParameter)
    }

    @Test func nameInExpression() throws {
        let h = try KernelHarness()
        func match(_ expression: String, _ name: String, ignoreCase: Bool = true) throws -> Bool {
            try h.call("FsRtlIsNameInExpression", try unicodeString(h, expression), try unicodeString(h, name), ignoreCase ? 1 : 0, 0) == 1
        }
        #expect(try match("*.SYS", "driver.sys"))
        #expect(try !match("*.SYS", "driver.sys", ignoreCase: false))
        #expect(try match("DRV?.SYS", "drv1.sys"))
        #expect(try !match("DRV?.SYS", "drv12.sys"))
        #expect(try match("<.TXT", "a.b.txt"))
        #expect(try match("*", ""))
        #expect(try match("FOO\"*", "foo"))  // DOS_DOT matches the end of the name
    }

    @Test func utf8Conversions() throws {
        let h = try KernelHarness()
        let source = try h.wide("é€")
        let out = try h.buffer(16), actual = try h.buffer(4)
        #expect(try h.call("RtlUnicodeToUTF8N", out, 16, actual, source, 4) == 0)
        #expect(try h.kernel.readU32(actual) == 5)
        #expect(try h.kernel.readBytes(out, count: 5) == Array("é€".utf8))
        #expect(UInt32(try h.call("RtlUnicodeToUTF8N", out, 3, actual, source, 4)) == NTStatus.bufferTooSmall)
        let back = try h.buffer(16)
        #expect(try h.call("RtlUTF8ToUnicodeN", back, 16, actual, out, 5) == 0)
        #expect(try h.kernel.readU32(actual) == 4)
    }

    @Test func crtStrings() throws {
        let h = try KernelHarness()
        let buffer = try h.buffer(64)
        try h.call("strcpy", buffer, try h.ansi("abc"))
        try h.call("strcat", buffer, try h.ansi("DEF"))
        #expect(try h.kernel.readCString(buffer) == "abcDEF")
        try h.call("_strupr", buffer)
        #expect(try h.kernel.readCString(buffer) == "ABCDEF")
        #expect(try h.call("strchr", buffer, UInt64(UInt8(ascii: "C"))) == buffer + 2)
        #expect(try h.call("strstr", buffer, try h.ansi("zz")) == 0)
        #expect(try h.call("_strnicmp", buffer, try h.ansi("abcxyz"), 3) == 0)
        #expect(try h.call("strncmp", buffer, try h.ansi("ABD"), 3) == UInt64(bitPattern: -1))
        // strncpy pads with NULs and does not terminate a long source.
        try h.kernel.fill(buffer, count: 16, with: 0x55)
        try h.call("strncpy", buffer, try h.ansi("abcdef"), 3)
        #expect(try h.kernel.readBytes(buffer, count: 4) == [0x61, 0x62, 0x63, 0x55])
        let wide = try h.buffer(64)
        try h.call("wcscpy", wide, try h.wide("Hello"))
        try h.call("wcsncat", wide, try h.wide("World!"), 5)
        #expect(try h.kernel.readWideString(wide) == "HelloWorld")
        #expect(try h.call("wcsrchr", wide, UInt64(UInt8(ascii: "o"))) == wide + 12)
        #expect(try h.call("_wcsnicmp", wide, try h.wide("HELLOX"), 5) == 0)
        let end = try h.buffer(8)
        #expect(try h.call("strtoul", try h.ansi(" 0x1fz"), end, 0) == 0x1F)
        #expect(try h.kernel.readU64(end) > 0)
        #expect(Int32(truncatingIfNeeded: try h.call("atoi", try h.ansi("-42abc"))) == -42)
        #expect(try h.call("atoi", try h.ansi("99999999999")) == UInt64(Int32.max))
        try h.call("_itoa", UInt64(bitPattern: -5), buffer, 10)
        #expect(try h.kernel.readCString(buffer) == "-5")
        try h.call("_itoa", UInt64(bitPattern: -1), buffer, 16)
        #expect(try h.kernel.readCString(buffer) == "ffffffff")
        #expect(try h.call("wcstombs", 0, try h.wide("abc"), 0) == 3)
        #expect(try h.call("wcstombs", buffer, try h.wide("a\u{263A}"), 8) == UInt64(bitPattern: -1))
        #expect(try h.call("isdigit", 0x35) != 0)
        #expect(try h.call("isdigit", 0x41) == 0)
        #expect(try h.call("towupper", 0xE9) == 0xC9)
    }
}

/// Hostile arguments: every handler of the registry, file, string, format and CRT areas
/// is called with garbage (NULL, all-ones, huge lengths, buffers of 0x00 and 0xFF); each may
/// fail or return an error, none may trap.
struct HostileArgumentTests {
    @Test func handlersNeverTrapOnGarbage() throws {
        let h = try KernelHarness()
        let zeroed = try h.buffer(0x4000)
        let ones = try h.buffer(0x4000)
        try h.kernel.fill(ones, count: 0x4000, with: 0xFF)
        let pool: [UInt64] = [0, 1, 0x7FFF_FFFF, 0xFFFF_FFFF, .max, zeroed, ones, zeroed + 0x3FFF, 0x10_0000, 0xFFFE]
        var seed: UInt64 = 0x1234_5678
        func next() -> UInt64 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return pool[Int(seed >> 33) % pool.count]
        }
        let names = [RegistryArea.handlers, FileArea.handlers, StringsArea.handlers, FormatArea.handlers, CRTArea.handlers]
            .flatMap { $0.map(\.name) }.sorted()
        for name in names {
            for _ in 0..<12 {
                try h.kernel.fill(zeroed, count: 0x4000)
                _ = try? h.kernel.invoke(name, arguments: (0..<11).map { _ in next() })
            }
        }
        #expect(names.count > 200)
    }
}
