import Foundation
import JSON
import Testing

/// `scan`, `merge` and baselines through the CLI.
struct ScanTests {
    static func hostile(_ name: String) -> String {
        TestPaths.packageRoot.appendingPathComponent("Samples/hostile/bin/\(name).sys").path
    }

    func scratchFolder() throws -> URL {
        let dir = testScratchFolder.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A driver that kills the emulator (QEMU abort) and one that loops forever without calling
    /// the kernel: the scan completes and reports both, with the driver beside them.
    @Test func aCrashingAndALoopingDriverAreBothReported() throws {
        let result = try runHVCISim(["scan", Self.hostile("far-call-hidden"), Self.hostile("infinite-loop"),
                                     TestPaths.sample("compliant"), "--timeout", "1", "--jobs", "2", "--format", "json"])
        #expect(result.status == 3)  // inconclusive beats compatible
        let scan = try JSONValue.parse(Array(result.stdout.utf8))
        let reports = try #require(scan["reports"]?.arrayValue)
        #expect(reports.count == 3)
        func outcome(_ name: String) -> String? {
            reports.first { $0["image"]?["path"]?.stringValue?.hasSuffix(name) == true }?["runs"]?.arrayValue?.first?["entryPoints"]?
                .arrayValue?.first?["outcome"]?["kind"]?.stringValue
        }
        #expect(outcome("far-call-hidden.sys") == "tool-fault")
        #expect(outcome("infinite-loop.sys") == "timeout")
        #expect(outcome("compliant.sys") == "returned")
        #expect(scan["summary"]?["verdicts"]?["inconclusive"]?.intValue == 2)
        #expect(!result.stderr.contains("tcg fatal error"))  // no stray output: the report has it
    }

    /// Four shards merged give the unsharded scan's JSON byte for byte, timings aside.
    @Test func fourShardsMergedEqualOneScan() throws {
        let dir = try scratchFolder()
        let samples = TestPaths.packageRoot.appendingPathComponent("Samples/bin").path
        let whole = dir.appendingPathComponent("whole.json").path
        #expect(try runHVCISim(["scan", samples, "--format", "json", "-o", whole]).status == 1)
        var shards: [String] = []
        for k in 1...4 {
            let path = dir.appendingPathComponent("shard-\(k).json").path
            _ = try runHVCISim(["scan", samples, "--shard", "\(k)/4", "--format", "json", "-o", path])
            shards.append(path)
        }
        let merged = dir.appendingPathComponent("merged.json").path
        let result = try runHVCISim(["merge"] + shards.reversed() + ["--format", "json", "-o", merged])
        #expect(result.status == 1)
        let expected = try withoutTimings(whole), actual = try withoutTimings(merged)
        #expect(actual == expected)
        #expect(expected.contains("\"reports\""))
        let sizes = try shards.map { try JSONValue.parse(Array(Data(contentsOf: URL(fileURLWithPath: $0)))) }
            .map { $0["reports"]?.arrayValue?.count ?? 0 }
        #expect(sizes.reduce(0, +) == 22 && sizes.allSatisfy { $0 >= 5 })
    }

    /// The document with `timings`, `summary.slowest` and `summary.wallSeconds` taken out.
    func withoutTimings(_ path: String) throws -> String {
        let json = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        guard case var .object(members) = json else { return "" }
        members.removeAll { $0.0 == "timings" }
        if let index = members.firstIndex(where: { $0.0 == "summary" }), case var .object(summary) = members[index].1 {
            summary.removeAll { $0.0 == "slowest" || $0.0 == "wallSeconds" }
            members[index].1 = .object(summary)
        }
        return JSONValue.object(members).rendered()
    }

    /// A baseline written by one scan suppresses those findings in the next: still listed,
    /// marked suppressed, out of the verdict and the exit status.
    @Test func aBaselineSuppressesKnownFindings() throws {
        let dir = try scratchFolder()
        let baseline = dir.appendingPathComponent("baseline.json").path
        let first = try runHVCISim(["scan", TestPaths.sample("nonpaged-pool"), "--update-baseline", baseline])
        #expect(first.status == 1)
        let written = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: baseline))))
        #expect(written["findings"]?.arrayValue?.contains { $0["code"]?.stringValue == "0x2000" && $0["driver"]?.stringValue == "nonpaged-pool.sys" } == true)
        let second = try runHVCISim(["scan", TestPaths.sample("nonpaged-pool"), "--baseline", baseline, "--format", "json"])
        #expect(second.status == 0)
        let report = try #require(try JSONValue.parse(Array(second.stdout.utf8))["reports"]?.arrayValue?.first)
        let findings = report["runs"]?.arrayValue?.first?["entryPoints"]?.arrayValue?.first?["findings"]?.arrayValue ?? []
        #expect(findings.contains { $0["code"]?.stringValue == "0x2000" && $0["suppressed"]?.boolValue == true })
        #expect(report["verdict"]?.stringValue == "compatible")  // every finding, notes too, is in the baseline
        // run reads the same file; another driver's entries do not apply to it.
        #expect(try runHVCISim(["run", TestPaths.sample("nonpaged-pool"), "--baseline", baseline]).status == 0)
        #expect(try runHVCISim(["run", TestPaths.sample("pool2-execute"), "--baseline", baseline]).status == 1)
    }

    /// Suppressing the finding that keeps an image from loading does not make it compatible:
    /// nothing ran.
    @Test func aSuppressedLoadRefusalIsInconclusive() throws {
        let dir = try scratchFolder()
        let baseline = dir.appendingPathComponent("baseline.json").path
        _ = try runHVCISim(["scan", TestPaths.sample("rwx-section"), "--update-baseline", baseline])
        let result = try runHVCISim(["run", TestPaths.sample("rwx-section"), "--baseline", baseline])
        #expect(result.status == 3)
        #expect(result.stdout.contains("Windows refuses the image all the same"))
    }

    @Test func badShardsAndBaselinesAreOneLineErrors() throws {
        for (arguments, mention) in [
            (["scan", TestPaths.sample("compliant"), "--shard", "5/4"], "--shard"),
            (["scan", TestPaths.sample("compliant"), "--jobs", "0"], "--jobs"),
            (["scan", TestPaths.sample("compliant"), "--baseline", TestPaths.sample("compliant")], "not JSON"),
            (["merge", TestPaths.sample("compliant")], "not JSON"),
        ] {
            let result = try runHVCISim(arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.filter { $0 == "\n" }.count == 1, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(mention), "\(arguments): \(result.stderr)")
        }
    }

    /// Not a terminal: no progress bar, the text output ends with the summary table.
    @Test func textOutputEndsWithTheSummaryAndNoProgressBar() throws {
        let result = try runHVCISim(["scan", TestPaths.sample("compliant"), TestPaths.sample("rwx-section")])
        #expect(result.status == 1)
        #expect(result.stderr.isEmpty)
        #expect(result.stdout.contains("incompatible           \(TestPaths.sample("rwx-section"))  [0x2003]"))
        #expect(result.stdout.contains("  verdict                  drivers"))
        #expect(result.stdout.contains("most frequent findings"))
    }
}
