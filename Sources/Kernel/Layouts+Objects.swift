/// Offsets of the object manager, process, security and callback structures
/// the Objects/Process/Security/Callbacks areas build or read.
///
/// Opaque kernel structures (EPROCESS, ETHREAD/KTHREAD, OBJECT_HEADER,
/// OBJECT_TYPE) are those of **Windows 10 22H2 x64 (build 19045)**, which
/// shares its kernel layout with 2004 (19041). Source: the public symbol-derived
/// headers in github.com/ntdiff/headers, `Win10_2004_20H1/x64/System32/ntdll.dll/
/// Standalone/_EPROCESS.h` (EPROCESS), and the ETHREAD/KTHREAD dumps of the same
/// builds there (Cid 0x478, StartAddress 0x450, Win32StartAddress 0x4d0,
/// KTHREAD.Process 0x220, PreviousMode 0x232, ApcState 0x98); Geoff Chappell's
/// ETHREAD page gives the 2004 size (0x898). Documented structures (SID, ACL,
/// SECURITY_DESCRIPTOR, OB_*, PS_CREATE_NOTIFY_INFO, IMAGE_INFO, REG_*_INFORMATION,
/// KBUGCHECK_*_RECORD, SE_EXPORTS) follow the WDK headers (wdm.h, ntddk.h, ntifs.h).
extension Layout {
    /// EPROCESS (Windows 10 19041/19045 x64, 0xA40 bytes).
    public enum EProcess {
        public static let directoryTableBase = 0x28, threadListHeadPcb = 0x30
        public static let uniqueProcessId = 0x440, activeProcessLinks = 0x448, rundownProtect = 0x458
        public static let flags2 = 0x460, flags = 0x464, createTime = 0x468
        public static let token = 0x4B8, win32Process = 0x508, job = 0x510, sectionBaseAddress = 0x520
        public static let inheritedFromUniqueProcessId = 0x540, peb = 0x550, session = 0x558
        public static let debugPort = 0x578, wow64Process = 0x580, imageFilePointer = 0x5A0
        public static let imageFileName = 0x5A8, imageFileNameLength = 15, threadListHead = 0x5E0
        public static let activeThreads = 0x5F0, exitStatus = 0x7D4, exitTime = 0x840
        public static let protection = 0x87A, flags3 = 0x87C
        public static let totalSize = 0xA40
        /// EPROCESS.Flags bit ProcessExiting (bit 2) and ProcessDelete (bit 3).
        public static let processExiting: UInt32 = 0x4, processDelete: UInt32 = 0x8
        /// EPROCESS.Flags3 bit SystemProcess (bit 12).
        public static let systemProcessFlag: UInt32 = 0x1000
    }

    /// ETHREAD (KTHREAD at offset 0), Windows 10 19041/19045 x64 (0x898 bytes).
    public enum EThread {
        public static let initialStack = 0x28, stackLimit = 0x30, stackBase = 0x38
        public static let apcState = 0x98, teb = 0xF0, process = 0x220, previousMode = 0x232
        public static let createTime = 0x430, startAddress = 0x450
        public static let cidUniqueProcess = 0x478, cidUniqueThread = 0x480
        public static let win32StartAddress = 0x4D0, threadListEntry = 0x4E8, exitStatus = 0x548
        public static let totalSize = 0x898
    }

    /// KAPC_STATE (0x30 bytes): ApcListHead[2], Process, flags.
    public enum KApcState {
        public static let process = 0x20, inProgressFlags = 0x28, size = 0x30
    }

    /// OBJECT_HEADER: the body follows at `body` (Windows 10 x64).
    public enum ObjectHeader {
        public static let pointerCount = 0x0, handleCount = 0x8, typeIndex = 0x18, infoMask = 0x1A
        public static let flags = 0x1B, securityDescriptor = 0x28, body = 0x30
    }

    /// OBJECT_TYPE (Windows 10 x64, 0xD8 bytes).
    public enum ObjectType {
        public static let typeList = 0x0, name = 0x10, defaultObject = 0x20, index = 0x28
        public static let totalNumberOfObjects = 0x2C, totalNumberOfHandles = 0x30, typeInfo = 0x40
        /// LIST_ENTRY of the ObRegisterCallbacks entries for this type (an empty list points at itself).
        public static let callbackList = 0xC8
        public static let totalSize = 0xD8
    }

    /// OBJECT_ATTRIBUTES (0x30 bytes).
    public enum ObjectAttributes {
        public static let length = 0x0, rootDirectory = 0x8, objectName = 0x10, attributes = 0x18
        public static let securityDescriptor = 0x20, securityQualityOfService = 0x28, size = 0x30
        public static let objKernelHandle: UInt32 = 0x200
    }

    /// CLIENT_ID: UniqueProcess, UniqueThread.
    public enum ClientId {
        public static let uniqueProcess = 0x0, uniqueThread = 0x8, size = 0x10
    }

    /// FILE_OBJECT fields the notify-routine arguments carry (0xD8 bytes).
    public enum FileObject {
        public static let type = 0x0, size = 0x2, deviceObject = 0x8, fileName = 0x58, totalSize = 0xD8
        public static let typeValue: UInt16 = 5
    }

    /// SID: Revision, SubAuthorityCount, IdentifierAuthority[6], SubAuthority[].
    public enum Sid {
        public static let revision = 0x0, subAuthorityCount = 0x1, identifierAuthority = 0x2, subAuthority = 0x8
        public static let maxSubAuthorities = 15
    }

    /// ACL header and ACE header (ACCESS_ALLOWED_ACE: header, Mask, SidStart).
    public enum Acl {
        public static let revision = 0x0, aclSize = 0x2, aceCount = 0x4, headerSize = 0x8
        public static let aceType = 0x0, aceFlags = 0x1, aceSize = 0x2, aceMask = 0x4, aceSid = 0x8
        public static let minRevision: UInt8 = 2, maxRevision: UInt8 = 4
    }

    /// SECURITY_DESCRIPTOR (absolute, 0x28 bytes) and SECURITY_DESCRIPTOR_RELATIVE (0x14 bytes).
    public enum SecurityDescriptor {
        public static let revision = 0x0, control = 0x2
        public static let owner = 0x8, group = 0x10, sacl = 0x18, dacl = 0x20, absoluteSize = 0x28
        public static let relativeOwner = 0x4, relativeGroup = 0x8, relativeSacl = 0xC, relativeDacl = 0x10
        public static let relativeSize = 0x14
        public static let ownerDefaulted: UInt16 = 0x1, groupDefaulted: UInt16 = 0x2, daclPresent: UInt16 = 0x4
        public static let daclDefaulted: UInt16 = 0x8, saclPresent: UInt16 = 0x10, saclDefaulted: UInt16 = 0x20
        public static let selfRelative: UInt16 = 0x8000
    }

    /// SECURITY_SUBJECT_CONTEXT (0x20 bytes).
    public enum SubjectContext {
        public static let clientToken = 0x0, impersonationLevel = 0x8, primaryToken = 0x10, processAuditId = 0x18
        public static let size = 0x20
    }

    /// ACCESS_STATE (0xA0 bytes) and AUX_ACCESS_DATA's GenericMapping.
    public enum AccessState {
        public static let operationId = 0x0, securityEvaluated = 0x8, flags = 0xC
        public static let remainingDesiredAccess = 0x10, previouslyGrantedAccess = 0x14, originalDesiredAccess = 0x18
        public static let subjectSecurityContext = 0x20, securityDescriptor = 0x40, auxData = 0x48
        public static let privileges = 0x50, objectName = 0x80, objectTypeName = 0x90, size = 0xA0
        public static let auxGenericMapping = 0x8, auxSize = 0xE0
    }

    /// SE_EXPORTS: 23 privilege LUIDs, then SID pointers, in wdm.h order (8 bytes each).
    public enum SeExports {
        public static let size = 0x240
    }

    /// PS_CREATE_NOTIFY_INFO (0x48 bytes).
    public enum PsCreateNotifyInfo {
        public static let size = 0x0, flags = 0x8, parentProcessId = 0x10, creatingThreadId = 0x18
        public static let fileObject = 0x28, imageFileName = 0x30, commandLine = 0x38, creationStatus = 0x40
        public static let totalSize = 0x48
    }

    /// IMAGE_INFO (0x28 bytes) inside IMAGE_INFO_EX (Size, ImageInfo, FileObject; 0x38 bytes).
    public enum ImageInfo {
        public static let properties = 0x0, imageBase = 0x8, imageSelector = 0x10, imageSize = 0x18
        public static let imageSectionNumber = 0x20, size = 0x28
        public static let exSize = 0x0, exImageInfo = 0x8, exFileObject = 0x30, exTotalSize = 0x38
        public static let extendedInfoPresent: UInt32 = 0x400
    }

    /// OB_CALLBACK_REGISTRATION (0x28) and OB_OPERATION_REGISTRATION (0x20 each).
    public enum ObCallbackRegistration {
        public static let version = 0x0, operationRegistrationCount = 0x2, altitude = 0x8
        public static let registrationContext = 0x18, operationRegistration = 0x20
        public static let opObjectType = 0x0, opOperations = 0x8, opPreOperation = 0x10, opPostOperation = 0x18
        public static let opSize = 0x20
        public static let filterVersion: UInt16 = 0x100
    }

    /// OB_PRE_OPERATION_INFORMATION (0x28) / OB_POST_OPERATION_INFORMATION (0x30) and their parameters.
    public enum ObOperationInformation {
        public static let operation = 0x0, flags = 0x4, object = 0x8, objectType = 0x10, callContext = 0x18
        public static let preParameters = 0x20, preSize = 0x28
        public static let postReturnStatus = 0x20, postParameters = 0x28, postSize = 0x30
        public static let desiredAccess = 0x0, originalDesiredAccess = 0x4, sourceProcess = 0x8, targetProcess = 0x10
        public static let parametersSize = 0x18
    }

    /// REG_CREATE_KEY_INFORMATION = REG_OPEN_KEY_INFORMATION (0x70 bytes).
    public enum RegCreateKeyInformation {
        public static let completeName = 0x0, rootObject = 0x8, objectType = 0x10, options = 0x18
        public static let className = 0x20, securityDescriptor = 0x28, securityQualityOfService = 0x30
        public static let desiredAccess = 0x38, grantedAccess = 0x3C, disposition = 0x40, resultObject = 0x48
        public static let callContext = 0x50, rootObjectContext = 0x58, transaction = 0x60, size = 0x70
    }

    /// KBUGCHECK_CALLBACK_RECORD (0x40) and KBUGCHECK_REASON_CALLBACK_RECORD (0x30).
    public enum BugCheckCallbackRecord {
        public static let callbackRoutine = 0x10, buffer = 0x18, length = 0x20, component = 0x28
        public static let checksum = 0x30, state = 0x38
        public static let reasonCallbackRoutine = 0x10, reasonComponent = 0x18, reasonChecksum = 0x20
        public static let reason = 0x28, reasonState = 0x2C
        /// KBUGCHECK_BUFFER_DUMP_STATE: BufferEmpty, BufferInserted.
        public static let bufferEmpty: UInt8 = 0, bufferInserted: UInt8 = 1
    }

    /// PEB and RTL_USER_PROCESS_PARAMETERS fields drivers read after KeStackAttachProcess.
    public enum Peb {
        public static let beingDebugged = 0x2, imageBaseAddress = 0x10, ldr = 0x18, processParameters = 0x20
        public static let sessionId = 0x2C0
        public static let parametersImagePathName = 0x60, parametersCommandLine = 0x70
    }

    /// IRP.Tail.Overlay.Thread (IoGetRequestorProcess reads it).
    public enum IrpTail {
        public static let thread = 0x98
    }
}
