import Foundation
import Testing

/// A driver whose bytes make the emulator abort (QEMU's "tcg fatal error" on `FF /3` with a
/// register operand) still gets a complete report: the supervisor outlives the emulator's process.
/// The loader replaces the encodings it finds along the image's code paths by `ud2` (a #UD, as a
/// CPU raises); one reached only through a computed jump still kills QEMU, and is contained.
struct ContainmentTests {
    /// `lea rax, [rip+2]; jmp rax; call far rax`: the far call is reached only through RAX.
    static let hiddenFarCall: [UInt8] = [0x48, 0x8D, 0x05, 0x02, 0x00, 0x00, 0x00, 0xFF, 0xE0, 0xFF, 0xD8]

    /// compliant.sys with the first bytes of its entry point replaced by `code`.
    func farCallImage(_ code: [UInt8] = [0xFF, 0xD8]) throws -> String {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: TestPaths.sample("compliant"))))
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        let pe = u32(0x3C), sections = u16(pe + 6), optionalSize = u16(pe + 20), entry = u32(pe + 24 + 16)
        for index in 0..<sections {
            let header = pe + 24 + optionalSize + 40 * index
            let virtualSize = u32(header + 8), virtualAddress = u32(header + 12), rawPointer = u32(header + 20)
            if (virtualAddress..<(virtualAddress + virtualSize)).contains(entry) {
                let offset = rawPointer + entry - virtualAddress
                bytes.replaceSubrange(offset..<(offset + code.count), with: code)
            }
        }
        return try temporaryFile(bytes, name: "farcall.sys")
    }

    @Test func aFarCallTheLoaderSeesRaisesUndefinedOpcode() throws {
        let path = try farCallImage()
        let result = try runHVCISim(["run", path, "--hvci", "on", "--format", "json"])
        #expect(result.status == 3)
        #expect(result.stdout.contains("\"codePatches\""))
        #expect(result.stdout.contains("KMODE_EXCEPTION_NOT_HANDLED (0xc000001d"))
    }

    @Test func anEmulatorAbortBecomesAToolFaultInAFullReport() throws {
        let path = try farCallImage(Self.hiddenFarCall)
        let result = try runHVCISim(["run", path, "--hvci", "both", "--format", "json"])
        #expect(result.status == 3)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(report["verdict"] as? String == "inconclusive")
        let runs = try #require(report["runs"] as? [[String: Any]])
        #expect(runs.count == 2)
        let entry = try #require((runs[0]["entryPoints"] as? [[String: Any]])?.first)
        #expect(entry["name"] as? String == "DriverEntry")
        let outcome = try #require(entry["outcome"] as? [String: Any])
        #expect(outcome["kind"] as? String == "tool-fault")
        let summary = try #require(outcome["summary"] as? String)
        #expect(summary.contains("signal 6 (SIGABRT)"))
        #expect(summary.contains("tcg fatal error"))
        #expect(summary.contains("last known address in the driver: 0x"))
        #expect((runs[1]["loadFailure"] as? String)?.contains("died in an earlier run") == true)
        #expect(!result.stderr.contains("Backtrac"))  // the runtime's crash dump is held back
        #expect(!result.stderr.contains("tcg fatal error"))  // QEMU's abort line is in the report only
    }

    /// The text report names the image checks as such, so that a run that died is not read as
    /// "verdict: compatible" above its inconclusive overall verdict.
    @Test func theTextReportOfADeadRunShowsOneVerdict() throws {
        let path = try farCallImage(Self.hiddenFarCall)
        let result = try runHVCISim(["run", path])
        #expect(result.status == 3)
        #expect(result.stdout.contains("  image checks: compatible"))
        #expect(!result.stdout.contains("  verdict: compatible"))
        #expect(result.stdout.contains("overall verdict: inconclusive"))
    }
}
