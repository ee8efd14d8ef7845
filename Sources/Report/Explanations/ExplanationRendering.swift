import JSON

/// `hvcisim explain` output: readable text wrapped at `width` columns, or JSON.
extension Explanation {
    /// The entry as text, prose wrapped at `width` columns; the C snippet kept as written.
    public func text(width: Int = 100) -> String {
        var lines = ["\(code) — \(title)", ""]
        func section(_ heading: String, _ body: String) {
            lines.append(heading)
            lines += Explanations.wrap(body, width: width, indent: "  ")
            lines.append("")
        }
        section("Rule", rule)
        section("Windows (memory integrity on/off, Driver Verifier code integrity on/off)", windows)
        section("Typical causes", causes)
        section("Fix", fix)
        lines.append("Example")
        lines += snippet.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
        lines.append("")
        if !samples.isEmpty { section("Samples", samples.joined(separator: ", ")) }
        if !docs.isEmpty { section("Read", docs.joined(separator: ", ")) }
        if !sources.isEmpty { section("Sources", sources.joined(separator: "; ")) }
        while lines.last == "" { lines.removeLast() }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Every field, keys in a fixed order.
    public var json: JSONValue {
        .object([("code", .string(code)), ("family", .string(family.rawValue)), ("title", .string(title)),
                 ("aliases", .array(aliases.map(JSONValue.string))), ("rule", .string(rule)),
                 ("windows", .string(windows)), ("causes", .string(causes)), ("fix", .string(fix)),
                 ("snippet", .string(snippet)), ("samples", .array(samples.map(JSONValue.string))),
                 ("docs", .array(docs.map(JSONValue.string))), ("sources", .array(sources.map(JSONValue.string)))])
    }
}

extension Explanations {
    /// The list: each family's heading, then one `code  title` line per entry.
    public static func listText() -> String {
        var lines: [String] = []
        for family in Explanation.Family.allCases {
            lines.append(family.heading)
            let entries = all.filter { $0.family == family }
            let widest = entries.map(\.code.count).max() ?? 0
            for entry in entries {
                lines.append("  " + entry.code + String(repeating: " ", count: widest - entry.code.count + 2) + entry.title)
            }
            lines.append("")
        }
        lines.append("hvcisim explain CODE prints one entry (e.g. 0x2000, 0xC4/0x2003, c4, DATA_EXECUTION).")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The list as JSON: `{"families": [{"family", "heading", "codes": [{code, title}]}]}`.
    public static func listJSON() -> JSONValue {
        .object([("families", .array(Explanation.Family.allCases.map { family in
            .object([("family", .string(family.rawValue)), ("heading", .string(family.heading)),
                     ("codes", .array(all.filter { $0.family == family }.map {
                         .object([("code", .string($0.code)), ("title", .string($0.title))])
                     }))])
        }))])
    }

    /// Greedy word wrap: lines no longer than `width` (a single longer word stands alone).
    static func wrap(_ text: String, width: Int, indent: String) -> [String] {
        var lines: [String] = [], current = indent
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            if current.count > indent.count, current.count + 1 + word.count > width {
                lines.append(current)
                current = indent
            }
            current += (current.count > indent.count ? " " : "") + word
        }
        if current.count > indent.count { lines.append(current) }
        return lines
    }
}
