/// NTSTATUS values of the registry, file, string and format areas (their own
/// namespace, so other areas adding the same codes to NTStatus never collide).
enum AreaStatus {
    static let someNotMapped: UInt32 = 0x0000_0107
    static let noMoreFiles: UInt32 = 0x8000_0006
    static let endOfFile: UInt32 = 0xC000_0011
    static let noSuchFile: UInt32 = 0xC000_000F
    static let conflictingAddresses: UInt32 = 0xC000_0018
    static let notMappedView: UInt32 = 0xC000_0019
    static let sectionProtection: UInt32 = 0xC000_004E
    static let objectPathSyntaxBad: UInt32 = 0xC000_003B
    static let deletePending: UInt32 = 0xC000_0056
    static let diskFull: UInt32 = 0xC000_007F
    static let invalidImageFormat: UInt32 = 0xC000_007B
    static let fileIsADirectory: UInt32 = 0xC000_00BA
    static let invalidParameter2: UInt32 = 0xC000_00F0
    static let invalidParameter4: UInt32 = 0xC000_00F2
    static let directoryNotEmpty: UInt32 = 0xC000_0101
    static let notADirectory: UInt32 = 0xC000_0103
    static let nameTooLong: UInt32 = 0xC000_0106
    static let mappedFileSizeZero: UInt32 = 0xC000_011E
    static let cannotDelete: UInt32 = 0xC000_0121
    static let fileClosed: UInt32 = 0xC000_0128
    static let keyDeleted: UInt32 = 0xC000_017C
    static let mappedAlignment: UInt32 = 0xC000_0220
    static let invalidDeviceState: UInt32 = 0xC000_0184
    static let invalidViewSize: UInt32 = 0xC000_001F
    static let invalidFileForSection: UInt32 = 0xC000_0020
    static let sectionTooBig: UInt32 = 0xC000_0040
    static let invalidPageProtection: UInt32 = 0xC000_0045
    static let objectNameExists: UInt32 = 0x4000_0000

    static let names: [UInt32: String] = [
        someNotMapped: "STATUS_SOME_NOT_MAPPED",
        noMoreFiles: "STATUS_NO_MORE_FILES",
        endOfFile: "STATUS_END_OF_FILE",
        noSuchFile: "STATUS_NO_SUCH_FILE",
        conflictingAddresses: "STATUS_CONFLICTING_ADDRESSES",
        notMappedView: "STATUS_NOT_MAPPED_VIEW",
        sectionProtection: "STATUS_SECTION_PROTECTION",
        objectPathSyntaxBad: "STATUS_OBJECT_PATH_SYNTAX_BAD",
        deletePending: "STATUS_DELETE_PENDING",
        diskFull: "STATUS_DISK_FULL",
        invalidImageFormat: "STATUS_INVALID_IMAGE_FORMAT",
        fileIsADirectory: "STATUS_FILE_IS_ADIRECTORY",
        invalidParameter2: "STATUS_INVALID_PARAMETER2",
        invalidParameter4: "STATUS_INVALID_PARAMETER4",
        directoryNotEmpty: "STATUS_DIRECTORY_NOT_EMPTY",
        notADirectory: "STATUS_NOT_ADIRECTORY",
        nameTooLong: "STATUS_NAME_TOO_LONG",
        mappedFileSizeZero: "STATUS_MAPPED_FILE_SIZE_ZERO",
        cannotDelete: "STATUS_CANNOT_DELETE",
        fileClosed: "STATUS_FILE_CLOSED",
        keyDeleted: "STATUS_KEY_DELETED",
        mappedAlignment: "STATUS_MAPPED_ALIGNMENT",
        invalidDeviceState: "STATUS_INVALID_DEVICE_STATE",
        invalidViewSize: "STATUS_INVALID_VIEW_SIZE", invalidFileForSection: "STATUS_INVALID_FILE_FOR_SECTION",
        sectionTooBig: "STATUS_SECTION_TOO_BIG", invalidPageProtection: "STATUS_INVALID_PAGE_PROTECTION",
        objectNameExists: "STATUS_OBJECT_NAME_EXISTS",
    ]

    /// The status's name (NTStatus.name covers this table too).
    static func name(_ status: UInt32) -> String { NTStatus.name(status) }
}
