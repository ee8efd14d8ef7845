/// The object namespace: fixed directories, the devices and drivers the I/O
/// area knows, symbolic links (the I/O area's `objects.symbolicLinks` plus
/// `\GLOBAL??\C:`, `\SystemRoot`, …), object types and named objects the
/// driver inserted. Names compare case-insensitively; `\DosDevices` and `\??`
/// are `\GLOBAL??`.
extension ObjectsArea {
    /// Payload of Directory and SymbolicLink handles.
    final class NamePayload {
        let name: String
        let target: String?
        init(name: String, target: String? = nil) {
            self.name = name
            self.target = target
        }
    }

    enum Named {
        case directory(String)
        case link(name: String, target: String)
        case object(UInt64, kind: String)
    }

    static let directories = ["\\", "\\Device", "\\Driver", "\\FileSystem", "\\GLOBAL??", "\\ObjectTypes", "\\Callback",
                              "\\KernelObjects", "\\BaseNamedObjects", "\\Sessions", "\\RPC Control", "\\Windows",
                              "\\Security"]
    static let builtinLinks: [(String, String)] = [
        ("\\SystemRoot", "\\Device\\HarddiskVolume3\\Windows"), ("\\DosDevices", "\\??"),
        ("\\GLOBAL??\\C:", "\\Device\\HarddiskVolume3"), ("\\GLOBAL??\\NUL", "\\Device\\Null"),
        ("\\GLOBAL??\\PhysicalDrive0", "\\Device\\Harddisk0\\DR0"), ("\\GLOBAL??\\Global", "\\GLOBAL??"),
    ]

    static let namespaceHandlers: [KernelExport] = [
        .ntoskrnl("ObReferenceObjectByName") { try referenceByName($0) },
        .ntoskrnl("ObOpenObjectByName") { try openByName($0) },
        .ntoskrnl("ZwOpenDirectoryObject") { try openNamed($0, kind: "Directory") },
        .ntoskrnl("NtOpenDirectoryObject") { try openNamed($0, kind: "Directory") },
        .ntoskrnl("ZwOpenSymbolicLinkObject") { try openNamed($0, kind: "SymbolicLink") },
        .ntoskrnl("NtOpenSymbolicLinkObject") { try openNamed($0, kind: "SymbolicLink") },
        .ntoskrnl("ZwQueryDirectoryObject") { try queryDirectory($0) },
        .ntoskrnl("NtQueryDirectoryObject") { try queryDirectory($0) },
        .ntoskrnl("ZwQuerySymbolicLinkObject") { try querySymbolicLink($0) },
        .ntoskrnl("NtQuerySymbolicLinkObject") { try querySymbolicLink($0) },
    ]

    /// ObReferenceObjectByName(ObjectName, Attributes, AccessState, DesiredAccess, ObjectType, AccessMode,
    ///                         ParseContext, *Object).
    static func referenceByName(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, out = try call.arg(7)
        let name = try kernel.readUnicodeString(call.arg(0)) ?? ""
        call.note(name)
        let (status, object) = try resolveObject(call, name: name, type: call.arg(4))
        guard status == NTStatus.success, let object else { return UInt64(status) }
        _ = try reference(call, object.address)
        try kernel.writeU64(out, object.address)
        return UInt64(NTStatus.success)
    }

    /// ObOpenObjectByName(ObjectAttributes, ObjectType, AccessMode, AccessState, DesiredAccess, ParseContext, *Handle).
    static func openByName(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, out = try call.arg(6)
        guard let name = try kernel.obAttributesName(call.arg(0)) else { return UInt64(NTStatus.objectNameInvalid) }
        call.note(name)
        let (status, object) = try resolveObject(call, name: name, type: call.arg(1))
        guard status == NTStatus.success, let object else { return UInt64(status) }
        guard let handle = try kernel.obInsertHandle(kind: object.kind, object: object.address, access: call.arg32(4)) else {
            return UInt64(NTStatus.insufficientResources)
        }
        try kernel.writeU64(out, handle)
        return UInt64(NTStatus.success)
    }

    /// A name to an object, following symbolic links (at most 8), with its type checked.
    static func resolveObject(_ call: KernelCall, name: String, type: UInt64)
        throws -> (UInt32, (address: UInt64, kind: String)?)
    {
        let kernel = call.kernel, model = try kernel.obModel()
        guard name.hasPrefix("\\") else { return (NTStatus.objectPathSyntaxBad, nil) }
        var path = name
        for _ in 0..<8 {
            guard let found = try kernel.obLookupName(path) else {
                return (try kernel.obParentExists(path) ? NTStatus.objectNameNotFound : NTStatus.objectPathNotFound, nil)
            }
            let address: UInt64, kind: String
            switch found {
            case .link(_, let target) where model.expectedKind(type) != "SymbolicLink":
                path = target
                continue
            case .link(let linkName, let target):
                (address, kind) = (try kernel.obNamedBody(linkName, kind: "SymbolicLink", target: target), "SymbolicLink")
            case .directory(let directory):
                (address, kind) = (try kernel.obNamedBody(directory, kind: "Directory"), "Directory")
            case .object(let object, let objectKind):
                (address, kind) = (object, objectKind)
            }
            if let expected = model.expectedKind(type), expected != kind { return (NTStatus.objectTypeMismatch, nil) }
            return (NTStatus.success, (address, kind))
        }
        return (NTStatus.objectNameNotFound, nil)
    }

    /// ZwOpenDirectoryObject / ZwOpenSymbolicLinkObject(*Handle, DesiredAccess, ObjectAttributes).
    static func openNamed(_ call: KernelCall, kind: String) throws -> UInt64 {
        let kernel = call.kernel, out = try call.arg(0), access = try call.arg32(1)
        guard let name = try kernel.obAttributesName(call.arg(2)) else { return UInt64(NTStatus.objectNameInvalid) }
        call.note(name)
        guard name.hasPrefix("\\") else { return UInt64(NTStatus.objectPathSyntaxBad) }
        guard let found = try kernel.obLookupName(name) else {
            return UInt64(try kernel.obParentExists(name) ? NTStatus.objectNameNotFound : NTStatus.objectPathNotFound)
        }
        let payload: NamePayload
        switch (found, kind) {
        case (.directory(let path), "Directory"): payload = NamePayload(name: path)
        case (.link(let link, let target), "SymbolicLink"): payload = NamePayload(name: link, target: target)
        default: return UInt64(NTStatus.objectTypeMismatch)
        }
        let body = try kernel.obNamedBody(payload.name, kind: kind, target: payload.target)
        guard let handle = try kernel.obInsertHandle(kind: kind, object: body, access: access, payload: payload) else {
            return UInt64(NTStatus.insufficientResources)
        }
        try kernel.writeU64(out, handle)
        return UInt64(NTStatus.success)
    }

    /// ZwQuerySymbolicLinkObject(LinkHandle, LinkTarget, *ReturnedLength).
    static func querySymbolicLink(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, handle = try call.arg(0), target = try call.arg(1), returned = try call.arg(2)
        guard let entry = kernel.handles.lookup(handle) else { return UInt64(NTStatus.invalidHandle) }
        guard entry.kind == "SymbolicLink", let text = (entry.payload as? NamePayload)?.target else {
            return UInt64(NTStatus.objectTypeMismatch)
        }
        call.note(text)
        let units = Array(text.utf16.prefix(0x7FFE)), length = units.count * 2
        let maximum = Int(try kernel.readU16(target &+ UInt64(Layout.UnicodeString.maximumLength)))
        let withNul = maximum >= length &+ 2
        if returned != 0 { try kernel.writeU32(returned, UInt32(length &+ 2)) }
        guard maximum >= length else { return UInt64(NTStatus.bufferTooSmall) }
        let buffer = try kernel.readU64(target &+ UInt64(Layout.UnicodeString.buffer))
        try kernel.writeBytes(buffer, units.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } + (withNul ? [0, 0] : []))
        try kernel.writeU16(target &+ UInt64(Layout.UnicodeString.length), UInt16(length))
        if returned != 0 { try kernel.writeU32(returned, UInt32(length + (withNul ? 2 : 0))) }
        return UInt64(NTStatus.success)
    }

    /// ZwQueryDirectoryObject(DirectoryHandle, Buffer, Length, ReturnSingleEntry, RestartScan, *Context, *ReturnLength):
    /// OBJECT_DIRECTORY_INFORMATION entries (Name, TypeName), a zeroed terminator, then the strings.
    static func queryDirectory(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, handle = try call.arg(0), buffer = try call.arg(1), length = Int(try call.arg32(2))
        let single = try call.arg32(3) & 0xFF != 0, restart = try call.arg32(4) & 0xFF != 0
        let contextOut = try call.arg(5), returnLength = try call.arg(6)
        guard let entry = kernel.handles.lookup(handle) else { return UInt64(NTStatus.invalidHandle) }
        guard entry.kind == "Directory", let path = (entry.payload as? NamePayload)?.name else {
            return UInt64(NTStatus.objectTypeMismatch)
        }
        let entries = try kernel.obDirectoryEntries(path)
        let start = restart ? 0 : Int(min(try kernel.readU32(contextOut), UInt32(Int32.max)))
        guard start < entries.count else { return UInt64(NTStatus.noMoreEntries) }
        var chosen: [(String, String)] = [], stringBytes = 0
        for item in entries[start...] {
            let bytes = (item.0.utf16.count + item.1.utf16.count) * 2 &+ 4
            let needed = (chosen.count &+ 2) * 0x20 + stringBytes + bytes
            if needed > length { break }
            chosen.append(item)
            stringBytes += bytes
            if single { break }
        }
        guard !chosen.isEmpty else {
            let first = entries[start]
            if returnLength != 0 {
                try kernel.writeU32(returnLength, UInt32(0x40 + (first.0.utf16.count + first.1.utf16.count) * 2 &+ 4))
            }
            return UInt64(NTStatus.bufferTooSmall)
        }
        var cursor = buffer &+ UInt64((chosen.count &+ 1) * 0x20)
        for (index, (name, type)) in chosen.enumerated() {
            for (offset, text) in [(0, name), (0x10, type)] {
                let units = Array(text.utf16)
                try kernel.writeBytes(cursor, units.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } + [0, 0])
                try kernel.writeUnicodeStringHeader(buffer &+ UInt64(index * 0x20 + offset), buffer: cursor,
                                                    length: units.count * 2, maximumLength: units.count * 2 &+ 2)
                cursor &+= UInt64(units.count * 2 &+ 2)
            }
        }
        try kernel.fill(buffer &+ UInt64(chosen.count * 0x20), count: 0x20)
        try kernel.writeU32(contextOut, UInt32(start + chosen.count))
        if returnLength != 0 { try kernel.writeU32(returnLength, UInt32(truncatingIfNeeded: cursor &- buffer)) }
        return UInt64(start + chosen.count < entries.count && !single ? NTStatus.moreEntries : NTStatus.success)
    }
}

extension Kernel {
    /// Lower case, `\DosDevices` and `\??` as `\GLOBAL??`, no trailing backslash.
    static func obCanonical(_ name: String) -> String {
        var text = name.lowercased()
        while text.count > 1, text.hasSuffix("\\") { text.removeLast() }
        for prefix in ["\\dosdevices", "\\??"] where text == prefix || text.hasPrefix(prefix + "\\") {
            text = "\\global??" + text.dropFirst(prefix.count)
        }
        return text
    }

    /// Every symbolic link: (link name, target).
    func obSymbolicLinks() -> [(String, String)] {
        ObjectsArea.builtinLinks.filter { builtin in
            !objects.symbolicLinks.keys.contains { Self.obCanonical($0) == Self.obCanonical(builtin.0) }
        } + objects.symbolicLinks.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// What a name names, if anything (links not followed).
    func obLookupName(_ name: String) throws -> ObjectsArea.Named? {
        let model = try obModel(), wanted = Self.obCanonical(name)
        if let directory = ObjectsArea.directories.first(where: { Self.obCanonical($0) == wanted }) {
            return .directory(directory)
        }
        if let link = obSymbolicLinks().first(where: { Self.obCanonical($0.0) == wanted }) {
            return .link(name: link.0, target: link.1)
        }
        if let device = objects.devices.first(where: { $0.value.name.map(Self.obCanonical) == wanted }) {
            return .object(device.key, kind: "Device")
        }
        for driver in Set(objects.devices.values.map(\.driverObject)).sorted() where driver != 0 {
            if let driverName = try? readUnicodeString(driver &+ UInt64(Layout.DriverObject.driverName)),
               Self.obCanonical(driverName) == wanted {
                return .object(driver, kind: "Driver")
            }
        }
        if let record = model.records.first(where: {
            $0.value.inserted && !$0.value.deleted && $0.value.name.map(Self.obCanonical) == wanted
        }) {
            return .object(record.key, kind: record.value.kind)
        }
        return nil
    }

    /// Whether the directory part of `name` exists (NAME_NOT_FOUND vs PATH_NOT_FOUND).
    func obParentExists(_ name: String) throws -> Bool {
        let canonical = Self.obCanonical(name)
        guard let cut = canonical.lastIndex(of: "\\") else { return false }
        let parent = cut == canonical.startIndex ? "\\" : String(canonical[..<cut])
        if case .directory? = try obLookupName(parent) { return true }
        return false
    }

    /// The (name, type name) entries of a directory, sorted by name.
    func obDirectoryEntries(_ path: String) throws -> [(String, String)] {
        let model = try obModel(), directory = Self.obCanonical(path)
        var entries: [(String, String)] = []
        func add(_ fullName: String, _ type: String) {
            let canonical = Self.obCanonical(fullName)
            guard let cut = canonical.lastIndex(of: "\\") else { return }
            let parent = cut == canonical.startIndex ? "\\" : String(canonical[..<cut])
            guard parent == directory, let last = fullName.split(separator: "\\").last else { return }
            entries.append((String(last), type))
        }
        for name in ObjectsArea.directories where name != "\\" { add(name, "Directory") }
        for (link, _) in obSymbolicLinks() {
            add(link.hasPrefix("\\??\\") || link.lowercased().hasPrefix("\\dosdevices\\")
                ? "\\GLOBAL??\\" + (link.split(separator: "\\").last.map(String.init) ?? "") : link, "SymbolicLink")
        }
        for device in objects.devices.values { if let name = device.name { add(name, "Device") } }
        for driver in Set(objects.devices.values.map(\.driverObject)).sorted() where driver != 0 {
            if let name = try? readUnicodeString(driver &+ UInt64(Layout.DriverObject.driverName)) { add(name, "Driver") }
        }
        for record in model.records.values where record.inserted && !record.deleted {
            if let name = record.name { add(name, record.kind) }
        }
        return entries.sorted { $0.0.lowercased() < $1.0.lowercased() }
    }

    /// The one body standing for a namespace object (directory, link) by its canonical name.
    func obNamedBody(_ name: String, kind: String, target: String? = nil) throws -> UInt64 {
        let model = try obModel(), key = kind + ":" + Self.obCanonical(name)
        if let body = model.namedBodies[key] { return body }
        let body = try obAllocate(kind: kind, bodySize: 0x40, name: name)
        model.namedBodies[key] = body
        return body
    }
}
