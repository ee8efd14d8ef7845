/// Reading JSON: a strict RFC 8259 parser with a nesting limit, for registry seeds, reports
/// read back by `diff`/`merge`, and manifests. Integers stay exact (`int`, or `unsigned` above
/// Int64.max), other numbers keep their text (`fraction`); errors carry line and column.
extension JSONValue {
    public struct ParseError: Error, Sendable {
        public var line: Int
        public var column: Int
        public var message: String
        /// "line L, column C: message".
        public var description: String { "line \(line), column \(column): \(message)" }
    }

    public static let maxDepth = 64

    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> JSONValue {
        var parser = Parser(bytes: bytes)
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.index == bytes.count else { throw parser.error("unexpected text after the top-level value") }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        func error(_ message: String) -> ParseError {
            var line = 1, column = 1
            for b in bytes[..<min(index, bytes.count)] {
                if b == 0x0A { line += 1; column = 1 } else { column += 1 }
            }
            return ParseError(line: line, column: column, message: message)
        }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func expect(_ c: UInt8) throws(ParseError) {
            skipSpace()
            guard index < bytes.count, bytes[index] == c else {
                throw error("expected '\(Character(Unicode.Scalar(c)))'")
            }
            index += 1
        }

        mutating func value(depth: Int) throws(ParseError) -> JSONValue {
            guard depth < JSONValue.maxDepth else { throw error("nesting deeper than \(JSONValue.maxDepth)") }
            skipSpace()
            guard index < bytes.count else { throw error("unexpected end of input") }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                var members: [(String, JSONValue)] = []
                var names: Set<String> = []  // duplicate check in constant time: a seed may have 10^5 keys
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
                while true {
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a member name in quotes") }
                    let key = try string()
                    try expect(UInt8(ascii: ":"))
                    let member = try value(depth: depth + 1)
                    guard names.insert(key).inserted else { throw error("duplicate member \"\(key)\"") }
                    members.append((key, member))
                    skipSpace()
                    guard index < bytes.count else { throw error("unterminated object") }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
                    throw error("expected ',' or '}'")
                }
            case UInt8(ascii: "["):
                index += 1
                var items: [JSONValue] = []
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
                while true {
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    guard index < bytes.count else { throw error("unterminated array") }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
                    throw error("expected ',' or ']'")
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return try number()
            default:
                throw error("unexpected character")
            }
        }

        mutating func literal(_ word: String, _ result: JSONValue) throws(ParseError) -> JSONValue {
            let w = Array(word.utf8)
            guard index + w.count <= bytes.count, Array(bytes[index..<index + w.count]) == w else { throw error("unexpected word") }
            index += w.count
            return result
        }

        mutating func number() throws(ParseError) -> JSONValue {
            let start = index
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            var fraction = false
            while index < bytes.count {
                let c = bytes[index]
                if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") { index += 1; continue }
                if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") || c == UInt8(ascii: "+")
                    || (c == UInt8(ascii: "-") && index > start) {
                    fraction = true; index += 1; continue
                }
                break
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if fraction { return .fraction(text) }
            if let signed = Int64(text) { return .int(signed) }
            if let unsigned = UInt64(text) { return .unsigned(unsigned) }
            index = start
            throw error("number \(text) does not fit in 64 bits")
        }

        mutating func string() throws(ParseError) -> String {
            index += 1  // opening quote
            var units: [UInt16] = []
            var raw: [UInt8] = []
            func flush() {
                units += String(decoding: raw, as: UTF8.self).utf16
                raw = []
            }
            while true {
                guard index < bytes.count else { throw error("unterminated string") }
                let c = bytes[index]
                index += 1
                if c == UInt8(ascii: "\"") { break }
                if c < 0x20 { index -= 1; throw error("control character in string (escape it)") }
                guard c == UInt8(ascii: "\\") else { raw.append(c); continue }
                guard index < bytes.count else { throw error("unterminated escape") }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "\""): raw.append(0x22)
                case UInt8(ascii: "\\"): raw.append(0x5C)
                case UInt8(ascii: "/"): raw.append(0x2F)
                case UInt8(ascii: "b"): raw.append(0x08)
                case UInt8(ascii: "f"): raw.append(0x0C)
                case UInt8(ascii: "n"): raw.append(0x0A)
                case UInt8(ascii: "r"): raw.append(0x0D)
                case UInt8(ascii: "t"): raw.append(0x09)
                case UInt8(ascii: "u"):
                    guard index + 4 <= bytes.count, let unit = UInt16(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else {
                        throw error("bad \\u escape")
                    }
                    index += 4
                    flush()
                    units.append(unit)
                default:
                    index -= 1
                    throw error("unknown escape \\\(Character(Unicode.Scalar(e)))")
                }
            }
            // Without a \u escape the bytes are the string: no detour through UTF-16 (a seed's
            // 8 MiB hex value took most of its load time there).
            if units.isEmpty { return String(decoding: raw, as: UTF8.self) }
            flush()
            return String(decoding: units, as: UTF16.self)
        }
    }
}

extension JSONValue {
    /// "an object", "a string", …: for error messages about what a document holds.
    public var kindName: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .int, .unsigned: return "an integer"
        case .fraction: return "a fractional number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }

    /// The member `key` of an object (the first, if repeated); nil for other values.
    public subscript(key: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        return members.first(where: { $0.0 == key })?.1
    }

    public var stringValue: String? { if case let .string(s) = self { return s } else { return nil } }
    public var arrayValue: [JSONValue]? { if case let .array(a) = self { return a } else { return nil } }
    public var boolValue: Bool? { if case let .bool(b) = self { return b } else { return nil } }
    public var intValue: Int64? { if case let .int(n) = self { return n } else { return nil } }
    public var members: [(String, JSONValue)]? { if case let .object(m) = self { return m } else { return nil } }
}
