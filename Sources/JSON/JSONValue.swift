/// A JSON document with object keys in the order they were written, so that
/// reports are byte-for-byte deterministic and read top-down (schemaVersion
/// first). 64-bit addresses are written as "0x…" strings by the callers, since
/// many JSON readers hold numbers as doubles.
public indirect enum JSONValue: Sendable, Equatable {
    case string(String)
    case int(Int64)
    /// An integer above Int64.max (read from a document; reports write addresses as strings).
    case unsigned(UInt64)
    /// A number with a fraction or exponent, kept as written.
    case fraction(String)
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
    public func rendered(level: Int) -> String {
        var out = JSONWriter()
        out.write(self, level: level)
        return out.string
    }
}

/// Renders JSON values as UTF-8 bytes, appended to one growing buffer (much
/// cheaper than many small `String` appends), made a `String` once at the end.
public struct JSONWriter {
    public var bytes: [UInt8] = []

    public init(capacity: Int = 4096) { bytes.reserveCapacity(capacity) }

    public var string: String { String(decoding: bytes, as: UTF8.self) }

    @inline(__always)
    public mutating func append(_ s: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// `s` as is (no quotes, no escaping).
    public mutating func appendRaw(_ s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }

    public mutating func indent(_ level: Int) {
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * level))
    }

    /// Appends the value; `level` is the nesting depth of the line it starts on.
    public mutating func write(_ value: JSONValue, level: Int) {
        switch value {
        case .string(let s): writeString(s)
        case .int(let v): appendRaw(String(v))
        case .unsigned(let v): appendRaw(String(v))
        case .fraction(let text): appendRaw(text)
        case .bool(let v): v ? append("true") : append("false")
        case .null: append("null")
        case .array(let items):
            guard !items.isEmpty else { append("[]"); return }
            append("[\n")
            for (i, item) in items.enumerated() {
                indent(level + 1)
                write(item, level: level + 1)
                i + 1 < items.count ? append(",\n") : append("\n")
            }
            indent(level)
            append("]")
        case .object(let members):
            guard !members.isEmpty else { append("{}"); return }
            append("{\n")
            for (i, (key, value)) in members.enumerated() {
                indent(level + 1)
                writeString(key)
                append(": ")
                write(value, level: level + 1)
                i + 1 < members.count ? append(",\n") : append("\n")
            }
            indent(level)
            append("}")
        }
    }

    /// A JSON string literal. Runs of bytes that need no escape are appended
    /// whole; only `"`, `\\` and control characters (below 0x20) are escaped,
    /// `\\u00xx` in lower-case hex except \\n, \\r and \\t. (Those are ASCII,
    /// and no byte of a multi-byte UTF-8 sequence is ASCII, so scanning bytes
    /// finds exactly the scalars that need escaping.)
    public mutating func writeString(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in
            var runStart = 0
            for i in 0..<utf8.count {
                let byte = utf8[i]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i]))
                switch byte {
                case UInt8(ascii: "\""): append("\\\"")
                case UInt8(ascii: "\\"): append("\\\\")
                case UInt8(ascii: "\n"): append("\\n")
                case UInt8(ascii: "\r"): append("\\r")
                case UInt8(ascii: "\t"): append("\\t")
                default:
                    let digits: StaticString = "0123456789abcdef"
                    append("\\u00")
                    bytes.append(digits.utf8Start[Int(byte >> 4)])
                    bytes.append(digits.utf8Start[Int(byte & 0xf)])
                }
                runStart = i + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

extension JSONValue {
    public static func optional(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
    public static func int<T: BinaryInteger>(_ v: T) -> JSONValue { .int(Int64(clamping: v)) }
}
