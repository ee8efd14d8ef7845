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
        // One file named (not a folder) gives a bare report object in JSON;
        // anything else gives the wrapper. Known before any file is read, so
        // each report is rendered as soon as it is made, and the report (with
        // the file's bytes) is dropped before the next file is read.
        let single = format == .json && files.count == 1 && !InputFiles.isDirectory(files[0])
        var rendered: [String] = []
        var failures: [(path: String, error: String)] = []
        var incompatible = false
        // Files are read a batch at a time so that SHA256.hexDigests can hash
        // several side by side; each batch is analysed and dropped before the
        // next is read.
        let paths = try InputFiles.expand(files)
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
                    if report.verdict == .incompatible { incompatible = true }
                    switch format {
                    case .json where single: rendered.append(JSONReport.document(for: report).rendered())
                    case .json: rendered.append(JSONReport.wrapperEntry(for: report))
                    case .text: rendered.append(TextReport.render(report))
                    }
                } catch {
                    let message = "\(error)"
                    failures.append((path, message))
                    FileHandle.standardError.write("hvcisim: \(path): \(message)\n")
                }
            }
        }
        let output: String
        switch format {
        case .json where single && rendered.count == 1 && failures.isEmpty:
            output = rendered[0]
        case .json:
            output = JSONReport.wrapper(entries: single ? [] : rendered, failures: failures)
        case .text:
            output = rendered.joined(separator: "\n\n")
        }
        try OutputSink.write(output, to: self.output)
        if !failures.isEmpty { throw ExitCode(2) }
        if incompatible { throw ExitCode(1) }
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
