import Report

/// `hvcisim explain [CODE]`: the catalog in Sources/Report/Explanations, one entry or the list.
struct Explain: Subcommand {
    static let spec = CommandSpec(
        name: "explain",
        abstract: "Explain a finding code or bug check: the rule, what Windows does, causes, fix, Samples.",
        discussion: """
        Every code hvcisim reports has an entry: Driver Verifier's code-integrity subcodes (0x2000–0x2005, \
        reported as bug check 0xC4), the run-time findings (CODE_PAGE_WRITE, DATA_EXECUTION, …), the static \
        notes and every bug check the tool raises or names. Each entry says what Windows does with memory \
        integrity on and off and with Driver Verifier's code-integrity option on and off (two separate \
        switches), how drivers usually get there, the fix with a short C example, the Samples that show \
        it and the docs/ page to read. Without CODE, lists every code with its title, grouped by family.

        CODE is matched without regard to case: 0x2000, 2000, 0xC4/0x2000, C4, 0xbe, DATA_EXECUTION, \
        PAGE_FAULT_IN_NONPAGED_AREA. An unknown code exits with status 2.

        Examples:
          hvcisim explain
          hvcisim explain 0x2003
          hvcisim explain c4
          hvcisim explain DATA_EXECUTION --format json
        """,
        arguments: [ArgumentSpec(name: "code", help: "A finding code or bug check; leave out for the list.", optional: true)],
        options: [OptionSpec(long: "format", kind: .value(placeholder: "format"), help: "Output format.",
                             choices: ["text", "json"], defaultText: "text")])

    var code: String?
    /// Only text and JSON: an explanation is not a report.
    var format: ExplainFormat

    init(_ arguments: ParsedArguments) throws(UsageError) {
        code = arguments.positionals.first
        format = arguments.choice("format", default: .text)
    }

    func run() throws {
        guard let code else {
            switch format {
            case .text: print(Explanations.listText(), terminator: "")
            case .json: print(Explanations.listJSON().rendered())
            }
            return
        }
        guard let entry = Explanations.lookup(code) else {
            SystemIO.printError("hvcisim explain: no entry for '\(code)' (run 'hvcisim explain' for the list of codes)")
            throw ExitStatus(2)
        }
        switch format {
        case .text: print(entry.text(), terminator: "")
        case .json: print(entry.json.rendered())
        }
    }
}

enum ExplainFormat: String, CaseIterable {
    case text, json
}
