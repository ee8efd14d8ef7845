import Harness

struct Merge: Subcommand {
    static let spec = CommandSpec(
        name: "merge",
        abstract: "Join the JSON results of scan shards (or any reports) into one scan result.",
        discussion: """
        Takes the JSON that `scan --shard K/N --format json` wrote on each machine (or `run`/`check` \
        reports) and writes what one unsharded scan gives: the reports in path order, the failures, \
        the timings and a summary recomputed from the reports. Byte for byte the same as the \
        unsharded scan's JSON apart from the timings (`timings`, `summary.slowest`, \
        `summary.wallSeconds`). A driver path found in two inputs keeps the first one's report.

        Exit status: as `scan` over the merged drivers (0, 1, 3; precedence 2 > 1 > 3 > 0); 2 when \
        an input cannot be read or is not an hvcisim report.

        Example (docs/scaling.md):
          hvcisim merge shard-*.json --format json -o scan.json
        """,
        arguments: [ArgumentSpec(name: "file", help: "JSON results of scan shards, or run/check reports.", repeating: true)],
        options: [
            .format,
            OptionSpec(long: "output", short: "o", kind: .value(placeholder: "file"), help: "Write the result to this file."),
        ])

    var files: [String]
    var format: OutputFormat
    var output: String?

    init(_ arguments: ParsedArguments) throws(UsageError) {
        files = arguments.positionals
        format = arguments.choice("format", default: .text)
        output = arguments.value("output")
    }

    func run() throws {
        let sets = try files.map(Self.readReports)
        let merged = ScanDocument(merging: sets)
        try OutputSink.write(Scan.render(merged, format: format, jobs: nil), to: output)
        let status = merged.exitStatus
        if status != 0 { throw ExitStatus(status) }
    }

    /// One report file, or a one-line error and exit status 2.
    static func readReports(_ path: String) throws -> ReportSet {
        do {
            return try ReportSet(bytes: try InputFiles.readText(path), name: path)
        } catch let error as ReportSet.Malformed {
            SystemIO.printError("hvcisim: \(error)")
            throw ExitStatus(2)
        } catch {
            SystemIO.printError("hvcisim: \(path): \(error)")
            throw ExitStatus(2)
        }
    }
}
