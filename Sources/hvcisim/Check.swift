import Events
import JSON
import PEImage
import Report

enum OutputFormat: String, CaseIterable {
    case text, json, sarif, junit, html
}

/// The lowest severity that makes a JUnit test case fail (`--fail-on`).
enum FailOn: String, CaseIterable {
    case error, warning, note
}

extension OptionSpec {
    static let format = OptionSpec(long: "format", kind: .value(placeholder: "format"),
                                   help: "Output format: text, json (docs/report-schema.md), sarif (SARIF 2.1.0 for code scanning) or junit (JUnit XML for CI test views); docs/formats.md.",
                                   choices: OutputFormat.allCases.map(\.rawValue), defaultText: "text")
    static let failOn = OptionSpec(long: "fail-on", kind: .value(placeholder: "severity"),
                                   help: "JUnit only: the lowest finding severity that fails a test case (findings in the baseline never do). The exit status does not change.",
                                   choices: FailOn.allCases.map(\.rawValue), defaultText: "error")
}

extension OutputFormat {
    /// SARIF or JUnit for reports already made as JSON documents (each read back through
    /// ReportDocument, as `diff` and `merge` read them); nil for text and json.
    func render(_ documents: [JSONValue], failOn: FailOn) -> String? {
        let typed = documents.compactMap { try? ReportDocument(json: $0) }
        switch self {
        case .sarif: return SarifReport.render(typed)
        case .junit: return JUnitReport.render(typed, failOn: failOn.rawValue)
        case .text, .json, .html: return nil
        }
    }
}

struct Check: Subcommand {
    static let spec = CommandSpec(
        name: "check",
        abstract: "Check driver images statically, as Code Integrity does when Windows loads them.",
        discussion: """
        Rules (Driver Verifier code-integrity codes, bug check 0xC4):
          0x2003  a section is both writable and executable (error; an INIT section is a note:
                  Windows 10 strips W from it)
          0x2004  section alignment, or a section's start, is not a multiple of 0x1000 (error)
          0x2005  the import address table lies in an executable section (error)
          NX_COMPAT_MISSING  DllCharacteristics lacks NX_COMPAT 0x0100 (note)
          DDI_RUNTIME_CHECK  imports a DDI Microsoft lists as possibly affected by memory integrity
                  (note; says whether `hvcisim run` checks its arguments — see docs/ddi-checks.md)
        Verdict per image: compatible, compatible-with-notes or incompatible.

        JSON: one file gives one report object; several files give {"reports": [...], \
        "failures": [...]}. The layout is documented in docs/report-schema.md.
        SARIF (--format sarif) gives one log with every file; JUnit (--format junit) one test \
        suite per file, where --fail-on sets which findings fail a test case (docs/formats.md).

        Exit status: 0 every image compatible (notes allowed); 1 at least one error finding; \
        2 a file could not be analysed, a folder holds no .sys file, or the command line is wrong \
        (2 wins over 1 across files: precedence 2 > 1 > 3 > 0, 3 being `run`'s inconclusive).
        """,
        arguments: [ArgumentSpec(name: "file", help: "Driver images (.sys, .dll, .exe) or folders to search for .sys files.",
                                 repeating: true)],
        options: [
            .format,
            .failOn,
            OptionSpec(long: "output", short: "o", kind: .value(placeholder: "file"),
                       help: "Write the report to this file instead of standard output."),
        ])

    var files: [String]
    var format: OutputFormat
    var failOn: FailOn
    var output: String?

    init(_ arguments: ParsedArguments) throws(UsageError) {
        files = arguments.positionals
        format = arguments.choice("format", default: .text)
        failOn = arguments.choice("fail-on", default: .error)
        output = arguments.value("output")
    }

    func run() throws {
        // One file named (not a folder) gives a bare report object in JSON;
        // anything else gives the wrapper. Known before any file is read, so
        // each report is rendered as soon as it is made, and the report (with
        // the file's bytes) is dropped before the next file is read.
        let single = format == .json && files.count == 1 && !InputFiles.isDirectory(files[0])
        var rendered: [String] = []
        // SARIF and JUnit are written once every file is read: they are one document over all files.
        var documents: [JSONValue] = []
        var failures: [(path: String, error: String)] = []
        var statuses: [Int32] = []
        // Files are read a batch at a time so that SHA256.hexDigests can hash
        // several side by side; each batch is analysed and dropped before the
        // next is read.
        var paths: [String] = []
        for file in files {
            let found = try InputFiles.expand([file])
            // A folder with nothing to check is an input error, not a clean result.
            if found.isEmpty, InputFiles.isDirectory(file) {
                failures.append((file, "no .sys files below this folder"))
                SystemIO.printError("hvcisim: \(file): no .sys files below this folder")
            }
            paths += found
        }
        var start = 0
        while start < paths.count {
            var batch: [(path: String, bytes: Result<[UInt8], Error>)] = []
            var batchBytes = 0
            while start < paths.count && batch.count < Self.batchFiles && batchBytes < Self.batchBytes {
                let path = paths[start]
                start += 1
                let bytes = Result { try InputFiles.read(path) }
                batchBytes += (try? bytes.get().count) ?? 0
                batch.append((path, bytes))
            }
            let digests = Self.hexDigests(batch.map(\.bytes))
            for ((path, bytes), sha256) in zip(batch, digests) {
                do {
                    let report = try ImageReport(path: path, bytes: try bytes.get(), sha256: sha256)
                    statuses.append(report.verdict.exitStatus)
                    switch format {
                    case .json where single: rendered.append(JSONReport.document(for: report).rendered())
                    case .json: rendered.append(JSONReport.wrapperEntry(for: report))
                    case .text: rendered.append(TextReport.render(report))
                    case .sarif, .junit: documents.append(JSONReport.document(for: report))
                    case .html: rendered.append(HTMLReport.render(report))
                    }
                } catch {
                    let message = "\(error)"
                    failures.append((path, message))
                    SystemIO.printError("hvcisim: \(path): \(message)")
                }
            }
        }
        let output: String
        switch format {
        case .json where single && rendered.count == 1 && failures.isEmpty:
            output = rendered[0]
        case .json:
            output = JSONReport.wrapper(entries: single ? [] : rendered, failures: failures)
        case .text, .html:
            output = rendered.joined(separator: "\n\n")
        case .sarif, .junit:
            output = format.render(documents, failOn: failOn) ?? ""
        }
        try OutputSink.write(output, to: self.output)
        if !failures.isEmpty { statuses.append(2) }
        let status = Verdict.combinedExitStatus(statuses)
        if status != 0 { throw ExitStatus(status) }
    }

    /// At most this many files, or about this many bytes, are read before they are analysed.
    static let batchFiles = 64
    static let batchBytes = 16 << 20

    /// The SHA-256 of each file that could be read (nil for the others).
    static func hexDigests(_ files: [Result<[UInt8], Error>]) -> [String?] {
        var digests = SHA256.hexDigests(files.compactMap { try? $0.get() })[...]
        return files.map { file in
            guard case .success = file else { return nil }
            return digests.popFirst()
        }
    }
}
