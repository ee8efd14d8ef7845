import Events
import Foundation
import Kernel
import PEImage
import Scenario
import Testing

/// When a run may decide a verdict, and when it is `inconclusive` (issue: "an honest
/// verdict"): real runs of the Samples with limits, forced model gaps and a wrong machine.
struct VerdictTests {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Samples/bin")

    func sample(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Self.samples.appendingPathComponent("\(name).sys")))
    }

    func run(_ bytes: [UInt8], hvci: Bool = true, verifier: Bool = true, configure: (inout RunOptions) -> Void = { _ in }) throws -> RunResult {
        var options = RunOptions(hvci: hvci)
        options.verifier = verifier
        configure(&options)
        return DriverRunner.run(try PEFile(bytes: bytes), name: "sample.sys", options: options)
    }

    @Test func aCompleteCleanRunDecides() throws {
        let result = try run(try sample("compliant"))
        #expect(result.inconclusiveReason == nil)
        #expect(result.verdict == .compatible)
        #expect(result.coverage.found == result.coverage.completed)
        #expect(result.coverage.found >= 5)
    }

    @Test func instructionLimitInDriverEntryIsInconclusive() throws {
        let result = try run(try sample("compliant")) { $0.limits.maxInstructions = 5 }
        #expect(result.entryPoints.first?.outcome.kind == "instruction-limit")
        #expect(result.verdict == .inconclusive)
        #expect(result.inconclusiveReason?.contains("instruction limit") == true)
        #expect(result.coverage.entries.first?.state == .stopped)
    }

    @Test func kernelCallLimitInDriverEntryIsInconclusive() throws {
        let result = try run(try sample("compliant")) { $0.limits.kernelCalls = 2 }
        #expect(result.verdict == .inconclusive)
        #expect(result.inconclusiveReason?.contains("kernel-call limit") == true)
    }

    @Test func timeoutInDriverEntryIsInconclusive() throws {
        // crc-loop-like work is not in the Samples; a 1 µs deadline stops any DriverEntry.
        let result = try run(try sample("compliant")) { $0.limits.timeoutSeconds = 0.000_001 }
        if case .timeout = result.entryPoints.first?.outcome {
            #expect(result.verdict == .inconclusive)
            #expect(result.inconclusiveReason?.contains("timeout") == true)
        } else {
            // The deadline can lose the race against an 83-instruction DriverEntry; then it completed.
            #expect(result.entryPoints.first?.outcome.kind == "returned")
        }
    }

    @Test func aRoutineParkedAfterDriverEntryDoesNotMakeTheVerdictInconclusive() throws {
        var result = try run(try sample("compliant"))
        result.entryPoints.append(EntryPointResult(name: "SystemThread 0x1000", address: 0x1000,
                                                   outcome: .parked("it let 60.1 s of emulated time pass"), instructions: 10,
                                                   kernelCalls: 61, calls: [], findings: []))
        #expect(result.inconclusiveReason == nil)
        #expect(result.verdict == .compatible)
        result.entryPoints[0].outcome = .parked("20000 kernel calls in a row repeated earlier ones")
        #expect(result.verdict == .inconclusive)
        #expect(result.inconclusiveReason == "DriverEntry parked: 20000 kernel calls in a row repeated earlier ones")
        #expect(result.entryPoints[0].outcome.kind == "parked")
    }

    @Test func aDriversOwnCrashIsInconclusiveNotIncompatible() throws {
        // code-write stores into its own .text: the read-only PTE stops it on any Windows.
        let result = try run(try sample("code-write"))
        #expect(result.findings.contains { $0.code == "CODE_PAGE_WRITE" && $0.authority == .processor })
        #expect(result.verdict == .inconclusive)
        #expect(result.inconclusiveReason?.contains("driver's own fault") == true)
    }

    @Test func anHVCIRefusalDecidesEvenWhenTheRunStopsThere() throws {
        // Enforce mode: DataExecution after clearing NX in the PTE stops DriverEntry with 0xFC; the
        // stop is the hypervisor's, so the run is incompatible rather than inconclusive.
        let result = try run(try sample("pte-nx-clear")) { $0.enforcement = .enforce }
        #expect(result.entryPoints.first?.outcome.kind == "bug-check")
        #expect(result.inconclusiveReason == nil)
        #expect(result.verdict == .incompatible)
    }

    @Test func anImageOfAnotherMachineIsNotRun() throws {
        var bytes = try sample("compliant")
        let peOffset = Int(bytes[0x3C]) | Int(bytes[0x3D]) << 8
        bytes[peOffset + 4] = 0x4C; bytes[peOffset + 5] = 0x01  // IMAGE_FILE_MACHINE_I386
        let result = try run(bytes)
        #expect(result.loadFailureKind == .unsupportedMachine)
        #expect(result.verdict == .inconclusive)
        #expect(result.inconclusiveReason?.hasPrefix("not run:") == true)
    }

    @Test func aCodeIntegrityRefusalIsNotInconclusive() throws {
        let result = try run(try sample("rwx-section"))
        #expect(result.loadFailureKind == .codeIntegrity)
        #expect(result.inconclusiveReason == nil)
    }

    @Test func verifierOffLetsTheAllocationSucceedAndHVCIStillDecidesAtUse() throws {
        let on = try run(try sample("nonpaged-pool"), verifier: true)
        let off = try run(try sample("nonpaged-pool"), verifier: false)
        #expect(on.findings.map(\.code) == ["0x2000"])
        #expect(on.verdict == .incompatible)
        #expect(off.findings.isEmpty)
        #expect(off.entryPoints.first?.status == NTStatus.success)
        #expect(off.verdict == .compatible)
    }

    @Test func enforceStopCarriesTheFindingsBugCheckParameters() throws {
        let result = try run(try sample("nonpaged-pool")) { $0.enforcement = .enforce }
        let finding = try #require(result.findings.first { $0.code == "0x2000" })
        guard case let .bugCheck(code, parameters)? = result.entryPoints.first?.outcome else {
            Issue.record("DriverEntry did not stop with a bug check")
            return
        }
        #expect(code == 0xC4)
        #expect(parameters.map { "0x" + String($0, radix: 16) } == finding.bugCheck?.parameters)
        #expect(parameters[2] == 0)  // NonPagedPool
    }

    @Test func enforceWithTheVerifierOffDoesNotStopAtTheAllocation() throws {
        let result = try run(try sample("nonpaged-pool"), verifier: false) { $0.enforcement = .enforce }
        #expect(result.entryPoints.first?.status == NTStatus.success)
    }
}

/// The authority table behind `incompatible`, and the exit-status precedence.
struct AuthorityTests {
    func finding(_ code: String, phase: Phase = .runtime, severity: Severity = .error,
                 _ details: [(String, String)] = []) -> Finding {
        Finding(code: code, title: "", severity: severity, phase: phase, fix: "",
                details: details.map { (key: $0.0, value: $0.1) })
    }

    @Test func whoRaisesWhat() {
        #expect(finding("0x2003", phase: .static).authority == .codeIntegrity)
        #expect(finding("NX_COMPAT_MISSING", phase: .static, severity: .note).authority == .advisory)
        #expect(finding("0x2000").authority == .driverVerifier)
        #expect(finding("CODE_PAGE_WRITE", [("deniedBy", "slat")]).authority == .hypervisor)
        #expect(finding("CODE_PAGE_WRITE", [("deniedBy", "pageTable")]).authority == .processor)
        #expect(finding("INVALID_ACCESS", [("deniedBy", "notMapped")]).authority == .processor)
        #expect(finding("LSTAR_WRITE", [("hvci", "on")]).authority == .hypervisor)
        #expect(finding("LSTAR_WRITE", [("hvci", "off")]).authority == .advisory)
        #expect(finding("OB_OVER_DEREFERENCE").authority == .advisory)
        #expect(!finding("OB_OVER_DEREFERENCE").decidesIncompatibility)
        #expect(finding("DATA_EXECUTION", [("deniedBy", "slat")]).decidesIncompatibility)
    }

    @Test func verdictFromFindings() {
        #expect(Verdict(findings: []) == .compatible)
        #expect(Verdict(findings: [finding("INVALID_ACCESS", [("deniedBy", "notMapped")])]) == .compatibleWithNotes)
        #expect(Verdict(findings: [finding("0x2001")], inconclusiveBecause: "limit") == .incompatible)
        #expect(Verdict(findings: [], inconclusiveBecause: "limit") == .inconclusive)
    }

    @Test func exitStatusPrecedenceIsTwoThenOneThenThreeThenZero() {
        #expect(Verdict.inconclusive.exitStatus == 3)
        #expect(Verdict.combinedExitStatus([0, 3, 1]) == 1)
        #expect(Verdict.combinedExitStatus([3, 0]) == 3)
        #expect(Verdict.combinedExitStatus([1, 2, 3]) == 2)
        #expect(Verdict.combinedExitStatus([]) == 0)
    }
}
