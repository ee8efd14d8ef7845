import Events
import Foundation
import Kernel
import Memory
import PEImage
import Scenario
import Testing

/// The machine issue's acceptance, on the built Samples: each hardware-level
/// violation yields its designed event with HVCI on, and legacy behaviour with
/// HVCI off (the sample's return value says whether the patch or the copied
/// code really took effect: 0 took effect, 0xC0000001 had no effect).
struct SampleRunTests {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Samples/bin")
    static let tookEffect: UInt32 = 0
    static let noEffect: UInt32 = 0xC000_0001

    func run(_ name: String, hvci: Bool, mode: Enforcement = .audit) throws -> RunResult {
        let bytes = [UInt8](try Data(contentsOf: Self.samples.appendingPathComponent("\(name).sys")))
        return DriverRunner.run(try PEFile(bytes: bytes), name: "\(name).sys", options: RunOptions(hvci: hvci, enforcement: mode))
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var sample: String
        /// The event HVCI on must produce, and the bug check it carries.
        var code: String
        var bugCheck: UInt32
        /// What the target of the access belongs to (substring of the owner text).
        var owner: String
        /// DriverEntry's status with HVCI off (legacy Windows).
        var legacyStatus: UInt32
        var testDescription: String { sample }
    }

    static let hardwareCases = [
        Case(sample: "code-write", code: "CODE_PAGE_WRITE", bugCheck: 0xBE, owner: "code-write.sys!.text", legacyStatus: noEffect),
        Case(sample: "pool-exec", code: "DATA_EXECUTION", bugCheck: 0xFC, owner: "pool 'Hvci'", legacyStatus: noEffect),
        Case(sample: "cr0-wp-patch", code: "CODE_PAGE_WRITE", bugCheck: 0xBE, owner: "cr0-wp-patch.sys!.text", legacyStatus: tookEffect),
        Case(sample: "mdl-alias-patch", code: "CODE_PAGE_WRITE", bugCheck: 0xBE, owner: "MDL mapping", legacyStatus: tookEffect),
        Case(sample: "pte-nx-clear", code: "DATA_EXECUTION", bugCheck: 0xFC, owner: "pool 'Hvci'", legacyStatus: tookEffect),
    ]

    @Test(arguments: hardwareCases)
    func hvciOnYieldsTheDesignedEventWithCallSiteAndOwner(_ c: Case) throws {
        let result = try run(c.sample, hvci: true)
        let entry = try #require(result.entryPoints.first)
        #expect(entry.name == "DriverEntry")
        // Denied: whatever the driver tried did not take effect.
        #expect(entry.status == Self.noEffect)
        let event = try #require(entry.findings.first { $0.code == c.code })
        #expect(event.bugCheck?.code == c.bugCheck)
        #expect(event.severity == .error && event.phase == .runtime)
        let owner = try #require(event.details.first { $0.key == "owner" }?.value)
        #expect(owner.contains(c.owner), "owner \(owner)")
        #expect(event.details.first { $0.key == "hvci" }?.value == "on")
        // The call site is in the driver (or, for executed data, the stack leads back into it).
        let site = try #require(event.site)
        let inDriver = site.symbol.hasPrefix("\(c.sample).sys!.text+") || event.stack.contains { $0.symbol.contains("DriverEntry") }
        #expect(inDriver, "site \(site.symbol)")
        #expect(event.instruction?.isEmpty == false)
    }

    @Test(arguments: hardwareCases)
    func hvciOffBehavesAsLegacyWindows(_ c: Case) throws {
        let result = try run(c.sample, hvci: false)
        let entry = try #require(result.entryPoints.first)
        #expect(entry.status == c.legacyStatus)
        if c.legacyStatus == Self.tookEffect {
            // The driver observed its patched code / its copied code really ran.
            let output = result.debugOutput.joined()
            #expect(output.contains("= 2") || output.contains("0x1234"), "\(output)")
        }
    }

    @Test func pteEditIsReportedAtTheStoreThatMadeIt() throws {
        let result = try run("pte-nx-clear", hvci: true)
        let tamper = try #require(result.findings.first { $0.code == "PTE_TAMPER" })
        #expect(tamper.instruction == "mov qword ptr [rsi], rax")
        #expect(tamper.details.first { $0.key == "slat" }?.value == "rw-")
    }

    @Test(arguments: [true, false])
    func compliantSampleRunsCleanly(hvci: Bool) throws {
        let result = try run("compliant", hvci: hvci)
        #expect(result.loadFailure == nil)
        #expect(result.entryPoints.map(\.name) == ["DriverEntry", "IRP_MJ_CREATE", "IRP_MJ_DEVICE_CONTROL 0x80002000",
                                                   "IRP_MJ_CLOSE", "DriverUnload"])
        #expect(result.entryPoints.allSatisfy { $0.status == NTStatus.success })
        #expect(result.entryPoints.first?.status == NTStatus.success)
        #expect(result.findings.isEmpty)
        #expect(result.fallbacks.isEmpty)
    }

    @Test func givenIoctlReachesTheDispatchRoutineWithItsInput() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.samples.appendingPathComponent("compliant.sys")))
        var options = RunOptions(hvci: true)
        options.ioctls = [IoctlRequest(code: 0x8000_2000, input: [41, 0, 0, 0])]
        options.discoverIoctls = false
        let result = DriverRunner.run(try PEFile(bytes: bytes), name: "compliant.sys", options: options)
        let ioctl = try #require(result.entryPoints.first { $0.name == "IRP_MJ_DEVICE_CONTROL 0x80002000" })
        #expect(ioctl.status == NTStatus.success)
        // The sample turns n into n + 1 (METHOD_BUFFERED, Information = 4).
        #expect(ioctl.notes.contains("IoStatus.Status STATUS_SUCCESS, Information 4"))
        #expect(ioctl.notes.contains("output 2a000000"))
        let unknown = DriverRunner.run(try PEFile(bytes: bytes), name: "compliant.sys", options: {
            var o = options
            o.ioctls = [IoctlRequest(code: 0x8000_2004)]
            return o
        }())
        #expect(unknown.entryPoints.first { $0.name.hasPrefix("IRP_MJ_DEVICE_CONTROL") }?.status == NTStatus.invalidDeviceRequest)
    }

    /// The PTE edit is not a fault (the page tables are the kernel's): enforce goes on past it and
    /// stops where Windows stops, at the use of the page (executing it: 0xFC).
    @Test func enforceStopsAtTheUseOfTheTamperedPageNotAtThePTEEdit() throws {
        let audit = try run("pte-nx-clear", hvci: true, mode: .audit)
        let enforce = try run("pte-nx-clear", hvci: true, mode: .enforce)
        #expect(audit.findings.map(\.code) == ["PTE_TAMPER", "DATA_EXECUTION"])
        #expect(enforce.findings.map(\.code) == ["PTE_TAMPER", "DATA_EXECUTION"])
        let tamper = try #require(enforce.findings.first)
        #expect(tamper.severity == .warning && tamper.bugCheck == nil)
        let execution = try #require(enforce.findings.last)
        guard case .bugCheck(let code, let parameters)? = enforce.entryPoints.first?.outcome else {
            Issue.record("enforce did not stop: \(String(describing: enforce.entryPoints.first?.outcome))")
            return
        }
        #expect(code == 0xFC)
        #expect(parameters.map { "0x" + String($0, radix: 16) } == execution.bugCheck?.parameters)
        #expect(enforce.entryPoints.count == 1)
    }

    @Test(arguments: [true, false])
    func pteTamperIsAWarningWithTheEntryBeforeAndAfter(hvci: Bool) throws {
        let result = try run("pte-nx-clear", hvci: hvci)
        let tamper = try #require(result.findings.first { $0.code == "PTE_TAMPER" })
        #expect(tamper.severity == .warning)
        #expect(tamper.bugCheck == nil)
        let before = try #require(tamper.details.first { $0.key == "before" }.flatMap { UInt64($0.value.dropFirst(2), radix: 16) })
        let after = try #require(tamper.details.first { $0.key == "after" }.flatMap { UInt64($0.value.dropFirst(2), radix: 16) })
        // The sample clears NX (bit 63) and changes nothing else.
        #expect(before & (1 << 63) != 0 && after == before & ~(1 << 63))
    }

    @Test(arguments: ["code-write", "pool-exec", "cr0-wp-patch", "pte-nx-clear", "nonpaged-pool", "zwalloc-rwx"])
    func enforceEndsTheEntryPointWithABugCheck(_ sample: String) throws {
        let result = try run(sample, hvci: true, mode: .enforce)
        guard case .bugCheck = result.entryPoints.first?.outcome else {
            Issue.record("\(sample): \(String(describing: result.entryPoints.first?.outcome))")
            return
        }
        // One violation stopped it; control-register changes are observations made at the stop,
        // and a PTE edit is a warning on the way.
        #expect(result.findings.filter { !Self.controlRegisterCodes.contains($0.code) && $0.severity == .error }.count == 1)
    }

    /// 0xBE and 0xFC as Windows fills them: p1 the address, p2 its PTE, p3/p4 reserved (zero);
    /// the enforce outcome carries the same parameters as the finding that stopped the run.
    @Test(arguments: ["code-write", "pool-exec", "cr0-wp-patch", "mdl-alias-patch", "pte-nx-clear"])
    func hardwareBugChecksCarryTheAddressAndThePTE(_ sample: String) throws {
        let result = try run(sample, hvci: true, mode: .enforce)
        guard case .bugCheck(let code, let parameters)? = result.entryPoints.first?.outcome else {
            Issue.record("\(sample): \(String(describing: result.entryPoints.first?.outcome))")
            return
        }
        let stop = try #require(result.findings.last { $0.bugCheck?.code == code })
        #expect(parameters.map { "0x" + String($0, radix: 16) } == stop.bugCheck?.parameters)
        #expect(stop.details.first { $0.key == "target" }?.value == stop.bugCheck?.parameters.first)
        #expect(parameters.count == 4 && parameters[1] & 1 == 1, "p2 is a present PTE")
        #expect(parameters[2] == 0 && parameters[3] == 0)
    }

    static let controlRegisterCodes: Set = ["CR0_WP_CLEARED", "CR4_SMEP_CLEARED", "LSTAR_WRITE"]

    @Test(arguments: [true, false])
    func clearingCR0WriteProtectIsReportedEitherWay(hvci: Bool) throws {
        let result = try run("cr0-wp-patch", hvci: hvci)
        let cleared = try #require(result.findings.first { $0.code == "CR0_WP_CLEARED" })
        #expect(cleared.site?.symbol.hasPrefix("cr0-wp-patch.sys!.text+") == true)
        #expect(try run("compliant", hvci: hvci).findings.isEmpty)
    }

    /// The KMDF sample: framework calls reach its callbacks through the entry paths, and its one
    /// designed finding (WdfMemoryCreate with NonPagedPool, in EvtDevicePrepareHardware) is reported.
    @Test(arguments: [true, false])
    func kmdfSampleRunsItsCallbacksAndYieldsItsDesignedFinding(hvci: Bool) throws {
        let result = try run("kmdf-sample", hvci: hvci)
        #expect(result.entryPoints.map(\.name) == [
            "DriverEntry", "AddDevice", "IRP_MJ_PNP/IRP_MN_START_DEVICE", "IRP_MJ_CREATE",
            "IRP_MJ_DEVICE_CONTROL 0x80002004", "IRP_MJ_READ", "IRP_MJ_WRITE", "IRP_MJ_CLEANUP", "IRP_MJ_CLOSE",
            "DriverUnload",
        ])
        #expect(result.entryPoints.allSatisfy { $0.status == NTStatus.success })
        #expect(result.findings.map(\.code) == ["0x2000"])
        #expect(result.findings.first?.details.first { $0.key == "function" }?.value.contains("WdfMemoryCreate") == true)
        #expect(result.fallbacks.isEmpty)
    }

    @Test func sehProbeTakesEveryExceptPath() throws {
        for hvci in [true, false] {
            let result = try run("seh-probe", hvci: hvci)
            #expect(result.entryPoints.first?.status == NTStatus.success)
            #expect(result.debugOutput.count == 5)
            #expect(result.findings.isEmpty)
        }
    }

    @Test func sehFinallyRunsTerminationHandlersDuringTheUnwind() throws {
        for hvci in [true, false] {
            let result = try run("seh-finally", hvci: hvci)
            // 0xE0000001: the unwind ran no (or the wrong) __finally blocks.
            #expect(result.entryPoints.first?.status == NTStatus.success)
            #expect(result.debugOutput.count == 7)
            #expect(result.findings.isEmpty)
        }
    }

    @Test func hvciRefusesWritableExecutableImageButLegacyLoadsIt() throws {
        #expect(try run("rwx-section", hvci: true).loadFailure?.contains("0x2003") == true)
        #expect(try run("rwx-section", hvci: false).loadFailure == nil)
        #expect(try run("init-rwx", hvci: true).loadFailure == nil)
    }

    @Test func runtimeDriverVerifierChecksCarryTheCallSite() throws {
        let cases: [(String, String)] = [("nonpaged-pool", "0x2000"), ("pool2-execute", "0x2000"), ("lookaside-exec", "0x2000"),
                                         ("mdl-exec-mapping", "0x2002"), ("zwalloc-rwx", "0x2001"), ("mdl-protect-exec", "0x2001")]
        for (sample, code) in cases {
            let result = try run(sample, hvci: true)
            let finding = try #require(result.findings.first { $0.code == code }, "\(sample)")
            #expect(finding.bugCheck?.code == 0xC4)
            #expect(finding.bugCheck?.parameters.first == code)
            #expect(finding.site?.symbol.hasPrefix("\(sample).sys!.text+") == true, "\(sample): \(String(describing: finding.site))")
            #expect(finding.bugCheck?.parameters[1] == "0x" + String(finding.site?.address ?? 0, radix: 16))
        }
    }

    @Test func hvciAwareSampleSeesTheCodeIntegrityOptions() throws {
        #expect(try run("hvci-aware", hvci: true).findings.isEmpty)
        #expect(try run("hvci-aware", hvci: false).findings.map(\.code) == ["0x2000"])
    }

    @Test func wallClockTimeoutEndsALongRunWithThatOutcome() throws {
        let crcLoop = Self.samples.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Benchmarks/machine/crc-loop.sys")
        var limits = Limits()
        limits.maxInstructions = 0
        limits.timeoutSeconds = 0.3
        let started = Date()
        let result = DriverRunner.run(try PEFile(bytes: [UInt8](try Data(contentsOf: crcLoop))), name: "crc-loop.sys",
                                      options: RunOptions(hvci: true, limits: limits))
        #expect(result.entryPoints.first?.outcome == .timeout(0.3))
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test func instructionBudgetEndsARunWithThatOutcome() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.samples.appendingPathComponent("compliant.sys")))
        var limits = Limits()
        limits.maxInstructions = 10
        let result = DriverRunner.run(try PEFile(bytes: bytes), name: "compliant.sys",
                                      options: RunOptions(hvci: true, limits: limits))
        #expect(result.entryPoints.first?.outcome == .instructionLimit(10))
    }
}
