import FuzzSupport
import Kernel
import Memory
import PEImage
import Scenario

/// Load + run in this process, with isolation off (a crash here is a finding): every input
/// that parses as an x64 image is loaded and its entry paths run under small limits, HVCI on,
/// the verifier on, audit mode — the configuration with the most checks on the path.
func fuzzRun(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let file = try? PEFile(bytes: bytes), file.machine == .amd64 else { return 0 }
    var limits = Limits()
    limits.maxInstructions = 200_000
    limits.kernelCalls = 2_000
    limits.timeoutSeconds = 2
    limits.guestMemoryBytes = 64 << 20
    var options = RunOptions(hvci: true, enforcement: .audit, limits: limits)
    options.discoverIoctls = true
    let result = DriverRunner.run(file, name: "fuzz.sys", options: options)
    _ = result.verdict
    _ = result.coverage.completed
    return 0
}

@_cdecl("LLVMFuzzerCustomMutator")
public func customMutator(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    mutateDriver(data, size, maxSize, seed)
}

runFuzzer { data, size in fuzzRun(data, size) }
