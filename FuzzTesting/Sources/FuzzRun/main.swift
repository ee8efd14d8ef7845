import FuzzSupport
import Kernel
import Loader
import Memory
import PEImage
import Scenario

/// Load + run in this process, with isolation off (a crash here is a finding): every input
/// that parses as an x64 image is loaded and its entry paths run under small limits, HVCI on,
/// the verifier on.
///
/// QEMU aborts the process on a few invalid encodings (docs/cpu-behaviour.md); `run` replaces
/// the ones on the image's known paths and its supervisor contains the rest. With no supervisor
/// here, the target keeps QEMU from ever translating one: the loader patches them at every
/// byte offset of the code (`.everyOffset`), and enforce mode keeps W^X, so no byte the guest
/// writes later is ever fetched (audit mode would run a denied fetch anyway).
func fuzzRun(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let file = try? PEFile(bytes: bytes), file.machine == .amd64 else { return 0 }
    var limits = Limits()
    limits.maxInstructions = 200_000
    limits.kernelCalls = 2_000
    limits.timeoutSeconds = 2
    limits.guestMemoryBytes = 64 << 20
    var options = RunOptions(hvci: true, enforcement: .enforce, limits: limits)
    options.codePatching = .everyOffset
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
