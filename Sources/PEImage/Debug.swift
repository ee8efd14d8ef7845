/// One debug directory entry; CodeView entries carry the PDB path.
public struct DebugEntry: Sendable, Equatable {
    public var type: UInt32
    public var pdbPath: String?

    public static let codeView: UInt32 = 2
}

struct DebugParser {
    let image: PEFile

    func parse() throws -> [DebugEntry] {
        let dir = image.optionalHeader.directory(.debug)
        guard dir.isPresent else { return [] }
        let count = min(Int(dir.size / 28), PEFile.Limits.maxDebugEntries)
        let at = try image.fileOffset(ofRVA: UInt64(dir.rva), size: 28 * count, field: "debug directory",
                                      referencedAt: image.dataDirectoryOffset + 8 * DirectoryIndex.debug.rawValue)
        let r = image.reader
        var entries: [DebugEntry] = []
        for i in 0..<count {
            let e = at + 28 * i
            let type = try r.u32("debug entry Type", at: e + 12)
            var path: String?
            if type == DebugEntry.codeView {
                let size = Int(try r.u32("debug entry SizeOfData", at: e + 16))
                let pointer = Int(try r.u32("debug entry PointerToRawData", at: e + 24))
                // "RSDS", GUID (16), age (4), then the NUL-terminated path.
                if size > 24, try r.u32("CodeView signature", at: pointer) == 0x5344_5352 {
                    path = try r.cString("CodeView PDB path", at: pointer + 24, maxLength: min(size - 24, 4096))
                }
            }
            entries.append(DebugEntry(type: type, pdbPath: path))
        }
        return entries
    }
}

extension PEFile {
    /// The PDB path from the first CodeView debug entry.
    public var pdbPath: String? { debugInfo.lazy.compactMap(\.pdbPath).first }
}
