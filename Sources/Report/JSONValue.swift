/// A JSON document with object keys in the order they were written, so that
/// reports are byte-for-byte deterministic and read top-down (schemaVersion
/// first). 64-bit addresses are written as "0x…" strings by the callers, since
/// many JSON readers hold numbers as doubles.
public indirect enum JSONValue: Sendable, Equatable {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.rendered() == b.rendered() }

    /// Pretty-printed with two-space indentation, ending without a newline.
    public func rendered() -> String {
        rendered(level: 0)
    }

    /// As `rendered()`, for a value that sits `level` levels deep: the lines
    /// after the first are indented by 2 × `level` more spaces.
    func rendered(level: Int) -> String {
        var out = ""
        out.reserveCapacity(4096)
        write(into: &out, level: level)
        return out
    }

    /// Appends the value; `level` is the nesting depth of the line it starts on.
    func write(into out: inout String, level: Int) {
        switch self {
        case .string(let s): Self.writeString(s, into: &out)
        case .int(let v): out += String(v)
        case .bool(let v): out += v ? "true" : "false"
        case .null: out += "null"
        case .array(let items):
            guard !items.isEmpty else { out += "[]"; return }
            out += "[\n"
            for (i, item) in items.enumerated() {
                Self.writeIndent(level + 1, into: &out)
                item.write(into: &out, level: level + 1)
                out += i + 1 < items.count ? ",\n" : "\n"
            }
            Self.writeIndent(level, into: &out)
            out += "]"
        case .object(let members):
            guard !members.isEmpty else { out += "{}"; return }
            out += "{\n"
            for (i, (key, value)) in members.enumerated() {
                Self.writeIndent(level + 1, into: &out)
                Self.writeString(key, into: &out)
                out += ": "
                value.write(into: &out, level: level + 1)
                out += i + 1 < members.count ? ",\n" : "\n"
            }
            Self.writeIndent(level, into: &out)
            out += "}"
        }
    }

    private static let indents: [String] = (0..<16).map { String(repeating: "  ", count: $0) }

    static func writeIndent(_ level: Int, into out: inout String) {
        if level < indents.count {
            out += indents[level]
        } else {
            out += String(repeating: "  ", count: level)
        }
    }

    /// A JSON string literal. Runs of bytes that need no escape are appended
    /// whole; only `"`, `\\` and control characters (below 0x20) are escaped.
    /// (Those are ASCII, and no byte of a multi-byte UTF-8 sequence is ASCII,
    /// so scanning bytes finds exactly the scalars that need escaping.)
    static func writeString(_ s: String, into out: inout String) {
        out += "\""
        let original = s
        var s = s
        s.withUTF8 { utf8 in
            var runStart = 0
            for i in 0..<utf8.count {
                let byte = utf8[i]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if runStart < i {
                    out += String(decoding: UnsafeBufferPointer(rebasing: utf8[runStart..<i]), as: UTF8.self)
                }
                switch byte {
                case UInt8(ascii: "\""): out += "\\\""
                case UInt8(ascii: "\\"): out += "\\\\"
                case UInt8(ascii: "\n"): out += "\\n"
                case UInt8(ascii: "\r"): out += "\\r"
                case UInt8(ascii: "\t"): out += "\\t"
                default:
                    let digits: StaticString = "0123456789abcdef"
                    let d = digits.utf8Start
                    out += "\\u00"
                    out.unicodeScalars.append(Unicode.Scalar(d[Int(byte >> 4)]))
                    out.unicodeScalars.append(Unicode.Scalar(d[Int(byte & 0xf)]))
                }
                runStart = i + 1
            }
            if runStart == 0 {
                out += original  // nothing to escape: the common case
            } else if runStart < utf8.count {
                out += String(decoding: UnsafeBufferPointer(rebasing: utf8[runStart...]), as: UTF8.self)
            }
        }
        out += "\""
    }
}

extension JSONValue {
    static func optional(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
    static func int<T: BinaryInteger>(_ v: T) -> JSONValue { .int(Int64(clamping: v)) }
}
