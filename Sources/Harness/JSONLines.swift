import JSON

/// The line of each member and item of a JSON document, by the same paths YAMLSubset records,
/// so a JSON manifest's decoding errors name a line too. Run only on text JSONValue.parse has
/// accepted (so it is well formed and at most JSONValue.maxDepth deep).
enum JSONLines {
    static func map(_ bytes: [UInt8]) -> SourceLines {
        var scanner = Scanner(bytes: bytes)
        scanner.skipSpace()
        scanner.lines[""] = scanner.line
        scanner.value(path: "")
        return scanner.lines
    }

    struct Scanner {
        let bytes: [UInt8]
        var index = 0
        var line = 1
        var lines = SourceLines()

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) {
                if bytes[index] == 0x0A { line += 1 }
                index += 1
            }
        }

        /// The string's contents (escapes are left as written: manifest keys are plain names).
        mutating func string() -> String {
            index += 1
            let start = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
            }
            let text = String(decoding: bytes[start..<min(index, bytes.count)], as: UTF8.self)
            index += 1
            return text
        }

        mutating func value(path: String) {
            guard index < bytes.count else { return }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                skipSpace()
                while index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                    let memberLine = line
                    let key = string()
                    let memberPath = SourceLines.member(path, key)
                    lines[memberPath] = memberLine
                    skipSpace()
                    index += 1  // ':'
                    skipSpace()
                    value(path: memberPath)
                    skipSpace()
                    if index < bytes.count, bytes[index] == UInt8(ascii: ",") { index += 1; skipSpace() }
                }
                index += 1  // '}'
            case UInt8(ascii: "["):
                index += 1
                skipSpace()
                var count = 0
                while index < bytes.count, bytes[index] != UInt8(ascii: "]") {
                    let itemPath = SourceLines.item(path, count)
                    lines[itemPath] = line
                    value(path: itemPath)
                    count += 1
                    skipSpace()
                    if index < bytes.count, bytes[index] == UInt8(ascii: ",") { index += 1; skipSpace() }
                }
                index += 1  // ']'
            case UInt8(ascii: "\""):
                _ = string()
            default:
                while index < bytes.count, !",]} \t\r\n".utf8.contains(bytes[index]) { index += 1 }
            }
        }
    }
}
