/// One exported symbol.
public struct ExportedFunction: Sendable, Equatable {
    public var name: String?
    public var ordinal: UInt32
    public var rva: UInt32
    /// "MODULE.Function" when the export forwards to another module.
    public var forwarder: String?
}

/// The export directory.
public struct ExportTable: Sendable, Equatable {
    public var moduleName: String
    /// The used slots of the export address table, in ordinal order; slots
    /// whose RVA is 0 (unused ordinals) are left out.
    public var functions: [ExportedFunction]
}

struct ExportParser {
    let image: PEFile

    func parse() throws -> ExportTable? {
        let dir = image.optionalHeader.directory(.export)
        guard dir.isPresent else { return nil }
        let r = image.reader
        let referencedAt = image.dataDirectoryOffset
        let at = try image.fileOffset(ofRVA: UInt64(dir.rva), size: 40, field: "export directory", referencedAt: referencedAt)
        let nameRVA = try r.u32("export directory Name", at: at + 12)
        let base = try r.u32("export directory Base", at: at + 16)
        let functionCount = Int(try r.u32("export directory NumberOfFunctions", at: at + 20))
        let nameCount = Int(try r.u32("export directory NumberOfNames", at: at + 24))
        let functionsRVA = try r.u32("export directory AddressOfFunctions", at: at + 28)
        let namesRVA = try r.u32("export directory AddressOfNames", at: at + 32)
        let ordinalsRVA = try r.u32("export directory AddressOfNameOrdinals", at: at + 36)
        guard functionCount <= PEFile.Limits.maxExports, nameCount <= functionCount || functionCount == 0 && nameCount == 0 else {
            throw PEError.invalidValue(field: "export directory NumberOfFunctions/NumberOfNames", offset: at + 20,
                                       value: UInt64(functionCount),
                                       reason: "more than \(PEFile.Limits.maxExports) functions, or more names than functions")
        }
        let moduleName = nameRVA == 0 ? "" :
            try image.cString(atRVA: UInt64(nameRVA), field: "export directory module name", referencedAt: at + 12)

        let functionsAt = try image.fileOffset(ofRVA: UInt64(functionsRVA), size: 4 * functionCount,
                                               field: "export address table", referencedAt: at + 28)
        var functions: [ExportedFunction] = []
        functions.reserveCapacity(functionCount)
        let dirEnd = UInt64(dir.rva) + UInt64(dir.size)
        for i in 0..<functionCount {
            let rva = try named("export address table entry \(i)") { try r.u32($0, at: functionsAt + 4 * i) }
            var forwarder: String?
            if rva != 0, UInt64(rva) >= UInt64(dir.rva), UInt64(rva) < dirEnd {
                forwarder = try named("export forwarder \(i)") {
                    try image.cString(atRVA: UInt64(rva), field: $0, referencedAt: functionsAt + 4 * i, maxLength: 512)
                }
            }
            functions.append(ExportedFunction(name: nil, ordinal: base &+ UInt32(i), rva: rva, forwarder: forwarder))
        }
        if nameCount > 0 {
            let namesAt = try image.fileOffset(ofRVA: UInt64(namesRVA), size: 4 * nameCount,
                                               field: "export name pointer table", referencedAt: at + 32)
            let ordinalsAt = try image.fileOffset(ofRVA: UInt64(ordinalsRVA), size: 2 * nameCount,
                                                  field: "export ordinal table", referencedAt: at + 36)
            for i in 0..<nameCount {
                let index = Int(try named("export ordinal table entry \(i)") { try r.u16($0, at: ordinalsAt + 2 * i) })
                guard index < functions.count else {
                    throw PEError.invalidValue(field: "export ordinal table entry \(i)", offset: ordinalsAt + 2 * i,
                                               value: UInt64(index), reason: "beyond NumberOfFunctions \(functionCount)")
                }
                let nameRVA = try named("export name pointer \(i)") { try r.u32($0, at: namesAt + 4 * i) }
                let name = try named("export name \(i)") {
                    try image.cString(atRVA: UInt64(nameRVA), field: $0, referencedAt: namesAt + 4 * i, maxLength: 1024)
                }
                functions[index].name = name
            }
        }
        // A slot whose RVA is 0 is an unused ordinal, not an export (the loader
        // and pefile skip it too). Dropped only now, after the name ordinals,
        // which index the full table, have been resolved.
        functions.removeAll { $0.rva == 0 }
        return ExportTable(moduleName: moduleName, functions: functions)
    }
}

/// Runs `read` with an empty field name, and only if that throws runs it
/// again with `field()`, so that the error names the field (the reads are
/// pure, so the second run throws the same error) while the common case builds
/// no per-entry string. Export tables have hundreds of entries.
@inline(__always)
private func named<T>(_ field: @autoclosure () -> String, _ read: (String) throws -> T) throws -> T {
    do {
        return try read("")
    } catch {
        return try read(field())
    }
}
