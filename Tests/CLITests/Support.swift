import Foundation

/// The result of running the built `hvcisim` executable.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Paths tests need: the package root (for Samples/) and the built executable.
enum TestPaths {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `hvcisim` sits next to the test bundle in the build products folder.
    static var executable: URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        for _ in 0..<4 {
            dir = dir.deletingLastPathComponent()
            let candidate = dir.appendingPathComponent("hvcisim")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return packageRoot.appendingPathComponent(".build/debug/hvcisim")
    }

    static func sample(_ name: String) -> String {
        packageRoot.appendingPathComponent("Samples/bin/\(name).sys").path
    }
}

/// Runs `hvcisim` with `arguments`, collecting both output streams.
func runHVCISim(_ arguments: [String], currentDirectory: URL? = nil) throws -> CommandResult {
    let process = Process()
    process.executableURL = TestPaths.executable
    process.arguments = arguments
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read before waiting so a large report cannot fill the pipe and block.
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus,
                         stdout: String(decoding: stdout, as: UTF8.self),
                         stderr: String(decoding: stderr, as: UTF8.self))
}

/// Writes `bytes` to a fresh temporary file and returns its path.
func temporaryFile(_ bytes: [UInt8], name: String = "image.sys") throws -> String {
    let dir = testScratchFolder.appendingPathComponent(UUID().uuidString)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url.path
}

/// One folder for every temporary file of this test process, removed when
/// the process exits (a run of the suite makes hundreds of files).
let testScratchFolder: URL = {
    let dir = scratchFolder(for: getpid())
    try? FileManager.default.removeItem(at: dir)
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(at: scratchFolder(for: getpid())) }
    return dir
}()

private func scratchFolder(for pid: Int32) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("hvcisim-tests-\(pid)")
}
