import Harness
import JSON
import Kernel
import Report
import Scenario

enum TestFormat: String, CaseIterable {
    case text, json, junit
}

/// `hvcisim test MANIFEST`: the scenarios a manifest describes, run as `hvcisim run` would run
/// them, each checked against its expectations (docs/manifest.md).
struct Test: Subcommand {
    static let spec = CommandSpec(
        name: "test",
        abstract: "Run the drivers and scenarios of a manifest (YAML or JSON) and check what each expects.",
        discussion: """
        A manifest lists drivers (paths relative to the manifest), the scenarios to run each under \
        (HVCI, Driver Verifier, mode, IOCTLs, registry, limits) and what each scenario expects: the \
        verdict, the exit status `hvcisim run` would give, finding codes present or absent, and entry \
        point outcomes. docs/manifest.md describes the format.

        Every file the manifest names is read before any scenario runs; a manifest that cannot be \
        read or decoded, or names a missing file, is one line on stderr (file:line: what is wrong).

        Exit status: 0 every scenario passed; 1 a scenario failed; 2 the manifest or a file it \
        names is wrong, or the command line is.

        Examples:
          hvcisim test Samples/manifest.yaml
          hvcisim test drivers.yaml --format junit -o results.xml
          hvcisim test drivers.yaml --filter pool
        """,
        arguments: [ArgumentSpec(name: "manifest", help: "The manifest (.yaml, .yml or .json).")],
        options: [
            OptionSpec(long: "format", kind: .value(placeholder: "format"), help: "Output format.",
                       choices: TestFormat.allCases.map(\.rawValue), defaultText: "text"),
            OptionSpec(long: "output", short: "o", kind: .value(placeholder: "file"), help: "Write the results to this file."),
            OptionSpec(long: "filter", kind: .value(placeholder: "substring"),
                       help: "Run only the scenarios whose \"driver scenario\" name contains this text."),
        ])

    var manifestPath: String
    var format: TestFormat
    var output: String?
    var filter: String?

    init(_ arguments: ParsedArguments) throws(UsageError) {
        manifestPath = arguments.positionals[0]
        format = arguments.choice("format", default: .text)
        output = arguments.value("output")
        filter = arguments.value("filter")
    }

    func run() throws {
        let plan: [PreparedDriver]
        do {
            let bytes: [UInt8]
            do {
                bytes = try InputFiles.readText(manifestPath)
            } catch {
                throw ManifestError(file: manifestPath, line: 0, message: "\(error)")
            }
            let manifest = try Manifest.parse(bytes, file: manifestPath)
            plan = try TestPlan.prepare(manifest, filter: filter)
        } catch let error as ManifestError {
            SystemIO.printError("hvcisim: \(error)")
            throw ExitStatus(2)
        }
        var results: [ScenarioResult] = []
        for driver in plan {
            for scenario in driver.scenarios {
                results.append(TestPlan.run(scenario, of: driver))
            }
        }
        let text = switch format {
        case .text: TestResults.text(results)
        case .json: TestResults.json(results)
        case .junit: JUnitResults.render(results)
        }
        try OutputSink.write(text, to: output)
        if results.contains(where: { !$0.passed }) { throw ExitStatus(1) }
    }
}
