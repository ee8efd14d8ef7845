import Testing
@testable import Kernel

struct FormatTests {
    @Test func sprintfFormatsAndCounts() throws {
        let h = try KernelHarness()
        let out = try h.buffer(256)
        let count = try h.call("sprintf", out, try h.ansi("%s=%d %05x %-4s| %ws %I64u %p %+d %#x %.3d"),
                               try h.ansi("k"), UInt64(bitPattern: -7), 0xBEEF, try h.ansi("ab"), try h.wide("wide"),
                               0x1_0000_0000, 0x1234, 5, 255, 7)
        let text = try h.kernel.readCString(out)
        #expect(text == "k=-7 0beef ab  | wide 4294967296 0000000000001234 +5 0xff 007")
        #expect(count == UInt64(text.utf8.count))
    }

    @Test func unicodeStringConversions() throws {
        let h = try KernelHarness()
        let out = try h.buffer(128)
        try h.call("sprintf", out, try h.ansi("[%wZ] [%Z]"), try unicodeString(h, "Dev"), try ansiString(h, Array("Ansi".utf8)))
        #expect(try h.kernel.readCString(out) == "[Dev] [Ansi]")
    }

    @Test func snprintfTruncationRules() throws {
        let h = try KernelHarness()
        let out = try h.buffer(64)
        try h.kernel.fill(out, count: 16, with: 0x7E)
        // Longer than Count: Count characters, no NUL, -1.
        #expect(try h.call("_snprintf", out, 4, try h.ansi("%s"), try h.ansi("abcdef")) == UInt64(bitPattern: -1))
        #expect(try h.kernel.readBytes(out, count: 5) == Array("abcd~".utf8))
        // Exactly Count: no NUL, the count.
        try h.kernel.fill(out, count: 16, with: 0x7E)
        #expect(try h.call("_snprintf", out, 3, try h.ansi("abc")) == 3)
        #expect(try h.kernel.readBytes(out, count: 4) == Array("abc~".utf8))
        // Shorter: terminated.
        #expect(try h.call("_snprintf", out, 10, try h.ansi("%d"), 12) == 2)
        #expect(try h.kernel.readCString(out) == "12")
    }

    @Test func wideFormatsSwapSAndS() throws {
        let h = try KernelHarness()
        let out = try h.buffer(128)
        let count = try h.call("_snwprintf", out, 32, try h.wide("%s|%S|%c|%hs|%d"), try h.wide("w"), try h.ansi("n"),
                               UInt64(0x263A), try h.ansi("h"), 42)
        #expect(try h.kernel.readWideString(out) == "w|n|\u{263A}|h|42")
        #expect(count == 10)
        try h.call("swprintf", out, try h.wide("%wZ!"), try unicodeString(h, "U"))
        #expect(try h.kernel.readWideString(out) == "U!")
    }

    @Test func vaListVariants() throws {
        let h = try KernelHarness()
        let out = try h.buffer(64), list = try h.buffer(24)
        try h.kernel.writeU64(list, 3)
        try h.kernel.writeU64(list + 8, try h.ansi("x"))
        #expect(try h.call("_vsnprintf", out, 64, try h.ansi("%d%s"), list) == 2)
        #expect(try h.kernel.readCString(out) == "3x")
        #expect(try h.call("vsprintf", out, try h.ansi("<%u>"), list) == 3)
        #expect(try h.kernel.readCString(out) == "<3>")
        let wide = try h.buffer(64)
        #expect(try h.call("_vsnwprintf", wide, 8, try h.wide("%d-%S"), list) == 3)
        #expect(try h.kernel.readWideString(wide) == "3-x")
    }

    @Test func secureVariants() throws {
        let h = try KernelHarness()
        let out = try h.buffer(64)
        #expect(try h.call("_snprintf_s", out, 4, FormatArea.truncate, try h.ansi("abcdef")) == UInt64(bitPattern: -1))
        #expect(try h.kernel.readCString(out) == "abc")
        #expect(try h.call("_snprintf_s", out, 8, 2, try h.ansi("abcdef")) == UInt64(bitPattern: -1))
        #expect(try h.kernel.readCString(out) == "ab")
        #expect(try h.call("sprintf_s", out, 3, try h.ansi("abcdef")) == UInt64(bitPattern: -1))
        #expect(try h.kernel.readU8(out) == 0)
        #expect(try h.call("sprintf_s", out, 16, try h.ansi("%02d"), 7) == 2)
        #expect(try h.kernel.readCString(out) == "07")
        #expect(try h.call("_scprintf", try h.ansi("%d"), 12345) == 5)
    }

    @Test func floatsAndDbgPrintStillWork() throws {
        let h = try KernelHarness()
        let out = try h.buffer(64)
        try h.call("sprintf", out, try h.ansi("%.2f %e"), (1.005 as Double).bitPattern &+ 0, (1500.0 as Double).bitPattern)
        let text = try h.kernel.readCString(out)
        #expect(text.hasPrefix("1.0"))
        #expect(text.hasSuffix("1.500000e+003"))
        try h.call("DbgPrint", try h.ansi("v=%d %s\n"), 5, try h.ansi("ok"))
        #expect(h.kernel.debugOutput.last == "v=5 ok\n")
    }
}
