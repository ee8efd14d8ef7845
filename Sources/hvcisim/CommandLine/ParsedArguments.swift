/// A command line checked against its CommandSpec.
struct ParsedArguments {
    var positionals: [String] = []
    var values: [String: [String]] = [:]
    var flags: Set<String> = []
    /// `--help` or `-h` was given: show help and do nothing else.
    var helpRequested = false

    /// Parses the words after the command name. `--` ends the options.
    init(_ words: some Collection<String>, for spec: CommandSpec) throws(UsageError) {
        var iterator = Array(words).makeIterator()
        var optionsEnded = false
        while let word = iterator.next() {
            if optionsEnded || word == "-" || !word.hasPrefix("-") {
                positionals.append(word)
                continue
            }
            if word == "--" {
                optionsEnded = true
                continue
            }
            if word == "--help" || word == "-h" {
                helpRequested = true
                continue
            }
            let (option, inlineValue) = try Self.option(named: word, in: spec)
            guard option.takesValue else {
                if inlineValue != nil { throw UsageError("\(word): --\(option.long) takes no value") }
                flags.insert(option.long)
                continue
            }
            guard let value = inlineValue ?? iterator.next() else {
                throw UsageError("--\(option.long) needs a value (\(option.placeholder.map { "<\($0)>" } ?? "a value"))")
            }
            if !option.choices.isEmpty, !option.choices.contains(value) {
                throw UsageError("--\(option.long) \(value): expected one of \(option.choices.joined(separator: ", "))")
            }
            if case .repeated = option.kind {
                values[option.long, default: []].append(value)
            } else {
                values[option.long] = [value]
            }
        }
        if helpRequested { return }
        try checkPositionals(spec)
    }

    /// `--long`, `--long=value`, `-s`, or `-svalue`.
    private static func option(named word: String, in spec: CommandSpec) throws(UsageError) -> (OptionSpec, String?) {
        if word.hasPrefix("--") {
            let body = word.dropFirst(2)
            let name = body.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            let value = body.contains("=") ? String(body.drop { $0 != "=" }.dropFirst()) : nil
            guard let option = spec.options.first(where: { $0.long == name }) else {
                throw UsageError("unknown option --\(name)")
            }
            return (option, value)
        }
        let letter = word.dropFirst().first
        guard let option = spec.options.first(where: { $0.short != nil && $0.short == letter }) else {
            throw UsageError("unknown option \(word)")
        }
        let rest = word.dropFirst(2)
        return (option, rest.isEmpty ? nil : String(rest))
    }

    private func checkPositionals(_ spec: CommandSpec) throws(UsageError) {
        let repeating = spec.arguments.last?.repeating ?? false
        let optional = spec.arguments.last?.optional ?? false
        let required = spec.arguments.count - (optional ? 1 : 0)
        if positionals.count < required {
            throw UsageError("missing <\(spec.arguments[positionals.count].name)>")
        }
        if !repeating, positionals.count > spec.arguments.count {
            throw UsageError("unexpected argument '\(positionals[spec.arguments.count])'")
        }
    }

    func value(_ long: String) -> String? { values[long]?.last }
    func all(_ long: String) -> [String] { values[long] ?? [] }
    func flag(_ long: String) -> Bool { flags.contains(long) }

    /// An integer option (decimal or 0x hex), or `defaultValue` when absent.
    func integer(_ long: String, default defaultValue: Int) throws(UsageError) -> Int {
        guard let text = value(long) else { return defaultValue }
        let parsed = text.lowercased().hasPrefix("0x") ? Int(text.dropFirst(2), radix: 16) : Int(text)
        guard let parsed else { throw UsageError("--\(long) \(text): expected a whole number") }
        return parsed
    }

    /// A number option, or `defaultValue` when absent.
    func number(_ long: String, default defaultValue: Double) throws(UsageError) -> Double {
        guard let text = value(long) else { return defaultValue }
        guard let parsed = Double(text), parsed.isFinite else { throw UsageError("--\(long) \(text): expected a number") }
        return parsed
    }

    /// A choice option mapped onto an enum (the parser has already checked the spelling).
    func choice<T: RawRepresentable>(_ long: String, default defaultValue: T) -> T where T.RawValue == String {
        value(long).flatMap(T.init(rawValue:)) ?? defaultValue
    }
}
