/// Escaping for text that goes into HTML and inline SVG. Names, symbols, pool tags and debug
/// output come from the driver, which may put markup, quotes or control bytes in them.
enum HTMLEscape {
    /// Text for an element's content or a quoted attribute value: `& < > " '` become entities,
    /// and control characters (which XML, hence SVG, does not allow) become U+FFFD.
    static func text(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                let v = scalar.value
                // C0/C1 controls, DEL, and the noncharacters U+FFFE/U+FFFF.
                if v < 0x20 || (0x7F...0x9F).contains(v) || v == 0xFFFE || v == 0xFFFF {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// A string usable as a CSS class or id fragment: letters, digits and `-` only.
    static func token(_ value: String) -> String {
        String(value.unicodeScalars.map { scalar -> Character in
            let ok = ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
            return ok ? Character(scalar) : "-"
        })
    }
}

/// Shorthands for the renderers.
extension String {
    var html: String { HTMLEscape.text(self) }
}
