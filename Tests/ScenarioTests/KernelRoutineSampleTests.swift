import Events
import Foundation
import Memory
import PEImage
import Scenario
import Testing

/// The two samples that patch their code through the kernel's own copy routines
/// (Samples/designed.json): with HVCI the write is refused at the driver's call and the
/// finding names the routine; without HVCI the patch works, as on legacy Windows.
struct KernelRoutineSampleTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var sample: String
        var routine: String
        /// The owner of the written address (the code itself, or the MDL alias of it).
        var owner: String
        var testDescription: String { sample }
    }

    static let cases = [
        Case(sample: "kernel-memcpy-patch", routine: "ntoskrnl.exe!memcpy", owner: "kernel-memcpy-patch.sys!.text"),
        Case(sample: "mdl-alias-rtlcopy", routine: "ntoskrnl.exe!RtlCopyMemory", owner: "MDL mapping"),
    ]

    func run(_ name: String, hvci: Bool, mode: Enforcement = .audit) throws -> RunResult {
        let bytes = [UInt8](try Data(contentsOf: SampleRunTests.samples.appendingPathComponent("\(name).sys")))
        return DriverRunner.run(try PEFile(bytes: bytes), name: "\(name).sys", options: RunOptions(hvci: hvci, enforcement: mode))
    }

    @Test(arguments: cases)
    func hvciRefusesTheRoutinesWriteAtTheDriversCall(_ c: Case) throws {
        let result = try run(c.sample, hvci: true)
        let entry = try #require(result.entryPoints.first)
        #expect(entry.status == SampleRunTests.noEffect)
        #expect(result.debugOutput.joined().contains("ReturnsOne() = 1"))
        let write = try #require(entry.findings.first { $0.code == "CODE_PAGE_WRITE" })
        #expect(write.details.first { $0.key == "function" }?.value == c.routine)
        #expect(write.details.first { $0.key == "owner" }?.value.contains(c.owner) == true)
        #expect(write.details.first { $0.key == "slat" }?.value == "r-x")
        // The site is the driver's call: the return address the routine was called with.
        let call = try #require(entry.calls.first { $0.function == c.routine })
        #expect(write.site?.address == call.site)
        #expect(write.site?.symbol.hasPrefix("\(c.sample).sys!.text+") == true)
        let parameters = try #require(write.bugCheck?.parameters)
        #expect(write.bugCheck?.code == 0xBE)
        #expect(parameters[0] == write.details.first { $0.key == "target" }?.value)
        #expect(parameters[1] != "0x0", "p2 is the PTE of the written address")
        #expect(parameters[2...] == ["0x0", "0x0"])
    }

    @Test(arguments: cases)
    func enforceStopsAtTheCallWithTheSameParameters(_ c: Case) throws {
        let result = try run(c.sample, hvci: true, mode: .enforce)
        let entry = try #require(result.entryPoints.first)
        guard case .bugCheck(let code, let parameters) = entry.outcome else {
            Issue.record("\(c.sample): \(entry.outcome)")
            return
        }
        #expect(code == 0xBE)
        let write = try #require(entry.findings.first { $0.code == "CODE_PAGE_WRITE" })
        #expect(parameters.map { "0x" + String($0, radix: 16) } == write.bugCheck?.parameters)
        #expect(entry.findings.filter { $0.severity == .error && !SampleRunTests.controlRegisterCodes.contains($0.code) }
                    .map(\.code) == (c.sample == "mdl-alias-rtlcopy" ? ["WRITABLE_CODE_ALIAS", "CODE_PAGE_WRITE"] : ["CODE_PAGE_WRITE"]))
        #expect(result.debugOutput.isEmpty, "nothing runs after the stop")
    }

    @Test(arguments: cases)
    func withoutHVCIThePatchTakesEffect(_ c: Case) throws {
        let result = try run(c.sample, hvci: false)
        #expect(result.entryPoints.first?.status == SampleRunTests.tookEffect)
        // The sample's own DbgPrint of the patched function's result.
        #expect(result.debugOutput.joined().contains("ReturnsOne() = 2"))
        #expect(!result.findings.contains { $0.code == "CODE_PAGE_WRITE" })
        if c.sample == "kernel-memcpy-patch" {
            // CR0.WP cleared let the kernel's copy through the read-only PTE, as it would the driver's store.
            let bypass = try #require(result.findings.first { $0.code == "CR0_WP_BYPASS" })
            #expect(bypass.details.first { $0.key == "function" }?.value == c.routine)
        }
    }
}
