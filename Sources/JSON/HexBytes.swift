/// Bytes written as hex text, as registry seed values, manifest IOCTL inputs and `--ioctl`
/// take them: pairs of hex digits, with spaces, tabs, line breaks, ':' and ',' allowed
/// anywhere between digits (`"de ad:be,ef"`).
public enum HexBytes {
    /// The rule, for the errors of callers whose text `decode` refused.
    public static let rule = "pairs of hex digits (0-9, a-f, A-F); spaces, ':' and ',' between them are ignored"

    /// The bytes, or nil when a character is neither a hex digit nor a separator or the digits
    /// do not pair up. Works on UTF-8 code units: a registry seed may hold 64 MiB of hex, and
    /// decoding it by Character took ~10 s.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count / 2)
        var high: UInt8?
        for unit in text.utf8 {
            let nibble: UInt8
            switch unit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = unit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = unit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = unit - UInt8(ascii: "A") + 10
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: ":"), UInt8(ascii: ","):
                continue
            default:
                return nil
            }
            if let h = high { bytes.append(h << 4 | nibble); high = nil } else { high = nibble }
        }
        return high == nil ? bytes : nil
    }
}
