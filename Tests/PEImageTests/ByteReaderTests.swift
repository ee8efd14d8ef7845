import PEImage
import Testing

@Suite("ByteReader bounds")
struct ByteReaderTests {
    let r = ByteReader([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x41, 0x42, 0x00, 0x43])

    @Test func littleEndianReads() throws {
        #expect(r.count == 12)
        #expect(try r.u8("f", at: 0) == 0x01)
        #expect(try r.u16("f", at: 0) == 0x0201)
        #expect(try r.u32("f", at: 0) == 0x0403_0201)
        #expect(try r.u64("f", at: 0) == 0x0807_0605_0403_0201)
        #expect(try r.u32("f", at: 8) == 0x4300_4241)
        #expect(try r.pointer("f", at: 0, wide: true) == 0x0807_0605_0403_0201)
        #expect(try r.pointer("f", at: 0, wide: false) == 0x0403_0201)
        #expect(Array(try r.slice("f", at: 2, size: 3)) == [3, 4, 5])
        #expect(try r.slice("f", at: 12, size: 0).isEmpty)
    }

    @Test func readsAtTheLastByte() throws {
        #expect(try r.u8("f", at: 11) == 0x43)
        #expect(try r.u16("f", at: 10) == 0x4300)
        #expect(try r.u32("f", at: 8) != 0)
        #expect(try r.u64("f", at: 4) == 0x4300_4241_0807_0605)
    }

    /// Every read that would leave the buffer is `truncated`, naming the field, offset, size and file size.
    @Test(arguments: [
        (12, 1), (11, 2), (10, 4), (9, 4), (5, 8), (-1, 1), (Int.min, 1), (Int.max, 1), (Int.max - 1, 8), (0, 13),
    ] as [(Int, Int)])
    func outOfBounds(offset: Int, size: Int) {
        let expected = PEError.truncated(field: "Probe", offset: offset, size: size, fileSize: 12)
        #expect(throws: expected) {
            switch size {
            case 1: _ = try r.u8("Probe", at: offset)
            case 2: _ = try r.u16("Probe", at: offset)
            case 4: _ = try r.u32("Probe", at: offset)
            case 8: _ = try r.u64("Probe", at: offset)
            default: _ = try r.slice("Probe", at: offset, size: size)
            }
        }
        #expect(expected.description.contains("Probe"))
    }

    @Test func requireRejectsNegativeAndOverflowingRanges() {
        #expect(throws: PEError.self) { try r.require("f", at: 0, size: -1) }
        #expect(throws: PEError.self) { try r.require("f", at: -4, size: 8) }
        #expect(throws: PEError.self) { try r.require("f", at: 4, size: Int.max) }
        #expect(throws: PEError.self) { try r.require("f", at: Int.max, size: Int.max) }
        #expect(throws: Never.self) { try r.require("f", at: 12, size: 0) }
        #expect(throws: Never.self) { try r.require("f", at: 0, size: 12) }
    }

    @Test func cStrings() throws {
        #expect(try r.cString("name", at: 8) == "AB")
        #expect(try r.cString("name", at: 10) == "")
        #expect(try r.cString("name", at: 8, maxLength: 3) == "AB")
        // No NUL before the end of the file.
        let eof = PEError.inconsistent(field: "name", offset: 11,
                                       reason: "string has no NUL terminator before the end of the file")
        #expect(throws: eof) { try r.cString("name", at: 11) }
        // No NUL within maxLength.
        #expect(throws: PEError.self) { try r.cString("name", at: 8, maxLength: 2) }
        #expect(throws: PEError.self) { try r.cString("name", at: 0, maxLength: 0) }
        // Starting outside the file.
        #expect(throws: PEError.truncated(field: "name", offset: 12, size: 1, fileSize: 12)) { try r.cString("name", at: 12) }
        #expect(throws: PEError.self) { try r.cString("name", at: -1) }
        #expect(throws: PEError.self) { try ByteReader([]).cString("name", at: 0) }
    }

    @Test func paddedNames() throws {
        let names = ByteReader(Array(".text\0\0\0ABCDEFGH".utf8))
        #expect(try names.paddedName("n", at: 0, size: 8) == ".text")
        #expect(try names.paddedName("n", at: 8, size: 8) == "ABCDEFGH")
        #expect(throws: PEError.self) { try names.paddedName("n", at: 9, size: 8) }
        #expect(try ByteReader([0xFF, 0xFE, 0]).paddedName("n", at: 0, size: 3) == "\u{FFFD}\u{FFFD}")
    }

    @Test func offsetConversion() throws {
        #expect(try ByteReader.offset(0x1234, field: "f", at: 0) == 0x1234)
        #expect(try ByteReader.offset(UInt64(Int.max), field: "f", at: 0) == Int.max)
        #expect(throws: PEError.invalidValue(field: "f", offset: 8, value: UInt64(Int.max) + 1, reason: "does not fit a file offset")) {
            try ByteReader.offset(UInt64(Int.max) + 1, field: "f", at: 8)
        }
    }

    @Test func emptyBuffer() {
        let empty = ByteReader([])
        #expect(throws: PEError.self) { try empty.u8("f", at: 0) }
        #expect(throws: Never.self) { try empty.require("f", at: 0, size: 0) }
    }

    @Test func errorMessages() {
        #expect(PEError.truncated(field: "X", offset: 0x3C, size: 4, fileSize: 0x20).description
                == "truncated: X at file offset 0x3c needs 4 bytes but the file has 32")
        #expect(PEError.badMagic(field: "M", offset: 0, found: 0x4142, expected: 0x5A4D).description
                == "bad M at file offset 0x0: found 0x4142, expected 0x5a4d")
        #expect(hex(255) == "0xff")
        #expect(hex(UInt64.max) == "0xffffffffffffffff")
    }
}
