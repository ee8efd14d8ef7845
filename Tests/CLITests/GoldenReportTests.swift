import Foundation
import Testing

/// `hvcisim check --format json` on each sample produces exactly the reviewed
/// report in Golden/. Regenerate after an intended change with
/// `HVCISIM_UPDATE_GOLDEN=1 swift test --filter GoldenReportTests`, then
/// review the diff line by line before committing it.
struct GoldenReportTests {
    static let samples = [
        "compliant", "rwx-section", "misaligned-sections", "iat-in-exec-section", "init-rwx", "nonpaged-pool",
        "pool2-execute", "lookaside-exec", "mdl-exec-mapping", "zwalloc-rwx", "mdl-protect-exec", "code-write",
        "pool-exec", "cr0-wp-patch", "mdl-alias-patch", "pte-nx-clear", "hvci-aware", "seh-probe", "kmdf-sample",
        "seh-finally", "kernel-memcpy-patch", "mdl-alias-rtlcopy",
    ]
    static let goldenDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    @Test(arguments: samples)
    func jsonReportMatchesGolden(_ name: String) throws {
        let result = try runHVCISim(["check", "Samples/bin/\(name).sys", "--format", "json"],
                                    currentDirectory: TestPaths.packageRoot)
        let golden = Self.goldenDirectory.appendingPathComponent("\(name).json")
        if ProcessInfo.processInfo.environment["HVCISIM_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: Self.goldenDirectory, withIntermediateDirectories: true)
            try Data(result.stdout.utf8).write(to: golden)
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        #expect(result.stdout == expected)
        #expect(result.stderr.isEmpty)
        let incompatible = expected.contains("\"verdict\": \"incompatible\"")
        #expect(result.status == (incompatible ? 1 : 0))
    }

    @Test func severalFilesGiveAWrapperAndStatusOfTheWorst() throws {
        let result = try runHVCISim(["check", "Samples/bin/compliant.sys", "Samples/bin/rwx-section.sys", "--format", "json"],
                                    currentDirectory: TestPaths.packageRoot)
        #expect(result.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["schemaVersion"] as? String == "1.0")
        let reports = try #require(object["reports"] as? [[String: Any]])
        #expect(reports.compactMap { $0["verdict"] as? String } == ["compatible-with-notes", "incompatible"])
        #expect((object["failures"] as? [Any])?.isEmpty == true)
    }

    @Test func unreadableFileIsReportedAndOthersStillAnalysed() throws {
        let result = try runHVCISim(["check", "Samples/bin/compliant.sys", "no-such-file.sys", "--format", "json"],
                                    currentDirectory: TestPaths.packageRoot)
        #expect(result.status == 2)
        #expect(result.stderr.contains("no-such-file.sys"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect((object["reports"] as? [Any])?.count == 1)
        #expect((object["failures"] as? [[String: Any]])?.first?["path"] as? String == "no-such-file.sys")
    }

    @Test func textReportUsesDriverVerifierCodesAndWritesToOutputFile() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("hvcisim-\(UUID().uuidString).txt")
        let result = try runHVCISim(["check", "Samples/bin/rwx-section.sys", "--output", output.path],
                                    currentDirectory: TestPaths.packageRoot)
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        let text = try String(contentsOf: output, encoding: .utf8)
        #expect(text.contains("0xc4/0x2003  executable and writable section  .wx  (section header at 0x"))
        #expect(text.contains("fix: "))
    }

    @Test func folderArgumentChecksEverySysFileBelowIt() throws {
        let result = try runHVCISim(["check", "Samples/bin", "--format", "json"], currentDirectory: TestPaths.packageRoot)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect((object["reports"] as? [Any])?.count == Self.samples.count)
        #expect(result.status == 1)
    }
}
