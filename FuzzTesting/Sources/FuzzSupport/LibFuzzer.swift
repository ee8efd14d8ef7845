import DriverMutation
#if canImport(Glibc)
import Glibc
#endif
/// libFuzzer's byte mutator, for the custom mutator's fallback (provided by -sanitize=fuzzer).
@_silgen_name("LLVMFuzzerMutate")
func LLVMFuzzerMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int) -> Int

/// The custom mutator both targets install: DriverMutator's structure-aware edits (which never
/// change the size), or libFuzzer's byte mutations in place. Returns the new size.
public func mutateDriver(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard DriverMutator.mutate(&bytes, seed: seed), bytes.count == size else {
        return LLVMFuzzerMutate(data, size, maxSize)
    }
    bytes.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: size) }
    return size
}

/// libFuzzer's entry for programs that have a `main` of their own (SwiftPM links every
/// executable target's main under `<Module>_main`, so libFuzzer's `main` cannot be used).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// Runs libFuzzer with this process's command line and `callback` as the target.
public func runFuzzer(_ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, callback))
}
