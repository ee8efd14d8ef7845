import Foundation
import Loader
import PEImage
import Scenario
import Testing

/// `CodePatching.everyOffset`, the in-process fuzz target's guard: a far call that only a
/// computed jump reaches (Samples/hostile/far-call-hidden) makes QEMU abort the process under
/// the default patching — `run`'s supervisor reports that as a tool fault, but the fuzz target
/// has no supervisor. Patched at every offset, it raises #UD like the reachable ones do.
/// (Should the patch miss, this test process aborts: the failure is loud, not silent.)
struct EveryOffsetPatchingTests {
    static let hostile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Samples/hostile/bin")

    @Test func aHiddenFarCallBecomesAnIllegalInstructionInProcess() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.hostile.appendingPathComponent("far-call-hidden.sys")))
        var options = RunOptions(hvci: true, enforcement: .enforce)
        options.codePatching = .everyOffset
        let result = DriverRunner.run(try PEFile(bytes: bytes), name: "far-call-hidden.sys", options: options)
        let entry = try #require(result.entryPoints.first)
        #expect(entry.outcome.kind == "bug-check")
        guard case .bugCheck(let code, let parameters) = entry.outcome else { return }
        #expect(code == 0x1E)
        #expect(parameters.first == 0xC000_001D)  // STATUS_ILLEGAL_INSTRUCTION
        #expect(result.codePatches.count == 1)
    }
}
