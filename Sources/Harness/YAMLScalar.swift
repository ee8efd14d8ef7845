import JSON

/// Scalars, keys, flow lists and comments of YAMLSubset, one line's text at a time.
enum YAMLScalar {
    typealias Failure = YAMLSubset.Failure

    /// Whether a quote at `index` opens a quoted scalar: only at the start of a token (so the
    /// apostrophe in `driver's` is text).
    private static func opensQuote(_ text: Substring, at index: Substring.Index) -> Bool {
        guard index > text.startIndex else { return true }
        return " \t[,:".contains(text[text.index(before: index)])
    }

    /// The text before a `#` that starts a comment (at the start or after a space, outside quotes).
    static func withoutComment(_ text: Substring) -> Substring {
        var quote: Character?
        var index = text.startIndex
        while index < text.endIndex {
            let c = text[index]
            if let open = quote {
                if c == "\\", open == "\"" {
                    index = text.index(after: index)
                    if index == text.endIndex { break }
                } else if c == open {
                    quote = nil
                }
            } else if c == "\"" || c == "'", opensQuote(text, at: index) {
                quote = c
            } else if c == "#", index == text.startIndex || " \t".contains(text[text.index(before: index)]) {
                return text[..<index]
            }
            index = text.index(after: index)
        }
        return text
    }

    /// `key: value` or `key:` split into the key and the (possibly empty) value text; nil when
    /// the line is not a mapping member.
    static func key(of text: Substring) -> (String, Substring)? {
        guard let first = text.first, !"[{&*!|>?@`".contains(first), !YAMLBlockReader.isItem(text) else { return nil }
        if first == "\"" || first == "'" {
            guard let (key, end) = try? quoted(text, line: 0), end < text.endIndex, text[end] == ":" else { return nil }
            let rest = text[text.index(after: end)...]
            guard rest.isEmpty || rest.first == " " else { return nil }
            return (key, rest.drop(while: { $0 == " " }))
        }
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == ":" {
                let after = text.index(after: index)
                if after == text.endIndex || text[after] == " " {
                    let key = text[..<index]
                    guard !key.isEmpty else { return nil }
                    return (String(key), text[after...].drop(while: { $0 == " " }))
                }
            }
            index = text.index(after: index)
        }
        return nil
    }

    /// Refuses the YAML features this reader does not have, naming them.
    static func refuseUnsupported(_ text: Substring, line: Int) throws(Failure) {
        guard let first = text.first else { return }
        let feature: String? = switch first {
        case "&": "anchors ('&')"
        case "*": "aliases ('*')"
        case "!": "tags ('!')"
        case "|", ">": "block scalars ('|', '>')"
        case "{": "flow mappings ('{…}')"
        case "?": "complex keys ('?')"
        case "@", "`": "values starting with '\(first)' (reserved; quote them)"
        default: nil
        }
        if let feature { throw Failure(line: line, message: "\(feature) are not supported in a manifest") }
    }

    /// The value after `key: ` or `- `: a quoted or plain scalar or a flow list of scalars.
    static func value(_ text: Substring, line: Int) throws(Failure) -> JSONValue {
        try refuseUnsupported(text, line: line)
        if text.first == "[" { return try flowList(text, line: line) }
        return try scalar(text, line: line)
    }

    static func scalar(_ text: Substring, line: Int) throws(Failure) -> JSONValue {
        try refuseUnsupported(text, line: line)
        if text.first == "\"" || text.first == "'" {
            let (string, end) = try quoted(text, line: line)
            guard text[end...].allSatisfy({ $0 == " " }) else {
                throw Failure(line: line, message: "text after the closing quote")
            }
            return .string(string)
        }
        if text.first == "[" { throw Failure(line: line, message: "nested flow lists are not supported") }
        if text.contains(": ") {
            throw Failure(line: line, message: "': ' inside a plain value (quote the value, or put the mapping on its own lines)")
        }
        return plain(String(text))
    }

    /// A plain scalar, typed as YAML 1.2's core schema does for the forms a manifest uses.
    static func plain(_ text: String) -> JSONValue {
        switch text {
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case "null", "Null", "NULL", "~": return .null
        default: break
        }
        let digits = text.first == "-" || text.first == "+" ? text.dropFirst() : Substring(text)
        if !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), let number = Int64(text) {
            return .int(number)
        }
        if isDecimalFraction(digits) { return .fraction(text) }
        return .string(text)
    }

    private static func isDecimalFraction(_ text: Substring) -> Bool {
        let mantissa = text.prefix(while: { $0 != "e" && $0 != "E" })
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, !(parts[0].isEmpty && parts[1].isEmpty),
              parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }) else { return false }
        let exponent = text.dropFirst(mantissa.count)
        if exponent.isEmpty { return true }
        var e = exponent.dropFirst()
        if e.first == "-" || e.first == "+" { e = e.dropFirst() }
        return !e.isEmpty && e.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// `[a, "b", 3]`: scalars only.
    static func flowList(_ text: Substring, line: Int) throws(Failure) -> JSONValue {
        guard text.last == "]" else { throw Failure(line: line, message: "a flow list must close with ']' on the same line") }
        let inner = text.dropFirst().dropLast()
        var items: [JSONValue] = []
        var rest = inner.drop(while: { $0 == " " })
        while !rest.isEmpty {
            let end: Substring.Index
            if rest.first == "\"" || rest.first == "'" {
                let (string, close) = try quoted(rest, line: line)
                items.append(.string(string))
                end = close
            } else {
                end = rest.firstIndex(of: ",") ?? rest.endIndex
                var item = rest[..<end]
                while item.last == " " { item = item.dropLast() }
                guard !item.isEmpty else { throw Failure(line: line, message: "an empty item in a flow list") }
                items.append(try scalar(item, line: line))
            }
            rest = rest[end...].drop(while: { $0 == " " })
            if rest.isEmpty { break }
            guard rest.first == "," else { throw Failure(line: line, message: "expected ',' or ']' in a flow list") }
            rest = rest.dropFirst().drop(while: { $0 == " " })
        }
        return .array(items)
    }

    /// The quoted scalar at the start of `text`, and the index after its closing quote.
    static func quoted(_ text: Substring, line: Int) throws(Failure) -> (String, Substring.Index) {
        guard let open = text.first else { throw Failure(line: line, message: "expected a quoted value") }
        var result = ""
        var index = text.index(after: text.startIndex)
        while index < text.endIndex {
            let c = text[index]
            index = text.index(after: index)
            if c == open {
                // '' inside single quotes is one quote.
                if open == "'", index < text.endIndex, text[index] == "'" {
                    result.append("'")
                    index = text.index(after: index)
                    continue
                }
                return (result, index)
            }
            if c == "\\", open == "\"" {
                guard index < text.endIndex else { break }
                let e = text[index]
                index = text.index(after: index)
                switch e {
                case "\\", "\"", "/": result.append(e)
                case "n": result.append("\n")
                case "t": result.append("\t")
                case "r": result.append("\r")
                case "0": result.append("\0")
                case "x", "u":
                    let count = e == "x" ? 2 : 4
                    let hex = text[index...].prefix(count)
                    guard hex.count == count, let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) else {
                        throw Failure(line: line, message: "bad \\\(e) escape in a quoted value")
                    }
                    result.unicodeScalars.append(scalar)
                    index = hex.endIndex
                default:
                    throw Failure(line: line, message: "unknown escape \\\(e) in a quoted value")
                }
                continue
            }
            result.append(c)
        }
        throw Failure(line: line, message: "unterminated quoted value (a quoted value must end on its line)")
    }
}
