/// Object creation and queries: ObCreateObject/ObInsertObject, ObQueryNameString,
/// ZwQueryObject, ZwDuplicateObject.
extension ObjectsArea {
    /// ObCreateObject(ProbeMode, ObjectType, ObjectAttributes, OwnershipMode, ParseContext,
    ///                ObjectBodySize, PagedPoolCharge, NonPagedPoolCharge, *Object).
    static func createObject(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, model = try kernel.obModel()
        let type = try call.arg(1), attributes = try call.arg(2), size = try call.arg32(5), out = try call.arg(8)
        guard type != 0, out != 0 else { return UInt64(NTStatus.invalidParameter) }
        guard size <= 16 << 20 else { return UInt64(NTStatus.insufficientResources) }
        let kind = model.expectedKind(type) ?? "Object"
        let name = try kernel.obAttributesName(attributes)
        let object = try kernel.obAllocate(kind: kind, bodySize: Int(size), name: name.flatMap { $0.isEmpty ? nil : $0 })
        model.records[object]?.createdByDriver = true
        model.records[object]?.references = 1
        try kernel.writeU64(out, object)
        call.note("\(kind) object of \(size) bytes" + (name.map { " \($0)" } ?? ""))
        return UInt64(NTStatus.success)
    }

    /// ObInsertObject(Object, PassedAccessState, DesiredAccess, ObjectPointerBias, *NewObject, *Handle).
    static func insertObject(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, model = try kernel.obModel(), object = try call.arg(0)
        let access = try call.arg32(2), bias = Int(try call.arg32(3) & 0xFFFF), newObject = try call.arg(4)
        let handleOut = try call.arg(5)
        guard var record = model.records[object], record.createdByDriver, !record.deleted else {
            return UInt64(NTStatus.invalidParameter)
        }
        if let name = record.name, try kernel.obLookupName(name) != nil {
            record.references -= 1
            if record.references <= 0 { record.deleted = true }
            model.records[object] = record
            return UInt64(NTStatus.objectNameCollision)
        }
        record.inserted = true
        record.references += bias
        model.records[object] = record
        if newObject != 0 { try kernel.writeU64(newObject, object) }
        if handleOut != 0 {
            guard let handle = try kernel.obInsertHandle(kind: record.kind, object: object, access: access) else {
                return UInt64(NTStatus.insufficientResources)
            }
            model.records[object]?.references -= 1
            try kernel.writeU64(handleOut, handle)
        }
        return UInt64(NTStatus.success)
    }

    /// ObQueryNameString(Object, ObjectNameInfo, Length, *ReturnLength).
    static func queryNameString(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, object = try call.arg(0), info = try call.arg(1), length = Int(try call.arg32(2))
        let returnLength = try call.arg(3)
        let name = try kernel.obName(of: object) ?? ""
        call.note(name.isEmpty ? "(unnamed)" : name)
        return UInt64(try writeNameInformation(kernel, name: name, info: info, length: length, returnLength: returnLength,
                                               tooSmall: NTStatus.infoLengthMismatch))
    }

    /// OBJECT_NAME_INFORMATION: a UNICODE_STRING followed by its NUL-terminated buffer.
    static func writeNameInformation(_ kernel: Kernel, name: String, info: UInt64, length: Int, returnLength: UInt64,
                                     tooSmall: UInt32) throws -> UInt32 {
        let units = Array(name.utf16.prefix(0x7FFE))
        let required = Layout.UnicodeString.size + (units.isEmpty ? 0 : units.count * 2 &+ 2)
        if returnLength != 0 { try kernel.writeU32(returnLength, UInt32(required)) }
        guard length >= required else { return tooSmall }
        let buffer = info &+ UInt64(Layout.UnicodeString.size)
        if !units.isEmpty {
            try kernel.writeBytes(buffer, units.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } + [0, 0])
        }
        try kernel.writeUnicodeStringHeader(info, buffer: units.isEmpty ? 0 : buffer, length: units.count * 2,
                                            maximumLength: units.isEmpty ? 0 : units.count * 2 &+ 2)
        return NTStatus.success
    }

    /// ZwQueryObject(Handle, ObjectInformationClass, ObjectInformation, Length, *ReturnLength).
    static func queryObject(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, model = try kernel.obModel()
        let handle = try call.arg(0), infoClass = try call.arg32(1), info = try call.arg(2)
        let length = Int(try call.arg32(3)), returnLength = try call.arg(4)
        guard let resolved = try kernel.obResolve(handle) else { return UInt64(NTStatus.invalidHandle) }
        let record = model.records[resolved.object]
        switch infoClass {
        case 0: // ObjectBasicInformation: PUBLIC_OBJECT_BASIC_INFORMATION (0x38 bytes)
            if returnLength != 0 { try kernel.writeU32(returnLength, 0x38) }
            guard length >= 0x38 else { return UInt64(NTStatus.infoLengthMismatch) }
            try kernel.fill(info, count: 0x38)
            try kernel.writeU32(info &+ 4, model.handleAccess[handle] ?? 0x1F_FFFF)
            try kernel.writeU32(info &+ 8, UInt32(clamping: max(record?.handles ?? 1, 1)))
            try kernel.writeU32(info &+ 12, UInt32(clamping: max((record?.references ?? 0) + (record?.handles ?? 1), 1)))
            return UInt64(NTStatus.success)
        case 1: // ObjectNameInformation
            let name = try kernel.obName(of: resolved.object) ?? ""
            guard length >= Layout.UnicodeString.size else {
                if returnLength != 0 { try kernel.writeU32(returnLength, UInt32(Layout.UnicodeString.size)) }
                return UInt64(NTStatus.infoLengthMismatch)
            }
            return UInt64(try writeNameInformation(kernel, name: name, info: info, length: length,
                                                   returnLength: returnLength, tooSmall: NTStatus.bufferOverflow))
        case 2: // ObjectTypeInformation: PUBLIC_OBJECT_TYPE_INFORMATION (0x68 bytes) + name
            let units = Array(resolved.kind.utf16)
            let required = 0x68 + units.count * 2 &+ 2
            if returnLength != 0 { try kernel.writeU32(returnLength, UInt32(required)) }
            guard length >= required else { return UInt64(NTStatus.infoLengthMismatch) }
            try kernel.fill(info, count: 0x68)
            try kernel.writeBytes(info &+ 0x68, units.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } + [0, 0])
            try kernel.writeUnicodeStringHeader(info, buffer: info &+ 0x68, length: units.count * 2,
                                                maximumLength: units.count * 2 &+ 2)
            return UInt64(NTStatus.success)
        case 4: // ObjectHandleFlagInformation: BOOLEAN Inherit, ProtectFromClose
            if returnLength != 0 { try kernel.writeU32(returnLength, 2) }
            guard length >= 2 else { return UInt64(NTStatus.infoLengthMismatch) }
            try kernel.writeU16(info, 0)
            return UInt64(NTStatus.success)
        default:
            return UInt64(NTStatus.invalidInfoClass)
        }
    }

    /// ZwDuplicateObject(SourceProcessHandle, SourceHandle, TargetProcessHandle, *TargetHandle,
    ///                   DesiredAccess, HandleAttributes, Options).
    static func duplicate(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, model = try kernel.obModel()
        let sourceProcess = try call.arg(0), source = try call.arg(1), targetProcess = try call.arg(2)
        let targetOut = try call.arg(3), desired = try call.arg32(4), options = try call.arg32(6)
        let closeSource: UInt32 = 1, sameAccess: UInt32 = 2
        if targetOut != 0 { try kernel.writeU64(targetOut, 0) }
        guard let from = try kernel.obResolve(sourceProcess) else { return UInt64(NTStatus.invalidHandle) }
        guard from.kind == "Process" else { return UInt64(NTStatus.objectTypeMismatch) }
        // One handle table in the model: the current process's.
        guard from.object == (try kernel.obCurrentProcess()), let resolved = try kernel.obResolve(source) else {
            return UInt64(NTStatus.invalidHandle)
        }
        let entry = kernel.handles.lookup(source)
        let access = options & sameAccess != 0 ? model.handleAccess[source] ?? 0x1F_FFFF : desired
        defer { if options & closeSource != 0, entry != nil { _ = try? close(call, source) } }
        if targetProcess == 0 || targetOut == 0 {
            return UInt64(options & closeSource != 0 ? NTStatus.success : NTStatus.invalidParameter)
        }
        guard let target = try kernel.obResolve(targetProcess), target.kind == "Process" else {
            return UInt64(NTStatus.invalidHandle)
        }
        guard let handle = try kernel.obInsertHandle(kind: resolved.kind, object: entry?.object ?? resolved.object,
                                                     access: access, payload: entry?.payload) else {
            return UInt64(NTStatus.insufficientResources)
        }
        if entry?.object == 0, let body = model.handleBodies[source] { model.handleBodies[handle] = body }
        try kernel.writeU64(targetOut, handle)
        call.note("\(resolved.kind) handle 0x\(String(source, radix: 16)) -> 0x\(String(handle, radix: 16))")
        return UInt64(NTStatus.success)
    }
}

extension Kernel {
    /// The name of an object: one it was created with, a device's or a driver's.
    func obName(of object: UInt64) throws -> String? {
        let model = try obModel()
        if let name = model.records[object]?.name { return name }
        if let device = objects.devices[object] { return device.name }
        if objects.devices.values.contains(where: { $0.driverObject == object }) {
            return try readUnicodeString(object &+ UInt64(Layout.DriverObject.driverName))
        }
        return nil
    }

    /// The full object name of OBJECT_ATTRIBUTES (RootDirectory of a Directory handle prefixed); nil when none.
    func obAttributesName(_ attributes: UInt64) throws -> String? {
        guard attributes != 0 else { return nil }
        typealias A = Layout.ObjectAttributes
        guard let name = try readUnicodeString(try readU64(attributes &+ UInt64(A.objectName))) else { return nil }
        let root = try readU64(attributes &+ UInt64(A.rootDirectory))
        guard root != 0, let entry = handles.lookup(root), let directory = entry.payload as? ObjectsArea.NamePayload else {
            return name
        }
        return directory.name == "\\" ? "\\" + name : directory.name + "\\" + name
    }
}
