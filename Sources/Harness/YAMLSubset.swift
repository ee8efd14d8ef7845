import JSON

/// The block YAML a manifest needs, read into the same JSONValue a JSON manifest gives, so
/// both syntaxes share one decoder (Manifest.decode):
///
/// - mappings (`key: value`, `key:` with the value indented below it), duplicate keys refused;
/// - sequences (`- item`, also `- key: value` opening a mapping item), nested by indentation;
/// - scalars: plain, 'single-quoted' ('' is a quote), "double-quoted" (\\ \" \n \t \r \0 \xHH \uHHHH);
///   plain `true`/`false` are booleans, `null`/`~` null, decimal numbers numbers; everything else,
///   `0x2000` and `on`/`off` included, stays a string as written (YAML 1.1's yes/no/on/off
///   booleans would turn `hvci: on` into `true`);
/// - flow lists of scalars, `[a, "b", 3]`; `# comments`; one leading `---`.
///
/// Anything else — anchors and aliases, tags, block scalars (`|`, `>`), flow mappings, nested
/// flow lists, complex keys, multi-line plain scalars, several documents, tabs in indentation —
/// is refused with the line it is on rather than read some other way than a YAML library would.
public enum YAMLSubset {
    /// Nesting deeper than this is refused (the reader recurses once per level).
    public static let maxDepth = 32

    public struct Failure: Error, Sendable, Equatable {
        public var line: Int
        public var message: String
    }

    public static func parse(_ text: String) throws(Failure) -> (value: JSONValue, lines: SourceLines) {
        var reader = YAMLBlockReader(lines: try YAMLLine.split(text))
        guard !reader.lines.isEmpty else { throw Failure(line: 1, message: "the document is empty") }
        let value = try reader.block(indent: reader.lines[0].indent, path: "", depth: 0)
        if reader.index < reader.lines.count {
            throw Failure(line: reader.lines[reader.index].number, message: "unexpected indentation (less than the first line's)")
        }
        reader.sourceLines[""] = reader.lines[0].number
        return (value, reader.sourceLines)
    }
}

/// One line with content: its number, its indentation in spaces and its text, the comment and
/// trailing spaces removed.
struct YAMLLine {
    var number: Int
    var indent: Int
    var text: Substring

    static func split(_ text: String) throws(YAMLSubset.Failure) -> [YAMLLine] {
        var result: [YAMLLine] = []
        var number = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            var line = raw
            if line.last == "\r" { line = line.dropLast() }
            let indent = line.prefix(while: { $0 == " " }).count
            var content = line.dropFirst(indent)
            content = YAMLScalar.withoutComment(content)
            while let last = content.last, last == " " || last == "\t" { content = content.dropLast() }
            if content.isEmpty { continue }
            if content.first == "\t" {
                throw YAMLSubset.Failure(line: number, message: "a tab in the indentation (indent with spaces)")
            }
            if content == "---" {
                guard result.isEmpty else {
                    throw YAMLSubset.Failure(line: number, message: "a second document ('---') is not supported")
                }
                continue
            }
            if content == "..." || content.hasPrefix("%") {
                throw YAMLSubset.Failure(line: number, message: "document markers and directives ('...', '%') are not supported")
            }
            result.append(YAMLLine(number: number, indent: indent, text: content))
        }
        return result
    }
}

/// Reads mappings and sequences by indentation, one line at a time.
struct YAMLBlockReader {
    var lines: [YAMLLine]
    var index = 0
    var sourceLines = SourceLines()

    static func isItem(_ text: Substring) -> Bool { text == "-" || text.hasPrefix("- ") }

    /// The block that starts at `lines[index]`, whose indentation is `indent`.
    mutating func block(indent: Int, path: String, depth: Int) throws(YAMLSubset.Failure) -> JSONValue {
        guard depth < YAMLSubset.maxDepth else {
            throw YAMLSubset.Failure(line: lines[index].number, message: "nesting deeper than \(YAMLSubset.maxDepth) levels")
        }
        return Self.isItem(lines[index].text)
            ? try sequence(indent: indent, path: path, depth: depth)
            : try mapping(indent: indent, path: path, depth: depth)
    }

    mutating func sequence(indent: Int, path: String, depth: Int) throws(YAMLSubset.Failure) -> JSONValue {
        var items: [JSONValue] = []
        while index < lines.count, lines[index].indent == indent {
            let line = lines[index]
            guard Self.isItem(line.text) else {
                throw YAMLSubset.Failure(line: line.number, message: "expected a sequence item ('- ') at this indentation")
            }
            let itemPath = SourceLines.item(path, items.count)
            sourceLines[itemPath] = line.number
            let rest = line.text.dropFirst().drop(while: { $0 == " " })
            if rest.isEmpty {
                index += 1
                items.append(try nested(below: indent, path: itemPath, depth: depth, sameIndentSequence: false))
            } else if Self.isItem(rest) || YAMLScalar.key(of: rest) != nil {
                // "- key: value" or "- - x": the rest of the line opens a block indented to where it starts.
                lines[index].indent = indent + (line.text.count - rest.count)
                lines[index].text = rest
                items.append(try block(indent: lines[index].indent, path: itemPath, depth: depth + 1))
            } else {
                items.append(try YAMLScalar.value(rest, line: line.number))
                index += 1
            }
            try refuseDeeperLine(than: indent)
        }
        return .array(items)
    }

    mutating func mapping(indent: Int, path: String, depth: Int) throws(YAMLSubset.Failure) -> JSONValue {
        var members: [(String, JSONValue)] = []
        while index < lines.count, lines[index].indent == indent {
            let line = lines[index]
            guard let (key, rest) = YAMLScalar.key(of: line.text) else {
                if Self.isItem(line.text) {
                    throw YAMLSubset.Failure(line: line.number, message: "a sequence item where a 'key: value' line was expected")
                }
                try YAMLScalar.refuseUnsupported(line.text, line: line.number)
                throw YAMLSubset.Failure(line: line.number, message: "expected 'key: value'")
            }
            guard !members.contains(where: { $0.0 == key }) else {
                throw YAMLSubset.Failure(line: line.number, message: "duplicate key '\(key)'")
            }
            let memberPath = SourceLines.member(path, key)
            sourceLines[memberPath] = line.number
            index += 1
            if rest.isEmpty {
                members.append((key, try nested(below: indent, path: memberPath, depth: depth, sameIndentSequence: true)))
            } else {
                members.append((key, try YAMLScalar.value(rest, line: line.number)))
            }
            try refuseDeeperLine(than: indent)
        }
        return .object(members)
    }

    /// The value of `key:` or `-` with nothing after it: the block indented below it (for a key,
    /// also a sequence at the key's own indentation, as YAML allows), else null.
    mutating func nested(below indent: Int, path: String, depth: Int, sameIndentSequence: Bool) throws(YAMLSubset.Failure) -> JSONValue {
        guard index < lines.count else { return .null }
        let next = lines[index]
        if next.indent > indent { return try block(indent: next.indent, path: path, depth: depth + 1) }
        if sameIndentSequence, next.indent == indent, Self.isItem(next.text) {
            return try sequence(indent: indent, path: path, depth: depth + 1)
        }
        return .null
    }

    func refuseDeeperLine(than indent: Int) throws(YAMLSubset.Failure) {
        guard index < lines.count, lines[index].indent > indent else { return }
        throw YAMLSubset.Failure(line: lines[index].number,
                                 message: "unexpected indentation (a value continued on the next line is not supported; quote it on one line)")
    }
}
