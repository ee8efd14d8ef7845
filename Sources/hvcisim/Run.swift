import Events
import Harness
import JSON
import Kernel
import Memory
import PEImage
import Report
import Scenario

enum HVCISetting: String, CaseIterable {
    case on, off, both
}

enum ModeSetting: String, CaseIterable {
    case audit, enforce
}

enum SwitchSetting: String, CaseIterable {
    case on, off
}

struct Run: Subcommand {
    static let spec = CommandSpec(
        name: "run",
        abstract: "Run a driver's entry paths in an emulated x64 CPU under HVCI and report what HVCI forbids.",
        discussion: """
        The image is checked and loaded as Windows would (with HVCI on, Code Integrity refuses an image \
        with a writable+executable or misaligned section, or its import address table in code). DriverEntry is called with a DRIVER_OBJECT and registry \
        path; then AddDevice and IRP_MN_START_DEVICE when the driver registers AddDevice, IRP_MJ_CREATE, \
        IRP_MJ_DEVICE_CONTROL for each IOCTL given or found in the dispatch routine, READ, WRITE, CLEANUP, \
        CLOSE, the callbacks, DPCs, timers, work items and threads it queued, and DriverUnload. Every \
        violation is trapped and reported with its call site, instruction, target and fix:
          CODE_PAGE_WRITE   write to a code page (0xBE)        DATA_EXECUTION  run non-verified memory (0xFC)
          PTE_TAMPER        PTE edit making data executable    CR0_WP_BYPASS   write with CR0.WP cleared
          0x2000/0x2001/0x2002  Driver Verifier: executable pool / protection / MDL mapping (bug check 0xC4)
        --mode audit (default) logs, denies and goes on, so one run finds every violation; \
        --mode enforce stops at the first, as Windows would. Limits end an entry point with that outcome.

        Two switches, as Microsoft's two verification steps: --verifier is Driver Verifier's \
        code-integrity option (verifier /flags 0x02000000), which raises 0xC4/0x2000-0x2002 at the \
        call; --hvci is memory integrity, where the hypervisor refuses the access itself. With the \
        verifier off and HVCI on, an executable allocation succeeds but its pages are not \
        executable: the driver stops only when it runs them (0xFC). docs/configurations.md has the table.

        Verdict (from the HVCI-on run; with --hvci both the off run is a comparison):
          compatible / compatible-with-notes  DriverEntry completed, nothing Windows would stop
          incompatible   Code Integrity, the hypervisor or Driver Verifier would refuse or stop it
          inconclusive   the run could not decide: DriverEntry hit a limit, an emulator fault or a
                         model gap, crashed, or the image is not x64 (see "coverage" in the report)

        Several drivers (or folders of .sys files) run one after another, each in its own process; \
        JSON then gives {"reports": [...], "failures": [...]} as `check` does. For many drivers, \
        `hvcisim scan` runs them in parallel with a progress bar and a summary.

        Exit status: 0 compatible; 1 incompatible; 2 a file could not be analysed or the command \
        line is wrong; 3 inconclusive. Across drivers the precedence is 2 > 1 > 3 > 0.

        Examples:
          hvcisim run driver.sys
          hvcisim run driver.sys --hvci both --format json -o run.json
          hvcisim run driver.sys --format sarif -o run.sarif       # code scanning (docs/formats.md)
          hvcisim run driver.sys --format junit --fail-on warning  # CI test results
          hvcisim run driver.sys --mode enforce --trace
          hvcisim run driver.sys --ioctl 0x222004:01000000 --no-discover-ioctls
          hvcisim run driver.sys --ioctl 0x222004:@request.bin --output-size 4096
          hvcisim run driver.sys --verifier off --hvci both
          hvcisim run build/a.sys build/b.sys --format json -o runs.json
        """,
        arguments: [ArgumentSpec(name: "driver", help: "Driver images (.sys, x64), or folders to search for .sys files.",
                                 repeating: true)],
        options: RunChoices.options + [
            .format,
            .failOn,
            OptionSpec(long: "output", short: "o", kind: .value(placeholder: "file"), help: "Write the report to this file."),
            OptionSpec(long: "trace", kind: .flag,
                       help: "Print each kernel call and each trap (with its disassembly) to stderr as it happens."),
            OptionSpec(long: "baseline", kind: .value(placeholder: "file"),
                       help: "Known findings to show as suppressed and leave out of the verdict (docs/baselines.md; `scan --update-baseline` writes one)."),
        ])

    var drivers: [String]
    var choices: RunChoices
    var format: OutputFormat
    var failOn: FailOn
    var output: String?
    var trace: Bool
    var baseline: String?

    init(_ arguments: ParsedArguments) throws(UsageError) {
        drivers = arguments.positionals
        baseline = arguments.value("baseline")
        choices = try RunChoices(arguments)
        format = arguments.choice("format", default: .text)
        failOn = arguments.choice("fail-on", default: .error)
        output = arguments.value("output")
        trace = arguments.flag("trace")
    }

    /// The report in the chosen format, and the exit status its verdict gives. `inWrapper`:
    /// JSON rendered as an entry of the several-drivers wrapper.
    func render(_ report: RunReport, inWrapper: Bool) -> (text: String, status: Int32) {
        let text: String
        switch format {
        case .json: text = inWrapper ? JSONReport.document(for: report).rendered(level: 2) : JSONReport.document(for: report).rendered()
        case .text: text = TextReport.render(report)
        // Rendered from every driver's JSON together, in run() (one SARIF log, one JUnit file).
        case .sarif, .junit: text = JSONReport.document(for: report).rendered()
        case .html: text = HTMLReport.render(report)
        }
        return (text, report.verdict.exitStatus)
    }

    @Sendable static func writeTrace(_ line: String) {
        SystemIO.printError(line)
    }

    func run() throws {
        var settings = try choices.settings()
        settings.trace = trace ? Run.writeTrace : nil
        if let baseline { settings.baseline = try Scan.loadBaseline(baseline) }
        // One driver named (not a folder) gives a bare report object in JSON; several give
        // {"reports": [...], "failures": [...]}, as `check` does.
        let paths = try InputFiles.expand(drivers)
        let single = drivers.count == 1 && !InputFiles.isDirectory(drivers[0])
        var failures: [(path: String, error: String)] = []
        for folder in drivers where InputFiles.isDirectory(folder) && (try? InputFiles.expand([folder]))?.isEmpty == true {
            failures.append((folder, "no .sys files below this folder"))
            SystemIO.printError("hvcisim: \(folder): no .sys files below this folder")
        }
        var outcomes: [DriverBatch.Outcome?] = Array(repeating: nil, count: paths.count)
        let batch = DriverBatch(settings: settings, jobs: 1, relayStderr: true)
        batch.run(count: paths.count, image: { index in
            let path = paths[index]
            do {
                return (try ImageReport(path: path, bytes: try InputFiles.read(path)), SystemIO.lastComponent(path))
            } catch {
                failures.append((path, "\(error)"))
                SystemIO.printError("hvcisim: \(path): \(error)")
                return nil
            }
        }, render: { render($0, inWrapper: !single) }, finished: { index, outcome in outcomes[index] = outcome })
        let done = outcomes.compactMap { $0 }
        let output: String
        switch format {
        case .json where single && done.count == 1: output = done[0].text
        case .json: output = JSONReport.wrapper(entries: done.map(\.text), failures: failures)
        case .text, .html: output = done.map(\.text).joined(separator: "\n\n")
        case .sarif, .junit:
            let documents = done.compactMap { try? JSONValue.parse(Array($0.text.utf8)) }
            output = format.render(documents, failOn: failOn) ?? ""
        }
        // A single driver that could not be read has its one-line error and no report.
        if !(single && done.isEmpty) {
            try OutputSink.write(output, to: self.output)
        }
        let status = Verdict.combinedExitStatus(done.map(\.status) + (failures.isEmpty ? [] : [2]))
        if status != 0 { throw ExitStatus(status) }
    }
}
