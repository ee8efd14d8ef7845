/// The statuses a refused driver load returns to the caller of ZwLoadDriver
/// (docs/load-rules.md gives the sources and how certain each is).
extension NTStatus {
    /// Code Integrity refused the image (HVCI-incompatible: W+X section, misaligned
    /// sections, IAT in an executable section). Inferred, not documented for these cases.
    public static let invalidImageHash: UInt32 = 0xC000_0428
    /// Relocations stripped and the image cannot be placed at its preferred base.
    public static let conflictingAddresses: UInt32 = AreaStatus.conflictingAddresses
    /// A base relocation the loader cannot apply.
    public static let invalidImageFormat: UInt32 = AreaStatus.invalidImageFormat

    static let loadNames: [UInt32: String] = [invalidImageHash: "STATUS_INVALID_IMAGE_HASH"]
}
