import Events

/// State shared by the Objects, Process, Security and Callbacks areas: the
/// objects the driver can reach (with the references it holds on each), the
/// object types, the fixed set of processes with their threads and tokens,
/// and SeExports. Built on first use by any of those areas (`kernel.obModel()`).
final class ObjectModel {
    struct Record {
        var kind: String
        var name: String?
        /// References the driver holds (lookups, ObReference*, ObfReferenceObject, creation).
        var references: Int = 0
        var handles: Int = 0
        /// Objects the driver created (ObCreateObject): deleted when the last reference goes.
        var createdByDriver = false
        var temporary = false
        /// Named objects join the namespace when ObInsertObject inserts them.
        var inserted = false
        var deleted = false
    }

    struct Token {
        var user: SidValue
        var groups: [(sid: SidValue, attributes: UInt32)]
        /// (LUID low part, attributes): SE_PRIVILEGE_ENABLED 0x2, ENABLED_BY_DEFAULT 0x1.
        var privileges: [(luid: UInt32, attributes: UInt32)]
        var integrity: SidValue
        var sessionId: UInt32
        var authenticationId: UInt64
        var tokenId: UInt64
        /// TokenPrimary 1, TokenImpersonation 2.
        var type: UInt32 = 1
        var impersonationLevel: UInt32 = 0
        /// TokenElevationTypeDefault 1, Full 2, Limited 3.
        var elevationType: UInt32
        var elevated: Bool
    }

    struct Process {
        var pid: UInt64
        var parent: UInt64
        var name: String
        var sessionId: UInt32
        var imagePath: String
        var eprocess: UInt64 = 0
        var thread: UInt64 = 0
        var tid: UInt64 = 0
        var token: UInt64 = 0
        var peb: UInt64 = 0
        var terminated = false
        var breakOnTermination = false
    }

    var records: [UInt64: Record] = [:]
    var tokens: [UInt64: Token] = [:]
    var processes: [Process] = []
    /// OBJECT_TYPE address → kind ("Process", …); `wildcardTypes` match any kind.
    var typeKinds: [UInt64: String] = [:]
    var typeObjects: [String: UInt64] = [:]
    var wildcardTypes: Set<UInt64> = []
    /// Bodies standing for handle entries of other areas that have no guest object.
    var handleBodies: [UInt64: UInt64] = [:]
    /// Granted access per open handle this area opened.
    var handleAccess: [UInt64: UInt32] = [:]
    /// Bodies of namespace objects (directories, symbolic links, callback objects) by canonical path.
    var namedBodies: [String: UInt64] = [:]
    var seExports: UInt64 = 0
    var activeProcessHead: UInt64 = 0
    /// KeAttachProcess / KeStackAttachProcess: the processes attached from, innermost last.
    var attachStack: [(previous: UInt64, apcState: UInt64)] = []
    var attachedProcess: UInt64 = 0
    var nextTokenId: UInt64 = 0x10_0000
    var installed = false

    /// The processes of the model: PID, parent, name, session, image path.
    static let processTable: [(UInt64, UInt64, String, UInt32, String)] = [
        (4, 0, "System", 0, ""),
        (0x1A8, 4, "smss.exe", 0, "\\Device\\HarddiskVolume3\\Windows\\System32\\smss.exe"),
        (0x214, 0x1FC, "csrss.exe", 0, "\\Device\\HarddiskVolume3\\Windows\\System32\\csrss.exe"),
        (0x264, 0x1FC, "wininit.exe", 0, "\\Device\\HarddiskVolume3\\Windows\\System32\\wininit.exe"),
        (0x2A8, 0x258, "winlogon.exe", 1, "\\Device\\HarddiskVolume3\\Windows\\System32\\winlogon.exe"),
        (0x2D0, 0x264, "services.exe", 0, "\\Device\\HarddiskVolume3\\Windows\\System32\\services.exe"),
        (0x2E4, 0x264, "lsass.exe", 0, "\\Device\\HarddiskVolume3\\Windows\\System32\\lsass.exe"),
        (0x3A0, 0x2D0, "svchost.exe", 0, "\\Device\\HarddiskVolume3\\Windows\\System32\\svchost.exe"),
        (0x1130, 0x10F8, "explorer.exe", 1, "\\Device\\HarddiskVolume3\\Windows\\explorer.exe"),
        (0x1A2C, 0x1130, "notepad.exe", 1, "\\Device\\HarddiskVolume3\\Windows\\System32\\notepad.exe"),
    ]

    /// The process the scenario "creates" for process/thread/image notify routines.
    static let launchedPid: UInt64 = 0x1A2C

    func process(pid: UInt64) -> Process? { processes.first { $0.pid == pid } }
    func process(at eprocess: UInt64) -> Process? { processes.first { $0.eprocess == eprocess } }
    func process(thread: UInt64) -> Process? { processes.first { $0.thread == thread } }
    func processIndex(at eprocess: UInt64) -> Int? { processes.firstIndex { $0.eprocess == eprocess } }

    /// The kind an OBJECT_TYPE pointer names; nil for "any" (no type given, or the old shared type).
    func expectedKind(_ objectType: UInt64) -> String? {
        guard objectType != 0, !wildcardTypes.contains(objectType) else { return nil }
        return typeKinds[objectType]
    }
}

extension Kernel {
    /// The shared object model, built and installed in guest memory on first use.
    func obModel() throws -> ObjectModel {
        let model = state(ObjectModel.self) { ObjectModel() }
        if !model.installed {
            model.installed = true
            try installObjectTypes(model)
            try installSeExports(model)
            try installProcesses(model)
        }
        return model
    }

    /// Allocates an object with an OBJECT_HEADER in front of its body; returns the body.
    func obAllocate(kind: String, bodySize: Int, name: String? = nil) throws -> UInt64 {
        typealias H = Layout.ObjectHeader
        let header = try heap.allocate(H.body + max(bodySize, 8), name: kind.uppercased() + " object")
        try writeU64(header &+ UInt64(H.pointerCount), 1)
        let body = header &+ UInt64(H.body)
        let model = state(ObjectModel.self) { ObjectModel() }
        model.records[body] = .init(kind: kind, name: name)
        return body
    }

    /// The OBJECT_TYPE data exports and the kind each one names.
    static let objectTypeExports: [(String, String)] = [
        ("PsProcessType", "Process"), ("PsThreadType", "Thread"), ("IoFileObjectType", "File"),
        ("ExEventObjectType", "Event"), ("IoDeviceObjectType", "Device"), ("IoDriverObjectType", "Driver"),
        ("SeTokenObjectType", "Token"), ("PsJobType", "Job"), ("ExSemaphoreObjectType", "Semaphore"),
        ("CmKeyObjectType", "Key"), ("ExDesktopObjectType", "Desktop"), ("ExWindowStationObjectType", "WindowStation"),
        ("MmSectionObjectType", "Section"), ("TmEnlistmentObjectType", "TmEn"),
        ("TmResourceManagerObjectType", "TmRm"), ("TmTransactionManagerObjectType", "TmTm"),
        ("TmTransactionObjectType", "TmTx"), ("IoCompletionObjectType", "IoCompletion"),
        ("ExTimerObjectType", "Timer"), ("LpcPortObjectType", "Port"), ("AlpcPortObjectType", "ALPC Port"),
    ]

    /// The object types of DataExports, each now an OBJECT_TYPE of its own (Name, Index), so
    /// ObReferenceObjectByHandle can check the type a driver passes. Pointers a driver read
    /// before this ran still name the old shared type, which matches every kind.
    private func installObjectTypes(_ model: ObjectModel) throws {
        let kinds = Self.objectTypeExports
        typealias T = Layout.ObjectType
        for (index, (export, kind)) in (kinds + [("", "Directory"), ("", "SymbolicLink"), ("", "Callback"),
                                                ("", "Type")]).enumerated() {
            let type = try obAllocate(kind: "Type", bodySize: T.totalSize, name: "\\ObjectTypes\\" + kind)
            model.records[type]?.inserted = true
            let name = try makeUnicodeString(kind, name: "OBJECT_TYPE name")
            try writeBytes(type &+ UInt64(T.name), try readBytes(name, count: Layout.UnicodeString.size))
            try writeU8(type &+ UInt64(T.index), UInt8(index &+ 2))
            try writeU64(type &+ UInt64(T.typeList), type &+ UInt64(T.typeList))
            try writeU64(type &+ UInt64(T.typeList) &+ 8, type &+ UInt64(T.typeList))
            try writeU64(type &+ UInt64(T.callbackList), type &+ UInt64(T.callbackList))
            try writeU64(type &+ UInt64(T.callbackList) &+ 8, type &+ UInt64(T.callbackList))
            model.typeKinds[type] = kind
            model.typeObjects[kind] = type
            if let cell = objects.dataExports[export] {
                model.wildcardTypes.insert(try readU64(cell))
                try writeU64(cell, type)
            }
        }
    }

    /// A driver's over-dereference: REFERENCE_BY_POINTER (0x18) waiting to happen.
    func obRecordOverDereference(_ call: KernelCall, object: UInt64, kind: String) {
        let type = (try? obModel().typeObjects[kind]) ?? nil
        record(Finding(
            code: "OB_OVER_DEREFERENCE", title: "\(kind) object dereferenced more often than the driver referenced it",
            severity: .warning, phase: .runtime,
            fix: "call ObDereferenceObject once per reference taken (PsLookup*, ObReferenceObjectBy*, ObfReferenceObject); PsGetCurrentProcess, IoGetCurrentProcess and IoThreadToProcess return no reference",
            bugCheck: BugCheck(code: 0x18, parameters: ["0x" + String(type ?? 0, radix: 16), "0x" + String(object, radix: 16), "0x1", "0x0"]),
            details: [(key: "function", value: call.function.split(separator: "!").last.map(String.init) ?? call.function),
                      (key: "object", value: "0x" + String(object, radix: 16)), (key: "kind", value: kind)],
            site: call.site))
        call.note("over-dereference of \(kind) object")
    }
}
