import Harness

struct Diff: Subcommand {
    static let spec = CommandSpec(
        name: "diff",
        abstract: "Compare two JSON reports: findings added, removed and changed, outcomes and coverage.",
        discussion: """
        OLD and NEW are JSON reports of `run`, `check` or `scan` (two builds of a driver, or two \
        hvcisim versions). Findings are matched by fingerprint (code, entry point, DDI or function; \
        never an address) within each run configuration, so a rebuild that only moves code shows \
        no churn. Also listed: entry-point outcomes, coverage and verdicts that changed, and drivers \
        only one side has (drivers are paired by file name; two single-driver reports are paired \
        whatever their names).

        Exit status: 1 when NEW has an error-level finding OLD did not have (not suppressed by a \
        baseline); 0 otherwise; 2 when a report cannot be read.

        Examples:
          hvcisim run old/driver.sys --format json -o old.json
          hvcisim run new/driver.sys --format json -o new.json
          hvcisim diff old.json new.json
        """,
        arguments: [ArgumentSpec(name: "old", help: "The earlier JSON report."),
                    ArgumentSpec(name: "new", help: "The later JSON report.")],
        options: [
            .format,
            OptionSpec(long: "output", short: "o", kind: .value(placeholder: "file"), help: "Write the comparison to this file."),
        ])

    var old: String
    var new: String
    var format: OutputFormat
    var output: String?

    init(_ arguments: ParsedArguments) throws(UsageError) {
        old = arguments.positionals[0]
        new = arguments.positionals[1]
        format = arguments.choice("format", default: .text)
        output = arguments.value("output")
    }

    func run() throws {
        let diff = ReportDiff(old: try Merge.readReports(old), new: try Merge.readReports(new))
        switch format {
        case .json: try OutputSink.write(diff.json().rendered(), to: output)
        default: try OutputSink.write(diff.text(), to: output)
        }
        if diff.hasNewError { throw ExitStatus(1) }
    }
}
