import Foundation
import Testing

/// The command line itself: help, version, usage errors (status 2, one line
/// naming the problem), and where reports are written.
@Suite struct CommandLineTests {
    @Test func helpListsEveryVerbAndEachVerbsOptions() throws {
        let root = try runHVCISim(["--help"])
        #expect(root.status == 0)
        for verb in ["check", "run", "apis"] { #expect(root.stdout.contains("\n  \(verb) "), "\(verb)") }
        let run = try runHVCISim(["run", "--help"])
        #expect(run.status == 0)
        for option in ["--hvci <setting>", "--mode <mode>", "--format <format>", "-o, --output <file>", "--trace",
                       "--ioctl <code[:hex|:@file]>", "--verifier <setting>", "--output-size <bytes>", "--no-discover-ioctls", "--registry <file>", "--timeout <seconds>"] {
            #expect(run.stdout.contains(option), "\(option)")
        }
        let words = run.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(words.contains("(values: on, off, both) (default: on)"))
        #expect(run.stdout.contains("USAGE: hvcisim run <driver>"))
        let viaHelp = try runHVCISim(["help", "run"])
        #expect(viaHelp.stdout == run.stdout)
        let version = try runHVCISim(["--version"])
        #expect(version.status == 0 && version.stdout.hasPrefix("0."))
    }

    @Test func usageErrorsGiveStatusTwoAndOneLineNamingTheProblem() throws {
        let cases: [([String], String)] = [
            (["run", TestPaths.sample("compliant"), "--bogus"], "--bogus"),
            (["run", TestPaths.sample("compliant"), "--hvci", "maybe"], "on, off, both"),
            (["run", TestPaths.sample("compliant"), "--timeout", "soon"], "--timeout"),
            (["run", TestPaths.sample("compliant"), "--timeout"], "--timeout needs a value"),
            (["run", TestPaths.sample("compliant"), "--trace=yes"], "takes no value"),
            (["run"], "missing <driver>"),
            (["check"], "missing <file>"),
            (["frobnicate"], "unknown subcommand 'frobnicate'"),
        ]
        for (arguments, mention) in cases {
            let result = try runHVCISim(arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.filter { $0 == "\n" }.count == 1, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(mention), "\(arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty, "\(arguments)")
        }
    }

    @Test func optionsTakeInlineValuesAndTheLastOneWins() throws {
        let result = try runHVCISim(["run", TestPaths.sample("compliant"), "--format=text", "--format", "json",
                                     "--hvci=off", "--no-discover-ioctls"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let runs = try #require(report?["runs"] as? [[String: Any]])
        #expect(runs.first?["hvci"] as? String == "off")
    }

    /// `-o` replaces a regular file atomically, but writes through a symbolic
    /// link or into a FIFO in place: renaming over them would replace the link
    /// (or /dev/null) with a plain file.
    @Test func outputThroughASymbolicLinkKeepsTheLink() throws {
        let target = try temporaryFile([], name: "report.json")
        let link = (target as NSString).deletingLastPathComponent + "/link.json"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let result = try runHVCISim(["check", TestPaths.sample("compliant"), "--format", "json", "-o", link])
        #expect(result.status == 0, "\(result.stderr)")
        let attributes = try FileManager.default.attributesOfItem(atPath: link)
        #expect(attributes[.type] as? FileAttributeType == .typeSymbolicLink)
        let written = try String(contentsOfFile: target, encoding: .utf8)
        #expect(written.contains("\"verdict\""))

        let plain = (target as NSString).deletingLastPathComponent + "/plain.json"
        let again = try runHVCISim(["check", TestPaths.sample("compliant"), "-o", plain])
        #expect(again.status == 0)
        #expect(try String(contentsOfFile: plain, encoding: .utf8).contains("compliant.sys"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (plain as NSString).deletingLastPathComponent)
            .filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }
}
