/// The kernel model's object manager: handles (ZwClose, ObReferenceObjectByHandle/Pointer/Name, ObfReference/DereferenceObject, ObOpenObjectByPointer/Name, ObQueryNameString, ZwOpenDirectoryObject, ZwQueryDirectoryObject, symbolic link objects, ObCloseHandle, ZwDuplicateObject, ZwQueryObject, ObCreateObject).
///
/// Every handle of every area lives in `kernel.handles`; this area closes any
/// kind. References the driver takes are counted per object (ObjectModel);
/// dereferencing an object more often than the driver referenced it is
/// recorded as finding OB_OVER_DEREFERENCE (bug check 0x18 waiting to happen).
enum ObjectsArea {
    static let handlers: [KernelExport] = coreHandlers + namespaceHandlers

    static let coreHandlers: [KernelExport] = [
        .ntoskrnl("ZwClose") { try close($0, $0.arg(0)) },
        .ntoskrnl("NtClose") { try close($0, $0.arg(0)) },
        .ntoskrnl("ObCloseHandle") { try close($0, $0.arg(0)) },
        .ntoskrnl("ObfReferenceObject") { try reference($0, $0.arg(0)) },
        .ntoskrnl("ObfReferenceObjectWithTag") { try reference($0, $0.arg(0)) },
        .ntoskrnl("ObReferenceObjectSafe") { call in _ = try reference(call, call.arg(0)); return 1 },
        .ntoskrnl("ObReferenceObjectSafeWithTag") { call in _ = try reference(call, call.arg(0)); return 1 },
        .ntoskrnl("ObfDereferenceObject") { try dereference($0, $0.arg(0)) },
        .ntoskrnl("ObDereferenceObject") { try dereference($0, $0.arg(0)) },
        .ntoskrnl("ObfDereferenceObjectWithTag") { try dereference($0, $0.arg(0)) },
        .ntoskrnl("ObDereferenceObjectWithTag") { try dereference($0, $0.arg(0)) },
        .ntoskrnl("ObDereferenceObjectDeferDelete") { try dereference($0, $0.arg(0)) },
        .ntoskrnl("ObDereferenceObjectDeferDeleteWithTag") { try dereference($0, $0.arg(0)) },
        .ntoskrnl("ObReferenceObjectByHandle") { try referenceByHandle($0, objectOut: $0.arg(4), info: $0.arg(5)) },
        .ntoskrnl("ObReferenceObjectByHandleWithTag") { try referenceByHandle($0, objectOut: $0.arg(5), info: $0.arg(6)) },
        .ntoskrnl("ObReferenceObjectByPointer") { try referenceByPointer($0) },
        .ntoskrnl("ObReferenceObjectByPointerWithTag") { try referenceByPointer($0) },
        .ntoskrnl("ObOpenObjectByPointer") { try openByPointer($0, handleOut: $0.arg(6)) },
        .ntoskrnl("ObOpenObjectByPointerWithTag") { try openByPointer($0, handleOut: $0.arg(7)) },
        .ntoskrnl("ObGetObjectType") { call in
            let model = try call.kernel.obModel(), object = try call.arg(0)
            return model.typeObjects[try call.kernel.obKind(of: object) ?? ""] ?? 0
        },
        .ntoskrnl("ObCreateObject") { try createObject($0) },
        .ntoskrnl("ObInsertObject") { try insertObject($0) },
        .ntoskrnl("ObMakeTemporaryObject") { call in
            let model = try call.kernel.obModel(), object = try call.arg(0)
            model.records[object]?.temporary = true
            if let record = model.records[object], record.handles == 0 { model.records[object]?.name = nil }
            return 0
        },
        .ntoskrnl("ObQueryNameString") { try queryNameString($0) },
        .ntoskrnl("ZwQueryObject") { try queryObject($0) },
        .ntoskrnl("NtQueryObject") { try queryObject($0) },
        .ntoskrnl("ZwDuplicateObject") { try duplicate($0) },
        .ntoskrnl("NtDuplicateObject") { try duplicate($0) },
        .ntoskrnl("ObGetFilterVersion") { _ in UInt64(Layout.ObCallbackRegistration.filterVersion) },
        .ntoskrnl("ObSetHandleAttributes") { call in
            guard call.kernel.handles.lookup(try call.arg(0)) != nil else { return UInt64(NTStatus.invalidHandle) }
            return UInt64(NTStatus.success)
        },
        .ntoskrnl("ObFindHandleForObject") { try findHandle($0) },
    ]

    // MARK: - Handles

    static func close(_ call: KernelCall, _ handle: UInt64) throws -> UInt64 {
        let kernel = call.kernel, model = try kernel.obModel()
        guard let entry = kernel.handles.lookup(handle), kernel.handles.close(handle) else {
            call.note("handle 0x\(String(handle, radix: 16)) is not open")
            return UInt64(NTStatus.invalidHandle)
        }
        call.note("\(entry.kind) handle 0x\(String(handle, radix: 16))")
        let object = entry.object != 0 ? entry.object : model.handleBodies[handle] ?? 0
        model.handleAccess[handle] = nil
        if object != 0, var record = model.records[object] {
            record.handles = max(0, record.handles - 1)
            if record.handles == 0, record.temporary { record.name = nil }
            if record.createdByDriver, record.handles == 0, record.references == 0 { record.deleted = true }
            model.records[object] = record
        }
        return UInt64(NTStatus.success)
    }

    // MARK: - References

    static func reference(_ call: KernelCall, _ object: UInt64) throws -> UInt64 {
        let kernel = call.kernel, model = try kernel.obModel()
        guard object != 0 else { throw nullObject(call) }
        let known = try kernel.obKind(of: object)
        var record = model.records[object] ?? .init(kind: known ?? "Object")
        record.references += 1
        model.records[object] = record
        call.note("\(record.kind) 0x\(String(object, radix: 16)), driver holds \(record.references)")
        return UInt64(record.references &+ 1)
    }

    static func dereference(_ call: KernelCall, _ object: UInt64) throws -> UInt64 {
        let kernel = call.kernel, model = try kernel.obModel()
        guard object != 0 else { throw nullObject(call) }
        guard var record = model.records[object] else {
            call.note("untracked object 0x\(String(object, radix: 16))")
            return 1
        }
        if record.deleted || record.references <= 0 {
            kernel.obRecordOverDereference(call, object: object, kind: record.kind)
            return 0
        }
        record.references -= 1
        if record.createdByDriver, record.references == 0, record.handles == 0 { record.deleted = true }
        model.records[object] = record
        call.note("\(record.kind) 0x\(String(object, radix: 16)), driver holds \(record.references)")
        return UInt64(max(record.references, 0) &+ 1)
    }

    /// ObfReferenceObject(NULL) reads the header below address 0: a page fault in the kernel.
    static func nullObject(_ call: KernelCall) -> KernelStop {
        .bugCheck(code: 0x50, parameters: [0xFFFF_FFFF_FFFF_FFD0, 0, call.returnAddress, 0], site: call.returnAddress)
    }

    /// ObReferenceObjectByHandle(Handle, DesiredAccess, ObjectType, AccessMode, [Tag,] *Object, HandleInformation).
    static func referenceByHandle(_ call: KernelCall, objectOut: UInt64, info: UInt64) throws -> UInt64 {
        let kernel = call.kernel, model = try kernel.obModel()
        let handle = try call.arg(0), desired = try call.arg32(1), type = try call.arg(2), mode = try call.arg32(3) & 0xFF
        if objectOut != 0 { try kernel.writeU64(objectOut, 0) }
        guard let resolved = try kernel.obResolve(handle) else {
            call.note("handle 0x\(String(handle, radix: 16)) is not open")
            return UInt64(NTStatus.invalidHandle)
        }
        if let expected = model.expectedKind(type), expected != resolved.kind {
            call.note("\(resolved.kind) handle, \(expected) expected")
            return UInt64(NTStatus.objectTypeMismatch)
        }
        let granted = model.handleAccess[handle] ?? 0x1F_FFFF
        if mode == 1, desired & ~granted & 0x0FFF_FFFF != 0 { return UInt64(NTStatus.accessDenied) }
        _ = try reference(call, resolved.object)
        try kernel.writeU64(objectOut, resolved.object)
        if info != 0 {
            try kernel.writeU32(info, 0)
            try kernel.writeU32(info &+ 4, granted)
        }
        return UInt64(NTStatus.success)
    }

    /// ObReferenceObjectByPointer(Object, DesiredAccess, ObjectType, AccessMode).
    static func referenceByPointer(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, model = try kernel.obModel(), object = try call.arg(0)
        if let expected = model.expectedKind(try call.arg(2)), let kind = try kernel.obKind(of: object), kind != expected {
            return UInt64(NTStatus.objectTypeMismatch)
        }
        _ = try reference(call, object)
        return UInt64(NTStatus.success)
    }

    /// ObOpenObjectByPointer(Object, HandleAttributes, PassedAccessState, DesiredAccess, ObjectType, AccessMode, [Tag,] *Handle).
    static func openByPointer(_ call: KernelCall, handleOut: UInt64) throws -> UInt64 {
        let kernel = call.kernel, model = try kernel.obModel(), object = try call.arg(0)
        let expected = model.expectedKind(try call.arg(4))
        let kind = try kernel.obKind(of: object)
        if let expected, let kind, kind != expected { return UInt64(NTStatus.objectTypeMismatch) }
        var access = try call.arg32(3)
        let accessState = try call.arg(2)
        if accessState != 0 {
            access = try kernel.readU32(accessState &+ UInt64(Layout.AccessState.remainingDesiredAccess))
                | kernel.readU32(accessState &+ UInt64(Layout.AccessState.previouslyGrantedAccess))
        }
        guard let handle = try kernel.obInsertHandle(kind: kind ?? expected ?? "Object", object: object, access: access) else {
            return UInt64(NTStatus.insufficientResources)
        }
        try kernel.writeU64(handleOut, handle)
        call.note("\(kind ?? expected ?? "Object") 0x\(String(object, radix: 16)) -> handle 0x\(String(handle, radix: 16))")
        return UInt64(NTStatus.success)
    }

    /// ObFindHandleForObject(Process, Object, ObjectType, HandleInformation, *Handle) -> BOOLEAN.
    static func findHandle(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, model = try kernel.obModel(), object = try call.arg(1), out = try call.arg(4)
        for handle in model.handleAccess.keys.sorted() where kernel.handles.lookup(handle)?.object == object {
            if out != 0 { try kernel.writeU64(out, handle) }
            return 1
        }
        return 0
    }
}

extension Kernel {
    static let currentProcessHandle: UInt64 = 0xFFFF_FFFF_FFFF_FFFF
    static let currentThreadHandle: UInt64 = 0xFFFF_FFFF_FFFF_FFFE
    static let currentProcessTokenHandle: UInt64 = 0xFFFF_FFFF_FFFF_FFFC
    static let currentThreadEffectiveTokenHandle: UInt64 = 0xFFFF_FFFF_FFFF_FFFA

    /// The current process: the one attached to, else System.
    func obCurrentProcess() throws -> UInt64 {
        let model = try obModel()
        return model.attachedProcess != 0 ? model.attachedProcess : processor.process
    }

    /// The kind and object a handle names: pseudo-handles, then the handle table.
    func obResolve(_ handle: UInt64) throws -> (kind: String, object: UInt64)? {
        let model = try obModel()
        switch handle {
        case Self.currentProcessHandle: return ("Process", try obCurrentProcess())
        case Self.currentThreadHandle: return ("Thread", processor.thread)
        case Self.currentProcessTokenHandle, Self.currentThreadEffectiveTokenHandle:
            guard let token = model.process(at: try obCurrentProcess())?.token else { return nil }
            return ("Token", token)
        default: break
        }
        guard let entry = handles.lookup(handle) else { return nil }
        if entry.object != 0 { return (entry.kind, entry.object) }
        if let body = model.handleBodies[handle] { return (entry.kind, body) }
        let body: UInt64
        if let file = entry.payload as? FileArea.OpenFile {
            body = try obFileObject(for: file.node)
        } else {
            body = try obAllocate(kind: entry.kind, bodySize: 0x40)
        }
        model.records[body]?.handles = 1
        model.handleBodies[handle] = body
        return (entry.kind, body)
    }

    /// The FILE_OBJECT of a file of the virtual volume: FileName the path on the volume
    /// ("\\Windows\\System32\\drivers\\x.sys"), and the object's name — what ObQueryNameString
    /// returns — the volume device's name followed by it, as on Windows.
    func obFileObject(for node: FileNode) throws -> UInt64 {
        typealias F = Layout.FileObject
        let path = node.volumePath
        let body = try obAllocate(kind: "File", bodySize: F.totalSize, name: VirtualFileSystem.volumeDevice + path)
        try writeU16(body &+ UInt64(F.type), F.typeValue)
        try writeU16(body &+ UInt64(F.size), UInt16(F.totalSize))
        let name = try makeUnicodeString(path, name: "FileName")
        try writeBytes(body &+ UInt64(F.fileName), try readBytes(name, count: Layout.UnicodeString.size))
        return body
    }

    /// Opens a handle to `object` (counted on the object).
    func obInsertHandle(kind: String, object: UInt64, access: UInt32, payload: AnyObject? = nil) throws -> UInt64? {
        let model = try obModel()
        guard let handle = handles.insert(.init(kind: kind, object: object, payload: payload)) else { return nil }
        model.records[object, default: .init(kind: kind)].handles += 1
        model.handleAccess[handle] = access
        return handle
    }

    /// What kind of object lives at `address`, if the model knows.
    func obKind(of object: UInt64) throws -> String? {
        let model = try obModel()
        if let record = model.records[object] { return record.kind }
        if objects.devices[object] != nil { return "Device" }
        if objects.devices.values.contains(where: { $0.driverObject == object }) { return "Driver" }
        return nil
    }
}
