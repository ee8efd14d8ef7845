/// One block of the base relocation table: fixups for one 4 KiB page.
public struct RelocationBlock: Sendable, Equatable {
    public var pageRVA: UInt32
    public var entries: [Relocation]
}

/// One fixup: its type (IMAGE_REL_BASED_*) and offset within the page.
public struct Relocation: Sendable, Equatable {
    public var type: UInt8
    public var offset: UInt16

    public static let absolute: UInt8 = 0   // padding, no fixup
    public static let highLow: UInt8 = 3    // 32-bit VA
    public static let dir64: UInt8 = 10     // 64-bit VA
}

struct RelocationParser {
    let image: PEFile

    func parse() throws -> [RelocationBlock] {
        let dir = image.optionalHeader.directory(.baseRelocation)
        guard dir.isPresent else { return [] }
        let referencedAt = image.dataDirectoryOffset + 8 * DirectoryIndex.baseRelocation.rawValue
        let r = image.reader
        var blocks: [RelocationBlock] = []
        var consumed: UInt64 = 0
        while consumed + 8 <= UInt64(dir.size) {
            guard blocks.count < PEFile.Limits.maxRelocationBlocks else {
                throw PEError.inconsistent(field: "base relocation table", offset: referencedAt, reason: "too many blocks")
            }
            let at = try image.fileOffset(ofRVA: UInt64(dir.rva) + consumed, size: 8,
                                          field: "base relocation block \(blocks.count)", referencedAt: referencedAt)
            let pageRVA = try r.u32("base relocation block PageRVA", at: at)
            let blockSize = try r.u32("base relocation block SizeOfBlock", at: at + 4)
            guard blockSize >= 8, blockSize % 2 == 0, consumed + UInt64(blockSize) <= UInt64(dir.size) else {
                if blockSize == 0 && pageRVA == 0 { break } // zero padding after the last block
                throw PEError.invalidValue(field: "base relocation block SizeOfBlock", offset: at + 4, value: UInt64(blockSize),
                                           reason: "must be an even number ≥ 8 that stays inside the directory (size \(hex(dir.size)))")
            }
            let count = Int(blockSize - 8) / 2
            let entriesAt = try image.fileOffset(ofRVA: UInt64(dir.rva) + consumed + 8, size: 2 * count,
                                                 field: "base relocation entries", referencedAt: at)
            var entries: [Relocation] = []
            entries.reserveCapacity(count)
            for i in 0..<count {
                let raw = try r.u16("base relocation entry", at: entriesAt + 2 * i)
                entries.append(Relocation(type: UInt8(raw >> 12), offset: raw & 0x0FFF))
            }
            blocks.append(RelocationBlock(pageRVA: pageRVA, entries: entries))
            consumed += UInt64(blockSize)
        }
        return blocks
    }
}
