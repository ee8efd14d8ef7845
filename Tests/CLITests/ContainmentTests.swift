import Foundation
import Testing

/// A driver whose bytes make the emulator abort (QEMU's "tcg fatal error" on `FF /3` with a
/// register operand) still gets a complete report: the supervisor outlives the emulator's process.
struct ContainmentTests {
    /// compliant.sys with the first two bytes of its entry point replaced by `FF D8` (far call, register operand).
    func farCallImage() throws -> String {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: TestPaths.sample("compliant"))))
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        let pe = u32(0x3C), sections = u16(pe + 6), optionalSize = u16(pe + 20), entry = u32(pe + 24 + 16)
        for index in 0..<sections {
            let header = pe + 24 + optionalSize + 40 * index
            let virtualSize = u32(header + 8), virtualAddress = u32(header + 12), rawPointer = u32(header + 20)
            if (virtualAddress..<(virtualAddress + virtualSize)).contains(entry) {
                let offset = rawPointer + entry - virtualAddress
                bytes[offset] = 0xFF
                bytes[offset + 1] = 0xD8
            }
        }
        return try temporaryFile(bytes, name: "farcall.sys")
    }

    @Test func anEmulatorAbortBecomesAToolFaultInAFullReport() throws {
        let path = try farCallImage()
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
    }
}
