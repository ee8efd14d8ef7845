import Foundation
import CPU
import Kernel
import Memory
import PEImage
@testable import Scenario
import Testing

/// A run's machine (Unicorn engine, memory model, kernel model) is freed when
/// the run ends: hooks and callbacks capture each other, and without
/// `Session.close()` the whole machine leaked — twice with `--hvci both`, and
/// still resident while the report was rendered.
@Suite struct SessionLifetimeTests {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Samples/bin")

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The Samples, and two inputs FuzzRun grew from kmdf-sample.sys (29 and 52 bytes changed)
    /// whose framework callbacks end in a bug check — 0xC4 in EvtDevicePrepareHardware, 0x50 in
    /// EvtDriverDeviceAdd — so the callback's continuation stayed in the kernel's state, a cycle
    /// that leaked the whole machine per run (found as FuzzRun's resident memory growing ~1 GiB).
    @Test(arguments: ["compliant", "pool-exec", "kmdf-sample"].map { samples.appendingPathComponent("\($0).sys") }
                     + ["kmdf-bugcheck-in-prepare-hardware", "kmdf-bugcheck-in-device-add"].map { fixtures.appendingPathComponent("\($0).sys") })
    func machineIsFreedWhenTheRunEnds(driver: URL) throws {
        let sample = driver.deletingPathExtension().lastPathComponent
        let bytes = [UInt8](try Data(contentsOf: driver))
        let file = try PEFile(bytes: bytes)
        weak var engine: Engine?
        weak var memory: MemoryModel?
        weak var kernel: Kernel?
        do {
            var result = RunResult(hvci: true, enforcement: .audit, loadFailure: nil, imageBase: nil,
                                   entryPoints: [], debugOutput: [], fallbacks: [:])
            let session = try #require(DriverRunner.runSession(file, name: "\(sample).sys",
                                                               options: RunOptions(hvci: true), into: &result))
            #expect(!result.entryPoints.isEmpty, "the sample ran")
            engine = session.engine
            memory = session.memory
            kernel = session.kernel
            #expect(engine != nil)
        }
        #expect(engine == nil, "the engine outlived its session")
        #expect(memory == nil, "the memory model outlived its session")
        #expect(kernel == nil, "the kernel model outlived its session")
    }
}
