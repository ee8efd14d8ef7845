/// The framework's own entry points, which WdfDriverCreate installs in the
/// driver object: FxDevice::Dispatch (every MajorFunction), FxDriver::AddDevice
/// and FxDriver::Unload. Each turns the WDM call into the driver's KMDF
/// callbacks (EvtDriverDeviceAdd, EvtDevicePrepareHardware → EvtDeviceD0Entry,
/// EvtDeviceFileCreate / EvtFileCleanup / EvtFileClose, the queue's
/// EvtIoDeviceControl / EvtIoRead / EvtIoWrite / EvtIoDefault, EvtDeviceD0Exit →
/// EvtDeviceReleaseHardware, EvtDriverUnload, cleanup/destroy callbacks) and
/// returns what the IRP was completed with (STATUS_PENDING while it is not).
enum WdfDispatch {
    static let powerDeviceD3Final: UInt64 = 5

    /// FxDriver::AddDevice(DriverObject, PhysicalDeviceObject).
    static let addDevice: KernelHandler = { call in
        let kernel = call.kernel
        let state = kernel.wdf
        let pdo = try call.arg(1)
        guard state.deviceAdd != 0 else { return UInt64(NTStatus.success) }
        let setup = try WdfDeviceFunctions.allocateInit(kernel, control: false)
        setup.physicalDevice = pdo
        call.note("EvtDriverDeviceAdd(0x\(String(state.driver, radix: 16)), DeviceInit 0x\(String(setup.address, radix: 16)))")
        return try kernel.runGuestStep(call, .call(state.deviceAdd, [state.driver, setup.address], then: { status in
            .finish(status & 0xFFFF_FFFF)
        }))
    }

    /// FxDriver::Unload(DriverObject): PnP devices leave D0 and release their hardware,
    /// EvtDriverUnload runs, then the driver's object tree is deleted (cleanup, destroy).
    static let unload: KernelHandler = { call in
        let kernel = call.kernel
        let state = kernel.wdf
        var calls: [(UInt64, [UInt64])] = []
        let resources = try resourceList(kernel)
        for device in state.objects.values.filter({ $0.kind == "WDFDEVICE" && $0["started"] != 0 }) {
            device["started"] = 0
            calls.append((device["pnp:\(WdfLayout.PnpPowerCallbacks.d0Exit)"], [device.handle, powerDeviceD3Final]))
            calls.append((device["pnp:\(WdfLayout.PnpPowerCallbacks.releaseHardware)"], [device.handle, resources]))
        }
        calls.append((state.driverUnload, [state.driver]))
        calls = calls.filter { $0.0 != 0 }
        return try kernel.runGuestStep(call, kernel.chain(calls, then: {
            kernel.wdfDelete(state.driver, then: { .finish(0) })
        }))
    }

    /// FxDevice::Dispatch(DeviceObject, Irp).
    static let irp: KernelHandler = { call in
        let kernel = call.kernel
        let state = kernel.wdf
        let deviceObject = try call.arg(0), irp = try call.arg(1)
        typealias S = Layout.IoStackLocation
        let stack = try kernel.readU64(irp &+ UInt64(Layout.IRP.currentStackLocation))
        let major = Int(try kernel.readU8(stack &+ UInt64(S.majorFunction)))
        let minor = Int(try kernel.readU8(stack &+ UInt64(S.minorFunction)))
        guard let handle = state.deviceByObject[deviceObject], let device = state.objects[handle] else {
            call.note("not a framework device")
            return try complete(kernel, irp, status: NTStatus.invalidDeviceRequest)
        }
        let fileObject = try kernel.readU64(stack &+ UInt64(S.fileObject))
        switch major {
        case Layout.MajorFunction.create:
            let file = try kernel.wdfCreate("WDFFILEOBJECT", attributes: device["fileAttributes"], defaultParent: device.handle)
            file["fileObject"] = fileObject
            file["device"] = device.handle
            if fileObject != 0 { state.fileByObject[fileObject] = file.handle }
            guard device["fileCreate"] != 0 else { return try complete(kernel, irp, status: NTStatus.success) }
            let request = try WdfQueueFunctions.makeRequest(kernel, irp: irp, device: device, queue: 0)
            call.note("EvtDeviceFileCreate")
            return try kernel.runGuestStep(call, .call(device["fileCreate"], [device.handle, request.handle, file.handle],
                                                       then: { _ in .finish(UInt64(try status(kernel, irp))) }))
        case Layout.MajorFunction.cleanup, Layout.MajorFunction.close:
            let file = state.fileByObject[fileObject] ?? 0
            let routine = major == Layout.MajorFunction.cleanup ? device["fileCleanup"] : device["fileClose"]
            _ = try complete(kernel, irp, status: NTStatus.success)
            call.note(major == Layout.MajorFunction.cleanup ? "EvtFileCleanup" : "EvtFileClose")
            let calls: [(UInt64, [UInt64])] = routine != 0 && file != 0 ? [(routine, [file])] : []
            return try kernel.runGuestStep(call, kernel.chain(calls, then: {
                guard major == Layout.MajorFunction.close, file != 0 else { return .finish(UInt64(NTStatus.success)) }
                return kernel.wdfDelete(file, then: { .finish(UInt64(NTStatus.success)) })
            }))
        case Layout.MajorFunction.pnp:
            return try pnp(call, device: device, irp: irp, minor: minor)
        case Layout.MajorFunction.power, 0x17 /* IRP_MJ_SYSTEM_CONTROL */, Layout.MajorFunction.shutdown:
            return try complete(kernel, irp, status: NTStatus.success)
        default:
            return try WdfQueueFunctions.present(call, device: device, irp: irp, major: major, stack: stack)
        }
    }

    /// IRP_MN_START_DEVICE: EvtDevicePrepareHardware → EvtDeviceD0Entry → EvtDeviceSelfManagedIoInit.
    static func pnp(_ call: KernelCall, device: WdfObject, irp: UInt64, minor: Int) throws -> UInt64 {
        let kernel = call.kernel
        typealias P = WdfLayout.PnpPowerCallbacks
        guard minor == 0 else { return try complete(kernel, irp, status: NTStatus.success) }
        let resources = try resourceList(kernel)
        let prepare = device["pnp:\(P.prepareHardware)"], d0Entry = device["pnp:\(P.d0Entry)"]
        let ioInit = device["pnp:\(P.selfManagedIoInit)"]
        call.note("start: EvtDevicePrepareHardware, EvtDeviceD0Entry")
        let finish: (UInt64) throws -> GuestStep = { status in
            let value = UInt32(truncatingIfNeeded: status)
            if NTStatus.isSuccess(value) { device["started"] = 1 }
            return .finish(try complete(kernel, irp, status: value))
        }
        let afterD0: (UInt64) throws -> GuestStep = { status in
            guard NTStatus.isSuccess(UInt32(truncatingIfNeeded: status)) else { return try finish(status) }
            return .call(ioInit, [device.handle], then: { ioInit == 0 ? try finish(0) : try finish($0) })
        }
        let afterPrepare: (UInt64) throws -> GuestStep = { status in
            guard NTStatus.isSuccess(UInt32(truncatingIfNeeded: status)) else { return try finish(status) }
            return .call(d0Entry, [device.handle, powerDeviceD3Final], then: { d0Entry == 0 ? try afterD0(0) : try afterD0($0) })
        }
        return try kernel.runGuestStep(call, .call(prepare, [device.handle, resources, resources], then: {
            prepare == 0 ? try afterPrepare(0) : try afterPrepare($0)
        }))
    }

    /// An empty WDFCMRESLIST (the model's devices have no hardware resources).
    static func resourceList(_ kernel: Kernel) throws -> UInt64 {
        let state = kernel.wdf
        if let list = state.objects.values.first(where: { $0.kind == "WDFCMRESLIST" }) { return list.handle }
        return try kernel.wdfCreate("WDFCMRESLIST", attributes: 0, defaultParent: state.driver).handle
    }

    /// Completes `irp` with `status` (no information); returns the status for RAX.
    static func complete(_ kernel: Kernel, _ irp: UInt64, status: UInt32, information: UInt64 = 0) throws -> UInt64 {
        try kernel.writeU32(irp &+ UInt64(Layout.IRP.ioStatusStatus), status)
        try kernel.writeU64(irp &+ UInt64(Layout.IRP.ioStatusInformation), information)
        return UInt64(status)
    }

    /// What the dispatch routine returns after the callbacks: the completion status, or STATUS_PENDING.
    static func status(_ kernel: Kernel, _ irp: UInt64) throws -> UInt32 {
        if let request = kernel.wdf.requestByIrp[irp], kernel.wdf.objects[request] != nil { return NTStatus.pending }
        return try kernel.readU32(irp &+ UInt64(Layout.IRP.ioStatusStatus))
    }
}
