/// NTSTATUS values of the object manager, process, security and callback areas
/// (`NTStatus.name` consults `moreNames` too).
extension NTStatus {
    public static let moreEntries: UInt32 = 0x0000_0105
    public static let invalidCid: UInt32 = 0xC000_000B
    public static let objectNameExists: UInt32 = 0x4000_0000
    public static let unknownRevision: UInt32 = 0xC000_0058
    public static let revisionMismatch: UInt32 = 0xC000_0059
    public static let invalidAcl: UInt32 = 0xC000_0077
    public static let invalidSid: UInt32 = 0xC000_0078
    public static let invalidSecurityDescr: UInt32 = 0xC000_0079
    public static let procedureNotFound: UInt32 = 0xC000_007A
    public static let noToken: UInt32 = 0xC000_007C
    public static let allottedSpaceExceeded: UInt32 = 0xC000_0099
    public static let processIsTerminating: UInt32 = 0xC000_010A
    public static let badDescriptorFormat: UInt32 = 0xC000_00E7
    public static let invalidParameterMix: UInt32 = 0xC000_0030
    public static let fltInstanceAltitudeCollision: UInt32 = 0xC01C_0011
    public static let badImpersonationLevel: UInt32 = 0xC000_00A5
    public static let objectPathSyntaxBad: UInt32 = 0xC000_003B
    public static let datatypeMisalignment: UInt32 = 0x8000_0002
    public static let invalidUnwindTarget: UInt32 = 0xC000_0029
    public static let portDisconnected: UInt32 = 0xC000_0037
    public static let unexpectedIoError: UInt32 = 0xC000_00E9
    public static let wmiGuidNotFound: UInt32 = 0xC000_0295
    public static let portNotSet: UInt32 = 0xC000_0353
    public static let debuggerInactive: UInt32 = 0xC000_0354

    static let moreNames: [UInt32: String] = [
        moreEntries: "STATUS_MORE_ENTRIES", invalidCid: "STATUS_INVALID_CID",
        objectNameExists: "STATUS_OBJECT_NAME_EXISTS", unknownRevision: "STATUS_UNKNOWN_REVISION",
        revisionMismatch: "STATUS_REVISION_MISMATCH", invalidAcl: "STATUS_INVALID_ACL", invalidSid: "STATUS_INVALID_SID",
        invalidSecurityDescr: "STATUS_INVALID_SECURITY_DESCR", procedureNotFound: "STATUS_PROCEDURE_NOT_FOUND",
        noToken: "STATUS_NO_TOKEN", allottedSpaceExceeded: "STATUS_ALLOTTED_SPACE_EXCEEDED",
        processIsTerminating: "STATUS_PROCESS_IS_TERMINATING", badDescriptorFormat: "STATUS_BAD_DESCRIPTOR_FORMAT",
        invalidParameterMix: "STATUS_INVALID_PARAMETER_MIX",
        fltInstanceAltitudeCollision: "STATUS_FLT_INSTANCE_ALTITUDE_COLLISION",
        badImpersonationLevel: "STATUS_BAD_IMPERSONATION_LEVEL", objectPathSyntaxBad: "STATUS_OBJECT_PATH_SYNTAX_BAD",
        datatypeMisalignment: "STATUS_DATATYPE_MISALIGNMENT", invalidUnwindTarget: "STATUS_INVALID_UNWIND_TARGET",
        portDisconnected: "STATUS_PORT_DISCONNECTED", unexpectedIoError: "STATUS_UNEXPECTED_IO_ERROR",
        wmiGuidNotFound: "STATUS_WMI_GUID_NOT_FOUND", portNotSet: "STATUS_PORT_NOT_SET",
        debuggerInactive: "STATUS_DEBUGGER_INACTIVE",
    ]

}
