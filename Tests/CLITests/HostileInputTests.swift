import Foundation
import Testing

/// The input defects found by the containment issue's attack run, reproduced through the
/// CLI: each now gives a one-line error with exit status 2, or a complete report.
struct HostileInputTests {
    let root = TestPaths.packageRoot

    @Test func malformedIoctlArgumentsAreUsageErrors() throws {
        for arguments in [["--ioctl", ""], ["--ioctl", ":"], ["--ioctl="], ["--ioctl", ":00"], ["--ioctl", "0x1:0"]] {
            let result = try runHVCISim(["run", "Samples/bin/compliant.sys"] + arguments, currentDirectory: root)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("--ioctl"), "\(arguments)")
        }
    }

    @Test func aFIFOIsRefusedBeforeReading() throws {
        let path = testScratchFolder.appendingPathComponent("fifo-\(UUID().uuidString)").path
        #expect(mkfifo(path, 0o600) == 0)
        for verb in ["run", "check"] {
            let result = try runHVCISim([verb, path])
            #expect(result.status == 2)
            #expect(result.stderr == "hvcisim: \(path): is not a regular file (a FIFO)\n")
        }
    }

    @Test func aLargeFileThatIsNotPEIsRefusedFromItsHeader() throws {
        let path = testScratchFolder.appendingPathComponent("big-\(UUID().uuidString).sys").path
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 200_000_000)  // sparse: no disk used
        try handle.close()
        let result = try runHVCISim(["check", path])
        #expect(result.status == 2)
        #expect(result.stderr == "hvcisim: \(path): not a PE image (no MZ signature at offset 0)\n")
    }

    @Test func aFullDiskBehindStandardOutputIsAnError() throws {
        let process = Process()
        process.executableURL = TestPaths.executable
        process.arguments = ["run", "Samples/bin/compliant.sys"]
        process.currentDirectoryURL = root
        process.standardOutput = try #require(FileHandle(forWritingAtPath: "/dev/full"))
        let err = Pipe()
        process.standardError = err
        try process.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 2)
        #expect(stderr == "hvcisim: cannot write the report to standard output: No space left on device\n")
    }

    @Test func aClosedPipeEndsQuietly() throws {
        let process = Process()
        process.executableURL = TestPaths.executable
        process.arguments = ["run", "Samples/bin/compliant.sys", "--format", "json"]
        process.currentDirectoryURL = root
        let out = Pipe(), err = Pipe()
        try out.fileHandleForReading.close()  // nobody will read: the first write gets EPIPE
        process.standardOutput = out
        process.standardError = err
        try process.run()
        try out.fileHandleForWriting.close()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)  // not killed by SIGPIPE
        #expect(stderr.isEmpty)
    }

    @Test func registrySeedLimitsAreEnforcedAndLoadingIsLinear() throws {
        var keys: [String] = []
        for index in 0..<100_001 { keys.append("\"HKLM\\\\SOFTWARE\\\\K\(index)\": {}") }
        let many = try temporaryFile(Array("{\"keys\": {\(keys.joined(separator: ","))}}".utf8), name: "many.json")
        let start = Date()
        let tooMany = try runHVCISim(["run", "Samples/bin/compliant.sys", "--registry", many], currentDirectory: root)
        #expect(Date().timeIntervalSince(start) < 20)  // was 33.7 s (quadratic duplicate check)
        #expect(tooMany.status == 2)
        #expect(tooMany.stderr.contains("more than the registry's 100 000 keys"))
        #expect(tooMany.stderr.split(separator: "\n").count == 1)
        #expect(tooMany.stderr.components(separatedBy: many).count == 2, "the path once: \(tooMany.stderr)")

        let blob = String(repeating: "00", count: (4 << 20) + 1)
        let big = try temporaryFile(Array("{\"keys\": {\"HKLM\\\\SOFTWARE\\\\V\": {\"B\": {\"type\": \"REG_BINARY\", \"data\": \"\(blob)\"}}}}".utf8),
                                    name: "big.json")
        let tooBig = try runHVCISim(["run", "Samples/bin/compliant.sys", "--registry", big], currentDirectory: root)
        #expect(tooBig.status == 2)
        #expect(tooBig.stderr.contains("larger than the registry's 4 MiB per value"))
    }

    @Test func kernelCallsNeverExceedTheLimit() throws {
        let result = try runHVCISim(["run", "Samples/bin/compliant.sys", "--kernel-call-limit", "3", "--format", "json"],
                                    currentDirectory: root)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let entry = try #require(((report["runs"] as? [[String: Any]])?.first?["entryPoints"] as? [[String: Any]])?.first)
        #expect(entry["kernelCalls"] as? Int == 3)
        #expect((entry["outcome"] as? [String: Any])?["kind"] as? String == "kernel-call-limit")
    }
}
