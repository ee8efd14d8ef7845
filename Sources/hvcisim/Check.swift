import ArgumentParser
import Events
import Foundation
import PEImage
import Report

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check driver images statically, as Code Integrity does when Windows loads them.",
        discussion: """
        Rules (Driver Verifier code-integrity codes, bug check 0xC4):
          0x2003  a section is both writable and executable (error; an INIT section is a note:
                  Windows 10 strips W from it)
          0x2004  section alignment, or a section's start, is not a multiple of 0x1000 (error)
          0x2005  the import address table lies in an executable section (error)
          NX_COMPAT_MISSING  DllCharacteristics lacks NX_COMPAT 0x0100 (note)
          DDI_RUNTIME_CHECK  imports a DDI whose arguments decide whether memory is executable
                  (note; `hvcisim run` checks the arguments)
        Verdict per image: compatible, compatible-with-notes or incompatible.

        JSON: one file gives one report object; several files give {"reports": [...], \
        "failures": [...]}. The layout is documented in docs/report-schema.md.
        """)

    @Argument(help: ArgumentHelp("Driver images (.sys, .dll, .exe) or folders to search for .sys files.",
                                 valueName: "file"))
    var files: [String]

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Option(name: [.short, .long], help: ArgumentHelp("Write the report to this file instead of standard output.",
                                                      valueName: "file"))
    var output: String?

    func run() throws {
        var reports: [ImageReport] = []
        var failures: [(path: String, error: String)] = []
        for path in try InputFiles.expand(files) {
            do {
                reports.append(try ImageReport(path: path, bytes: try InputFiles.read(path)))
            } catch {
                let message = "\(error)"
                failures.append((path, message))
                FileHandle.standardError.write("hvcisim: \(path): \(message)\n")
            }
        }
        let rendered: String
        switch format {
        case .json where reports.count == 1 && failures.isEmpty && files.count == 1 && !InputFiles.isDirectory(files[0]):
            rendered = JSONReport.document(for: reports[0]).rendered()
        case .json:
            rendered = JSONReport.document(for: reports, failures: failures).rendered()
        case .text:
            rendered = reports.map(TextReport.render).joined(separator: "\n\n")
        }
        try OutputSink.write(rendered, to: output)
        if !failures.isEmpty { throw ExitCode(2) }
        if reports.contains(where: { $0.verdict == .incompatible }) { throw ExitCode(1) }
    }
}
