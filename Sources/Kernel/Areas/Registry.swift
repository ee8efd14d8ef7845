/// The virtual registry (Registry/VirtualRegistry.swift): keys are handles of
/// kind "Key" whose payload is a `RegistryArea.KeyObject`; ZwClose (objects
/// area) closes them like any handle. Nothing reaches the host registry.
///
/// RtlQueryRegistryValues supports RTL_QUERY_REGISTRY_DIRECT fully. Entries
/// with a QueryRoutine (and no DIRECT) are skipped with a note: the model
/// cannot call guest code from inside a kernel call.
enum RegistryArea {
    /// Zw and Nt twins are registered one by one (same body), so both names are greppable.
    static let handlers: [KernelExport] = [
        .ntoskrnl("RtlQueryRegistryValues", StatusHandlers.wrap { try queryRegistryValues($0) }),
        .ntoskrnl("RtlQueryRegistryValuesEx", StatusHandlers.wrap { try queryRegistryValues($0) }),
        .ntoskrnl("RtlWriteRegistryValue", StatusHandlers.wrap { try writeRegistryValue($0) }),
        .ntoskrnl("RtlDeleteRegistryValue", StatusHandlers.wrap { try deleteRegistryValue($0) }),
        .ntoskrnl("RtlCheckRegistryKey", StatusHandlers.wrap { call in
            _ = try rtlKey(call, relativeTo: call.arg32(0), path: call.arg(1), create: false)
            return NTStatus.success
        }),
        .ntoskrnl("RtlCreateRegistryKey", StatusHandlers.wrap { call in
            _ = try rtlKey(call, relativeTo: call.arg32(0), path: call.arg(1), create: true)
            return NTStatus.success
        }),
        .ntoskrnl("IoOpenDeviceRegistryKey", StatusHandlers.wrap { try openDeviceRegistryKey($0) }),
        .ntoskrnl("IoOpenDriverRegistryKey", StatusHandlers.wrap { try openDriverRegistryKey($0) }),
        .ntoskrnl("ZwOpenKey", StatusHandlers.wrap { try openKey($0) }),
        .ntoskrnl("NtOpenKey", StatusHandlers.wrap { try openKey($0) }),
        .ntoskrnl("ZwOpenKeyEx", StatusHandlers.wrap { try openKey($0) }),
        .ntoskrnl("NtOpenKeyEx", StatusHandlers.wrap { try openKey($0) }),
        .ntoskrnl("ZwCreateKey", StatusHandlers.wrap { try createKey($0) }),
        .ntoskrnl("NtCreateKey", StatusHandlers.wrap { try createKey($0) }),
        .ntoskrnl("ZwQueryValueKey", StatusHandlers.wrap { try queryValueKey($0) }),
        .ntoskrnl("NtQueryValueKey", StatusHandlers.wrap { try queryValueKey($0) }),
        .ntoskrnl("ZwEnumerateValueKey", StatusHandlers.wrap { try enumerateValueKey($0) }),
        .ntoskrnl("NtEnumerateValueKey", StatusHandlers.wrap { try enumerateValueKey($0) }),
        .ntoskrnl("ZwSetValueKey", StatusHandlers.wrap { try setValueKey($0) }),
        .ntoskrnl("NtSetValueKey", StatusHandlers.wrap { try setValueKey($0) }),
        .ntoskrnl("ZwDeleteValueKey", StatusHandlers.wrap { try deleteValueKey($0) }),
        .ntoskrnl("NtDeleteValueKey", StatusHandlers.wrap { try deleteValueKey($0) }),
        .ntoskrnl("ZwDeleteKey", StatusHandlers.wrap(deleteKey)),
        .ntoskrnl("NtDeleteKey", StatusHandlers.wrap(deleteKey)),
        .ntoskrnl("ZwEnumerateKey", StatusHandlers.wrap { try enumerateKey($0) }),
        .ntoskrnl("NtEnumerateKey", StatusHandlers.wrap { try enumerateKey($0) }),
        .ntoskrnl("ZwQueryKey", StatusHandlers.wrap { try queryKey($0) }),
        .ntoskrnl("NtQueryKey", StatusHandlers.wrap { try queryKey($0) }),
        .ntoskrnl("ZwFlushKey", StatusHandlers.wrap(flushKey)),
        .ntoskrnl("NtFlushKey", StatusHandlers.wrap(flushKey)),
        .ntoskrnl("ZwUnloadKey", StatusHandlers.wrap { try unloadKey($0) }),
        .ntoskrnl("NtUnloadKey", StatusHandlers.wrap { try unloadKey($0) }),
    ]

    /// ZwDeleteKey(KeyHandle).
    static func deleteKey(_ call: KernelCall) throws -> UInt32 {
        let key = try key(call, call.arg(0))
        call.note(key.path)
        return registry(call.kernel).deleteKey(key)
    }

    /// ZwFlushKey(KeyHandle): nothing to flush, but the handle must be a key.
    static func flushKey(_ call: KernelCall) throws -> UInt32 {
        _ = try key(call, call.arg(0))
        return NTStatus.success
    }

    /// The payload of a "Key" handle.
    final class KeyObject {
        let key: RegistryKey
        let access: UInt32
        init(key: RegistryKey, access: UInt32) {
            self.key = key
            self.access = access
        }
    }

    static func registry(_ kernel: Kernel) -> VirtualRegistry {
        kernel.state(VirtualRegistry.self) { VirtualRegistry(configuration: kernel.configuration) }
    }

    /// The key behind a handle (STATUS_INVALID_HANDLE, _OBJECT_TYPE_MISMATCH, _KEY_DELETED otherwise).
    static func key(_ call: KernelCall, _ handle: UInt64) throws -> RegistryKey {
        guard let entry = call.kernel.handles.lookup(handle) else { throw GuestStatusError(NTStatus.invalidHandle) }
        guard entry.kind == "Key", let object = entry.payload as? KeyObject else { throw GuestStatusError(NTStatus.objectTypeMismatch) }
        guard !object.key.deleted else { throw GuestStatusError(AreaStatus.keyDeleted) }
        return object.key
    }

    static func insertHandle(_ call: KernelCall, _ key: RegistryKey, access: UInt32, out: UInt64) throws -> UInt32 {
        guard let handle = call.kernel.handles.insert(.init(kind: "Key", payload: KeyObject(key: key, access: access))) else {
            return NTStatus.insufficientResources
        }
        try call.kernel.writeU64(out, handle)
        return NTStatus.success
    }

    /// OBJECT_ATTRIBUTES → the base key (RootDirectory) and the path components under it.
    static func target(_ call: KernelCall, _ objectAttributes: UInt64) throws -> (base: RegistryKey?, components: [String]) {
        let (root, units, _) = try StatusHandlers.objectAttributes(call.kernel, objectAttributes)
        let name = GuestText.string(units ?? [])
        call.note(name)
        if root != 0 {
            let base = try key(call, root)
            guard let components = VirtualRegistry.components(ofRelative: name) else { throw GuestStatusError(AreaStatus.objectPathSyntaxBad) }
            return (base, components)
        }
        guard name.hasPrefix("\\") else { throw GuestStatusError(name.isEmpty ? NTStatus.objectNameInvalid : AreaStatus.objectPathSyntaxBad) }
        guard let components = VirtualRegistry.components(ofAbsolute: name) else { throw GuestStatusError(NTStatus.objectPathNotFound) }
        return (nil, components)
    }

    // MARK: Zw*Key

    /// ZwOpenKey(KeyHandle, DesiredAccess, ObjectAttributes) / ZwOpenKeyEx(…, OpenOptions).
    static func openKey(_ call: KernelCall) throws -> UInt32 {
        let (base, components) = try target(call, call.arg(2))
        guard let key = registry(call.kernel).find(components, from: base) else { return NTStatus.objectNameNotFound }
        return try insertHandle(call, key, access: call.arg32(1), out: call.arg(0))
    }

    /// ZwCreateKey(KeyHandle, DesiredAccess, ObjectAttributes, TitleIndex, Class, CreateOptions, Disposition).
    static func createKey(_ call: KernelCall) throws -> UInt32 {
        let (base, components) = try target(call, call.arg(2))
        let options = try call.arg32(5), dispositionOut = try call.arg(6)
        let outcome = registry(call.kernel).create(components, from: base, volatile: options & 1 != 0)
        let key: RegistryKey, disposition: UInt32
        switch outcome {
        case .created(let k):
            key = k
            disposition = 1 // REG_CREATED_NEW_KEY
            if let className = try GuestText.unicodeUnits(call.kernel, call.arg(4)) { k.className = GuestText.string(className) }
        case .opened(let k):
            key = k
            disposition = 2 // REG_OPENED_EXISTING_KEY
        case .failed(let status):
            return status
        }
        call.note(disposition == 1 ? "created" : "opened existing")
        let status = try insertHandle(call, key, access: call.arg32(1), out: call.arg(0))
        if status == NTStatus.success, dispositionOut != 0 { try call.kernel.writeU32(dispositionOut, disposition) }
        return status
    }

    /// The value name a UNICODE_STRING* designates (NULL or empty: the default value).
    static func valueName(_ call: KernelCall, _ address: UInt64) throws -> String {
        let name = GuestText.string(try GuestText.unicodeUnits(call.kernel, address) ?? [])
        call.note(name.isEmpty ? "(default)" : name)
        return name
    }

    /// ZwQueryValueKey(KeyHandle, ValueName, KeyValueInformationClass, KeyValueInformation, Length, ResultLength).
    static func queryValueKey(_ call: KernelCall) throws -> UInt32 {
        let key = try key(call, call.arg(0))
        let name = try valueName(call, call.arg(1))
        guard let index = key.valueIndex(name) else { return NTStatus.objectNameNotFound }
        let entry = key.values[index]
        return try writeValueInformation(call.kernel, name: entry.name, value: entry.value, infoClass: call.arg32(2),
                                         buffer: call.arg(3), length: call.arg32(4), resultLength: call.arg(5))
    }

    /// ZwEnumerateValueKey(KeyHandle, Index, KeyValueInformationClass, KeyValueInformation, Length, ResultLength).
    static func enumerateValueKey(_ call: KernelCall) throws -> UInt32 {
        let key = try key(call, call.arg(0))
        let index = Int(try call.arg32(1))
        guard index < key.values.count else { return NTStatus.noMoreEntries }
        let entry = key.values[index]
        call.note("#\(index) \(entry.name)")
        return try writeValueInformation(call.kernel, name: entry.name, value: entry.value, infoClass: call.arg32(2),
                                         buffer: call.arg(3), length: call.arg32(4), resultLength: call.arg(5))
    }

    static func writeValueInformation(_ kernel: Kernel, name: String, value: RegistryValue, infoClass: UInt32,
                                      buffer: UInt64, length: UInt32, resultLength: UInt64) throws -> UInt32 {
        typealias L = Layout.Registry.KeyValueInformation
        let nameBytes = RegistryValue.utf16le(name)
        switch infoClass {
        case 0: // KeyValueBasicInformation
            var fixed = StructImage(size: L.basicName)
            fixed.u32(L.basicType, value.type)
            fixed.u32(L.basicNameLength, UInt32(nameBytes.count))
            return try StatusHandlers.emit(kernel, buffer: buffer, length: length, fixed: fixed.bytes,
                                           parts: [(L.basicName, nameBytes)], resultLength: resultLength)
        case 1, 3: // KeyValueFullInformation(Align64): data 8-aligned on x64, DataOffset -1 without data
            let dataOffset = value.data.isEmpty ? 0 : (L.fullName + nameBytes.count + 7) & ~7
            var fixed = StructImage(size: L.fullName)
            fixed.u32(L.fullType, value.type)
            fixed.u32(L.fullDataOffset, value.data.isEmpty ? 0xFFFF_FFFF : UInt32(dataOffset))
            fixed.u32(L.fullDataLength, UInt32(value.data.count))
            fixed.u32(L.fullNameLength, UInt32(nameBytes.count))
            var parts: [(offset: Int, bytes: [UInt8])] = [(L.fullName, nameBytes)]
            if !value.data.isEmpty { parts.append((dataOffset, value.data)) }
            return try StatusHandlers.emit(kernel, buffer: buffer, length: length, fixed: fixed.bytes, parts: parts,
                                           resultLength: resultLength)
        case 2: // KeyValuePartialInformation
            var fixed = StructImage(size: L.partialData)
            fixed.u32(L.partialType, value.type)
            fixed.u32(L.partialDataLength, UInt32(value.data.count))
            return try StatusHandlers.emit(kernel, buffer: buffer, length: length, fixed: fixed.bytes,
                                           parts: [(L.partialData, value.data)], resultLength: resultLength)
        case 4: // KeyValuePartialInformationAlign64
            var fixed = StructImage(size: L.partial64Data)
            fixed.u32(L.partial64Type, value.type)
            fixed.u32(L.partial64DataLength, UInt32(value.data.count))
            return try StatusHandlers.emit(kernel, buffer: buffer, length: length, fixed: fixed.bytes,
                                           parts: [(L.partial64Data, value.data)], resultLength: resultLength)
        default:
            return NTStatus.invalidParameter
        }
    }

    /// ZwSetValueKey(KeyHandle, ValueName, TitleIndex, Type, Data, DataSize).
    static func setValueKey(_ call: KernelCall) throws -> UInt32 {
        let key = try key(call, call.arg(0))
        let name = try valueName(call, call.arg(1))
        let type = try call.arg32(3), data = try call.arg(4), size = Int(try call.arg32(5))
        guard size <= VirtualRegistry.maxValueSize else { return NTStatus.insufficientResources }
        guard size == 0 || data != 0 else { return NTStatus.invalidParameter }
        let bytes = size == 0 ? [] : try call.kernel.readBytes(data, count: size)
        call.note("\(RegistryType.name(type)), \(size) bytes")
        return registry(call.kernel).setValue(key, name: name, RegistryValue(type: type, data: bytes))
    }

    /// ZwDeleteValueKey(KeyHandle, ValueName).
    static func deleteValueKey(_ call: KernelCall) throws -> UInt32 {
        let key = try key(call, call.arg(0))
        return registry(call.kernel).deleteValue(key, name: try valueName(call, call.arg(1)))
    }

    /// ZwEnumerateKey(KeyHandle, Index, KeyInformationClass, KeyInformation, Length, ResultLength): subkeys by name.
    static func enumerateKey(_ call: KernelCall) throws -> UInt32 {
        let key = try key(call, call.arg(0))
        let index = Int(try call.arg32(1))
        let subkeys = key.sortedSubkeys
        guard index < subkeys.count else { return NTStatus.noMoreEntries }
        call.note("#\(index) \(subkeys[index].name)")
        return try writeKeyInformation(call.kernel, subkeys[index], infoClass: call.arg32(2), buffer: call.arg(3),
                                       length: call.arg32(4), resultLength: call.arg(5), fullName: false)
    }

    /// ZwQueryKey(KeyHandle, KeyInformationClass, KeyInformation, Length, ResultLength).
    static func queryKey(_ call: KernelCall) throws -> UInt32 {
        let key = try key(call, call.arg(0))
        call.note(key.path)
        return try writeKeyInformation(call.kernel, key, infoClass: call.arg32(1), buffer: call.arg(2),
                                       length: call.arg32(3), resultLength: call.arg(4), fullName: true)
    }

    static func writeKeyInformation(_ kernel: Kernel, _ key: RegistryKey, infoClass: UInt32, buffer: UInt64,
                                    length: UInt32, resultLength: UInt64, fullName: Bool) throws -> UInt32 {
        typealias L = Layout.Registry.KeyInformation
        let name = RegistryValue.utf16le(key.name)
        let className = RegistryValue.utf16le(key.className)
        func emit(_ fixed: StructImage, _ parts: [(offset: Int, bytes: [UInt8])]) throws -> UInt32 {
            try StatusHandlers.emit(kernel, buffer: buffer, length: length, fixed: fixed.bytes, parts: parts, resultLength: resultLength)
        }
        let maxNameLen = key.subkeys.values.map { $0.name.utf16.count * 2 }.max() ?? 0
        let maxClassLen = key.subkeys.values.map { $0.className.utf16.count * 2 }.max() ?? 0
        let maxValueNameLen = key.values.map { $0.name.utf16.count * 2 }.max() ?? 0
        let maxValueDataLen = key.values.map { $0.value.data.count }.max() ?? 0
        switch infoClass {
        case 0: // KeyBasicInformation
            var fixed = StructImage(size: L.basicName)
            fixed.u64(L.basicLastWriteTime, key.lastWriteTime)
            fixed.u32(L.basicNameLength, UInt32(name.count))
            return try emit(fixed, [(L.basicName, name)])
        case 1: // KeyNodeInformation: the class follows the name, ULONG-aligned
            let classOffset = (L.nodeName + name.count + 3) & ~3
            var fixed = StructImage(size: L.nodeName)
            fixed.u64(0, key.lastWriteTime)
            fixed.u32(L.nodeClassOffset, className.isEmpty ? 0xFFFF_FFFF : UInt32(classOffset))
            fixed.u32(L.nodeClassLength, UInt32(className.count))
            fixed.u32(L.nodeNameLength, UInt32(name.count))
            return try emit(fixed, [(L.nodeName, name), (classOffset, className)])
        case 2: // KeyFullInformation
            var fixed = StructImage(size: L.fullClass)
            fixed.u64(0, key.lastWriteTime)
            fixed.u32(L.fullClassOffset, className.isEmpty ? 0xFFFF_FFFF : UInt32(L.fullClass))
            fixed.u32(L.fullClassLength, UInt32(className.count))
            fixed.u32(L.fullSubKeys, UInt32(key.subkeys.count))
            fixed.u32(L.fullMaxNameLen, UInt32(maxNameLen))
            fixed.u32(L.fullMaxClassLen, UInt32(maxClassLen))
            fixed.u32(L.fullValues, UInt32(key.values.count))
            fixed.u32(L.fullMaxValueNameLen, UInt32(maxValueNameLen))
            fixed.u32(L.fullMaxValueDataLen, UInt32(maxValueDataLen))
            return try emit(fixed, [(L.fullClass, className)])
        case 3: // KeyNameInformation: the full path for ZwQueryKey
            let text = fullName ? RegistryValue.utf16le(key.path) : name
            var fixed = StructImage(size: L.nameName)
            fixed.u32(L.nameNameLength, UInt32(text.count))
            return try emit(fixed, [(L.nameName, text)])
        case 4: // KeyCachedInformation
            var fixed = StructImage(size: L.cachedSize)
            fixed.u64(0, key.lastWriteTime)
            fixed.u32(L.cachedSubKeys, UInt32(key.subkeys.count))
            fixed.u32(L.cachedMaxNameLen, UInt32(maxNameLen))
            fixed.u32(L.cachedValues, UInt32(key.values.count))
            fixed.u32(L.cachedMaxValueNameLen, UInt32(maxValueNameLen))
            fixed.u32(L.cachedMaxValueDataLen, UInt32(maxValueDataLen))
            fixed.u32(L.cachedNameLength, UInt32(name.count))
            return try emit(fixed, [])
        case 6, 7: // KeyVirtualizationInformation, KeyHandleTagsInformation: one ULONG, zero
            return try emit(StructImage(size: 4), [])
        default:
            return NTStatus.invalidParameter
        }
    }

    /// ZwUnloadKey(TargetKey): the key must exist; the model keeps its contents.
    static func unloadKey(_ call: KernelCall) throws -> UInt32 {
        let (base, components) = try target(call, call.arg(0))
        return registry(call.kernel).find(components, from: base) == nil ? NTStatus.objectNameNotFound : NTStatus.success
    }

    // MARK: Rtl*Registry*

    static let relativeRoots: [UInt32: String] = [
        0: "",
        1: "\\Registry\\Machine\\System\\CurrentControlSet\\Services",
        2: "\\Registry\\Machine\\System\\CurrentControlSet\\Control",
        3: "\\Registry\\Machine\\Software\\Microsoft\\Windows NT\\CurrentVersion",
        4: "\\Registry\\Machine\\Hardware\\DeviceMap",
        5: "\\Registry\\User\\.Default",
    ]
    static let rtlRegistryHandle: UInt32 = 0x4000_0000
    static let rtlRegistryOptional: UInt32 = 0x8000_0000

    /// The key an Rtl registry routine's (RelativeTo, Path) names; `create` makes the last
    /// component as ZwCreateKey would (its parent must exist).
    static func rtlKey(_ call: KernelCall, relativeTo: UInt32, path: UInt64, create: Bool) throws -> RegistryKey {
        if relativeTo & rtlRegistryHandle != 0 { return try key(call, path) }
        guard let prefix = relativeRoots[relativeTo & ~rtlRegistryOptional] else { throw GuestStatusError(NTStatus.invalidParameter) }
        let tail = path == 0 ? "" : GuestText.string(try GuestText.wideZ(call.kernel, path, max: 0x7FFF))
        let full: String
        if prefix.isEmpty {
            full = tail
        } else {
            full = tail.isEmpty ? prefix : prefix + (tail.hasPrefix("\\") ? "" : "\\") + tail
        }
        call.note(full)
        guard let components = VirtualRegistry.components(ofAbsolute: full) else { throw GuestStatusError(AreaStatus.objectPathSyntaxBad) }
        let registry = registry(call.kernel)
        if create {
            switch registry.create(components) {
            case .created(let key), .opened(let key): return key
            case .failed(let status): throw GuestStatusError(status)
            }
        }
        guard let key = registry.find(components) else { throw GuestStatusError(NTStatus.objectNameNotFound) }
        return key
    }

    /// RtlWriteRegistryValue(RelativeTo, Path, ValueName, ValueType, ValueData, ValueLength).
    static func writeRegistryValue(_ call: KernelCall) throws -> UInt32 {
        let key = try rtlKey(call, relativeTo: call.arg32(0), path: call.arg(1), create: true)
        let name = try call.arg(2) == 0 ? "" : GuestText.string(try GuestText.wideZ(call.kernel, call.arg(2), max: VirtualRegistry.maxValueNameLength))
        let type = try call.arg32(3), data = try call.arg(4), size = Int(try call.arg32(5))
        guard size <= VirtualRegistry.maxValueSize else { return NTStatus.insufficientResources }
        let bytes = size == 0 || data == 0 ? [] : try call.kernel.readBytes(data, count: size)
        call.note("\(name) \(RegistryType.name(type)), \(size) bytes")
        return registry(call.kernel).setValue(key, name: name, RegistryValue(type: type, data: bytes))
    }

    /// RtlDeleteRegistryValue(RelativeTo, Path, ValueName).
    static func deleteRegistryValue(_ call: KernelCall) throws -> UInt32 {
        let key = try rtlKey(call, relativeTo: call.arg32(0), path: call.arg(1), create: false)
        let name = try call.arg(2) == 0 ? "" : GuestText.string(try GuestText.wideZ(call.kernel, call.arg(2), max: VirtualRegistry.maxValueNameLength))
        call.note(name)
        return registry(call.kernel).deleteValue(key, name: name)
    }

    enum QueryFlags {
        static let subkey: UInt32 = 0x1, topkey: UInt32 = 0x2, required: UInt32 = 0x4, noValue: UInt32 = 0x8
        static let noExpand: UInt32 = 0x10, direct: UInt32 = 0x20, delete: UInt32 = 0x40, typecheck: UInt32 = 0x100
    }

    /// RtlQueryRegistryValues(RelativeTo, Path, QueryTable, Context, Environment).
    static func queryRegistryValues(_ call: KernelCall) throws -> UInt32 {
        let kernel = call.kernel
        let top = try rtlKey(call, relativeTo: call.arg32(0), path: call.arg(1), create: false)
        let table = try call.arg(2)
        guard table != 0 else { return NTStatus.invalidParameter }
        typealias T = Layout.Registry.QueryRegistryTable
        var current: RegistryKey? = top
        for index in 0..<256 {
            let entry = table &+ UInt64(index * T.size)
            let routine = try kernel.readU64(entry &+ UInt64(T.queryRoutine))
            let flags = try kernel.readU32(entry &+ UInt64(T.flags))
            guard routine != 0 || flags & (QueryFlags.subkey | QueryFlags.direct) != 0 else { break }
            let namePointer = try kernel.readU64(entry &+ UInt64(T.name))
            let name = namePointer == 0 ? nil : GuestText.string(try GuestText.wideZ(kernel, namePointer, max: VirtualRegistry.maxValueNameLength))
            if flags & QueryFlags.topkey != 0 { current = top }
            if flags & QueryFlags.subkey != 0 {
                guard let name else { return NTStatus.invalidParameter }
                guard let components = VirtualRegistry.components(ofRelative: name) else { return AreaStatus.objectPathSyntaxBad }
                current = registry(kernel).find(components, from: top)
                call.note("subkey \(name)" + (current == nil ? " (missing)" : ""))
                if current == nil, flags & QueryFlags.required != 0 { return NTStatus.objectNameNotFound }
                if routine != 0, flags & QueryFlags.direct == 0 {
                    call.note("QueryRoutine 0x\(String(routine, radix: 16)) for the values of \(name) not called (guest callbacks are not modelled)")
                }
                continue
            }
            let value = name.flatMap { current?.value($0) }
            guard flags & QueryFlags.direct != 0 else {
                call.note("QueryRoutine 0x\(String(routine, radix: 16)) for \(name ?? "all values") not called (guest callbacks are not modelled)")
                if name != nil, value == nil, flags & QueryFlags.required != 0 { return NTStatus.objectNameNotFound }
                continue
            }
            guard let name else { return NTStatus.invalidParameter }
            let context = try kernel.readU64(entry &+ UInt64(T.entryContext))
            let defaultType = try kernel.readU32(entry &+ UInt64(T.defaultType))
            if let value {
                if flags & QueryFlags.typecheck != 0, defaultType >> 24 != value.type {
                    call.note("\(name): \(RegistryType.name(value.type)), expected \(RegistryType.name(defaultType >> 24))")
                    return NTStatus.objectTypeMismatch
                }
                call.note("\(name) = \(RegistryType.name(value.type)) (\(value.data.count) bytes)")
                let status = try queryDirect(call, value, flags: flags, context: context)
                guard NTStatus.isSuccess(status) else { return status }
                if flags & QueryFlags.delete != 0, let current { _ = registry(kernel).deleteValue(current, name: name) }
            } else {
                if flags & QueryFlags.required != 0 { call.note("\(name) missing (required)"); return NTStatus.objectNameNotFound }
                let defaultData = try kernel.readU64(entry &+ UInt64(T.defaultData))
                let defaultLength = Int(try kernel.readU32(entry &+ UInt64(T.defaultLength)))
                guard defaultType & 0xFF_FFFF != RegistryType.none, defaultData != 0 else {
                    call.note("\(name) missing")
                    continue
                }
                let type = defaultType & 0xFF_FFFF
                let bytes: [UInt8]
                if defaultLength == 0 && [RegistryType.sz, RegistryType.expandSz].contains(type) {
                    bytes = GuestText.bytes(try GuestText.wideZ(kernel, defaultData, max: 0x7FFF)) + [0, 0]
                } else if defaultLength == 0 && type == RegistryType.multiSz {
                    var units: [UInt16] = []
                    var at = defaultData
                    while units.count < 0x7FFF {
                        let item = try GuestText.wideZ(kernel, at, max: 0x7FFF)
                        if item.isEmpty { break }
                        units += item + [0]
                        at &+= UInt64(item.count * 2 + 2)
                    }
                    bytes = GuestText.bytes(units + [0])
                } else {
                    guard defaultLength <= VirtualRegistry.maxValueSize else { return NTStatus.invalidParameter }
                    bytes = try kernel.readBytes(defaultData, count: defaultLength)
                }
                call.note("\(name) missing: default \(RegistryType.name(type))")
                let status = try queryDirect(call, RegistryValue(type: type, data: bytes), flags: flags, context: context)
                guard NTStatus.isSuccess(status) else { return status }
            }
        }
        return NTStatus.success
    }

    /// The environment REG_EXPAND_SZ values expand against.
    static let environment: [String: String] = [
        "SYSTEMROOT": "C:\\Windows", "WINDIR": "C:\\Windows", "SYSTEMDRIVE": "C:",
        "PROGRAMFILES": "C:\\Program Files", "PROGRAMDATA": "C:\\ProgramData",
        "PROCESSOR_ARCHITECTURE": "AMD64", "NUMBER_OF_PROCESSORS": "1", "OS": "Windows_NT",
    ]

    /// %NAME% → its value; unknown names stay as written (as RtlExpandEnvironmentStrings_U does).
    static func expand(_ text: [UInt16]) -> [UInt16] {
        var out: [UInt16] = []
        var index = 0
        let percent = UInt16(UInt8(ascii: "%"))
        while index < text.count, out.count < 0x7FFF {
            if text[index] == percent, let close = text[(index + 1)...].firstIndex(of: percent) {
                let name = GuestText.string(Array(text[(index + 1)..<close])).uppercased()
                if let value = environment[name] {
                    out += value.utf16
                    index = close + 1
                    continue
                }
            }
            out.append(text[index])
            index += 1
        }
        return out
    }

    /// RTL_QUERY_REGISTRY_DIRECT: strings into the UNICODE_STRING at EntryContext (allocated
    /// from pool when its Buffer is NULL); data of up to 4 bytes straight into EntryContext;
    /// longer data into a buffer whose size EntryContext's first LONG gives (negative: the
    /// buffer receives ULONG length, ULONG type, then the data).
    static func queryDirect(_ call: KernelCall, _ value: RegistryValue, flags: UInt32, context: UInt64) throws -> UInt32 {
        let kernel = call.kernel
        guard context != 0 else { return NTStatus.invalidParameter }
        var type = value.type, data = value.data
        if type == RegistryType.expandSz, flags & QueryFlags.noExpand == 0 {
            var units = GuestText.units(data)
            if let end = units.firstIndex(of: 0) { units = Array(units[..<end]) }
            data = GuestText.bytes(expand(units) + [0])
            type = RegistryType.sz
        }
        if type == RegistryType.multiSz, flags & QueryFlags.noExpand == 0 {
            // Each string in turn, as the query routine would see them: the last one stays.
            let units = GuestText.units(data)
            var status = NTStatus.success
            for item in units.split(separator: 0, omittingEmptySubsequences: true).prefix(4096) {
                status = try directString(kernel, GuestText.bytes(Array(item) + [0]), context: context)
                guard NTStatus.isSuccess(status) else { return status }
            }
            return status
        }
        if [RegistryType.sz, RegistryType.expandSz, RegistryType.multiSz].contains(type) {
            return try directString(kernel, data, context: context)
        }
        if data.count <= 4 {
            try kernel.writeBytes(context, data)
            return NTStatus.success
        }
        let size = Int32(bitPattern: try kernel.readU32(context))
        if size < 0 {
            let room = Int(-Int64(size))
            guard data.count + 8 <= room else { return NTStatus.bufferTooSmall }
            try kernel.writeU32(context, UInt32(data.count))
            try kernel.writeU32(context &+ 4, type)
            try kernel.writeBytes(context &+ 8, data)
        } else {
            guard data.count <= Int(size) else { return NTStatus.bufferTooSmall }
            try kernel.writeBytes(context, data)
        }
        return NTStatus.success
    }

    static func directString(_ kernel: Kernel, _ data: [UInt8], context: UInt64) throws -> UInt32 {
        var data = data
        if data.count % 2 != 0 { data.append(0) }
        if data.count < 2 || data[data.count - 2] != 0 || data[data.count - 1] != 0 { data += [0, 0] }
        guard data.count <= GuestText.maxCountedBytes else { return NTStatus.bufferTooSmall }
        let (_, maximum, buffer) = try GuestText.header(kernel, context)
        var target = buffer, maximumLength = maximum
        if buffer == 0 {
            target = try kernel.allocatePool(size: UInt64(data.count), tag: 0x20206D43, poolType: 1, executable: false) // 'Cm  ', paged
            guard target != 0 else { return NTStatus.noMemory }
            maximumLength = data.count
        } else if data.count > maximum {
            return NTStatus.bufferTooSmall
        }
        try kernel.writeBytes(target, data)
        try kernel.writeUnicodeStringHeader(context, buffer: target, length: data.count - 2, maximumLength: maximumLength)
        return NTStatus.success
    }

    // MARK: I/O manager keys

    static func serviceKeyPath(_ kernel: Kernel) -> String { kernel.configuration.registryPath }

    static func serviceName(_ kernel: Kernel) -> String {
        kernel.configuration.registryPath.split(separator: "\\").last.map(String.init) ?? "driver"
    }

    static func openCreating(_ call: KernelCall, _ path: String, access: UInt32, out: UInt64) throws -> UInt32 {
        call.note(path)
        guard let components = VirtualRegistry.components(ofAbsolute: path),
              let key = registry(call.kernel).createPath(components) else { return NTStatus.objectNameInvalid }
        return try insertHandle(call, key, access: access, out: out)
    }

    /// IoOpenDeviceRegistryKey(DeviceObject, DevInstKeyType, DesiredAccess, DeviceRegKey): the device's
    /// hardware key ("Device Parameters") or its driver (software) key, created on first use.
    static func openDeviceRegistryKey(_ call: KernelCall) throws -> UInt32 {
        let device = try call.arg(0), type = try call.arg32(1)
        guard device != 0 else { return NTStatus.invalidDeviceRequest }
        let ccs = "\\Registry\\Machine\\SYSTEM\\CurrentControlSet"
        let instance = "LEGACY_" + serviceName(call.kernel).uppercased()
        let path: String
        switch type & ~4 { // PLUGPLAY_REGKEY_CURRENT_HWPROFILE (4) selects the same keys in the model
        case 1: path = ccs + "\\Enum\\Root\\\(instance)\\0000\\Device Parameters"
        case 2: path = ccs + "\\Control\\Class\\{4d36e97d-e325-11ce-bfc1-08002be10318}\\0000"
        default: return NTStatus.invalidParameter
        }
        return try openCreating(call, path, access: call.arg32(2), out: call.arg(3))
    }

    /// IoOpenDriverRegistryKey(DriverObject, RegKeyType, DesiredAccess, Flags, DriverRegKey).
    static func openDriverRegistryKey(_ call: KernelCall) throws -> UInt32 {
        let type = try call.arg32(1), flags = try call.arg32(3)
        guard flags == 0 else { return NTStatus.invalidParameter }
        let service = serviceKeyPath(call.kernel)
        let path: String
        switch type {
        case 0: path = service + "\\Parameters"             // DriverRegKeyParameters
        case 1: path = service + "\\State"                  // DriverRegKeyPersistentState
        case 2: path = service + "\\SharedState"            // DriverRegKeySharedPersistentState
        default: return NTStatus.invalidParameter
        }
        return try openCreating(call, path, access: call.arg32(2), out: call.arg(4))
    }
}
