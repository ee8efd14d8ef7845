/// Reads the StringFileInfo strings (CompanyName, FileVersion, …) of the
/// RT_VERSION resource. Tools use them to name a driver; the loader ignores
/// them, so `PEFile` treats damage here as "no version strings".
struct VersionResourceParser {
    let image: PEFile
    private static let rtVersion: UInt32 = 16
    private static let maxNodes = 512

    func parse() throws -> [String: String] {
        let dir = image.optionalHeader.directory(.resource)
        guard dir.isPresent else { return [:] }
        let root = try image.fileOffset(ofRVA: UInt64(dir.rva), size: 16, field: "resource directory",
                                        referencedAt: image.dataDirectoryOffset + 8 * DirectoryIndex.resource.rawValue)
        // Type → name → language: follow the first entry below RT_VERSION.
        guard let typeDir = try child(of: root, base: root, matching: Self.rtVersion),
              let nameDir = try child(of: typeDir, base: root, matching: nil),
              let dataEntry = try child(of: nameDir, base: root, matching: nil) else { return [:] }
        let r = image.reader
        let dataRVA = try r.u32("version resource data RVA", at: dataEntry)
        let size = Int(try r.u32("version resource data size", at: dataEntry + 4))
        let start = try image.fileOffset(ofRVA: UInt64(dataRVA), size: size, field: "version resource", referencedAt: dataEntry)
        var strings: [String: String] = [:]
        var budget = Self.maxNodes
        try walk(start, end: start + size, level: 0, into: &strings, budget: &budget)
        return strings
    }

    /// Offset of the entry below directory `dir` with integer id `id` (or the first entry
    /// when `id` is nil); a subdirectory offset, or a data-entry offset at the last level.
    private func child(of dir: Int, base: Int, matching id: UInt32?) throws -> Int? {
        let r = image.reader
        let named = Int(try r.u16("resource directory NumberOfNamedEntries", at: dir + 12))
        let ids = Int(try r.u16("resource directory NumberOfIdEntries", at: dir + 14))
        for i in 0..<min(named + ids, Self.maxNodes) {
            let e = dir + 16 + 8 * i
            let name = try r.u32("resource entry Name", at: e)
            let target = try r.u32("resource entry OffsetToData", at: e + 4)
            if let id, name != id { continue }
            return base + Int(target & 0x7FFF_FFFF)
        }
        return nil
    }

    /// Walks VS_VERSIONINFO-style nodes {wLength, wValueLength, wType, key, pad, value, pad, children}:
    /// level 0 VS_VERSION_INFO, 1 StringFileInfo, 2 a StringTable per language, 3 the strings.
    private func walk(_ start: Int, end: Int, level: Int, into strings: inout [String: String], budget: inout Int) throws {
        var at = start
        let r = image.reader
        while at + 6 <= end, budget > 0 {
            budget -= 1
            let length = Int(try r.u16("version node wLength", at: at))
            guard length >= 6, at + length <= end else { return }
            let valueLength = Int(try r.u16("version node wValueLength", at: at + 2))
            let (key, keyEnd) = try utf16(at: at + 6, limit: at + length)
            let valueStart = align4(keyEnd)
            switch level {
            case 0 where key == "VS_VERSION_INFO":
                try walk(align4(valueStart + valueLength), end: at + length, level: 1, into: &strings, budget: &budget)
            case 1 where key == "StringFileInfo", 2:
                try walk(valueStart, end: at + length, level: level + 1, into: &strings, budget: &budget)
            case 3:
                let (value, _) = try utf16(at: valueStart, limit: min(at + length, valueStart + 2 * valueLength))
                strings[key] = value
            default:
                break
            }
            at = align4(at + length)
        }
    }

    private func utf16(at offset: Int, limit: Int) throws -> (String, Int) {
        var units: [UInt16] = []
        var at = offset
        while at + 2 <= limit {
            let unit = try image.reader.u16("version string", at: at)
            at += 2
            if unit == 0 { break }
            units.append(unit)
        }
        return (String(decoding: units, as: UTF16.self), at)
    }

    private func align4(_ value: Int) -> Int { (value + 3) & ~3 }
}
