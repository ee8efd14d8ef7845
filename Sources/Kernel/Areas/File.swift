import Memory

/// The virtual file namespace (File/VirtualFileSystem.swift) and sections.
/// Files are handles of kind "File" (payload `FileArea.OpenFile`), sections
/// of kind "Section" (payload `FileArea.Section`). Nothing touches the host.
///
/// Sections and views with an executable protection are Driver Verifier
/// 0xC4/0x2001 (they are on the HVCI list); the view is then mapped with the
/// rights asked, and with HVCI on the SLAT keeps its frames non-executable.
///
/// Model limits: FILE_DELETE_ON_CLOSE and FileDispositionInformation delete at
/// once (ZwClose belongs to the objects area), views share their section's
/// pages even for PAGE_WRITECOPY, and a file-backed section copies the file
/// when it is created and writes views back when they are unmapped.
enum FileArea {
    /// Zw and Nt twins are registered one by one (same body), so both names are greppable.
    static let handlers: [KernelExport] = [
        // NTSTATUS IoCreateFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes, …)
        .ntoskrnl("IoCreateFile", opening { try create($0) }),
        .ntoskrnl("IoCreateFileEx", opening { try create($0) }),
        .ntoskrnl("IoCreateFileSpecifyDeviceObjectHint", opening { try create($0) }),
        .ntoskrnl("ZwCreateFile", opening { try create($0) }),
        .ntoskrnl("NtCreateFile", opening { try create($0) }),
        .ntoskrnl("ZwOpenFile", opening(openFile)),
        .ntoskrnl("NtOpenFile", opening(openFile)),
        .ntoskrnl("ZwReadFile", StatusHandlers.wrap { try read($0) }),
        .ntoskrnl("NtReadFile", StatusHandlers.wrap { try read($0) }),
        .ntoskrnl("ZwWriteFile", StatusHandlers.wrap { try write($0) }),
        .ntoskrnl("NtWriteFile", StatusHandlers.wrap { try write($0) }),
        .ntoskrnl("ZwQueryInformationFile", StatusHandlers.wrap { try queryInformation($0) }),
        .ntoskrnl("NtQueryInformationFile", StatusHandlers.wrap { try queryInformation($0) }),
        .ntoskrnl("ZwSetInformationFile", StatusHandlers.wrap { try setInformation($0) }),
        .ntoskrnl("NtSetInformationFile", StatusHandlers.wrap { try setInformation($0) }),
        .ntoskrnl("ZwQueryVolumeInformationFile", StatusHandlers.wrap { try queryVolume($0) }),
        .ntoskrnl("NtQueryVolumeInformationFile", StatusHandlers.wrap { try queryVolume($0) }),
        .ntoskrnl("ZwQueryDirectoryFile", StatusHandlers.wrap(queryDirectoryFile)),
        .ntoskrnl("NtQueryDirectoryFile", StatusHandlers.wrap(queryDirectoryFile)),
        .ntoskrnl("ZwQueryDirectoryFileEx", StatusHandlers.wrap(queryDirectoryFileEx)),
        .ntoskrnl("NtQueryDirectoryFileEx", StatusHandlers.wrap(queryDirectoryFileEx)),
        .ntoskrnl("ZwFlushBuffersFile", StatusHandlers.wrap(flushBuffers)),
        .ntoskrnl("NtFlushBuffersFile", StatusHandlers.wrap(flushBuffers)),
        .ntoskrnl("ZwDeleteFile", StatusHandlers.wrap { try deleteFile($0) }),
        .ntoskrnl("NtDeleteFile", StatusHandlers.wrap { try deleteFile($0) }),
        .ntoskrnl("ZwQueryFullAttributesFile", StatusHandlers.wrap { try queryAttributes($0, network: true) }),
        .ntoskrnl("NtQueryFullAttributesFile", StatusHandlers.wrap { try queryAttributes($0, network: true) }),
        .ntoskrnl("ZwQueryAttributesFile", StatusHandlers.wrap { try queryAttributes($0, network: false) }),
        .ntoskrnl("NtQueryAttributesFile", StatusHandlers.wrap { try queryAttributes($0, network: false) }),
        // NTSTATUS ZwCreateSection(PHANDLE SectionHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
        //                          PLARGE_INTEGER MaximumSize, ULONG SectionPageProtection, ULONG AllocationAttributes, HANDLE FileHandle)
        .ntoskrnl("ZwCreateSection", StatusHandlers.wrap { try createSection($0) }),
        .ntoskrnl("NtCreateSection", StatusHandlers.wrap { try createSection($0) }),
        .ntoskrnl("ZwOpenSection", StatusHandlers.wrap { try openSection($0) }),
        .ntoskrnl("NtOpenSection", StatusHandlers.wrap { try openSection($0) }),
        // NTSTATUS ZwMapViewOfSection(HANDLE SectionHandle, HANDLE ProcessHandle, PVOID *BaseAddress, ULONG_PTR ZeroBits,
        //     SIZE_T CommitSize, PLARGE_INTEGER SectionOffset, PSIZE_T ViewSize, SECTION_INHERIT InheritDisposition,
        //     ULONG AllocationType, ULONG Win32Protect)
        .ntoskrnl("ZwMapViewOfSection", StatusHandlers.wrap { try mapView($0) }),
        .ntoskrnl("NtMapViewOfSection", StatusHandlers.wrap { try mapView($0) }),
        .ntoskrnl("ZwUnmapViewOfSection", StatusHandlers.wrap { try unmapView($0) }),
        .ntoskrnl("NtUnmapViewOfSection", StatusHandlers.wrap { try unmapView($0) }),
    ]

    /// A name that opens one of the model's devices goes to its driver (IRP_MJ_CREATE);
    /// any other name to the virtual file system.
    static func opening(_ body: @escaping @Sendable (KernelCall) throws -> UInt32) -> KernelHandler {
        let files = StatusHandlers.wrap(body)
        return { call in try DeviceFiles.open(call) ?? files(call) }
    }

    /// ZwOpenFile(FileHandle, DesiredAccess, ObjectAttributes, IoStatusBlock, ShareAccess, OpenOptions).
    static func openFile(_ call: KernelCall) throws -> UInt32 {
        try open(call, handleOut: call.arg(0), access: call.arg32(1), objectAttributes: call.arg(2),
                 ioStatus: call.arg(3), attributes: 0, disposition: 1, options: call.arg32(5))
    }

    static func queryDirectoryFile(_ call: KernelCall) throws -> UInt32 {
        try queryDirectory(call, infoClass: call.arg32(7), single: call.arg(8) & 0xFF != 0, pattern: call.arg(9),
                           restart: call.arg(10) & 0xFF != 0)
    }

    static func queryDirectoryFileEx(_ call: KernelCall) throws -> UInt32 {
        let flags = try call.arg32(8)
        return try queryDirectory(call, infoClass: call.arg32(7), single: flags & 2 != 0, pattern: call.arg(9),
                                  restart: flags & 1 != 0)
    }

    static func flushBuffers(_ call: KernelCall) throws -> UInt32 {
        _ = try file(call, call.arg(0))
        try StatusHandlers.ioStatus(call.kernel, call.arg(1), NTStatus.success, 0)
        return NTStatus.success
    }

    /// The payload of a "File" handle.
    final class OpenFile {
        let node: FileNode
        let access: UInt32
        let options: UInt32
        var position: UInt64 = 0
        var entries: [(name: String, node: FileNode)]?
        var cursor = 0
        var returnedAny = false
        var pattern: [UInt16]?

        init(node: FileNode, access: UInt32, options: UInt32) {
            self.node = node
            self.access = access
            self.options = options
        }

        var canRead: Bool { access & (0x1 | 0x8000_0000 | 0x1000_0000 | 0x0200_0000) != 0 }
        var canWrite: Bool { access & (0x2 | 0x4 | 0x4000_0000 | 0x1000_0000 | 0x0200_0000) != 0 }
        var appendOnly: Bool { access & 0x4 != 0 && access & (0x2 | 0x4000_0000 | 0x1000_0000 | 0x0200_0000) == 0 }
    }

    /// The payload of a "Section" handle: a run of kernel pages holding the section's bytes;
    /// views are aliases of them.
    final class Section {
        let backing: UInt64
        let pages: Int
        let size: UInt64
        let protection: UInt32
        let file: FileNode?
        let name: String?

        init(backing: UInt64, pages: Int, size: UInt64, protection: UInt32, file: FileNode?, name: String?) {
            self.backing = backing
            self.pages = pages
            self.size = size
            self.protection = protection
            self.file = file
            self.name = name
        }
    }

    struct View {
        let section: Section
        let pages: Int
        let offset: UInt64
        let writable: Bool
    }

    final class State {
        let fs = VirtualFileSystem()
        var sections: [String: Section] = [:]
        var views: [UInt64: View] = [:]
    }

    static func state(_ kernel: Kernel) -> State {
        kernel.state(State.self) {
            let state = State()
            state.fs.addDriverImage(name: kernel.configuration.driverName, bytes: kernel.configuration.driverImage)
            return state
        }
    }

    /// STATUS_SHARING_VIOLATION: another open (here: the image section of a loaded driver) forbids the access.
    static let sharingViolation: UInt32 = 0xC000_0043
    /// Access rights that modify a file's data: FILE_WRITE_DATA, FILE_APPEND_DATA, GENERIC_WRITE, GENERIC_ALL, MAXIMUM_ALLOWED.
    static let writeAccess: UInt32 = 0x2 | 0x4 | 0x4000_0000 | 0x1000_0000 | 0x0200_0000

    static func check<T>(_ body: () throws(VirtualFileSystem.PathError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            switch error { case .status(let status): throw GuestStatusError(status) }
        }
    }

    static func file(_ call: KernelCall, _ handle: UInt64) throws -> OpenFile {
        guard let entry = call.kernel.handles.lookup(handle) else { throw GuestStatusError(NTStatus.invalidHandle) }
        guard entry.kind == "File", let file = entry.payload as? OpenFile else { throw GuestStatusError(NTStatus.objectTypeMismatch) }
        return file
    }

    /// OBJECT_ATTRIBUTES → the base directory (RootDirectory) and the components under it.
    static func target(_ call: KernelCall, _ objectAttributes: UInt64) throws -> (base: FileNode?, components: [String], name: String) {
        let (root, units, _) = try StatusHandlers.objectAttributes(call.kernel, objectAttributes)
        let name = GuestText.string(units ?? [])
        call.note(name)
        if root != 0 {
            let base = try file(call, root).node
            guard base.isDirectory else { throw GuestStatusError(NTStatus.invalidParameter) }
            return (base, try check { () throws(VirtualFileSystem.PathError) in try VirtualFileSystem.components(ofRelative: name) }, name)
        }
        guard !name.isEmpty else { throw GuestStatusError(NTStatus.objectNameInvalid) }
        guard name.hasPrefix("\\") else { throw GuestStatusError(AreaStatus.objectPathSyntaxBad) }
        return (nil, try check { () throws(VirtualFileSystem.PathError) in try VirtualFileSystem.components(ofNT: name) }, name)
    }

    // MARK: Create / open

    /// ZwCreateFile/NtCreateFile(FileHandle, DesiredAccess, ObjectAttributes, IoStatusBlock, AllocationSize,
    /// FileAttributes, ShareAccess, CreateDisposition, CreateOptions, EaBuffer, EaLength), and IoCreateFile(Ex),
    /// which add CreateFileType, InternalParameters, Options (and DriverContext).
    static func create(_ call: KernelCall) throws -> UInt32 {
        try open(call, handleOut: call.arg(0), access: call.arg32(1), objectAttributes: call.arg(2), ioStatus: call.arg(3),
                 attributes: call.arg32(5), disposition: call.arg32(7), options: call.arg32(8))
    }

    enum CreateOptions {
        static let directoryFile: UInt32 = 0x1, nonDirectoryFile: UInt32 = 0x40, deleteOnClose: UInt32 = 0x1000
    }

    static let dispositionNames = ["FILE_SUPERSEDE", "FILE_OPEN", "FILE_CREATE", "FILE_OPEN_IF", "FILE_OVERWRITE", "FILE_OVERWRITE_IF"]

    static func open(_ call: KernelCall, handleOut: UInt64, access: UInt32, objectAttributes: UInt64, ioStatus: UInt64,
                     attributes: UInt32, disposition: UInt32, options: UInt32) throws -> UInt32 {
        let fs = state(call.kernel).fs
        let (base, components, _) = try target(call, objectAttributes)
        guard disposition <= 5 else { return NTStatus.invalidParameter }
        call.note(dispositionNames[Int(disposition)])
        let wantsDirectory = options & CreateOptions.directoryFile != 0
        let wantsFile = options & CreateOptions.nonDirectoryFile != 0
        guard !(wantsDirectory && wantsFile) else { return NTStatus.invalidParameter }
        if wantsDirectory, ![1, 2, 3].contains(disposition) { return NTStatus.invalidParameter }
        var information: UInt64
        let node: FileNode
        if let existing = fs.find(components, from: base) {
            if disposition == 2 { return NTStatus.objectNameCollision }
            if existing.inUseAsImage, access & writeAccess != 0 || [0, 4, 5].contains(disposition) {
                call.note("the image file of a loaded driver: no write access")
                return sharingViolation
            }
            if wantsFile && existing.isDirectory { return AreaStatus.fileIsADirectory }
            if wantsDirectory && !existing.isDirectory { return AreaStatus.notADirectory }
            switch disposition {
            case 0, 4, 5:
                guard !existing.isDirectory else { return AreaStatus.fileIsADirectory }
                try check { () throws(VirtualFileSystem.PathError) in try fs.resize(existing, to: 0) }
                existing.lastWriteTime = fs.tick()
                information = disposition == 0 ? 0 : 3 // FILE_SUPERSEDED / FILE_OVERWRITTEN
            default:
                information = 1 // FILE_OPENED
            }
            node = existing
        } else {
            let parent = try check { () throws(VirtualFileSystem.PathError) in try fs.parent(of: components, from: base) }
            if disposition == 1 || disposition == 4 { return NTStatus.objectNameNotFound }
            guard let name = components.last else { return NTStatus.objectNameInvalid }
            node = try check { () throws(VirtualFileSystem.PathError) in
                try fs.create(name, in: parent, directory: wantsDirectory, attributes: attributes)
            }
            information = 2 // FILE_CREATED
        }
        if options & CreateOptions.deleteOnClose != 0 {
            call.note("FILE_DELETE_ON_CLOSE (not modelled: ZwClose does not delete)")
        }
        guard let handle = call.kernel.handles.insert(.init(kind: "File", payload: OpenFile(node: node, access: access, options: options))) else {
            return NTStatus.insufficientResources
        }
        try call.kernel.writeU64(handleOut, handle)
        try StatusHandlers.ioStatus(call.kernel, ioStatus, NTStatus.success, information)
        call.note(["superseded", "opened", "created", "overwritten"][Int(information)])
        return NTStatus.success
    }

    // MARK: Read / write

    static let useFilePointerPosition: UInt64 = 0xFFFF_FFFF_FFFF_FFFE
    static let writeToEndOfFile: UInt64 = 0xFFFF_FFFF_FFFF_FFFF

    /// ZwReadFile(FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, Buffer, Length, ByteOffset, Key).
    static func read(_ call: KernelCall) throws -> UInt32 {
        let open = try file(call, call.arg(0))
        let ioStatus = try call.arg(4), buffer = try call.arg(5), length = Int(try call.arg32(6)), offsetPointer = try call.arg(7)
        guard !open.node.isDirectory else { return NTStatus.invalidDeviceRequest }
        guard open.canRead else { return NTStatus.accessDenied }
        var offset = offsetPointer == 0 ? open.position : try call.kernel.readU64(offsetPointer)
        if offset == useFilePointerPosition { offset = open.position }
        guard Int64(bitPattern: offset) >= 0 else { return NTStatus.invalidParameter }
        let size = UInt64(open.node.data.count)
        call.note("\(length) bytes at \(offset) of \(size)")
        if length == 0 {
            try StatusHandlers.ioStatus(call.kernel, ioStatus, NTStatus.success, 0)
            return NTStatus.success
        }
        guard offset < size else {
            try StatusHandlers.ioStatus(call.kernel, ioStatus, AreaStatus.endOfFile, 0)
            return AreaStatus.endOfFile
        }
        let start = Int(offset), count = min(length, Int(size - offset))
        try call.kernel.writeBytes(buffer, Array(open.node.data[start..<(start + count)]))
        open.position = offset + UInt64(count)
        open.node.lastAccessTime = state(call.kernel).fs.tick()
        try StatusHandlers.ioStatus(call.kernel, ioStatus, NTStatus.success, UInt64(count))
        return NTStatus.success
    }

    /// ZwWriteFile(FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, Buffer, Length, ByteOffset, Key).
    static func write(_ call: KernelCall) throws -> UInt32 {
        let open = try file(call, call.arg(0))
        let ioStatus = try call.arg(4), buffer = try call.arg(5), length = Int(try call.arg32(6)), offsetPointer = try call.arg(7)
        guard !open.node.isDirectory else { return NTStatus.invalidDeviceRequest }
        guard open.canWrite else { return NTStatus.accessDenied }
        guard length <= VirtualFileSystem.maxFileSize else { return AreaStatus.diskFull }
        var offset = offsetPointer == 0 ? open.position : try call.kernel.readU64(offsetPointer)
        if offset == useFilePointerPosition { offset = open.position }
        if offset == writeToEndOfFile || open.appendOnly { offset = UInt64(open.node.data.count) }
        guard Int64(bitPattern: offset) >= 0, offset <= UInt64(VirtualFileSystem.maxFileSize) else { return AreaStatus.diskFull }
        call.note("\(length) bytes at \(offset)")
        let bytes = try call.kernel.readBytes(buffer, count: length)
        let fs = state(call.kernel).fs
        try check { () throws(VirtualFileSystem.PathError) in try fs.write(open.node, at: Int(offset), bytes) }
        open.position = offset + UInt64(length)
        try StatusHandlers.ioStatus(call.kernel, ioStatus, NTStatus.success, UInt64(length))
        return NTStatus.success
    }

    // MARK: Information

    static func allocationSize(_ node: FileNode) -> UInt64 { (UInt64(node.data.count) + 0xFFF) & ~0xFFF }

    static func basic(_ node: FileNode) -> StructImage {
        typealias F = Layout.Files.FileInformation
        var image = StructImage(size: F.basicSize)
        image.u64(F.basicCreationTime, node.creationTime)
        image.u64(F.basicLastAccessTime, node.lastAccessTime)
        image.u64(F.basicLastWriteTime, node.lastWriteTime)
        image.u64(F.basicChangeTime, node.changeTime)
        image.u32(F.basicFileAttributes, node.attributes)
        return image
    }

    static func standard(_ node: FileNode) -> StructImage {
        typealias F = Layout.Files.FileInformation
        var image = StructImage(size: F.standardSize)
        image.u64(F.standardAllocationSize, allocationSize(node))
        image.u64(F.standardEndOfFile, UInt64(node.data.count))
        image.u32(F.standardNumberOfLinks, node.deleted ? 0 : 1)
        image.u8(F.standardDeletePending, node.deleted ? 1 : 0)
        image.u8(F.standardDirectory, node.isDirectory ? 1 : 0)
        return image
    }

    static func networkOpen(_ node: FileNode) -> StructImage {
        typealias F = Layout.Files.FileInformation
        var image = StructImage(size: F.networkSize)
        image.bytes.replaceSubrange(0..<0x20, with: basic(node).bytes[0..<0x20])
        image.u64(F.networkAllocationSize, allocationSize(node))
        image.u64(F.networkEndOfFile, UInt64(node.data.count))
        image.u32(F.networkFileAttributes, node.attributes)
        return image
    }

    /// Writes a file information result: IO_STATUS_BLOCK.Information is the bytes written.
    static func complete(_ call: KernelCall, ioStatus: UInt64, buffer: UInt64, length: UInt32,
                         fixed: [UInt8], parts: [(offset: Int, bytes: [UInt8])]) throws -> UInt32 {
        let status = try StatusHandlers.emit(call.kernel, buffer: buffer, length: length, fixed: fixed, parts: parts,
                                             resultLength: 0, tooSmall: NTStatus.infoLengthMismatch)
        guard status != NTStatus.infoLengthMismatch else { return status }
        let required = parts.reduce(fixed.count) { max($0, $1.offset + $1.bytes.count) }
        try StatusHandlers.ioStatus(call.kernel, ioStatus, status, UInt64(min(required, Int(length))))
        return status
    }

    /// ZwQueryInformationFile(FileHandle, IoStatusBlock, FileInformation, Length, FileInformationClass).
    static func queryInformation(_ call: KernelCall) throws -> UInt32 {
        let open = try file(call, call.arg(0))
        let ioStatus = try call.arg(1), buffer = try call.arg(2), length = try call.arg32(3), infoClass = try call.arg32(4)
        let node = open.node
        let name = RegistryValue.utf16le(node.volumePath)
        func done(_ fixed: StructImage, _ parts: [(offset: Int, bytes: [UInt8])] = []) throws -> UInt32 {
            try complete(call, ioStatus: ioStatus, buffer: buffer, length: length, fixed: fixed.bytes, parts: parts)
        }
        func ulong(_ value: UInt32) -> StructImage { var i = StructImage(size: 4); i.u32(0, value); return i }
        func ulonglong(_ value: UInt64) -> StructImage { var i = StructImage(size: 8); i.u64(0, value); return i }
        switch infoClass {
        case 4: call.note("FileBasicInformation"); return try done(basic(node))
        case 5: call.note("FileStandardInformation"); return try done(standard(node))
        case 6: return try done(ulonglong(node.fileIndex))               // FileInternalInformation
        case 7: return try done(ulong(0))                                 // FileEaInformation
        case 8: return try done(ulong(open.access))                       // FileAccessInformation
        case 9:                                                           // FileNameInformation
            call.note("FileNameInformation")
            return try done(ulong(UInt32(name.count)), [(4, name)])
        case 14: call.note("FilePositionInformation"); return try done(ulonglong(open.position))
        case 16: return try done(ulong(open.options & 0x103E))            // FileModeInformation
        case 17: return try done(ulong(0))                                // FileAlignmentInformation: FILE_BYTE_ALIGNMENT
        case 18:                                                          // FileAllInformation
            var all = StructImage(size: 0x68)
            all.bytes.replaceSubrange(0..<0x28, with: basic(node).bytes)
            all.bytes.replaceSubrange(0x28..<0x40, with: standard(node).bytes)
            all.u64(0x40, node.fileIndex)
            all.u32(0x4C, open.access)
            all.u64(0x50, open.position)
            all.u32(0x58, open.options & 0x103E)
            all.u32(0x60, UInt32(name.count))
            return try done(all, [(0x64, name)])
        case 34: return try done(networkOpen(node))                       // FileNetworkOpenInformation
        case 35:                                                          // FileAttributeTagInformation
            var tag = StructImage(size: 8)
            tag.u32(0, node.attributes)
            return try done(tag)
        default:
            return NTStatus.invalidInfoClass
        }
    }

    /// ZwSetInformationFile(FileHandle, IoStatusBlock, FileInformation, Length, FileInformationClass).
    static func setInformation(_ call: KernelCall) throws -> UInt32 {
        let kernel = call.kernel
        let open = try file(call, call.arg(0))
        let ioStatus = try call.arg(1), buffer = try call.arg(2), length = Int(try call.arg32(3)), infoClass = try call.arg32(4)
        let fs = state(kernel).fs
        let node = open.node
        func need(_ size: Int) throws {
            guard length >= size else { throw GuestStatusError(NTStatus.infoLengthMismatch) }
        }
        switch infoClass {
        case 4: // FileBasicInformation: 0 leaves a field alone, -1 stops updates (treated the same)
            try need(0x28)
            let times = try (0..<4).map { try kernel.readU64(buffer &+ UInt64($0 * 8)) }
            let attributes = try kernel.readU32(buffer &+ 0x20)
            if times[0] != 0, times[0] != .max { node.creationTime = times[0] }
            if times[1] != 0, times[1] != .max { node.lastAccessTime = times[1] }
            if times[2] != 0, times[2] != .max { node.lastWriteTime = times[2] }
            if times[3] != 0, times[3] != .max { node.changeTime = times[3] }
            if attributes != 0 {
                node.attributes = (attributes & 0x3_1FA7 & ~0x10) | (node.isDirectory ? 0x10 : 0)
            }
        case 10: // FileRenameInformation: ReplaceIfExists, RootDirectory, FileNameLength, FileName
            try need(0x18)
            return try rename(call, open, buffer: buffer, length: length, ioStatus: ioStatus)
        case 13, 64: // FileDispositionInformation (BOOLEAN DeleteFile) / …Ex (ULONG Flags, FILE_DISPOSITION_DELETE 1)
            try need(infoClass == 13 ? 1 : 4)
            let delete = infoClass == 13 ? try kernel.readU8(buffer) != 0 : try kernel.readU32(buffer) & 1 != 0
            if delete, !node.deleted {
                guard node.attributes & 1 == 0 else { return AreaStatus.cannotDelete }
                try check { () throws(VirtualFileSystem.PathError) in try fs.delete(node) }
                call.note("deleted \(node.name)")
            }
        case 14: // FilePositionInformation
            try need(8)
            let position = try kernel.readU64(buffer)
            guard Int64(bitPattern: position) >= 0 else { return NTStatus.invalidParameter }
            open.position = position
        case 19, 20: // FileAllocationInformation (shrinks only) / FileEndOfFileInformation
            try need(8)
            guard !node.isDirectory else { return NTStatus.invalidParameter }
            let size = Int64(bitPattern: try kernel.readU64(buffer))
            guard size >= 0 else { return NTStatus.invalidParameter }
            guard open.canWrite else { return NTStatus.accessDenied }
            if infoClass == 20 || size < Int64(node.data.count) {
                guard size <= Int64(VirtualFileSystem.maxFileSize) else { return AreaStatus.diskFull }
                try check { () throws(VirtualFileSystem.PathError) in try fs.resize(node, to: Int(size)) }
                node.lastWriteTime = fs.tick()
            }
        default:
            return NTStatus.invalidInfoClass
        }
        try StatusHandlers.ioStatus(kernel, ioStatus, NTStatus.success, 0)
        return NTStatus.success
    }

    static func rename(_ call: KernelCall, _ open: OpenFile, buffer: UInt64, length: Int, ioStatus: UInt64) throws -> UInt32 {
        let kernel = call.kernel, fs = state(kernel).fs
        let replace = try kernel.readU8(buffer) != 0
        let root = try kernel.readU64(buffer &+ 8)
        let nameLength = Int(try kernel.readU32(buffer &+ 0x10)) & ~1
        guard nameLength > 0, nameLength <= GuestText.maxCountedBytes, 0x14 + nameLength <= length else { return NTStatus.invalidParameter }
        let name = GuestText.string(GuestText.units(try kernel.readBytes(buffer &+ 0x14, count: nameLength)))
        call.note("rename to \(name)")
        let components: [String], base: FileNode?
        if root != 0 {
            base = try file(call, root).node
            components = try check { () throws(VirtualFileSystem.PathError) in try VirtualFileSystem.components(ofRelative: name) }
        } else if name.hasPrefix("\\") {
            base = nil
            components = try check { () throws(VirtualFileSystem.PathError) in try VirtualFileSystem.components(ofNT: name) }
        } else {
            base = open.node.parent
            components = try check { () throws(VirtualFileSystem.PathError) in try VirtualFileSystem.components(ofRelative: name) }
            guard components.count == 1 else { return NTStatus.invalidParameter }
        }
        guard let newName = components.last, let oldParent = open.node.parent, !open.node.deleted else { return NTStatus.invalidParameter }
        let parent = try check { () throws(VirtualFileSystem.PathError) in try fs.parent(of: components, from: base) }
        if let existing = parent.children[VirtualFileSystem.fold(newName)], existing !== open.node {
            guard replace, !existing.isDirectory else { return NTStatus.objectNameCollision }
            try check { () throws(VirtualFileSystem.PathError) in try fs.delete(existing) }
        }
        var ancestor: FileNode? = parent
        while let a = ancestor { if a === open.node { return NTStatus.invalidParameter }; ancestor = a.parent }
        oldParent.children[VirtualFileSystem.fold(open.node.name)] = nil
        open.node.name = newName
        open.node.parent = parent
        parent.children[VirtualFileSystem.fold(newName)] = open.node
        open.node.changeTime = fs.tick()
        try StatusHandlers.ioStatus(kernel, ioStatus, NTStatus.success, 0)
        return NTStatus.success
    }

    /// ZwQueryVolumeInformationFile(FileHandle, IoStatusBlock, FsInformation, Length, FsInformationClass).
    static func queryVolume(_ call: KernelCall) throws -> UInt32 {
        _ = try file(call, call.arg(0))
        let ioStatus = try call.arg(1), buffer = try call.arg(2), length = try call.arg32(3), infoClass = try call.arg32(4)
        let fs = state(call.kernel).fs
        let clusterSize = 4096
        let totalUnits = UInt64(VirtualFileSystem.maxTotalBytes / clusterSize), freeUnits = UInt64(fs.freeBytes / clusterSize)
        func done(_ fixed: StructImage, _ parts: [(offset: Int, bytes: [UInt8])] = []) throws -> UInt32 {
            try complete(call, ioStatus: ioStatus, buffer: buffer, length: length, fixed: fixed.bytes, parts: parts)
        }
        switch infoClass {
        case 1: // FileFsVolumeInformation
            let label = RegistryValue.utf16le("Windows")
            var info = StructImage(size: 0x12)
            info.u64(0, VirtualRegistry.baseTime)
            info.u32(0x8, 0x5EED_C1D0)
            info.u32(0xC, UInt32(label.count))
            info.u8(0x10, 1)
            return try done(info, [(0x12, label)])
        case 3: // FileFsSizeInformation
            var info = StructImage(size: 0x18)
            info.u64(0, totalUnits)
            info.u64(8, freeUnits)
            info.u32(0x10, 8)
            info.u32(0x14, 512)
            return try done(info)
        case 4: // FileFsDeviceInformation: FILE_DEVICE_DISK, FILE_DEVICE_IS_MOUNTED
            var info = StructImage(size: 8)
            info.u32(0, 7)
            info.u32(4, 0x20)
            return try done(info)
        case 5: // FileFsAttributeInformation: NTFS
            let name = RegistryValue.utf16le("NTFS")
            var info = StructImage(size: 0xC)
            info.u32(0, 0x03E7_06FF)
            info.u32(4, 255)
            info.u32(8, UInt32(name.count))
            return try done(info, [(0xC, name)])
        case 7: // FileFsFullSizeInformation
            var info = StructImage(size: 0x20)
            info.u64(0, totalUnits)
            info.u64(8, freeUnits)
            info.u64(0x10, freeUnits)
            info.u32(0x18, 8)
            info.u32(0x1C, 512)
            return try done(info)
        default:
            return NTStatus.invalidInfoClass
        }
    }

    // MARK: Directories

    /// Fixed size (offset of FileName) and FileNameLength offset of each directory information class.
    static let directoryClasses: [UInt32: (fixed: Int, nameLength: Int)] = {
        typealias D = Layout.Files.DirectoryInformation
        return [
            1: (D.directoryFileName, D.fileNameLength), 2: (D.fullFileName, D.fileNameLength),
            3: (D.bothFileName, D.fileNameLength), 12: (D.namesFileName, D.namesFileNameLength),
            37: (D.idBothFileName, D.fileNameLength), 38: (D.idFullFileName, D.fileNameLength),
        ]
    }()

    /// ZwQueryDirectoryFile(FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, FileInformation, Length,
    /// FileInformationClass, ReturnSingleEntry, FileName, RestartScan): "." and ".." first (not at the volume
    /// root), then the entries by name; STATUS_NO_MORE_FILES at the end, STATUS_NO_SUCH_FILE when the first
    /// query matches nothing.
    static func queryDirectory(_ call: KernelCall, infoClass: UInt32, single: Bool, pattern: UInt64, restart: Bool) throws -> UInt32 {
        let kernel = call.kernel
        let open = try file(call, call.arg(0))
        let ioStatus = try call.arg(4), buffer = try call.arg(5), length = Int(try call.arg32(6))
        guard open.node.isDirectory else { return NTStatus.invalidParameter }
        guard let layout = directoryClasses[infoClass] else { return NTStatus.invalidInfoClass }
        guard length >= layout.fixed else { return NTStatus.infoLengthMismatch }
        if restart || open.entries == nil {
            let mask = try GuestText.unicodeUnits(kernel, pattern)
            if open.entries == nil || (mask != nil && !(mask ?? []).isEmpty) { open.pattern = (mask?.isEmpty ?? true) ? nil : mask }
            var entries: [(name: String, node: FileNode)] = []
            if let parent = open.node.parent { entries += [(".", open.node), ("..", parent)] }
            entries += open.node.sortedChildren.map { ($0.name, $0) }
            if let pattern = open.pattern {
                entries = entries.filter { Wildcard.matches(expression: pattern.map(GuestText.upcase), name: Array($0.name.utf16).map(GuestText.upcase)) }
                call.note("pattern \(GuestText.string(pattern))")
            }
            open.entries = entries
            open.cursor = 0
            open.returnedAny = false
        }
        let entries = open.entries ?? []
        guard open.cursor < entries.count else {
            let status = open.returnedAny || open.pattern == nil ? AreaStatus.noMoreFiles : AreaStatus.noSuchFile
            try StatusHandlers.ioStatus(kernel, ioStatus, status, 0)
            return status
        }
        typealias D = Layout.Files.DirectoryInformation
        var offset = 0, previous: Int?
        var status = NTStatus.success
        var written = 0
        while open.cursor < entries.count {
            let (name, node) = entries[open.cursor]
            let nameBytes = RegistryValue.utf16le(name)
            let size = layout.fixed + nameBytes.count
            if previous != nil, offset + size > length { break }
            var fixed = StructImage(size: layout.fixed)
            if infoClass == 12 {
                fixed.u32(D.namesFileNameLength, UInt32(nameBytes.count))
            } else {
                fixed.u64(D.creationTime, node.creationTime)
                fixed.u64(D.lastAccessTime, node.lastAccessTime)
                fixed.u64(D.lastWriteTime, node.lastWriteTime)
                fixed.u64(D.changeTime, node.changeTime)
                fixed.u64(D.endOfFile, UInt64(node.data.count))
                fixed.u64(D.allocationSize, allocationSize(node))
                fixed.u32(D.fileAttributes, node.attributes)
                fixed.u32(D.fileNameLength, UInt32(nameBytes.count))
                if infoClass == 3 || infoClass == 37 {
                    let short = name.utf16.count <= 12 && name == name.uppercased() ? Array(name.utf16) : []
                    fixed.u8(D.bothShortNameLength, UInt8(short.count * 2))
                    for (i, unit) in short.enumerated() { fixed.u16(D.bothShortName + 2 * i, unit) }
                }
                if infoClass == 37 { fixed.u64(D.idBothFileId, node.fileIndex) }
                if infoClass == 38 { fixed.u64(D.idFullFileId, node.fileIndex) }
            }
            let room = length - offset
            let nameCount = min(nameBytes.count, room - layout.fixed)
            try kernel.writeBytes(buffer &+ UInt64(offset), fixed.bytes)
            if nameCount > 0 { try kernel.writeBytes(buffer &+ UInt64(offset + layout.fixed), Array(nameBytes[..<nameCount])) }
            if let previous { try kernel.writeU32(buffer &+ UInt64(previous), UInt32(offset - previous)) }
            written = offset + layout.fixed + nameCount
            open.cursor += 1
            open.returnedAny = true
            if nameCount < nameBytes.count { status = NTStatus.bufferOverflow; break }
            previous = offset
            offset = (offset + size + 7) & ~7
            if single { break }
        }
        call.note("\(open.cursor) of \(entries.count) entries")
        try StatusHandlers.ioStatus(kernel, ioStatus, status, UInt64(written))
        return status
    }

    // MARK: By name

    /// ZwDeleteFile(ObjectAttributes).
    static func deleteFile(_ call: KernelCall) throws -> UInt32 {
        let fs = state(call.kernel).fs
        let (base, components, _) = try target(call, call.arg(0))
        guard let node = fs.find(components, from: base) else {
            _ = try check { () throws(VirtualFileSystem.PathError) in try fs.parent(of: components, from: base) }
            return NTStatus.objectNameNotFound
        }
        guard node.attributes & 1 == 0 else { return AreaStatus.cannotDelete }
        try check { () throws(VirtualFileSystem.PathError) in try fs.delete(node) }
        return NTStatus.success
    }

    /// ZwQueryFullAttributesFile(ObjectAttributes, FILE_NETWORK_OPEN_INFORMATION*) /
    /// ZwQueryAttributesFile(ObjectAttributes, FILE_BASIC_INFORMATION*).
    static func queryAttributes(_ call: KernelCall, network: Bool) throws -> UInt32 {
        let fs = state(call.kernel).fs
        let (base, components, _) = try target(call, call.arg(0))
        guard let node = fs.find(components, from: base) else {
            _ = try check { () throws(VirtualFileSystem.PathError) in try fs.parent(of: components, from: base) }
            return NTStatus.objectNameNotFound
        }
        try call.kernel.writeBytes(call.arg(1), network ? networkOpen(node).bytes : basic(node).bytes)
        return NTStatus.success
    }

    // MARK: Sections

    static let secImage: UInt32 = 0x0100_0000
    static let maxSectionSize: UInt64 = 256 << 20

    static func reportExecutable(_ call: KernelCall, protection: UInt32, what: String) throws {
        guard DriverVerifier.isExecutable(protection: protection) else { return }
        let name = DriverVerifier.protectionName(protection)
        try call.kernel.verifierViolation(
            call, subcode: 0x2001, title: "executable page protection for a \(what) (\(name))",
            p3: UInt64(protection), p4: nil,
            fix: "use PAGE_READWRITE or PAGE_READONLY; HVCI never lets a section view execute",
            details: [(key: "protection", value: name)])
    }

    /// ZwCreateSection(SectionHandle, DesiredAccess, ObjectAttributes, MaximumSize, SectionPageProtection,
    /// AllocationAttributes, FileHandle).
    static func createSection(_ call: KernelCall) throws -> UInt32 {
        let kernel = call.kernel
        let handleOut = try call.arg(0), objectAttributes = try call.arg(2), sizePointer = try call.arg(3)
        let protection = try call.arg32(4), allocation = try call.arg32(5), fileHandle = try call.arg(6)
        var name: String?, attributes: UInt32 = 0
        if objectAttributes != 0 {
            let oa = try StatusHandlers.objectAttributes(kernel, objectAttributes)
            attributes = oa.attributes
            if let units = oa.name, !units.isEmpty { name = GuestText.string(units) }
        }
        call.note("\(DriverVerifier.protectionName(protection))" + (fileHandle == 0 ? ", pagefile-backed" : ", file-backed")
                  + (name.map { ", \($0)" } ?? ""))
        if allocation & secImage != 0 {
            call.note("SEC_IMAGE sections are not modelled")
            return AreaStatus.invalidImageFormat
        }
        try reportExecutable(call, protection: protection, what: "section")
        guard MemoryManagerArea.rights(for: protection) != nil else { return AreaStatus.invalidPageProtection }
        let area = state(kernel)
        if let name, let existing = area.sections[VirtualFileSystem.fold(name)] {
            guard attributes & 0x80 != 0 else { return NTStatus.objectNameCollision } // OBJ_OPENIF
            guard let handle = kernel.handles.insert(.init(kind: "Section", payload: existing)) else { return NTStatus.insufficientResources }
            try kernel.writeU64(handleOut, handle)
            return AreaStatus.objectNameExists
        }
        var size: UInt64 = sizePointer == 0 ? 0 : try kernel.readU64(sizePointer)
        var file: FileNode?
        if fileHandle != 0 {
            let open = try self.file(call, fileHandle)
            guard !open.node.isDirectory else { return AreaStatus.invalidFileForSection }
            file = open.node
            let fileSize = UInt64(open.node.data.count)
            if size == 0 { size = fileSize }
            guard size > 0 else { return AreaStatus.mappedFileSizeZero }
            if size > fileSize {
                let writable = [0x04, 0x40].contains(protection & 0xFF)
                guard writable, size <= UInt64(VirtualFileSystem.maxFileSize) else { return AreaStatus.sectionTooBig }
                try check { () throws(VirtualFileSystem.PathError) in try area.fs.resize(open.node, to: Int(size)) }
            }
        } else {
            guard size > 0 else { return AreaStatus.invalidParameter4 }
        }
        guard size <= maxSectionSize else { return AreaStatus.sectionTooBig }
        let pages = Int((size + 0xFFF) / 0x1000)
        guard let backing = try? kernel.memory.allocate(pages: pages, owner: .kernelStructure("section"), rights: .readWrite) else {
            return NTStatus.insufficientResources
        }
        if let file, !file.data.isEmpty { try kernel.writeBytes(backing.base, Array(file.data.prefix(Int(size)))) }
        let section = Section(backing: backing.base, pages: pages, size: size, protection: protection, file: file, name: name)
        if let name { area.sections[VirtualFileSystem.fold(name)] = section }
        guard let handle = kernel.handles.insert(.init(kind: "Section", object: backing.base, payload: section)) else {
            return NTStatus.insufficientResources
        }
        try kernel.writeU64(handleOut, handle)
        call.note("\(size) bytes")
        return NTStatus.success
    }

    /// ZwOpenSection(SectionHandle, DesiredAccess, ObjectAttributes): named sections created by the driver.
    static func openSection(_ call: KernelCall) throws -> UInt32 {
        let (_, units, _) = try StatusHandlers.objectAttributes(call.kernel, call.arg(2))
        let name = GuestText.string(units ?? [])
        call.note(name)
        guard let section = state(call.kernel).sections[VirtualFileSystem.fold(name)] else {
            if VirtualFileSystem.fold(name) == "\\DEVICE\\PHYSICALMEMORY" { call.note("\\Device\\PhysicalMemory is not modelled") }
            return NTStatus.objectNameNotFound
        }
        guard let handle = call.kernel.handles.insert(.init(kind: "Section", object: section.backing, payload: section)) else {
            return NTStatus.insufficientResources
        }
        try call.kernel.writeU64(call.arg(0), handle)
        return NTStatus.success
    }

    /// ZwMapViewOfSection(SectionHandle, ProcessHandle, BaseAddress, ZeroBits, CommitSize, SectionOffset,
    /// ViewSize, InheritDisposition, AllocationType, Win32Protect).
    static func mapView(_ call: KernelCall) throws -> UInt32 {
        let kernel = call.kernel
        guard let entry = kernel.handles.lookup(try call.arg(0)) else { return NTStatus.invalidHandle }
        guard entry.kind == "Section", let section = entry.payload as? Section else { return NTStatus.objectTypeMismatch }
        let basePointer = try call.arg(2), offsetPointer = try call.arg(5), sizePointer = try call.arg(6)
        let protection = try call.arg32(9)
        call.note(DriverVerifier.protectionName(protection))
        try reportExecutable(call, protection: protection, what: "section view")
        guard let rights = MemoryManagerArea.rights(for: protection) else { return AreaStatus.invalidPageProtection }
        let sectionWritable = [0x04, 0x08, 0x40, 0x80].contains(section.protection & 0xFF)
        let copyOnWrite = [0x08, 0x80].contains(protection & 0xFF)
        if rights.contains(.write), !sectionWritable, !copyOnWrite { return AreaStatus.sectionProtection }
        let offset = offsetPointer == 0 ? 0 : try kernel.readU64(offsetPointer) & ~0xFFF
        guard offset % 0x10000 == 0 else { return AreaStatus.mappedAlignment }
        guard offset < section.size else { return AreaStatus.invalidViewSize }
        var size = try kernel.readU64(sizePointer)
        if size == 0 { size = section.size - offset }
        guard size <= section.size - offset else { return AreaStatus.invalidViewSize }
        let pages = Int((size + 0xFFF) / 0x1000)
        let requested = try kernel.readU64(basePointer)
        let view: Allocation
        do {
            view = try kernel.memory.alias(va: section.backing &+ offset, count: pages, owner: .kernelStructure("section view"),
                                           rights: rights, at: requested == 0 ? nil : requested & ~0xFFF)
        } catch {
            return requested == 0 ? NTStatus.noMemory : AreaStatus.conflictingAddresses
        }
        state(kernel).views[view.base] = View(section: section, pages: pages, offset: offset, writable: rights.contains(.write))
        try kernel.writeU64(basePointer, view.base)
        try kernel.writeU64(sizePointer, UInt64(pages) * 0x1000)
        if offsetPointer != 0 { try kernel.writeU64(offsetPointer, offset) }
        call.note("view 0x\(String(view.base, radix: 16)), \(pages) pages")
        return NTStatus.success
    }

    /// ZwUnmapViewOfSection(ProcessHandle, BaseAddress): file-backed views write their bytes back.
    static func unmapView(_ call: KernelCall) throws -> UInt32 {
        let kernel = call.kernel, area = state(kernel)
        let address = try call.arg(1)
        guard let (base, view) = area.views.first(where: { address >= $0.key && address - $0.key < UInt64($0.value.pages) * 0x1000 }) else {
            return AreaStatus.notMappedView
        }
        if view.writable, let file = view.section.file, !file.deleted {
            let start = Int(view.offset), end = min(file.data.count, start + view.pages * 0x1000)
            if end > start {
                let bytes = try kernel.readBytes(view.section.backing &+ view.offset, count: end - start)
                file.data.replaceSubrange(start..<end, with: bytes)
                file.lastWriteTime = area.fs.tick()
            }
        }
        area.views[base] = nil
        try? kernel.memory.free(base)
        return NTStatus.success
    }
}
