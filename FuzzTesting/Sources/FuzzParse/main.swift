import Events
import FuzzSupport
import PEImage
import StaticChecks

/// Parse + static checks: whatever the bytes, PEFile either parses or throws a typed error,
/// and the checks of a parsed image return findings; a trap is a bug.
func fuzzParse(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let file = try? PEFile(bytes: bytes) else { return 0 }
    let findings = CodeIntegrityChecks.run(on: file, fileName: "fuzz.sys")
    _ = Verdict(findings: findings)
    _ = file.importAddressTablesInCode
    return 0
}

@_cdecl("LLVMFuzzerCustomMutator")
public func customMutator(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    mutateDriver(data, size, maxSize, seed)
}

runFuzzer { data, size in fuzzParse(data, size) }
