import Foundation
import Testing

/// Every hostile sample (Samples/hostile) gets a complete JSON report whose outcome names what
/// happened, with the exit status of Samples/hostile/expected.tsv (the table README.md explains).
struct HostileSampleTests {
    struct Expectation: CustomStringConvertible, Sendable {
        var sample: String
        var entry: String
        var kind: String
        /// A bug check code ("0x1e"), a status name, or "-".
        var detail: String
        var exit: Int32
        var options: [String]
        var description: String { sample }
    }

    static let folder = TestPaths.packageRoot.appendingPathComponent("Samples/hostile")

    static let table: [Expectation] = {
        guard let text = try? String(contentsOf: folder.appendingPathComponent("expected.tsv"), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 5, let exit = Int32(fields[4]) else { return nil }
            let options = fields.count > 5 ? fields[5].split(separator: " ").map(String.init) : []
            return Expectation(sample: fields[0], entry: fields[1], kind: fields[2], detail: fields[3], exit: exit, options: options)
        }
    }()

    @Test func theTableCoversEveryBuiltSampleAndTheReadme() throws {
        let built = try FileManager.default.contentsOfDirectory(atPath: Self.folder.appendingPathComponent("bin").path)
            .filter { $0.hasSuffix(".sys") }.map { String($0.dropLast(4)) }.sorted()
        #expect(built == Self.table.map(\.sample).sorted())
        let readme = try String(contentsOf: Self.folder.appendingPathComponent("README.md"), encoding: .utf8)
        for row in Self.table { #expect(readme.contains("| `\(row.sample)` |"), "README.md lacks \(row.sample)") }
    }

    @Test(arguments: table)
    func runsToItsDocumentedOutcome(_ row: Expectation) throws {
        let path = Self.folder.appendingPathComponent("bin/\(row.sample).sys").path
        let result = try runHVCISim(["run", path, "--hvci", "on", "--mode", "enforce", "--format", "json"] + row.options)
        #expect(result.status == row.exit, "\(row.sample): exit \(result.status)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
                                  "\(row.sample): the report is not JSON")
        let run = try #require((report["runs"] as? [[String: Any]])?.first)
        let entries = try #require(run["entryPoints"] as? [[String: Any]])
        let entry = try #require(entries.first { ($0["name"] as? String)?.hasPrefix(row.entry) == true },
                                 "\(row.sample): no entry point \(row.entry)")
        let outcome = try #require(entry["outcome"] as? [String: Any])
        #expect(outcome["kind"] as? String == row.kind, "\(row.sample): \(outcome["summary"] ?? "")")
        switch row.kind {
        case "bug-check":
            #expect((outcome["bugCheck"] as? [String: Any])?["code"] as? String == row.detail, "\(row.sample)")
        case "returned":
            #expect(outcome["statusName"] as? String == row.detail, "\(row.sample)")
        default: break
        }
    }

    /// The kernel routines that trapped on an all-ones pointer (containment issue): each, called
    /// by a real driver through the CLI, now ends its IOCTL with the bug check Windows would
    /// raise — a fault on the pointer (0x50), or Driver Verifier refusing the executable mapping
    /// before the MDL is read (0xC4/0x2002) — and the tool reports it; never a tool fault.
    @Test(arguments: [
        (0, "RtlGetVersion", "0x50"), (1, "RtlCopyUnicodeString", "0x50"), (2, "IoCreateDevice", "0x50"),
        (3, "IoCreateDeviceSecure", "0x50"), (4, "MmBuildMdlForNonPagedPool", "0x50"),
        (5, "MmMapLockedPages", "0xc4"), (6, "MmMapLockedPagesSpecifyCache", "0xc4"), (7, "MmProbeAndLockPages", "0x50"),
    ])
    func allOnesPointersToKernelRoutinesGetAReport(_ function: Int, _ routine: String, _ bugCheck: String) throws {
        let code = String(format: "0x%x", 0x22_2000 + 4 * function)  // CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800 + n, 0, 0)
        let path = Self.folder.appendingPathComponent("bin/hostile-arguments.sys").path
        let result = try runHVCISim(["run", path, "--hvci", "on", "--mode", "enforce", "--format", "json",
                                     "--no-discover-ioctls", "--ioctl", code])
        #expect((0...1).contains(result.status), "\(routine): exit \(result.status) \(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(routine)")
        let entries = try #require((report["runs"] as? [[String: Any]])?.first?["entryPoints"] as? [[String: Any]])
        let entry = try #require(entries.first { $0["name"] as? String == "IRP_MJ_DEVICE_CONTROL \(code)" }, "\(routine)")
        let outcome = try #require(entry["outcome"] as? [String: Any])
        #expect(outcome["kind"] as? String == "bug-check", "\(routine): \(outcome["summary"] ?? "")")
        #expect((outcome["bugCheck"] as? [String: Any])?["code"] as? String == bugCheck, "\(routine)")
        #expect(entry["kernelCalls"] as? Int == 1, "\(routine): the one call is the routine's")
    }

    /// What the processor layer adds: the patch, the MSR, the halted processor, the ports.
    @Test(arguments: [
        ("far-call-register", "the loader put ud2 in its place"),
        ("locked-compare", "LOCK prefix on CMP/CMPS"),
        ("rdmsr-unknown", "rdmsr of MSR 0x12345678: #GP(0)"),
        ("cli-hlt", "hlt with interrupts disabled"),
        ("port-io", "in 0x71 ×1, out 0x70 ×1, out 0x80 ×1"),
    ])
    func notesSayWhatTheProcessorDid(_ sample: String, _ note: String) throws {
        let path = Self.folder.appendingPathComponent("bin/\(sample).sys").path
        let result = try runHVCISim(["run", path, "--hvci", "on", "--mode", "enforce", "--format", "json"])
        #expect(result.stdout.contains(note), "\(sample)")
        if sample == "far-call-register" {
            #expect(result.stdout.contains("\"codePatches\""))
            #expect(result.stdout.contains("far-branch-register-operand"))
        }
    }
}
