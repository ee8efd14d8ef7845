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

    @Test(arguments: ["compliant", "pool-exec", "kmdf-sample"])
    func machineIsFreedWhenTheRunEnds(sample: String) throws {
        let bytes = [UInt8](try Data(contentsOf: Self.samples.appendingPathComponent("\(sample).sys")))
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
