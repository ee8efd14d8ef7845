import JSON
import Testing

struct HexBytesTests {
    @Test func separatorsAreIgnoredAndWhatIsNotWholeBytesIsRefused() {
        #expect(HexBytes.decode("") == [])
        #expect(HexBytes.decode("00ff7F") == [0x00, 0xFF, 0x7F])
        #expect(HexBytes.decode("de ad:be,ef\n\t01") == [0xDE, 0xAD, 0xBE, 0xEF, 0x01])
        #expect(HexBytes.decode("d e") == [0xDE])  // a separator may split a byte
        #expect(HexBytes.decode("abc") == nil)  // odd number of digits
        #expect(HexBytes.decode("0g") == nil)
        #expect(HexBytes.decode("0x10") == nil)
        #expect(HexBytes.decode("１２") == nil)  // full-width digits are not hex
        #expect(HexBytes.decode("01 02"[...]) == [1, 2])  // substrings too
    }
}
