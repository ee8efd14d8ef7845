/// What a command accepts, declared once: the parser checks the command line
/// against it and `--help` is rendered from it. (The tool parses its own
/// command line instead of using swift-argument-parser: that package pulls in
/// FoundationEssentials, ~3.5 MiB of resident memory in every run.)
struct CommandSpec: Sendable {
    var name: String
    var abstract: String
    var discussion: String = ""
    var arguments: [ArgumentSpec] = []
    var options: [OptionSpec] = []
    /// Subcommands shown in the root command's help.
    var subcommands: [(name: String, abstract: String)] = []
}

/// A positional argument.
struct ArgumentSpec: Sendable {
    var name: String
    var help: String
    /// One or more values (`<file> ...`); otherwise exactly one.
    var repeating = false
    /// May be left out (`[<code>]`); only the last argument may be optional.
    var optional = false
}

/// An option (`--name value`, `--name=value`, `-n value`) or a flag (`--name`).
struct OptionSpec: Sendable {
    enum Kind: Sendable {
        case flag
        /// Takes a value; the last one given wins.
        case value(placeholder: String)
        /// Takes a value and may be repeated; every value is kept in order.
        case repeated(placeholder: String)
    }

    var long: String
    var short: Character? = nil
    var kind: Kind
    var help: String
    /// The only values accepted (checked by the parser, listed by --help).
    var choices: [String] = []
    /// Shown by --help; the command applies it.
    var defaultText: String? = nil

    var takesValue: Bool {
        if case .flag = kind { return false }
        return true
    }

    var placeholder: String? {
        switch kind {
        case .flag: nil
        case .value(let name), .repeated(let name): name
        }
    }
}

/// A command line that does not fit its command: one line for the user.
struct UsageError: Error, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// A requested exit status (0 compatible, 1 error findings, 2 cannot analyse).
struct ExitStatus: Error {
    var code: Int32
    init(_ code: Int32) { self.code = code }
}
