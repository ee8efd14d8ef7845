import ArgumentParser
import Foundation
import Report

#if canImport(Glibc)
import Glibc
#endif

/// The `hvcisim` command. Exit status, for every verb: 0 compatible (notes
/// allowed), 1 at least one error finding or violation, 2 something could
/// not be analysed or the command line is wrong.
@main
struct HVCISim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hvcisim",
        abstract: "Tell how a Windows x64 kernel driver behaves under HVCI (memory integrity) — on Linux.",
        discussion: """
        hvcisim checks a driver (.sys) the way Windows' Code Integrity does at load time and, in later \
        versions, runs it in an emulated CPU whose execute bit is owned by a Code Integrity verifier.

        Exit status: 0 every image is compatible (notes allowed); 1 at least one error finding; \
        2 a file could not be analysed or the command line is wrong.

        Examples:
          hvcisim check driver.sys
          hvcisim check --format json --output report.json build/*.sys
          hvcisim check drivers/            (every .sys below the folder)
        """,
        version: Tool.version,
        subcommands: [Check.self, Run.self, Apis.self])

    /// Runs the command, mapping argument errors to exit status 2 (the
    /// "cannot analyse" status) instead of ArgumentParser's 64.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let exit as ExitCode {
            Glibc.exit(exit.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            let message = fullMessage(for: error)
            FileHandle.standardError.write(message + "\n")
            Glibc.exit(code == .validationFailure || code.rawValue == 64 ? 2 : code.rawValue == 0 ? 0 : 2)
        }
    }
}
