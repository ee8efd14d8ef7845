/// Facts about an image that both the static checks and the loader judge it by
/// (DESIGN.md §2.2), computed in one place so the two cannot disagree.
extension PEFile {
    /// IMAGE_FILE_RELOCS_STRIPPED (FileHeader.Characteristics bit 0): the image
    /// says it can only run at its preferred base.
    public static let relocsStrippedFlag: UInt16 = 0x0001

    /// Whether the file header says relocations were stripped.
    public var relocationsStripped: Bool { fileHeader.characteristics & Self.relocsStrippedFlag != 0 }

    /// Where the import address table lies in an executable section (DV 0x2005): the RVA of
    /// data directory 12 (IAT) or, when the image has none, of each module's first IAT slot;
    /// one entry per executable section, in the order found.
    public var importAddressTablesInCode: [(rva: UInt64, section: Section)] {
        let iat = optionalHeader.directory(.iat)
        var slots: [UInt64] = iat.isPresent ? [UInt64(iat.rva)] : []
        if slots.isEmpty {
            slots = imports.compactMap { $0.functions.first.map { UInt64($0.iatRVA) } }
        }
        var reported = Set<String>()
        return slots.compactMap { rva in
            guard let section = section(containing: rva), section.isExecutable,
                  reported.insert(section.name).inserted else { return nil }
            return (rva, section)
        }
    }
}
