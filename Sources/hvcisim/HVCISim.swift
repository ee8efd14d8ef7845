import Report

#if canImport(Glibc)
import Glibc
#endif

/// A verb of the `hvcisim` command: its spec, how it reads a parsed command
/// line (argument errors are UsageErrors), and what it does.
protocol Subcommand {
    static var spec: CommandSpec { get }
    init(_ arguments: ParsedArguments) throws(UsageError)
    func run() throws
}

/// The verbs, in the order --help lists them. (A switch rather than an array
/// of `any Subcommand.Type`: calling through the existential metatype crashes
/// Swift 6.3.1's SILGen.)
enum Verb: String, CaseIterable {
    case check, run, scan, merge, diff, test, apis, explain

    var spec: CommandSpec {
        switch self {
        case .check: Check.spec
        case .run: Run.spec
        case .scan: Scan.spec
        case .merge: Merge.spec
        case .diff: Diff.spec
        case .test: Test.spec
        case .apis: Apis.spec
        case .explain: Explain.spec
        }
    }

    func execute(_ arguments: ParsedArguments) throws {
        switch self {
        case .check: try Check(arguments).run()
        case .run: try Run(arguments).run()
        case .scan: try Scan(arguments).run()
        case .merge: try Merge(arguments).run()
        case .diff: try Diff(arguments).run()
        case .test: try Test(arguments).run()
        case .apis: try Apis(arguments).run()
        case .explain: try Explain(arguments).run()
        }
    }
}

/// The `hvcisim` command. Exit status, for every verb: 0 compatible (notes
/// allowed), 1 incompatible, 2 something could not be analysed or the command
/// line is wrong, 3 inconclusive (Verdict.exitStatus, Verdict.combinedExitStatus).
@main
enum HVCISim {
    static let subcommands = Verb.allCases

    static let spec = CommandSpec(
        name: "hvcisim",
        abstract: "Tell how a Windows x64 kernel driver behaves under HVCI (memory integrity) — on Linux.",
        discussion: """
        hvcisim checks a driver (.sys) the way Windows' Code Integrity does at load time and runs it in an \
        emulated CPU whose execute bit is owned by a Code Integrity verifier, against a model of the NT kernel.

        Exit status: 0 compatible (notes allowed); 1 incompatible (Code Integrity, the hypervisor or \
        Driver Verifier would refuse or stop it); 2 a file could not be analysed or the command line is \
        wrong; 3 inconclusive (a run could not exercise DriverEntry). Across files: 2 > 1 > 3 > 0. \
        docs/verdicts.md explains each verdict.

        Examples:
          hvcisim check driver.sys
          hvcisim check --format json --output report.json build/*.sys
          hvcisim check drivers/            (every .sys below the folder)
          hvcisim run driver.sys --hvci both
          hvcisim run driver.sys --verifier off --mode enforce
        """,
        subcommands: subcommands.map { ($0.spec.name, $0.spec.abstract) })

    static func main() {
        // A closed pipe is a write error (EPIPE) that OutputSink handles, not a signal that kills the tool.
        signal(SIGPIPE, SIG_IGN)
        exit(run(Array(CommandLine.arguments.dropFirst())))
    }

    /// Runs one command line; returns the exit status.
    static func run(_ words: [String]) -> Int32 {
        guard let first = words.first, first != "--help", first != "-h" else {
            print(spec.help())
            return words.isEmpty ? 2 : 0
        }
        if first == "--version" {
            print(Tool.version)
            return 0
        }
        if first == "help" {
            guard let name = words.dropFirst().first else {
                print(spec.help())
                return 0
            }
            guard let command = subcommands.first(where: { $0.spec.name == name }) else {
                return usageError(UsageError("unknown subcommand '\(name)'"), command: nil)
            }
            print(command.spec.help())
            return 0
        }
        guard let command = subcommands.first(where: { $0.spec.name == first }) else {
            return usageError(UsageError("unknown subcommand '\(first)' (one of: \(subcommands.map(\.spec.name).joined(separator: ", ")))"),
                              command: nil)
        }
        do {
            let arguments = try ParsedArguments(words.dropFirst(), for: command.spec)
            if arguments.helpRequested {
                print(command.spec.help())
                return 0
            }
            try command.execute(arguments)
            return 0
        } catch let usage as UsageError {
            return usageError(usage, command: command.spec.name)
        } catch let status as ExitStatus {
            return status.code
        } catch {
            SystemIO.printError("hvcisim: \(error)")
            return 2
        }
    }

    /// One line on stderr naming the problem and where help is; status 2.
    private static func usageError(_ error: UsageError, command: String?) -> Int32 {
        let invocation = command.map { "hvcisim \($0)" } ?? "hvcisim"
        SystemIO.printError("\(invocation): \(error.message) (see '\(invocation) --help')")
        return 2
    }
}
