/// One imported function: by name (with its hint) or by ordinal.
public struct ImportedFunction: Sendable, Equatable, Hashable {
    public var name: String?
    public var ordinal: UInt16?
    public var hint: UInt16
    /// RVA of this function's slot in the import address table: where the
    /// loader writes the resolved address.
    public var iatRVA: UInt32

    /// `Name`, or `#ordinal` for imports by ordinal.
    public var displayName: String { name ?? "#\(ordinal ?? 0)" }
}

/// The functions imported from one module (one import descriptor).
public struct ImportedModule: Sendable, Equatable {
    public var name: String
    public var functions: [ImportedFunction]
    public var isDelayLoaded: Bool
}

/// Walks the import and delay-import directories. Both are arrays of
/// descriptors ended by an all-zero entry, each pointing at a thunk array
/// ended by a zero thunk; both ends are capped so that a table without a
/// terminator, or one that repeats itself, is an error and not a hang.
struct ImportParser {
    let image: PEFile

    private var wide: Bool { image.is64Bit }
    private var thunkSize: Int { wide ? 8 : 4 }
    private var ordinalFlag: UInt64 { wide ? 1 << 63 : 1 << 31 }

    func parseImports() throws -> [ImportedModule] {
        let dir = image.optionalHeader.directory(.import)
        guard dir.rva != 0 else { return [] }
        let referencedAt = image.dataDirectoryOffset + 8 * DirectoryIndex.import.rawValue
        var modules: [ImportedModule] = []
        var seen = Set<[UInt32]>()
        var budget = PEFile.Limits.maxImportedFunctions
        for index in 0... {
            guard index < PEFile.Limits.maxImportModules else {
                throw PEError.inconsistent(field: "import directory", offset: referencedAt,
                                           reason: "more than \(PEFile.Limits.maxImportModules) descriptors without a terminating null entry")
            }
            let (rva, overflow) = UInt64(dir.rva).addingReportingOverflow(UInt64(index * 20))
            guard !overflow else { break }
            let at = try image.fileOffset(ofRVA: rva, size: 20, field: "import descriptor \(index)", referencedAt: referencedAt)
            let r = image.reader
            let originalFirstThunk = try r.u32("import descriptor \(index) OriginalFirstThunk", at: at)
            let nameRVA = try r.u32("import descriptor \(index) Name", at: at + 12)
            let firstThunk = try r.u32("import descriptor \(index) FirstThunk", at: at + 16)
            if originalFirstThunk == 0, nameRVA == 0, firstThunk == 0 { break }
            guard seen.insert([originalFirstThunk, nameRVA, firstThunk]).inserted else {
                throw PEError.inconsistent(field: "import descriptor \(index)", offset: at,
                                           reason: "repeats an earlier descriptor (the descriptor chain loops)")
            }
            let name = try image.cString(atRVA: UInt64(nameRVA), field: "import descriptor \(index) module name",
                                         referencedAt: at + 12)
            let lookup = originalFirstThunk != 0 ? originalFirstThunk : firstThunk
            let functions = try thunks(lookupRVA: UInt64(lookup), iatRVA: UInt64(firstThunk),
                                       module: name, referencedAt: at, budget: &budget)
            modules.append(ImportedModule(name: name, functions: functions, isDelayLoaded: false))
        }
        return modules
    }

    func parseDelayImports() throws -> [ImportedModule] {
        let dir = image.optionalHeader.directory(.delayImport)
        guard dir.rva != 0 else { return [] }
        let referencedAt = image.dataDirectoryOffset + 8 * DirectoryIndex.delayImport.rawValue
        var modules: [ImportedModule] = []
        var seen = Set<[UInt32]>()
        var budget = PEFile.Limits.maxImportedFunctions
        for index in 0... {
            guard index < PEFile.Limits.maxImportModules else {
                throw PEError.inconsistent(field: "delay-import directory", offset: referencedAt,
                                           reason: "more than \(PEFile.Limits.maxImportModules) descriptors without a terminating null entry")
            }
            let (rva, overflow) = UInt64(dir.rva).addingReportingOverflow(UInt64(index * 32))
            guard !overflow else { break }
            let at = try image.fileOffset(ofRVA: rva, size: 32, field: "delay-import descriptor \(index)", referencedAt: referencedAt)
            let r = image.reader
            let attributes = try r.u32("delay-import descriptor \(index) Attributes", at: at)
            let nameField = try r.u32("delay-import descriptor \(index) DllNameRVA", at: at + 4)
            let iatField = try r.u32("delay-import descriptor \(index) ImportAddressTableRVA", at: at + 12)
            let intField = try r.u32("delay-import descriptor \(index) ImportNameTableRVA", at: at + 16)
            if nameField == 0, iatField == 0, intField == 0 { break }
            guard seen.insert([nameField, iatField, intField]).inserted else {
                throw PEError.inconsistent(field: "delay-import descriptor \(index)", offset: at,
                                           reason: "repeats an earlier descriptor (the descriptor chain loops)")
            }
            // Attribute bit 0 set: the fields are RVAs; clear (Visual C++ 6): they are VAs.
            let toRVA = { (value: UInt32, field: String, where_: Int) throws -> UInt64 in
                if attributes & 1 != 0 { return UInt64(value) }
                let (rva, borrow) = UInt64(value).subtractingReportingOverflow(image.optionalHeader.imageBase)
                guard !borrow else {
                    throw PEError.badRVA(field: field, offset: where_, rva: UInt64(value), reason: "VA below ImageBase")
                }
                return rva
            }
            let name = try image.cString(atRVA: try toRVA(nameField, "delay-import \(index) DllNameRVA", at + 4),
                                         field: "delay-import descriptor \(index) module name", referencedAt: at + 4)
            let functions = try thunks(lookupRVA: try toRVA(intField, "delay-import \(index) ImportNameTableRVA", at + 16),
                                       iatRVA: try toRVA(iatField, "delay-import \(index) ImportAddressTableRVA", at + 12),
                                       module: name, referencedAt: at, nameTableIsVA: attributes & 1 == 0,
                                       budget: &budget)
            modules.append(ImportedModule(name: name, functions: functions, isDelayLoaded: true))
        }
        return modules
    }

    /// Reads one zero-terminated thunk array. `budget` is what is left of the
    /// directory-wide cap: descriptors that all point at one long thunk array
    /// would otherwise multiply a small file into millions of functions.
    private func thunks(lookupRVA: UInt64, iatRVA: UInt64, module: String, referencedAt: Int,
                        nameTableIsVA: Bool = false, budget: inout Int) throws -> [ImportedFunction] {
        var functions: [ImportedFunction] = []
        for index in 0... {
            guard index < PEFile.Limits.maxThunksPerModule else {
                throw PEError.inconsistent(field: "import thunks of \(module)", offset: referencedAt,
                                           reason: "more than \(PEFile.Limits.maxThunksPerModule) entries without a terminating zero")
            }
            let field = "import thunk \(index) of \(module)"
            let (rva, overflow) = lookupRVA.addingReportingOverflow(UInt64(index * thunkSize))
            guard !overflow else {
                throw PEError.badRVA(field: field, offset: referencedAt, rva: lookupRVA, reason: "thunk array wraps around")
            }
            let at = try image.fileOffset(ofRVA: rva, size: thunkSize, field: field, referencedAt: referencedAt)
            let thunk = try image.reader.pointer(field, at: at, wide: wide)
            if thunk == 0 { break }
            guard budget > 0 else {
                throw PEError.inconsistent(field: "import thunks of \(module)", offset: referencedAt,
                                           reason: "the directory imports more than \(PEFile.Limits.maxImportedFunctions) functions in all")
            }
            budget -= 1
            let slot = iatRVA &+ UInt64(index * thunkSize)
            guard slot <= UInt64(UInt32.max) else {
                throw PEError.badRVA(field: "import address table of \(module)", offset: referencedAt, rva: iatRVA,
                                     reason: "slot \(index) lies beyond 4 GiB")
            }
            if thunk & ordinalFlag != 0 {
                functions.append(ImportedFunction(name: nil, ordinal: UInt16(truncatingIfNeeded: thunk), hint: 0,
                                                  iatRVA: UInt32(slot)))
                continue
            }
            var hintNameRVA = thunk & 0x7FFF_FFFF
            if nameTableIsVA {
                hintNameRVA = thunk &- image.optionalHeader.imageBase
            }
            let hintAt = try image.fileOffset(ofRVA: hintNameRVA, size: 2, field: "hint/name of \(field)", referencedAt: at)
            let hint = try image.reader.u16("hint of \(field)", at: hintAt)
            let name = try image.cString(atRVA: hintNameRVA + 2, field: "name of \(field)", referencedAt: at, maxLength: 1024)
            functions.append(ImportedFunction(name: name, ordinal: nil, hint: hint, iatRVA: UInt32(slot)))
        }
        return functions
    }
}
