/// `--help` output rendered from a CommandSpec: overview, discussion, usage,
/// arguments and options with their choices and defaults.
extension CommandSpec {
    func help(tool: String = "hvcisim") -> String {
        let invocation = name == tool ? tool : "\(tool) \(name)"
        var lines = ["OVERVIEW: \(abstract)", ""]
        if !discussion.isEmpty {
            // Prose lines are wrapped; indented lines (tables, examples) are kept as written.
            for line in discussion.split(separator: "\n", omittingEmptySubsequences: false) {
                lines += line.hasPrefix(" ") ? [String(line)] : Self.wrap(String(line), width: 100, indent: "")
            }
            lines.append("")
        }
        lines.append("USAGE: \(usage(invocation))")
        if !arguments.isEmpty {
            lines += ["", "ARGUMENTS:"]
            for argument in arguments {
                lines += Self.entry(Self.placeholder(argument), argument.help)
            }
        }
        lines += ["", "OPTIONS:"]
        for option in options {
            var label = option.short.map { "-\($0), " } ?? ""
            label += "--\(option.long)"
            if let placeholder = option.placeholder { label += " <\(placeholder)>" }
            var text = option.help
            if !option.choices.isEmpty { text += " (values: \(option.choices.joined(separator: ", ")))" }
            if let defaultText = option.defaultText { text += " (default: \(defaultText))" }
            if case .repeated = option.kind { text += " (repeatable)" }
            lines += Self.entry(label, text)
        }
        if name == tool { lines += Self.entry("--version", "Show the version.") }
        lines += Self.entry("-h, --help", "Show help information.")
        if !subcommands.isEmpty {
            lines += ["", "SUBCOMMANDS:"]
            for command in subcommands { lines += Self.entry(command.name, command.abstract) }
            lines += ["", "  See '\(tool) help <subcommand>' for detailed help."]
        }
        return lines.joined(separator: "\n")
    }

    /// `<file> ...`, `<code>`, or `[<code>]` for an optional argument.
    private static func placeholder(_ argument: ArgumentSpec) -> String {
        let name = "<\(argument.name)>\(argument.repeating ? " ..." : "")"
        return argument.optional ? "[\(name)]" : name
    }

    private func usage(_ invocation: String) -> String {
        if !subcommands.isEmpty { return "\(invocation) <subcommand>" }
        var parts = [invocation]
        parts += arguments.map(Self.placeholder)
        parts += options.map { option in
            let value = option.placeholder.map { " <\($0)>" } ?? ""
            return "[--\(option.long)\(value)]\(option.isRepeated ? " ..." : "")"
        }
        return Self.wrap(parts.joined(separator: " "), width: 100, indent: "       ").joined(separator: "\n")
    }

    /// "  label      help" with the help wrapped at 100 columns, aligned at column 28.
    private static func entry(_ label: String, _ text: String) -> [String] {
        let column = 28
        let wrapped = wrap(text, width: 100 - column, indent: "")
        var first = "  " + label
        var lines: [String] = []
        if first.count + 2 > column {
            lines.append(first)
            first = ""
        }
        let pad = String(repeating: " ", count: column)
        for (index, line) in wrapped.enumerated() {
            if index == 0, !first.isEmpty {
                lines.append(first + String(repeating: " ", count: column - first.count) + line)
            } else {
                lines.append(pad + line)
            }
        }
        return lines
    }

    /// Words joined into lines of at most `width` characters (a longer word stands alone).
    private static func wrap(_ text: String, width: Int, indent: String) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty, current.count + 1 + word.count > width {
                lines.append(current)
                current = indent + word
            } else {
                current += current.isEmpty ? String(word) : " " + word
            }
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }
}

extension OptionSpec {
    var isRepeated: Bool {
        if case .repeated = kind { return true }
        return false
    }
}
