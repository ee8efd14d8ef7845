import Foundation
import Testing

/// docs/configurations.md is generated from real runs (scripts/configurations.py): this test
/// regenerates it with the built tool and fails, with a diff, when the committed file says
/// something the tool no longer does.
struct ConfigurationsDocTests {
    @Test func configurationsTableMatchesTheTool() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "scripts/configurations.py", "--check", "--hvcisim", TestPaths.executable.path]
        process.currentDirectoryURL = TestPaths.packageRoot
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(output.contains("matches the tool"))
    }
}
