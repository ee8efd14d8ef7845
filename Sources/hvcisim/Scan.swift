#if canImport(Glibc)
import Glibc
#endif
import Events
import Harness
import JSON
import Report

struct Scan: Subcommand {
    static let spec = CommandSpec(
        name: "scan",
        abstract: "Check and run every driver under the given paths, in parallel, and summarise.",
        discussion: """
        Finds the .sys files below each folder (files named directly are taken whatever their \
        name), sorts them by path, and runs `check` + `run` on each with the run options below, \
        --jobs at a time, each driver in its own emulator process: a driver that crashes the \
        emulator or loops forever gets its own report (tool-fault, timeout) and the scan goes on. \
        A progress bar shows on a terminal; a summary closes the text output (verdicts, most \
        frequent findings, why runs were inconclusive, slowest drivers).

        --shard K/N scans the K-th of N slices (round-robin over the sorted list), so that a job \
        engine can spread a corpus over machines; `hvcisim merge` joins the shards' JSON into what \
        one scan gives. docs/scaling.md has a Kubernetes Indexed Job and a GitHub Actions matrix.

        --baseline FILE suppresses known findings (by fingerprint; they stay in the report, marked \
        suppressed, and out of the verdicts); --update-baseline FILE writes the findings of this \
        scan as a baseline (docs/baselines.md).

        Exit status: 0 every driver compatible; 1 one incompatible; 3 one inconclusive; 2 a file \
        could not be analysed or the command line is wrong (precedence 2 > 1 > 3 > 0).

        Examples:
          hvcisim scan drivers/ --jobs 2
          hvcisim scan drivers/ --format json -o scan.json
          hvcisim scan drivers/ --shard 2/4 --format json -o shard-2.json
          hvcisim scan build/ --baseline hvci-baseline.json
        """,
        arguments: [ArgumentSpec(name: "path", help: "Folders to search for .sys files, or driver files.", repeating: true)],
        options: [
            OptionSpec(long: "jobs", short: "j", kind: .value(placeholder: "count"),
                       help: "Drivers run at once (each in its own process).", defaultText: "the number of CPUs"),
            OptionSpec(long: "shard", kind: .value(placeholder: "K/N"),
                       help: "Scan only the K-th of N deterministic slices of the sorted driver list."),
            .format,
            .failOn,
            OptionSpec(long: "output", short: "o", kind: .value(placeholder: "file"), help: "Write the result to this file."),
            OptionSpec(long: "baseline", kind: .value(placeholder: "file"),
                       help: "Known findings to suppress (a file written by --update-baseline)."),
            OptionSpec(long: "update-baseline", kind: .value(placeholder: "file"),
                       help: "Write every finding of this scan to this baseline file."),
            OptionSpec(long: "calls", kind: .flag,
                       help: "Keep each entry point's kernel-call log in the JSON reports (left out by default: it is most of their size)."),
        ] + RunChoices.options)

    var paths: [String]
    var jobs: Int
    var shard: Shard?
    var format: OutputFormat
    var failOn: FailOn
    var output: String?
    var baseline: String?
    var updateBaseline: String?
    var calls: Bool
    var choices: RunChoices

    init(_ arguments: ParsedArguments) throws(UsageError) {
        paths = arguments.positionals
        jobs = try arguments.integer("jobs", default: max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        guard (1...256).contains(jobs) else { throw UsageError("--jobs must be 1 to 256") }
        if let text = arguments.value("shard") {
            guard let parsed = Shard(text) else { throw UsageError("--shard must be K/N with 1 <= K <= N (got '\(text)')") }
            shard = parsed
        }
        format = arguments.choice("format", default: .text)
        failOn = arguments.choice("fail-on", default: .error)
        output = arguments.value("output")
        baseline = arguments.value("baseline")
        updateBaseline = arguments.value("update-baseline")
        calls = arguments.flag("calls")
        choices = try RunChoices(arguments)
    }

    func run() throws {
        var settings = try choices.settings()
        if let baseline { settings.baseline = try Self.loadBaseline(baseline) }
        settings.callLog = calls
        var failures: [(path: String, error: String)] = []
        var found: [String] = []
        for path in paths {
            let files = try InputFiles.expand([path])
            if files.isEmpty, InputFiles.isDirectory(path) {
                failures.append((path, "no .sys files below this folder"))
            }
            found += files
        }
        let all = Array(Set(found)).sorted()
        let selected = shard.map { $0.select(all) } ?? all
        if shard != nil { failures = [] }  // a folder's emptiness is the whole scan's to report, not each shard's

        let started = Supervisor.monotonicSeconds()
        var progress = ProgressBar(total: selected.count)
        var reports: [ReportDocument] = []
        var timings: [String: Double] = [:]
        let batch = DriverBatch(settings: settings, jobs: jobs, relayStderr: false)
        batch.run(count: selected.count, image: { index in
            let path = selected[index]
            do {
                return (try ImageReport(path: path, bytes: try InputFiles.read(path)), SystemIO.lastComponent(path))
            } catch {
                failures.append((path, "\(error)"))
                progress.finished(path, verdict: "not analysable")
                return nil
            }
        }, render: { report in
            (JSONReport.document(for: report).rendered(), report.verdict.exitStatus)
        }, finished: { _, outcome in
            timings[outcome.path] = outcome.seconds
            do {
                let json = try JSONValue.parse(Array(outcome.text.utf8))
                let document = try ReportDocument(json: json)
                reports.append(document)
                progress.finished(outcome.path, verdict: document.verdict)
            } catch {
                failures.append((outcome.path, "the emulator's process returned an unreadable report: \(error)"))
                progress.finished(outcome.path, verdict: "not analysable")
            }
        })
        progress.close()
        let result = ScanDocument(reports: reports, failures: failures, timings: timings, shard: shard?.description,
                                  wallSeconds: Supervisor.monotonicSeconds() - started)
        try OutputSink.write(Self.render(result, format: format, jobs: jobs, failOn: failOn), to: output)
        if let updateBaseline {
            try OutputSink.write(Baseline(documents: result.reports).rendered(), to: updateBaseline)
        }
        let status = result.exitStatus
        if status != 0 { throw ExitStatus(status) }
    }

    static func render(_ result: ScanDocument, format: OutputFormat, jobs: Int?, failOn: FailOn = .error) -> String {
        switch format {
        case .sarif, .junit:
            return format.render(result.reports.map(\.json), failOn: failOn) ?? ""
        case .json:
            return result.json().rendered()
        case .text, .html:  // a scan summary has no HTML form yet: text
            var lines = result.reports.map { report in
                let reason = report.verdictReason.map { " — \($0.prefix(140))" } ?? ""
                let errors = Set(report.allFindings.filter { $0.severity == "error" && !$0.suppressed }.map(\.code)).sorted()
                return "\(report.verdict.padding(22)) \(report.path)" + (errors.isEmpty ? "" : "  [\(errors.joined(separator: ", "))]") + reason
            }
            lines += result.failures.map { "\("not analysable".padding(22)) \($0.path) — \($0.error)" }
            return lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n\n") + result.summary.text(wallSeconds: result.wallSeconds, jobs: jobs)
        }
    }

    static func loadBaseline(_ path: String) throws -> Baseline {
        do {
            return try Baseline.parse(try InputFiles.readText(path))
        } catch {
            SystemIO.printError("hvcisim: \(path): \(error)")
            throw ExitStatus(2)
        }
    }
}

extension String {
    /// Left-aligned in `width` columns.
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
