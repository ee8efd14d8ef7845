import Events
import Foundation
import Memory
import PEImage
import Scenario
import Testing

/// Issue 12.3: each trap shows both translation levels — the frame, the guest PTE before and
/// after, the SLAT, and which level decided — in the finding's details and in the --trace block.
struct TrapLevelsTests {
    /// The trace lines a run printed (the trace callback is @Sendable).
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ line: String) { lock.withLock { lines.append(line) } }
        var text: String { lock.withLock { lines.joined(separator: "\n") } }
    }

    func run(_ name: String, hvci: Bool = true) throws -> (result: RunResult, trace: String) {
        let bytes = [UInt8](try Data(contentsOf: SampleRunTests.samples.appendingPathComponent("\(name).sys")))
        let lines = Lines()
        let result = DriverRunner.run(try PEFile(bytes: bytes), name: "\(name).sys",
                                      options: RunOptions(hvci: hvci, trace: { lines.append($0) }))
        return (result, lines.text)
    }

    func details(_ finding: Finding) -> [String: String] {
        Dictionary(finding.details.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    static let newKeys = ["frame", "physical", "pteBefore", "pteAfter", "pteValue", "slat", "decision"]

    @Test func dataExecutionIsDeniedByThePageTableAndTheSLATWouldRefuseToo() throws {
        let (result, trace) = try run("pool-exec")
        let d = details(try #require(result.findings.first { $0.code == "DATA_EXECUTION" }))
        for key in Self.newKeys { #expect(d[key] != nil, "missing \(key)") }
        #expect(d["pteBefore"] == "rw-" && d["pteAfter"] == "rw-" && d["slat"] == "rw-")
        #expect(d["deniedBy"] == "pageTable")
        #expect(d["decision"]?.hasPrefix("denied by the page table: the PTE has NX set; the SLAT would refuse too") == true)
        let frame = try #require(d["frame"].flatMap { UInt64($0.dropFirst(2), radix: 16) })
        #expect(d["physical"] == "0x" + String(frame << 12, radix: 16))
        #expect(trace.contains("[trap] DATA_EXECUTION at 0x"))
        #expect(trace.contains("  instruction  mov eax, 0x1234"))
        #expect(trace.contains("  PTE          rw- (NX set)   before = after"))
        #expect(trace.contains("  SLAT         rw-   (CI verifier: not verified code, never executable)"))
    }

    @Test func codeWriteShowsAReadOnlyPTEOverVerifiedCode() throws {
        let (result, trace) = try run("code-write")
        let d = details(try #require(result.findings.first { $0.code == "CODE_PAGE_WRITE" }))
        for key in Self.newKeys { #expect(d[key] != nil, "missing \(key)") }
        #expect(d["pteAfter"] == "r-x" && d["slat"] == "r-x")
        #expect(d["decision"]?.contains("the PTE is read-only and CR0.WP is set") == true)
        #expect(trace.contains("  SLAT         r-x   (CI verifier: verified code, never writable)"))
    }

    /// The student's point: the alias's PTE says writable, the SLAT says no.
    @Test func mdlAliasWriteIsAllowedByThePTEAndDeniedByTheSLAT() throws {
        let (result, trace) = try run("mdl-alias-patch")
        let d = details(try #require(result.findings.first { $0.code == "CODE_PAGE_WRITE" }))
        #expect(d["pteBefore"] == "rw-" && d["pteAfter"] == "rw-")
        #expect(d["slat"] == "r-x")
        #expect(d["deniedBy"] == "slat")
        #expect(d["decision"]?.hasPrefix("denied by the SLAT: the frame is code the CI verifier verified") == true)
        #expect(d["decision"]?.hasSuffix("(the PTE says writable)") == true)
        #expect(trace.contains("  PTE          rw- (NX set)   before = after"))
        #expect(trace.contains("  SLAT         r-x   (CI verifier: verified code, never writable)"))
        #expect(trace.contains(", frame of mdl-alias-patch.sys!.text"))
        #expect(trace.contains("  decision     denied by the SLAT:"))
    }

    @Test func pteTamperShowsTheEntryBeforeAndAfterTheDriversWrite() throws {
        let (result, trace) = try run("pte-nx-clear")
        let tamper = details(try #require(result.findings.first { $0.code == "PTE_TAMPER" }))
        #expect(tamper["pteBefore"] == "rw-" && tamper["pteAfter"] == "rwx")
        #expect(tamper["pteValue"] == tamper["after"], "pteValue is the entry after the edit")
        #expect(tamper["slat"] == "rw-")
        #expect(tamper["decision"]?.hasPrefix("granted by the page table (the edit is stored, PTE rw- -> rwx), not by the SLAT") == true)
        #expect(trace.contains("  PTE          rwx (NX clear)   before rw- -> after rwx"))
        // Then the page is used: the PTE allows execute, the SLAT does not.
        let use = details(try #require(result.findings.first { $0.code == "DATA_EXECUTION" }))
        #expect(use["pteAfter"] == "rwx" && use["slat"] == "rw-" && use["deniedBy"] == "slat")
        #expect(use["decision"] == "denied by the SLAT: the CI verifier never granted execute to this frame (the PTE allows execute)")
    }

    @Test func cr0WPClearedLeavesOnlyTheSLAT() throws {
        let (result, _) = try run("cr0-wp-patch")
        let d = details(try #require(result.findings.first { $0.code == "CODE_PAGE_WRITE" }))
        #expect(d["pteAfter"] == "r-x" && d["slat"] == "r-x" && d["deniedBy"] == "slat")
        #expect(d["decision"]?.hasSuffix("(the PTE is read-only but CR0.WP was clear)") == true)
        // HVCI off: both levels let the write through.
        let (legacy, trace) = try run("cr0-wp-patch", hvci: false)
        let bypass = details(try #require(legacy.findings.first { $0.code == "CR0_WP_BYPASS" }))
        #expect(bypass["slat"] == "rwx" && bypass["pteAfter"] == "r-x" && bypass["frame"] != "none")
        #expect(bypass["decision"]?.hasPrefix("granted: the PTE is read-only but CR0.WP was clear") == true)
        #expect(trace.contains("  SLAT         rwx   (HVCI off: the SLAT grants everything)"))
    }
}
