/// One x64 RUNTIME_FUNCTION entry of the exception directory (.pdata): the
/// code range of a function and its unwind information.
public struct RuntimeFunction: Sendable, Equatable {
    public var beginAddress: UInt32
    public var endAddress: UInt32
    public var unwindInfoAddress: UInt32
}

struct RuntimeFunctionParser {
    let image: PEFile

    /// Only x64 images are executed, so only their .pdata layout is parsed.
    func parse() throws -> [RuntimeFunction] {
        let dir = image.optionalHeader.directory(.exception)
        guard dir.isPresent, image.machine == .amd64 else { return [] }
        let referencedAt = image.dataDirectoryOffset + 8 * DirectoryIndex.exception.rawValue
        let count = Int(dir.size / 12)
        guard count <= PEFile.Limits.maxRuntimeFunctions else {
            throw PEError.invalidValue(field: "exception directory Size", offset: referencedAt + 4, value: UInt64(dir.size),
                                       reason: "more than \(PEFile.Limits.maxRuntimeFunctions) entries")
        }
        let at = try image.fileOffset(ofRVA: UInt64(dir.rva), size: 12 * count, field: "exception directory",
                                      referencedAt: referencedAt)
        let r = image.reader
        var functions: [RuntimeFunction] = []
        functions.reserveCapacity(count)
        for i in 0..<count {
            let e = at + 12 * i
            functions.append(RuntimeFunction(beginAddress: try r.u32("RUNTIME_FUNCTION.BeginAddress", at: e),
                                             endAddress: try r.u32("RUNTIME_FUNCTION.EndAddress", at: e + 4),
                                             unwindInfoAddress: try r.u32("RUNTIME_FUNCTION.UnwindInfoAddress", at: e + 8)))
        }
        return functions
    }
}

extension PEFile {
    /// The .pdata entry whose range holds `rva` (binary search; the table is sorted).
    public func runtimeFunction(containing rva: UInt32) -> RuntimeFunction? {
        var low = 0, high = runtimeFunctions.count
        while low < high {
            let mid = (low + high) / 2
            let f = runtimeFunctions[mid]
            if rva < f.beginAddress { high = mid } else if rva >= f.endAddress { low = mid + 1 } else { return f }
        }
        return nil
    }
}
