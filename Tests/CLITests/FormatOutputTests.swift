import Foundation
import Testing

/// `--format sarif` and `--format junit` from the real executable on every Sample, read by the
/// readers CI services use (scripts/validate-formats.py: the official SARIF schema, copied into
/// Fixtures/, plus sarif-tools; junitparser). Needs python3 with jsonschema, sarif-tools and
/// junitparser (`make test` installs them).
struct FormatOutputTests {
    static let samples: [String] = {
        let dir = TestPaths.packageRoot.appendingPathComponent("Samples/bin")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".sys") }.sorted().map { dir.appendingPathComponent($0).path }
    }()

    func validate(_ kind: String, _ files: [String]) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", TestPaths.packageRoot.appendingPathComponent("scripts/validate-formats.py").path, kind] + files
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                             stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test(arguments: ["sarif", "junit"])
    func everySampleRunAndCheckIsReadable(format: String) throws {
        #expect(Self.samples.count >= 20)
        let dir = testScratchFolder.appendingPathComponent("formats-\(format)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var files: [String] = []
        for sample in Self.samples {
            let json = try runHVCISim(["run", sample, "--format", "json"])
            let file = dir.appendingPathComponent(URL(fileURLWithPath: sample).lastPathComponent + "." + format).path
            let result = try runHVCISim(["run", sample, "--format", format, "--fail-on", "warning", "-o", file])
            // The exit status is the verdict's, whatever the format.
            #expect(result.status == json.status, "\(sample)")
            files.append(file)
        }
        let check = dir.appendingPathComponent("check." + format).path
        let checked = try runHVCISim(["check", TestPaths.packageRoot.appendingPathComponent("Samples/bin").path,
                                      "--format", format, "-o", check])
        #expect(checked.status == 1)  // some Samples are incompatible by design
        files.append(check)
        let validation = try validate(format, files)
        #expect(validation.status == 0, "\(validation.stderr)")
        #expect(validation.stdout.contains("\(files.count) \(format) file(s) valid"))
    }

    @Test func failOnIsOffered() throws {
        let help = try runHVCISim(["run", "--help"])
        #expect(help.stdout.contains("--fail-on"))
        let bad = try runHVCISim(["check", TestPaths.sample("compliant"), "--format", "junit", "--fail-on", "fatal"])
        #expect(bad.status == 2)
    }
}
