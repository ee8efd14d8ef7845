/// I/O manager exports around driver objects and IRP flow that DriverEntry
/// and dispatch routines call: IoCreateDriver, remove locks, the StartIo queue.
enum IoDriversArea {
    static let handlers: [KernelExport] = [
        .ntoskrnl("IoCreateDriver") { try createDriver($0) },
        .ntoskrnl("IoInitializeRemoveLockEx") { try initializeRemoveLock($0) },
        .ntoskrnl("IoAcquireRemoveLockEx") { try acquireRemoveLock($0) },
        .ntoskrnl("IoReleaseRemoveLockEx") { try releaseRemoveLock($0) },
        .ntoskrnl("IoReleaseRemoveLockAndWaitEx") { try releaseRemoveLockAndWait($0) },
        .ntoskrnl("IoStartPacket") { try startPacket($0) },
        .ntoskrnl("IoStartNextPacket") { try startNextPacket($0) },
        .ntoskrnl("IoEnumerateRegisteredFiltersList") { try enumerateFilterDrivers($0) },
        .ntoskrnl("ZwDeviceIoControlFile") { try deviceIoControlFile($0, fileSystem: false) },
        .ntoskrnl("NtDeviceIoControlFile") { try deviceIoControlFile($0, fileSystem: false) },
        .ntoskrnl("ZwFsControlFile") { try deviceIoControlFile($0) },
        .ntoskrnl("NtFsControlFile") { try deviceIoControlFile($0) },
    ]

    final class State {
        /// Driver objects made by IoCreateDriver, by name (lower-cased).
        var createdDrivers: [String: UInt64] = [:]
        var nextAnonymous: UInt32 = 0x1000
        /// Per device: IRPs waiting for StartIo (the device is busy while it has an entry).
        var packetQueues: [UInt64: [UInt64]] = [:]
        /// The filter manager's DRIVER_OBJECT, the one legacy file-system filter a Windows 10 system has.
        var filterManagerDriver: UInt64 = 0
    }

    static func ioState(_ kernel: Kernel) -> State { kernel.state(State.self) { State() } }

    // MARK: IoCreateDriver

    /// IoCreateDriver(DriverName, InitializationFunction): builds a DRIVER_OBJECT named
    /// `DriverName` (or `\Driver\<generated>` when NULL) and calls
    /// InitializationFunction(DriverObject, NULL) — the registry path is NULL for such drivers —
    /// returning its status. A name already in use is STATUS_OBJECT_NAME_COLLISION.
    static func createDriver(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, state = ioState(kernel)
        let routine = try call.arg(1)
        guard state.createdDrivers.count < 64 else { return UInt64(NTStatus.insufficientResources) }
        let name: String
        if let given = try kernel.readUnicodeString(call.arg(0)), !given.isEmpty {
            name = given
        } else {
            name = "\\Driver\\" + String(state.nextAnonymous, radix: 16, uppercase: true)
            state.nextAnonymous &+= 1
        }
        call.note("\(name), init \(kernel.symbolize(routine))")
        guard state.createdDrivers[name.lowercased()] == nil else { return UInt64(NTStatus.objectNameCollision) }
        guard routine != 0 else { return UInt64(NTStatus.invalidParameter) }
        let objects = try kernel.createDriverObject(imageBase: 0, imageSize: 0, entryPoint: routine, name: name)
        state.createdDrivers[name.lowercased()] = objects.driverObject
        return try kernel.runGuestStep(call, .call(routine, [objects.driverObject, 0]) { status in
            let status = UInt32(truncatingIfNeeded: status)
            // A failed initialisation deletes the object again.
            if !NTStatus.isSuccess(status) { state.createdDrivers[name.lowercased()] = nil }
            return .finish(UInt64(status))
        })
    }

    // MARK: Remove locks

    /// IO_REMOVE_LOCK (free build): Removed (BOOLEAN) +0, IoCount (LONG) +4, RemoveEvent (KEVENT) +8.
    enum RemoveLock {
        static let removed: UInt64 = 0, ioCount: UInt64 = 4, event: UInt64 = 8, totalSize = 0x20
    }

    /// IoInitializeRemoveLockEx(Lock, AllocateTag, MaxLockedMinutes, HighWatermark, RemlockSize):
    /// IoCount 1 (the bias IoReleaseRemoveLockAndWait drops), not removed, event not signalled.
    static func initializeRemoveLock(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, lock = try call.arg(0)
        try kernel.fill(lock, count: RemoveLock.totalSize)
        try kernel.writeU32(lock &+ RemoveLock.ioCount, 1)
        try SynchronizationArea.initializeEvent(kernel, lock &+ RemoveLock.event, type: 0, signalled: false)
        return 0
    }

    static func count(_ kernel: Kernel, _ lock: UInt64) throws -> Int32 {
        Int32(bitPattern: try kernel.readU32(lock &+ RemoveLock.ioCount))
    }

    /// Adds `delta` to IoCount; signals RemoveEvent when it reaches zero. The new count.
    @discardableResult
    static func adjust(_ kernel: Kernel, _ lock: UInt64, by delta: Int32) throws -> Int32 {
        let now = try count(kernel, lock) &+ delta
        try kernel.writeU32(lock &+ RemoveLock.ioCount, UInt32(bitPattern: now))
        if now == 0 { try SynchronizationArea.setSignal(kernel, lock &+ RemoveLock.event, 1) }
        return now
    }

    /// IoAcquireRemoveLockEx(Lock, Tag, File, Line, RemlockSize): STATUS_DELETE_PENDING once the
    /// lock is being removed, otherwise one more reference.
    static func acquireRemoveLock(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, lock = try call.arg(0)
        try adjust(kernel, lock, by: 1)
        guard try kernel.readU8(lock &+ RemoveLock.removed) == 0 else {
            try adjust(kernel, lock, by: -1)
            return UInt64(AreaStatus.deletePending)
        }
        return UInt64(NTStatus.success)
    }

    /// IoReleaseRemoveLockEx(Lock, Tag, RemlockSize).
    static func releaseRemoveLock(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, lock = try call.arg(0)
        if try adjust(kernel, lock, by: -1) < 0 { call.note("released more often than acquired") }
        return 0
    }

    /// IoReleaseRemoveLockAndWaitEx(Lock, Tag, RemlockSize): marks the lock removed, drops the
    /// caller's reference and the initial bias, then waits until every other holder released.
    static func releaseRemoveLockAndWait(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, lock = try call.arg(0)
        try kernel.writeU8(lock &+ RemoveLock.removed, 1)
        try adjust(kernel, lock, by: -1)
        guard try adjust(kernel, lock, by: -1) > 0 else { return 0 }
        call.note("\(try count(kernel, lock)) reference(s) still held")
        return try SynchronizationArea.waitRunningDeferred(call) {
            UInt64(try SynchronizationArea.wait(call, objects: [lock &+ RemoveLock.event], waitAll: false, timeout: 0))
        }
    }

    // MARK: StartIo

    /// IoStartPacket(DeviceObject, Irp, Key, CancelFunction): an idle device gets the IRP as
    /// CurrentIrp and its driver's DriverStartIo is called; a busy one queues it for
    /// IoStartNextPacket.
    static func startPacket(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, device = try call.arg(0), irp = try call.arg(1), state = ioState(kernel)
        if var queue = state.packetQueues[device] {
            guard queue.count < 4096 else { return 0 }
            queue.append(irp)
            state.packetQueues[device] = queue
            call.note("device busy: IRP queued")
            return 0
        }
        state.packetQueues[device] = []
        return try start(call, device: device, irp: irp)
    }

    /// IoStartNextPacket(DeviceObject, Cancelable): the next queued IRP goes to StartIo, or the
    /// device becomes idle.
    static func startNextPacket(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, device = try call.arg(0), state = ioState(kernel)
        try kernel.writeU64(device &+ UInt64(Layout.DeviceObject.currentIrp), 0)
        guard var queue = state.packetQueues[device], !queue.isEmpty else {
            state.packetQueues[device] = nil
            return 0
        }
        let irp = queue.removeFirst()
        state.packetQueues[device] = queue
        return try start(call, device: device, irp: irp)
    }

    static func start(_ call: KernelCall, device: UInt64, irp: UInt64) throws -> UInt64 {
        let kernel = call.kernel
        try kernel.writeU64(device &+ UInt64(Layout.DeviceObject.currentIrp), irp)
        let driver = try kernel.readU64(device &+ UInt64(Layout.DeviceObject.driverObject))
        let startIo = driver == 0 ? 0 : try kernel.readU64(driver &+ UInt64(Layout.DriverObject.driverStartIo))
        guard startIo != 0 else {
            call.note("the driver has no DriverStartIo")
            return 0
        }
        call.note("StartIo \(kernel.symbolize(startIo))")
        return try kernel.runGuestStep(call, .call(startIo, [device, irp]) { _ in .finish(0) })
    }

    // MARK: File-system filters, device I/O controls

    /// IoEnumerateRegisteredFiltersList(DriverObjectList, DriverObjectListSize (bytes),
    /// *ActualNumberDriverObjects): the legacy file-system filter drivers — on Windows 10 only
    /// \FileSystem\FltMgr (minifilters register with it instead). STATUS_BUFFER_TOO_SMALL with the
    /// count when the list has no room.
    static func enumerateFilterDrivers(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, state = ioState(kernel)
        let list = try call.arg(0), size = try call.arg32(1), out = try call.arg(2)
        if state.filterManagerDriver == 0 {
            state.filterManagerDriver = try kernel.createDriverObject(imageBase: 0, imageSize: 0, entryPoint: 0,
                                                                      name: "\\FileSystem\\FltMgr").driverObject
        }
        if out != 0 { try kernel.writeU32(out, 1) }
        guard list != 0, size >= 8 else { return UInt64(NTStatus.bufferTooSmall) }
        try kernel.writeU64(list, state.filterManagerDriver)
        call.note("\\FileSystem\\FltMgr")
        return UInt64(NTStatus.success)
    }

    /// ZwDeviceIoControlFile / ZwFsControlFile(FileHandle, Event, ApcRoutine, ApcContext,
    /// IoStatusBlock, Code, InputBuffer, InputLength, OutputBuffer, OutputLength): an I/O control
    /// on a file opened on one of the model's devices goes to its driver (DeviceFiles); no driver
    /// of the model serves any other device, so other handles' requests complete as
    /// STATUS_INVALID_DEVICE_REQUEST (written to the IoStatusBlock, the event signalled).
    static func deviceIoControlFile(_ call: KernelCall, fileSystem: Bool = true) throws -> UInt64 {
        let kernel = call.kernel, handle = try call.arg(0), event = try call.arg(1), iosb = try call.arg(4)
        call.note("code 0x\(String(try call.arg32(5), radix: 16))")
        guard let entry = kernel.handles.lookup(handle) else { return UInt64(NTStatus.invalidHandle) }
        if !fileSystem, let file = entry.payload as? DeviceFiles.DeviceFile {
            return try DeviceFiles.deviceControl(call, device: file.device, file: entry.object)
        }
        let status = NTStatus.invalidDeviceRequest
        if iosb != 0 {
            try kernel.writeU32(iosb, status)
            try kernel.writeU64(iosb &+ 8, 0)
        }
        if event != 0, let object = kernel.handles.lookup(event)?.object, object != 0 {
            try SynchronizationArea.setSignal(kernel, object, 1)
        }
        return UInt64(status)
    }
}
