/// The filter manager (fltmgr.sys) as a minifilter's DriverEntry and unload
/// use it: registration, starting and stopping filtering, communication
/// ports, push locks, default security descriptors, and the enumeration
/// exports tools use to list the system's minifilters.
///
/// Objects (filters, server ports) are opaque to the driver: the model hands
/// out kernel objects (with an OBJECT_HEADER) and keeps what the driver
/// registered — the FLT_REGISTRATION callbacks, the port's notify routines —
/// in its own state. No file system I/O reaches the filters: FltStartFiltering
/// succeeds but no volume is attached, so no instance setup runs.
enum FilterManagerArea {
    static let handlers: [KernelExport] = [
        .fltmgr("FltRegisterFilter") { try registerFilter($0) },
        .fltmgr("FltStartFiltering") { call in
            guard let filter = fltState(call.kernel).filters[try call.arg(0)] else { return UInt64(NTStatus.invalidParameter) }
            guard !filter.started else { return UInt64(AreaStatus.invalidDeviceState) }
            fltState(call.kernel).filters[try call.arg(0)]?.started = true
            call.note("filtering started; the model attaches no volumes")
            return UInt64(NTStatus.success)
        },
        .fltmgr("FltUnregisterFilter") { call in
            let state = fltState(call.kernel), filter = try call.arg(0)
            guard state.filters.removeValue(forKey: filter) != nil else {
                call.note("not a registered filter")
                return 0
            }
            // Ports created for the filter go with it.
            state.ports = state.ports.filter { $0.value.filter != filter }
            return 0
        },
        .fltmgr("FltBuildDefaultSecurityDescriptor") { try buildDefaultSecurityDescriptor($0) },
        .fltmgr("FltFreeSecurityDescriptor") { call in
            call.kernel.freePool(try call.arg(0))
            return 0
        },
        .fltmgr("FltCreateCommunicationPort") { try createCommunicationPort($0) },
        .fltmgr("FltCloseCommunicationPort") { call in
            let state = fltState(call.kernel), port = try call.arg(0)
            if let name = state.ports.removeValue(forKey: port)?.name { call.note(name) } else { call.note("not an open server port") }
            return 0
        },
        // FltCloseClientPort(Filter, *ClientPort): the handle is set to NULL.
        .fltmgr("FltCloseClientPort") { call in
            let out = try call.arg(1)
            if out != 0 { try call.kernel.writeU64(out, 0) }
            return 0
        },
        // FltSendMessage(Filter, *ClientPort, …): no user-mode client ever connects in the model.
        .fltmgr("FltSendMessage") { call in
            call.note("no client connected")
            return UInt64(FilterStatus.portDisconnected)
        }.stub("no user-mode client ever connects, so every port is disconnected"),
        .fltmgr("FltGetRoutineAddress") { call in
            let name = try call.kernel.readCString(call.arg(0), maxLength: 256)
            call.note(name)
            guard ExportTable.lookup(.fltmgr, name) != nil else { return 0 }
            return try call.kernel.resolve(module: "fltmgr.sys", function: name)
        },
        .fltmgr("FltObjectReference") { call in
            fltState(call.kernel).references[try call.arg(0), default: 0] += 1
            return UInt64(NTStatus.success)
        },
        .fltmgr("FltObjectDereference") { call in
            let state = fltState(call.kernel), object = try call.arg(0)
            if let count = state.references[object], count > 0 { state.references[object] = count - 1 }
            return 0
        },
        // Push locks: an EX_PUSH_LOCK inside a critical region, as FltAcquirePushLock* documents.
        .fltmgr("FltInitializePushLock") { call in
            try call.kernel.writeU64(call.arg(0), 0)
            return 0
        },
        .fltmgr("FltDeletePushLock") { _ in 0 }.stub("a push lock holds no resources to release"),
        .fltmgr("FltAcquirePushLockExclusive") { try acquirePushLock($0, exclusive: true) },
        .fltmgr("FltAcquirePushLockExclusiveEx") { try acquirePushLock($0, exclusive: true) },
        .fltmgr("FltAcquirePushLockShared") { try acquirePushLock($0, exclusive: false) },
        .fltmgr("FltAcquirePushLockSharedEx") { try acquirePushLock($0, exclusive: false) },
        .fltmgr("FltReleasePushLock") { try releasePushLock($0) },
        .fltmgr("FltReleasePushLockEx") { try releasePushLock($0) },
        .fltmgr("FltEnumerateFilters") { try enumerateFilters($0) },
        .fltmgr("FltEnumerateInstances") { try enumerateInstances($0) },
        .fltmgr("FltGetFilterInformation") { try filterInformation($0) },
        // FltGetVolumeFromInstance(Instance, *RetVolume): the model's filters have no instances.
        .fltmgr("FltGetVolumeFromInstance") { _ in UInt64(NTStatus.invalidParameter) }.stub("the model attaches no instances to volumes"),
        .fltmgr("FltParseFileName") { try parseFileName($0) },
        .fltmgr("FltAllocatePoolAlignedWithTag") { call in
            // (Instance, PoolType, NumberOfBytes, Tag): ordinary pool (DV checks the pool type).
            try PoolArea.allocate(call, type: call.arg(1), size: call.arg(2), tag: call.arg32(3))
        },
        .fltmgr("FltFreePoolAlignedWithTag") { call in
            call.kernel.freePool(try call.arg(1))
            return 0
        },
    ]

    enum FilterStatus {
        static let portDisconnected: UInt32 = 0xC000_0037
    }

    /// FLT_REGISTRATION offsets (x64).
    enum Registration {
        static let size = 0x0, version = 0x2, flags = 0x4, contextRegistration = 0x8, operationRegistration = 0x10
        static let filterUnload = 0x18, instanceSetup = 0x20, instanceQueryTeardown = 0x28
        /// sizeof(FLT_REGISTRATION) for version 0x0200 (the smallest the filter manager accepts).
        static let minimumSize = 0x60
        static let majorVersion: UInt16 = 2
        /// FLT_OPERATION_REGISTRATION: MajorFunction +0, Flags +4, Pre +8, Post +0x10; 0x20 bytes; ends with IRP_MJ_OPERATION_END.
        static let operationSize: UInt64 = 0x20
        static let operationEnd: UInt8 = 0x80
    }

    struct Filter {
        var driver: UInt64
        var unload: UInt64
        var instanceSetup: UInt64
        /// (MajorFunction, PreOperation, PostOperation) of each operation registered.
        var operations: [(major: UInt8, pre: UInt64, post: UInt64)]
        var started = false
    }

    struct Port {
        var filter: UInt64
        var name: String
        var connect: UInt64, disconnect: UInt64, message: UInt64
        var maxConnections: UInt32
    }

    final class State {
        var filters: [UInt64: Filter] = [:]
        var ports: [UInt64: Port] = [:]
        var references: [UInt64: Int] = [:]
    }

    static func fltState(_ kernel: Kernel) -> State { kernel.state(State.self) { State() } }

    /// Registered filters of this driver, newest last (for `hvcisim` reports and tests).
    static func registeredFilters(_ kernel: Kernel) -> [UInt64: Filter] { fltState(kernel).filters }

    /// FltRegisterFilter(Driver, Registration, *RetFilter): checks the registration's version (major
    /// 2) and size, reads its operation list and callbacks, and returns an opaque filter object.
    static func registerFilter(_ call: KernelCall) throws -> UInt64 {
        typealias R = Registration
        let kernel = call.kernel, driver = try call.arg(0), registration = try call.arg(1), out = try call.arg(2)
        let state = fltState(kernel)
        guard registration != 0, out != 0 else { return UInt64(NTStatus.invalidParameter) }
        let size = try kernel.readU16(registration &+ UInt64(R.size))
        let version = try kernel.readU16(registration &+ UInt64(R.version))
        call.note("FLT_REGISTRATION size 0x\(String(size, radix: 16)), version 0x\(String(version, radix: 16))")
        guard version >> 8 == R.majorVersion, size >= R.minimumSize else { return UInt64(NTStatus.invalidParameter) }
        guard state.filters.count < 16 else { return UInt64(NTStatus.insufficientResources) }
        var operations: [(major: UInt8, pre: UInt64, post: UInt64)] = []
        let list = try kernel.readU64(registration &+ UInt64(R.operationRegistration))
        if list != 0 {
            for index in 0..<UInt64(64) {
                let entry = list &+ index &* R.operationSize
                let major = try kernel.readU8(entry)
                if major == R.operationEnd { break }
                operations.append((major, try kernel.readU64(entry &+ 8), try kernel.readU64(entry &+ 0x10)))
            }
        }
        let filter = try kernel.obAllocate(kind: "FltFilter", bodySize: 0x200)
        state.filters[filter] = Filter(driver: driver, unload: try kernel.readU64(registration &+ UInt64(R.filterUnload)),
                                       instanceSetup: try kernel.readU64(registration &+ UInt64(R.instanceSetup)),
                                       operations: operations)
        state.references[filter] = 1
        call.note("\(operations.count) operation(s)")
        try kernel.writeU64(out, filter)
        return UInt64(NTStatus.success)
    }

    /// FltBuildDefaultSecurityDescriptor(*SecurityDescriptor, DesiredAccess): a self-relative
    /// descriptor from pool whose DACL grants DesiredAccess to SYSTEM and Administrators only.
    static func buildDefaultSecurityDescriptor(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, out = try call.arg(0), access = try call.arg32(1)
        guard out != 0 else { return UInt64(NTStatus.invalidParameter) }
        let parts = DescriptorParts(
            control: Layout.SecurityDescriptor.daclPresent, selfRelative: true,
            owner: nil, group: nil, sacl: nil,
            dacl: DescriptorParts.acl([DescriptorParts.ace(type: 0, mask: access, sid: .localSystem),
                                       DescriptorParts.ace(type: 0, mask: access, sid: .administrators)]))
        let bytes = parts.selfRelativeBytes
        let descriptor = try kernel.allocatePool(size: UInt64(bytes.count), tag: 0x5364_6C46, poolType: 1, executable: false) // 'FldS'
        try kernel.writeBytes(descriptor, bytes)
        try kernel.writeU64(out, descriptor)
        return UInt64(NTStatus.success)
    }

    /// FltCreateCommunicationPort(Filter, *ServerPort, ObjectAttributes, ServerPortCookie,
    ///                            ConnectNotify, DisconnectNotify, MessageNotify, MaxConnections).
    static func createCommunicationPort(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, state = fltState(kernel)
        let filter = try call.arg(0), out = try call.arg(1), attributes = try call.arg(2)
        let connect = try call.arg(4), disconnect = try call.arg(5), message = try call.arg(6), maxConnections = try call.arg32(7)
        guard state.filters[filter] != nil, out != 0 else { return UInt64(NTStatus.invalidParameter) }
        // ConnectNotify and DisconnectNotify are required; at least one connection.
        guard connect != 0, disconnect != 0, maxConnections > 0 else { return UInt64(NTStatus.invalidParameter) }
        guard let name = try SynchronizationArea.objectName(kernel, attributes: attributes) else {
            return UInt64(NTStatus.objectNameInvalid)
        }
        call.note(name)
        guard !state.ports.values.contains(where: { $0.name.caseInsensitiveEquals(name) }) else {
            return UInt64(NTStatus.objectNameCollision)
        }
        guard state.ports.count < 64 else { return UInt64(NTStatus.insufficientResources) }
        let port = try kernel.obAllocate(kind: "FilterConnectionPort", bodySize: 0x100, name: name)
        state.ports[port] = Port(filter: filter, name: name, connect: connect, disconnect: disconnect, message: message,
                                 maxConnections: maxConnections)
        try kernel.writeU64(out, port)
        return UInt64(NTStatus.success)
    }

    /// FltAcquirePushLock*(PushLock[, Flags]): enters a critical region, then takes the lock.
    static func acquirePushLock(_ call: KernelCall, exclusive: Bool) throws -> UInt64 {
        SynchronizationArea.enterCriticalRegion(call)
        _ = try SynchronizationArea.acquirePushLock(call, exclusive: exclusive)
        return 0
    }

    /// FltReleasePushLock(Ex)(PushLock[, Flags]): releases either kind, leaves the critical region.
    static func releasePushLock(_ call: KernelCall) throws -> UInt64 {
        _ = try SynchronizationArea.releasePushLock(call, exclusive: nil)
        SynchronizationArea.leaveCriticalRegion(call)
        return 0
    }

    /// FltParseFileName(FileName, Extension, Stream, FinalComponent): each optional output is set
    /// to the part of FileName's buffer it names — the final path component (with any stream),
    /// its extension (after the last '.', before the stream) and the stream (from the ':').
    static func parseFileName(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, source = try call.arg(0)
        guard source != 0 else { return UInt64(NTStatus.invalidParameter) }
        let length = Int(try kernel.readU16(source)) / 2, buffer = try kernel.readU64(source &+ 8)
        let units: [UInt16] = length == 0 ? [] : try (0..<length).map { try kernel.readU16(buffer &+ UInt64($0 * 2)) }
        let finalStart = (units.lastIndex(of: 0x5C) ?? -1) + 1 // after the last '\'
        let streamStart = units[finalStart...].firstIndex(of: 0x3A) ?? length // ':'
        let name = units[finalStart..<streamStart]
        let extensionStart = name.lastIndex(of: 0x2E).map { $0 + 1 } ?? streamStart // '.'
        func set(_ index: Int, from start: Int, to end: Int) throws {
            let out = try call.arg(index)
            guard out != 0 else { return }
            let bytes = max(0, end - start) * 2
            try kernel.writeUnicodeStringHeader(out, buffer: bytes == 0 ? 0 : buffer &+ UInt64(start * 2),
                                                length: bytes, maximumLength: bytes)
        }
        try set(1, from: extensionStart, to: streamStart)
        try set(2, from: streamStart, to: length)
        try set(3, from: finalStart, to: length)
        return UInt64(NTStatus.success)
    }

    // MARK: Enumeration

    /// The minifilters every Windows 10 installation runs, with their altitudes, besides the
    /// driver's own: what FltEnumerateFilters / FltGetFilterInformation report.
    static let systemFilters: [(name: String, altitude: String)] = [
        ("bindflt", "409800"), ("WdFilter", "328010"), ("storqosflt", "244000"), ("wcifs", "189900"),
        ("CldFlt", "180451"), ("FileCrypt", "141100"), ("luafv", "135000"), ("npsvctrig", "46000"),
        ("Wof", "40700"), ("FileInfo", "40500"),
    ]

    final class SystemFilterObjects {
        var objects: [UInt64] = []
    }

    /// Filter objects standing for `systemFilters`, created on first use.
    static func systemFilterObjects(_ kernel: Kernel) throws -> [UInt64] {
        let holder = kernel.state(SystemFilterObjects.self) { SystemFilterObjects() }
        if holder.objects.isEmpty {
            for filter in systemFilters {
                holder.objects.append(try kernel.obAllocate(kind: "FltFilter", bodySize: 0x200, name: filter.name))
            }
        }
        return holder.objects
    }

    /// FltEnumerateFilters(FilterList, FilterListSize, *NumberFiltersReturned): every filter, each
    /// referenced (the caller dereferences them); STATUS_BUFFER_TOO_SMALL with the count when the
    /// list is too short.
    static func enumerateFilters(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, list = try call.arg(0), capacity = try call.arg32(1), out = try call.arg(2)
        let filters = try systemFilterObjects(kernel) + fltState(kernel).filters.keys.sorted()
        guard out != 0 else { return UInt64(NTStatus.invalidParameter) }
        try kernel.writeU32(out, UInt32(filters.count))
        guard list != 0, capacity >= filters.count else { return UInt64(NTStatus.bufferTooSmall) }
        for (index, filter) in filters.enumerated() {
            try kernel.writeU64(list &+ UInt64(index) * 8, filter)
            fltState(kernel).references[filter, default: 1] += 1
        }
        call.note("\(filters.count) filter(s)")
        return UInt64(NTStatus.success)
    }

    /// FltEnumerateInstances(Volume, Filter, InstanceList, InstanceListSize, *NumberInstancesReturned):
    /// no volume is attached in the model, so there are none.
    static func enumerateInstances(_ call: KernelCall) throws -> UInt64 {
        let out = try call.arg(4)
        if out != 0 { try call.kernel.writeU32(out, 0) }
        return UInt64(NTStatus.success)
    }

    /// FltGetFilterInformation(Filter, InformationClass, Buffer, BufferSize, *BytesReturned):
    /// FilterFullInformation (0: NextEntryOffset, FrameID, NumberOfInstances, FilterNameLength,
    /// FilterNameBuffer[]) and FilterAggregateBasicInformation (1: NextEntryOffset, Flags
    /// FLTFL_IASI_IS_MINIFILTER, FrameID, NumberOfInstances, FilterNameLength/Offset,
    /// FilterAltitudeLength/Offset, then the strings).
    static func filterInformation(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, filter = try call.arg(0), informationClass = try call.arg32(1)
        let buffer = try call.arg(2), size = try call.arg32(3), returned = try call.arg(4)
        let system = try systemFilterObjects(kernel)
        let identity: (name: String, altitude: String)
        if let index = system.firstIndex(of: filter) {
            identity = systemFilters[index]
        } else if fltState(kernel).filters[filter] != nil {
            let service = kernel.configuration.registryPath.split(separator: "\\").last.map(String.init) ?? "driver"
            identity = (service, "370000")
        } else {
            return UInt64(NTStatus.invalidParameter)
        }
        call.note(identity.name)
        let name = Array(identity.name.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let altitude = Array(identity.altitude.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        func u16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF)] }
        var bytes: [UInt8]
        switch informationClass {
        case 0:
            bytes = [0, 0, 0, 0] + [0, 0, 0, 0] + [0, 0, 0, 0] + u16(name.count) + name
        case 1:
            let header = 0x18
            bytes = [0, 0, 0, 0] + [1, 0, 0, 0] + [0, 0, 0, 0] + [0, 0, 0, 0]
                + u16(name.count) + u16(header) + u16(altitude.count) + u16(header + name.count) + name + altitude
        case 2:
            // FilterAggregateStandardInformation: minifilter variant of the same (Flags, then the minifilter union).
            let header = 0x1C
            bytes = [0, 0, 0, 0] + [1, 0, 0, 0] + [0, 0, 0, 0] + [0, 0, 0, 0] + [0, 0, 0, 0]
                + u16(name.count) + u16(header) + u16(altitude.count) + u16(header + name.count) + name + altitude
        default:
            return UInt64(NTStatus.invalidParameter)
        }
        if returned != 0 { try kernel.writeU32(returned, UInt32(bytes.count)) }
        guard buffer != 0, Int(size) >= bytes.count else { return UInt64(NTStatus.bufferTooSmall) }
        try kernel.writeBytes(buffer, bytes)
        return UInt64(NTStatus.success)
    }
}
