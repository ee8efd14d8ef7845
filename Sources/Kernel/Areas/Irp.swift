/// IRPs a driver builds itself and device stacks. Only the model's drivers'
/// devices exist: an IRP sent to one of them reaches its driver's dispatch
/// routine (run as guest code inside IofCallDriver); one sent to any other
/// device (a lower driver that is not there) completes at once with
/// STATUS_INVALID_DEVICE_REQUEST. Completion runs the completion routines up
/// the stack and sets the IO_STATUS_BLOCK and event as the I/O manager does.
enum IrpArea {
    static let handlers: [KernelExport] = [
        .ntoskrnl("IoAllocateIrp") { call in try allocateIrp(call.kernel, stackSize: Int(call.arg32(0) & 0xFF)) },
        .ntoskrnl("IoFreeIrp") { _ in 0 }.stub("IRPs are not tracked, so nothing is freed"),
        .ntoskrnl("IoReuseIrp") { call in
            try call.kernel.writeU32(call.arg(0) &+ UInt64(Layout.IRP.ioStatusStatus), call.arg32(1))
            return 0
        },
        .ntoskrnl("IoInitializeIrp") { call in
            let irp = try call.arg(0), stackSize = Int(try call.arg32(2) & 0xFF)
            try initialize(call.kernel, irp: irp, stackSize: stackSize)
            return 0
        },
        .ntoskrnl("IoSizeOfIrp") { call in UInt64(Layout.IRP.totalSize + Int(try call.arg32(0) & 0xFF) * Layout.IoStackLocation.totalSize) },
        .ntoskrnl("IoBuildDeviceIoControlRequest") { call in try buildDeviceIoControl(call) },
        .ntoskrnl("IoBuildSynchronousFsdRequest") { call in try buildFsd(call, eventIndex: 5, iosbIndex: 6) },
        .ntoskrnl("IoBuildAsynchronousFsdRequest") { call in try buildFsd(call, eventIndex: nil, iosbIndex: 5) },
        .ntoskrnl("IofCallDriver") { call in try callDriver(call) },
        .ntoskrnl("IoCallDriver") { call in try callDriver(call) },
        .ntoskrnl("PoCallDriver") { call in try callDriver(call) },
        .ntoskrnl("IofCompleteRequest") { call in try completeRequest(call) },
        .ntoskrnl("IoCompleteRequest") { call in try completeRequest(call) },
        .ntoskrnl("IoSetCompletionRoutineEx") { call in try setCompletionRoutineEx(call) },
        .ntoskrnl("PoStartNextPowerIrp") { _ in 0 }.stub("no power IRP queue in the model"),
        .ntoskrnl("IoCancelIrp") { call in
            try call.kernel.writeU8(call.arg(0) &+ UInt64(Layout.IRP.cancel), 1)
            return 0 // no cancel routine was set by anyone the model knows
        },
        .ntoskrnl("IoGetDeviceObjectPointer") { call in try deviceObjectPointer(call) },
        .ntoskrnl("IoGetRelatedDeviceObject") { call in
            let device = try call.kernel.readU64(call.arg(0) &+ UInt64(Layout.FileObject.deviceObject))
            return try top(call.kernel, of: device)
        },
        .ntoskrnl("IoGetAttachedDevice") { call in try top(call.kernel, of: call.arg(0)) },
        .ntoskrnl("IoGetAttachedDeviceReference") { call in try top(call.kernel, of: call.arg(0)) },
        .ntoskrnl("IoGetDeviceAttachmentBaseRef") { call in try call.arg(0) },
        .ntoskrnl("IoGetLowerDeviceObject") { _ in 0 }.stub("the driver's devices have no lower device in the model"),
        .ntoskrnl("IoAttachDeviceToDeviceStack") { call in try attach(call.kernel, source: call.arg(0), target: call.arg(1)) },
        .ntoskrnl("IoAttachDeviceToDeviceStackSafe") { call in
            let top = try attach(call.kernel, source: call.arg(0), target: call.arg(1))
            try call.kernel.writeU64(call.arg(2), top)
            return top == 0 ? UInt64(NTStatus.noSuchDevice) : UInt64(NTStatus.success)
        },
        .ntoskrnl("IoDetachDevice") { call in
            try call.kernel.writeU64(call.arg(0) &+ UInt64(Layout.DeviceObject.attachedDevice), 0)
            return 0
        },
        .ntoskrnl("IoIsWdmVersionAvailable") { call in
            // Windows 10/11 report WDM 6.0x30 (WDM_MAJORVERSION 6, WDM_MINORVERSION_WIN10 0x30).
            let major = try call.arg32(0) & 0xFF, minor = try call.arg32(1) & 0xFF
            return major < 6 || (major == 6 && minor <= 0x30) ? 1 : 0
        },
        .ntoskrnl("IoAllocateErrorLogEntry") { call in
            let size = Int(try call.arg32(1) & 0xFF)
            return size == 0 ? 0 : try call.kernel.allocatePool(size: UInt64(size), tag: 0x4C45_6F49, poolType: 0x200, executable: false)
        },
        .ntoskrnl("IoWriteErrorLogEntry") { call in
            call.note("error log entry 0x\(String(try call.arg(0), radix: 16)) written")
            return 0
        },
        .ntoskrnl("IoFreeErrorLogEntry") { call in call.kernel.freePool(try call.arg(0)); return 0 },
        .ntoskrnl("IoRegisterDeviceInterface") { call in
            // (PhysicalDeviceObject, InterfaceClassGuid, ReferenceString, SymbolicLinkName*): a fixed link name.
            let name = try call.kernel.makeUnicodeString("\\??\\ROOT#SYSTEM#0000#{hvcisim-interface}", name: "DeviceInterface")
            try call.kernel.writeBytes(call.arg(3), try call.kernel.readBytes(name, count: Layout.UnicodeString.size))
            return UInt64(NTStatus.success)
        },
        .ntoskrnl("IoSetDeviceInterfaceState") { _ in UInt64(NTStatus.success) }.stub("device interfaces are not tracked"),
        .ntoskrnl("IoGetDeviceProperty") { call in
            // (DeviceObject, Property, BufferLength, PropertyBuffer, ResultLength*): nothing is known about the PDO.
            try call.kernel.writeU32(call.arg(4), 0)
            return UInt64(NTStatus.invalidDeviceRequest)
        },
    ]

    /// An IRP with `stackSize` stack locations and none current, as IoAllocateIrp leaves it.
    static func allocateIrp(_ kernel: Kernel, stackSize requested: Int) throws -> UInt64 {
        let stackSize = min(max(requested, 1), maxStackSize)
        let size = Layout.IRP.totalSize + max(stackSize, 1) * Layout.IoStackLocation.totalSize
        let irp = try kernel.heap.allocate(size, name: "IRP")
        try initialize(kernel, irp: irp, stackSize: max(stackSize, 1))
        return irp
    }

    /// StackSize is a CCHAR; real device stacks are a handful deep.
    static let maxStackSize = 64

    static func initialize(_ kernel: Kernel, irp: UInt64, stackSize requested: Int) throws {
        let stackSize = min(max(requested, 1), maxStackSize)
        typealias I = Layout.IRP
        try kernel.writeU16(irp &+ UInt64(I.type), I.typeValue)
        try kernel.writeU16(irp &+ UInt64(I.size), UInt16(I.totalSize + stackSize * Layout.IoStackLocation.totalSize))
        try kernel.writeU8(irp &+ UInt64(I.stackCount), UInt8(stackSize))
        try kernel.writeU8(irp &+ UInt64(I.currentLocation), UInt8(stackSize + 1))
        // CurrentStackLocation one past the last: IoGetNextIrpStackLocation gives the last one.
        try kernel.writeU64(irp &+ UInt64(I.currentStackLocation),
                            irp &+ UInt64(I.totalSize + stackSize * Layout.IoStackLocation.totalSize))
    }

    /// The stack location the caller fills before IoCallDriver (IoGetNextIrpStackLocation).
    static func nextLocation(_ kernel: Kernel, irp: UInt64) throws -> UInt64 {
        try kernel.readU64(irp &+ UInt64(Layout.IRP.currentStackLocation)) &- UInt64(Layout.IoStackLocation.totalSize)
    }

    /// IoBuildDeviceIoControlRequest(IoControlCode, DeviceObject, InputBuffer, InputBufferLength,
    /// OutputBuffer, OutputBufferLength, InternalDeviceIoControl, Event, IoStatusBlock).
    static func buildDeviceIoControl(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel
        let code = try call.arg32(0), device = try call.arg(1)
        let stackSize = Int(max(1, (try? kernel.readU8(device &+ UInt64(Layout.DeviceObject.stackSize))) ?? 1))
        let irp = try allocateIrp(kernel, stackSize: stackSize)
        let stack = try nextLocation(kernel, irp: irp)
        typealias S = Layout.IoStackLocation
        let isInternal = try call.arg32(6) & 0xFF != 0
        try kernel.writeU8(stack &+ UInt64(S.majorFunction),
                           UInt8(isInternal ? Layout.MajorFunction.internalDeviceControl : Layout.MajorFunction.deviceControl))
        try kernel.writeU32(stack &+ UInt64(S.ioControlCode), code)
        try kernel.writeU32(stack &+ UInt64(S.inputBufferLength), call.arg32(3))
        try kernel.writeU32(stack &+ UInt64(S.outputBufferLength), call.arg32(5))
        try kernel.writeU64(stack &+ UInt64(S.type3InputBuffer), call.arg(2))
        try kernel.writeU64(stack &+ UInt64(S.deviceObject), device)
        try kernel.writeU64(irp &+ UInt64(Layout.IRP.systemBuffer), call.arg(2))
        try kernel.writeU64(irp &+ UInt64(Layout.IRP.userBuffer), call.arg(4))
        try kernel.writeU64(irp &+ UInt64(Layout.IRP.userEvent), call.arg(7))
        try kernel.writeU64(irp &+ UInt64(Layout.IRP.userIosb), call.arg(8))
        call.note("IOCTL 0x\(String(code, radix: 16))")
        return irp
    }

    /// IoBuild(A)synchronousFsdRequest(MajorFunction, DeviceObject, Buffer, Length, StartingOffset, [Event,] IoStatusBlock).
    static func buildFsd(_ call: KernelCall, eventIndex: Int?, iosbIndex: Int) throws -> UInt64 {
        let kernel = call.kernel
        let device = try call.arg(1)
        let stackSize = Int(max(1, (try? kernel.readU8(device &+ UInt64(Layout.DeviceObject.stackSize))) ?? 1))
        let irp = try allocateIrp(kernel, stackSize: stackSize)
        let stack = try nextLocation(kernel, irp: irp)
        typealias S = Layout.IoStackLocation
        try kernel.writeU8(stack &+ UInt64(S.majorFunction), UInt8(truncatingIfNeeded: try call.arg(0)))
        try kernel.writeU64(stack &+ UInt64(S.deviceObject), device)
        try kernel.writeU32(stack &+ UInt64(S.length), call.arg32(3))
        let offset = try call.arg(4)
        if offset != 0 { try kernel.writeU64(stack &+ UInt64(S.byteOffset), try kernel.readU64(offset)) }
        try kernel.writeU64(irp &+ UInt64(Layout.IRP.userBuffer), call.arg(2))
        if let eventIndex { try kernel.writeU64(irp &+ UInt64(Layout.IRP.userEvent), call.arg(eventIndex)) }
        try kernel.writeU64(irp &+ UInt64(Layout.IRP.userIosb), call.arg(iosbIndex))
        return irp
    }

    // MARK: IofCallDriver / IofCompleteRequest

    /// IO_STACK_LOCATION.Control bits.
    enum Control {
        static let pendingReturned: UInt8 = 0x01, invokeOnCancel: UInt8 = 0x20
        static let invokeOnSuccess: UInt8 = 0x40, invokeOnError: UInt8 = 0x80
    }

    /// Dispatch routines of the model's drivers in flight at once (IofCallDriver nesting):
    /// a driver that sends IRPs to itself without end fails with STATUS_STACK_OVERFLOW here,
    /// where Windows would run off its 24 KiB kernel stack.
    static let maxCallDepth = 16
    static let stackOverflow: UInt32 = 0xC000_00FD
    static let moreProcessingRequired: UInt32 = 0xC000_0016

    final class CallState {
        /// Stack pointers of the IofCallDriver calls whose dispatch routine is running.
        var active: [UInt64] = []
    }

    static func callState(_ kernel: Kernel) -> CallState { kernel.state(CallState.self) { CallState() } }

    /// IofCallDriver(DeviceObject, Irp) (also IoCallDriver, PoCallDriver): moves the IRP to its next
    /// stack location (CurrentLocation - 1, DeviceObject set there) and calls the device's driver's
    /// MajorFunction[IrpSp->MajorFunction] with (DeviceObject, Irp), returning its status. A device
    /// no driver of the model serves (a lower driver that is not there), or a slot left at
    /// IopInvalidDeviceRequest, completes the IRP at once with STATUS_INVALID_DEVICE_REQUEST, the
    /// caller's completion routine running as IofCompleteRequest runs it. No stack location left:
    /// bug check 0x35 NO_MORE_IRP_STACK_LOCATIONS, as Windows.
    static func callDriver(_ call: KernelCall) throws -> UInt64 {
        typealias I = Layout.IRP
        let kernel = call.kernel, device = try call.arg(0), irp = try call.arg(1)
        let location = try kernel.readU8(irp &+ UInt64(I.currentLocation))
        guard location > 1 else {
            call.note("no stack location left for the next driver")
            throw KernelStop.bugCheck(code: 0x35, parameters: [irp, 0, 0, 0], site: call.returnAddress)
        }
        let stack = try nextLocation(kernel, irp: irp)
        try kernel.writeU8(irp &+ UInt64(I.currentLocation), location - 1)
        try kernel.writeU64(irp &+ UInt64(I.currentStackLocation), stack)
        try kernel.writeU64(stack &+ UInt64(Layout.IoStackLocation.deviceObject), device)
        return try send(call, device: device, irp: irp) { .finish(UInt64($0)) }
    }

    /// Calls the dispatch routine of `device`'s driver for the IRP's current stack location
    /// (already pointing at `device`), then `then` with the status it returned. A device no
    /// driver of the model serves, or a slot left at IopInvalidDeviceRequest, completes the IRP
    /// with STATUS_INVALID_DEVICE_REQUEST instead, completion routines included.
    static func send(_ call: KernelCall, device: UInt64, irp: UInt64,
                     then: @escaping (UInt32) throws -> GuestStep) throws -> UInt64 {
        typealias I = Layout.IRP
        let kernel = call.kernel
        let stack = try kernel.readU64(irp &+ UInt64(I.currentStackLocation))
        let major = Int(try kernel.readU8(stack &+ UInt64(Layout.IoStackLocation.majorFunction)))
        var routine: UInt64 = 0
        if kernel.objects.devices[device] != nil, major <= 0x1B {
            let driver = try kernel.readU64(device &+ UInt64(Layout.DeviceObject.driverObject))
            if driver != 0 { routine = try kernel.readU64(driver &+ UInt64(Layout.DriverObject.majorFunction + 8 * major)) }
        }
        guard routine != 0, !kernel.isInvalidDeviceRequestRoutine(routine) else {
            let owned = kernel.objects.devices[device] != nil
            call.note(owned ? "IRP_MJ 0x\(String(major, radix: 16)) not served by the device's driver: invalid device request"
                            : "no driver below: completed as invalid device request")
            let status = NTStatus.invalidDeviceRequest
            try kernel.writeU32(irp &+ UInt64(I.ioStatusStatus), status)
            try kernel.writeU64(irp &+ UInt64(I.ioStatusInformation), 0)
            return try kernel.runGuestStep(call, completion(kernel, irp: irp) { _ in try then(status) })
        }
        let state = callState(kernel), entry = call.stackPointer
        // Calls that never came back (a fault ended them) are at or below this one.
        state.active.removeAll { $0 <= entry }
        guard state.active.count < maxCallDepth else {
            call.note("\(maxCallDepth) dispatch routines nested: the driver keeps calling itself; failed with STATUS_STACK_OVERFLOW")
            return try kernel.runGuestStep(call, then(stackOverflow))
        }
        call.note("IRP_MJ 0x\(String(major, radix: 16)) to \(kernel.symbolize(routine))")
        state.active.append(entry)
        return try kernel.runGuestStep(call, .call(routine, [device, irp]) { status in
            state.active.removeAll { $0 == entry }
            return try then(UInt32(truncatingIfNeeded: status))
        })
    }

    /// IofCompleteRequest(Irp, PriorityBoost).
    static func completeRequest(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, irp = try call.arg(0)
        return try kernel.runGuestStep(call, completion(kernel, irp: irp) { _ in .finish(0) })
    }

    /// IofCompleteRequest's walk up the IRP's stack from the current location: each location is
    /// left (CurrentLocation + 1), cleared, and its completion routine — set by the driver above
    /// with IoSetCompletionRoutine(Ex) — is called with (the upper location's DeviceObject or
    /// NULL, Irp, Context) when its Control asks for it on this outcome; one returning
    /// STATUS_MORE_PROCESSING_REQUIRED stops the walk (the IRP belongs to it again). Past the
    /// top, the I/O manager copies IoStatus to UserIosb and signals UserEvent. `done` gets
    /// whether the IRP completed to the top.
    static func completion(_ kernel: Kernel, irp: UInt64, rounds: Int = 0,
                           then done: @escaping (Bool) throws -> GuestStep) throws -> GuestStep {
        typealias I = Layout.IRP
        typealias S = Layout.IoStackLocation
        let stackCount = try kernel.readU8(irp &+ UInt64(I.stackCount))
        var location = try kernel.readU8(irp &+ UInt64(I.currentLocation))
        var round = rounds
        while location <= stackCount, round < Int(maxStackSize) + 1 {
            round += 1
            let current = try kernel.readU64(irp &+ UInt64(I.currentStackLocation))
            let control = try kernel.readU8(current &+ UInt64(S.control))
            location += 1
            try kernel.writeU8(irp &+ UInt64(I.currentLocation), location)
            try kernel.writeU64(irp &+ UInt64(I.currentStackLocation), current &+ UInt64(S.totalSize))
            let pendingReturned = control & Control.pendingReturned
            try kernel.writeU8(irp &+ UInt64(I.pendingReturned), pendingReturned)
            let status = try kernel.readU32(irp &+ UInt64(I.ioStatusStatus))
            let cancelled = try kernel.readU8(irp &+ UInt64(I.cancel)) != 0
            let routine = try kernel.readU64(current &+ UInt64(S.completionRoutine))
            let context = try kernel.readU64(current &+ UInt64(S.context))
            let invoke = routine != 0 && ((NTStatus.isSuccess(status) && control & Control.invokeOnSuccess != 0)
                || (!NTStatus.isSuccess(status) && control & Control.invokeOnError != 0)
                || (cancelled && control & Control.invokeOnCancel != 0))
            // ZeroIrpStackLocation, and the completion routine is used up.
            try kernel.writeU8(current &+ UInt64(S.minorFunction), 0)
            try kernel.writeU8(current &+ UInt64(S.flags), 0)
            try kernel.writeU8(current &+ UInt64(S.control), 0)
            try kernel.fill(current &+ UInt64(S.parameters), count: 32)
            try kernel.writeU64(current &+ UInt64(S.fileObject), 0)
            try kernel.writeU64(current &+ UInt64(S.completionRoutine), 0)
            try kernel.writeU64(current &+ UInt64(S.context), 0)
            let upper = current &+ UInt64(S.totalSize)
            if invoke {
                let device = location > stackCount ? 0 : try kernel.readU64(upper &+ UInt64(S.deviceObject))
                return .call(routine, [device, irp, context]) { result in
                    if UInt32(truncatingIfNeeded: result) == moreProcessingRequired { return try done(false) }
                    return try completion(kernel, irp: irp, rounds: round, then: done)
                }
            }
            if pendingReturned != 0, location <= stackCount { // IoMarkIrpPending for the upper location
                try kernel.writeU8(upper &+ UInt64(S.control), try kernel.readU8(upper &+ UInt64(S.control)) | Control.pendingReturned)
            }
        }
        let status = try kernel.readU32(irp &+ UInt64(I.ioStatusStatus))
        let iosb = try kernel.readU64(irp &+ UInt64(I.userIosb))
        if iosb != 0 {
            try kernel.writeU32(iosb, status)
            try kernel.writeU64(iosb &+ 8, try kernel.readU64(irp &+ UInt64(I.ioStatusInformation)))
        }
        let event = try kernel.readU64(irp &+ UInt64(I.userEvent))
        if event != 0 { try SynchronizationArea.setSignal(kernel, event, 1) }
        return try done(true)
    }

    /// IoSetCompletionRoutineEx(DeviceObject, Irp, CompletionRoutine, Context, InvokeOnSuccess,
    /// InvokeOnError, InvokeOnCancel): IoSetCompletionRoutine on the next stack location (Windows
    /// wraps the routine to keep the driver loaded while it may run; the model never unloads then).
    static func setCompletionRoutineEx(_ call: KernelCall) throws -> UInt64 {
        typealias S = Layout.IoStackLocation
        let kernel = call.kernel, irp = try call.arg(1)
        let stack = try nextLocation(kernel, irp: irp)
        var control: UInt8 = 0
        if try call.arg(4) & 0xFF != 0 { control |= Control.invokeOnSuccess }
        if try call.arg(5) & 0xFF != 0 { control |= Control.invokeOnError }
        if try call.arg(6) & 0xFF != 0 { control |= Control.invokeOnCancel }
        try kernel.writeU64(stack &+ UInt64(S.completionRoutine), call.arg(2))
        try kernel.writeU64(stack &+ UInt64(S.context), call.arg(3))
        try kernel.writeU8(stack &+ UInt64(S.control), control)
        return UInt64(NTStatus.success)
    }

    /// IoGetDeviceObjectPointer(ObjectName, DesiredAccess, *FileObject, *DeviceObject): this driver's named devices.
    static func deviceObjectPointer(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel
        guard let name = try kernel.readUnicodeString(call.arg(0)) else { return UInt64(NTStatus.objectNameInvalid) }
        call.note(name)
        let target = kernel.objects.symbolicLinks[name] ?? name
        guard let device = kernel.objects.devices.first(where: { $0.value.name?.caseInsensitiveEquals(target) == true })?.key else {
            return UInt64(NTStatus.objectNameNotFound)
        }
        try kernel.writeU64(call.arg(2), try kernel.makeFileObject(device: device, name: ""))
        try kernel.writeU64(call.arg(3), try top(kernel, of: device))
        return UInt64(NTStatus.success)
    }

    /// The highest device attached above `device`.
    static func top(_ kernel: Kernel, of device: UInt64) throws -> UInt64 {
        var current = device
        for _ in 0..<32 {
            let above = try kernel.readU64(current &+ UInt64(Layout.DeviceObject.attachedDevice))
            if above == 0 || above == current { break }
            current = above
        }
        return current
    }

    /// Attaches `source` on top of `target`'s stack; returns the device it was attached to.
    static func attach(_ kernel: Kernel, source: UInt64, target: UInt64) throws -> UInt64 {
        guard source != 0, target != 0 else { return 0 }
        let top = try top(kernel, of: target)
        try kernel.writeU64(top &+ UInt64(Layout.DeviceObject.attachedDevice), source)
        let size = try kernel.readU8(top &+ UInt64(Layout.DeviceObject.stackSize))
        try kernel.writeU8(source &+ UInt64(Layout.DeviceObject.stackSize), size &+ 1)
        return top
    }
}

extension String {
    func caseInsensitiveEquals(_ other: String) -> Bool { lowercased() == other.lowercased() }
}
