/// NTSTATUS values the model returns or decodes, with their names for reports.
public enum NTStatus {
    public static let success: UInt32 = 0x0000_0000
    public static let pending: UInt32 = 0x0000_0103
    public static let bufferOverflow: UInt32 = 0x8000_0005
    public static let noMoreEntries: UInt32 = 0x8000_001A
    public static let unsuccessful: UInt32 = 0xC000_0001
    public static let notImplemented: UInt32 = 0xC000_0002
    public static let invalidInfoClass: UInt32 = 0xC000_0003
    public static let infoLengthMismatch: UInt32 = 0xC000_0004
    public static let accessViolation: UInt32 = 0xC000_0005
    public static let invalidHandle: UInt32 = 0xC000_0008
    public static let invalidParameter: UInt32 = 0xC000_000D
    public static let noSuchDevice: UInt32 = 0xC000_000E
    public static let invalidDeviceRequest: UInt32 = 0xC000_0010
    public static let noMemory: UInt32 = 0xC000_0017
    public static let accessDenied: UInt32 = 0xC000_0022
    public static let bufferTooSmall: UInt32 = 0xC000_0023
    public static let objectTypeMismatch: UInt32 = 0xC000_0024
    public static let objectNameInvalid: UInt32 = 0xC000_0033
    public static let objectNameNotFound: UInt32 = 0xC000_0034
    public static let objectNameCollision: UInt32 = 0xC000_0035
    public static let objectPathNotFound: UInt32 = 0xC000_003A
    public static let insufficientResources: UInt32 = 0xC000_009A
    public static let notSupported: UInt32 = 0xC000_00BB
    public static let internalError: UInt32 = 0xC000_00E5
    public static let cancelled: UInt32 = 0xC000_0120
    public static let notFound: UInt32 = 0xC000_0225

    static let names: [UInt32: String] = [
        success: "STATUS_SUCCESS", pending: "STATUS_PENDING", bufferOverflow: "STATUS_BUFFER_OVERFLOW",
        noMoreEntries: "STATUS_NO_MORE_ENTRIES", unsuccessful: "STATUS_UNSUCCESSFUL",
        notImplemented: "STATUS_NOT_IMPLEMENTED", invalidInfoClass: "STATUS_INVALID_INFO_CLASS",
        infoLengthMismatch: "STATUS_INFO_LENGTH_MISMATCH", accessViolation: "STATUS_ACCESS_VIOLATION",
        invalidHandle: "STATUS_INVALID_HANDLE", invalidParameter: "STATUS_INVALID_PARAMETER",
        noSuchDevice: "STATUS_NO_SUCH_DEVICE", invalidDeviceRequest: "STATUS_INVALID_DEVICE_REQUEST",
        noMemory: "STATUS_NO_MEMORY", accessDenied: "STATUS_ACCESS_DENIED", bufferTooSmall: "STATUS_BUFFER_TOO_SMALL",
        objectTypeMismatch: "STATUS_OBJECT_TYPE_MISMATCH", objectNameInvalid: "STATUS_OBJECT_NAME_INVALID",
        objectNameNotFound: "STATUS_OBJECT_NAME_NOT_FOUND", objectNameCollision: "STATUS_OBJECT_NAME_COLLISION",
        objectPathNotFound: "STATUS_OBJECT_PATH_NOT_FOUND", insufficientResources: "STATUS_INSUFFICIENT_RESOURCES",
        notSupported: "STATUS_NOT_SUPPORTED", internalError: "STATUS_INTERNAL_ERROR", cancelled: "STATUS_CANCELLED",
        notFound: "STATUS_NOT_FOUND",
    ]

    /// "STATUS_SUCCESS", or the hex value for codes the model has no name for.
    /// Looks in every area's table (NTStatus+More, AreaStatus, NTStatus+Load), so a status an
    /// area defines prints by name in reports whichever area returned it.
    public static func name(_ status: UInt32) -> String {
        names[status] ?? moreNames[status] ?? AreaStatus.names[status] ?? loadNames[status]
            ?? "0x" + String(status, radix: 16)
    }

    public static func isSuccess(_ status: UInt32) -> Bool { Int32(bitPattern: status) >= 0 }
    /// Severity "error" (the top two bits set: 0xC…): the NT_ERROR macro.
    public static func isError(_ status: UInt32) -> Bool { status >> 30 == 3 }
}
