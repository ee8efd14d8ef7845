/// Text for XML 1.0 documents (JUnit output). Driver strings (debug output, symbols, registry
/// values) can hold any byte; XML 1.0 cannot hold most control characters even escaped, so
/// those are replaced by U+FFFD rather than making the whole document unreadable.
public enum XMLText {
    /// `text` for element content or a double-quoted attribute value: markup characters as
    /// entities, forbidden characters replaced. In attributes, tab and line breaks become
    /// character references too, since a parser would otherwise normalise them to spaces.
    public static func escaped(_ text: String, attribute: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where attribute: out += "&quot;"
            case "\t" where attribute: out += "&#9;"
            case "\n" where attribute: out += "&#10;"
            case "\r": out += "&#13;"  // kept in content too: a parser turns a bare CR into LF
            case "\t", "\n": out.unicodeScalars.append(scalar)
            default:
                out.unicodeScalars.append(allowed(scalar) ? scalar : "\u{FFFD}")
            }
        }
        return out
    }

    /// XML 1.0's Char production: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
    /// [#x10000-#x10FFFF] (a Swift scalar is never a surrogate).
    static func allowed(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        return v == 0x9 || v == 0xA || v == 0xD || (0x20...0xFFFD).contains(v) || v >= 0x10000
    }
}
