/// WDFDEVICE_INIT and WDFDEVICE: control devices (WdfControlDeviceInitAllocate …
/// WdfControlFinishInitializing) and PnP devices (the DeviceInit EvtDriverDeviceAdd
/// receives), names, I/O type, file-object and PnP/power callbacks, symbolic
/// links and device interfaces. Each WDFDEVICE gets a real DEVICE_OBJECT
/// linked into the driver object, so the I/O paths find it.
enum WdfDeviceFunctions {
    static let handlers: [KernelExport] = [
        .kmdf("WdfControlDeviceInitAllocate") { call in
            let kernel = call.kernel
            let sddl = (try? kernel.readUnicodeString(call.arg(2))) ?? nil
            call.note("SDDL \(sddl ?? "(none)")")
            return try allocateInit(kernel, control: true).address
        },
        .kmdf("WdfControlDeviceInitSetShutdownNotification") { _ in 0 }.stub("no shutdown ever happens in a run"),
        .kmdf("WdfControlFinishInitializing") { call in
            let device = try call.kernel.wdfObject(call.arg(1), call, kind: "WDFDEVICE")
            try clearInitializing(call.kernel, device["deviceObject"])
            return 0
        },
        .kmdf("WdfDeviceInitFree") { call in
            call.kernel.wdf.deviceInits[try call.arg(1)] = nil
            return 0
        },
        .kmdf("WdfDeviceInitAssignName") { call in
            let name = try call.kernel.readUnicodeString(call.arg(2))
            try initBlock(call, 1).name = name
            call.note(name ?? "(no name)")
            return UInt64(NTStatus.success)
        },
        .kmdf("WdfDeviceInitSetDeviceType") { call in try initBlock(call, 1).deviceType = call.arg32(2); return 0 },
        .kmdf("WdfDeviceInitSetCharacteristics") { call in
            let setup = try initBlock(call, 1)
            let value = try call.arg32(2)
            setup.characteristics = try call.arg(3) & 0xFF != 0 ? setup.characteristics | value : value
            return 0
        },
        .kmdf("WdfDeviceInitSetExclusive") { call in try initBlock(call, 1).exclusive = call.arg(2) & 0xFF != 0; return 0 },
        .kmdf("WdfDeviceInitSetIoType") { call in try initBlock(call, 1).ioType = call.arg32(2); return 0 },
        .kmdf("WdfDeviceInitSetIoTypeEx") { call in
            // WDF_IO_TYPE_CONFIG { Size, ReadWriteIoType, DeviceControlIoType, DirectTransferThreshold }
            try initBlock(call, 1).ioType = call.kernel.readU32(call.arg(2) &+ 4)
            return 0
        },
        .kmdf("WdfDeviceInitSetFileObjectConfig") { call in
            let setup = try initBlock(call, 1), config = try call.arg(2)
            typealias F = WdfLayout.FileObjectConfig
            if config != 0 {
                setup.fileCreate = try call.kernel.readU64(config &+ UInt64(F.fileCreate))
                setup.fileClose = try call.kernel.readU64(config &+ UInt64(F.fileClose))
                setup.fileCleanup = try call.kernel.readU64(config &+ UInt64(F.fileCleanup))
            }
            setup.fileAttributes = try call.arg(3) == 0 ? 0 : copyAttributes(call.kernel, call.arg(3))
            return 0
        },
        .kmdf("WdfDeviceInitSetRequestAttributes") { call in
            try initBlock(call, 1).requestAttributes = try call.arg(2) == 0 ? 0 : copyAttributes(call.kernel, call.arg(2))
            return 0
        },
        .kmdf("WdfDeviceInitSetPnpPowerEventCallbacks") { call in
            let setup = try initBlock(call, 1), callbacks = try call.arg(2)
            guard callbacks != 0 else { return 0 }
            let size = Int(min(try call.kernel.readU32(callbacks), 0x90))
            for offset in stride(from: 8, to: size, by: 8) {
                setup.pnpPower[offset] = try call.kernel.readU64(callbacks &+ UInt64(offset))
            }
            return 0
        },
        .kmdf("WdfDeviceInitAssignSDDLString") { call in
            call.note((try? call.kernel.readUnicodeString(call.arg(2))).flatMap { $0 } ?? "")
            return UInt64(NTStatus.success)
        },
        .kmdf("WdfDeviceInitSetDeviceClass") { _ in 0 }.stub("device classes are not tracked"),
        .kmdf("WdfDeviceInitSetPowerPolicyEventCallbacks") { _ in 0 }.stub("no power policy: the device stays in D0"),
        .kmdf("WdfDeviceInitSetPowerPolicyOwnership") { _ in 0 }.stub("no power policy: the device stays in D0"),
        .kmdf("WdfDeviceInitSetPowerNotPageable") { _ in 0 }.stub("no power transitions in a run"),
        .kmdf("WdfDeviceInitSetPowerPageable") { _ in 0 }.stub("no power transitions in a run"),
        .kmdf("WdfDeviceInitSetPowerInrush") { _ in 0 }.stub("no power transitions in a run"),
        .kmdf("WdfDeviceInitSetIoInCallerContextCallback") { call in try initBlock(call, 1).inCallerContext = call.arg(2); return 0 },
        .kmdf("WdfDeviceInitAssignWdmIrpPreprocessCallback") { _ in UInt64(NTStatus.success) }.stub("IRPs go to the queues directly; the preprocess callback is not called"),
        .kmdf("WdfDeviceInitSetReleaseHardwareOrderOnFailure") { _ in 0 }.stub("start never fails in a run"),
        .kmdf("WdfFdoInitSetFilter") { _ in 0 }.stub("device stacks are not modelled"),
        .kmdf("WdfFdoInitSetEventCallbacks") { _ in 0 }.stub("device stacks are not modelled"),
        .kmdf("WdfFdoInitWdmGetPhysicalDevice") { call in try initBlock(call, 1).physicalDevice },
        .kmdf("WdfDeviceCreate") { try create($0) },
        .kmdf("WdfDeviceWdmGetDeviceObject") { call in try call.kernel.wdfObject(call.arg(1), call, kind: "WDFDEVICE")["deviceObject"] },
        .kmdf("WdfDeviceWdmGetAttachedDevice") { call in try call.kernel.wdfObject(call.arg(1), call, kind: "WDFDEVICE")["attached"] },
        .kmdf("WdfDeviceWdmGetPhysicalDevice") { call in try call.kernel.wdfObject(call.arg(1), call, kind: "WDFDEVICE")["pdo"] },
        .kmdf("WdfDeviceGetDriver") { call in call.kernel.wdf.driver },
        .kmdf("WdfWdmDeviceGetWdfDeviceHandle") { call in call.kernel.wdf.deviceByObject[try call.arg(1)] ?? 0 },
        .kmdf("WdfDeviceGetDefaultQueue") { call in try call.kernel.wdfObject(call.arg(1), call, kind: "WDFDEVICE")["defaultQueue"] },
        .kmdf("WdfDeviceGetIoTarget") { call in
            let device = try call.kernel.wdfObject(call.arg(1), call, kind: "WDFDEVICE")
            if device["ioTarget"] == 0 {
                let target = try call.kernel.wdfCreate("WDFIOTARGET", attributes: 0, defaultParent: device.handle)
                target["device"] = device.handle
                device["ioTarget"] = target.handle
            }
            return device["ioTarget"]
        },
        .kmdf("WdfDeviceCreateSymbolicLink") { call in
            let kernel = call.kernel
            let device = try kernel.wdfObject(call.arg(1), call, kind: "WDFDEVICE")
            let link = try kernel.readUnicodeString(call.arg(2)) ?? ""
            let target = kernel.objects.devices[device["deviceObject"]]?.name ?? ""
            call.note("\(link) -> \(target)")
            guard kernel.objects.symbolicLinks[link] == nil else { return UInt64(NTStatus.objectNameCollision) }
            kernel.objects.symbolicLinks[link] = target
            device.values["link:" + link] = 1
            return UInt64(NTStatus.success)
        },
        .kmdf("WdfDeviceCreateDeviceInterface") { call in
            let guid = try call.kernel.readBytes(call.arg(2), count: 16)
            call.note("interface {\(guid.map { String(format2: $0) }.joined())}")
            return UInt64(NTStatus.success)
        },
        .kmdf("WdfDeviceSetDeviceInterfaceState") { _ in 0 }.stub("device interfaces are not tracked"),
        .kmdf("WdfDeviceSetDeviceInterfaceStateEx") { _ in 0 }.stub("device interfaces are not tracked"),
        .kmdf("WdfDeviceRetrieveDeviceInterfaceString") { _ in UInt64(NTStatus.success) }.stub("device interfaces are not tracked; the string is left untouched"),
        .kmdf("WdfDeviceConfigureRequestDispatching") { call in
            let device = try call.kernel.wdfObject(call.arg(1), call, kind: "WDFDEVICE")
            _ = try call.kernel.wdfObject(call.arg(2), call, kind: "WDFQUEUE")
            device.values["queue:\(try call.arg32(3))"] = try call.arg(2)
            return UInt64(NTStatus.success)
        },
        .kmdf("WdfDeviceSetPnpCapabilities") { _ in 0 }.stub("PnP capabilities are not tracked"),
        .kmdf("WdfDeviceSetPowerCapabilities") { _ in 0 }.stub("power capabilities are not tracked"),
        .kmdf("WdfDeviceSetFailed") { _ in 0 }.stub("device failure is not tracked"),
        .kmdf("WdfDeviceSetStaticStopRemove") { _ in 0 }.stub("stop/remove never happens in a run"),
        .kmdf("WdfDeviceSetCharacteristics") { _ in 0 }.stub("device characteristics are not tracked"),
        .kmdf("WdfDeviceGetCharacteristics") { call in
            let device = try call.kernel.wdfObject(call.arg(1), call, kind: "WDFDEVICE")
            return UInt64(try call.kernel.readU32(device["deviceObject"] &+ UInt64(Layout.DeviceObject.characteristics)))
        },
        .kmdf("WdfDeviceAssignS0IdleSettings") { _ in UInt64(NTStatus.success) }.stub("no power policy: the device stays in D0"),
        .kmdf("WdfDeviceAssignSxWakeSettings") { _ in UInt64(NTStatus.success) }.stub("no power policy: the device stays in D0"),
        .kmdf("WdfDeviceGetDevicePnpState") { _ in 0x119 }.stub("every device is started (WdfDevStatePnpStarted)"), // WdfDevStatePnpStarted
        .kmdf("WdfDeviceGetDevicePowerState") { _ in 0x307 }.stub("every device is in D0 (WdfDevStatePowerD0)"), // WdfDevStatePowerD0
        .kmdf("WdfDeviceOpenRegistryKey") { call in
            try WdfSupportFunctions.openKey(call, path: call.kernel.configuration.registryPath + "\\Device Parameters",
                                            attributes: call.arg(4), out: call.arg(5))
        },
    ]

    static func allocateInit(_ kernel: Kernel, control: Bool) throws -> WdfDeviceInit {
        let address = try kernel.heap.allocate(0x40, name: "WDFDEVICE_INIT")
        let setup = WdfDeviceInit(address: address, control: control)
        kernel.wdf.deviceInits[address] = setup
        return setup
    }

    static func initBlock(_ call: KernelCall, _ index: Int) throws -> WdfDeviceInit {
        let address = try call.arg(index)
        guard let setup = call.kernel.wdf.deviceInits[address] else {
            call.note("invalid PWDFDEVICE_INIT 0x\(String(address, radix: 16))")
            throw KernelStop.bugCheck(code: 0x10D, parameters: [0x4, address, 0, 0], site: call.returnAddress)
        }
        return setup
    }

    static func clearInitializing(_ kernel: Kernel, _ device: UInt64) throws {
        let flags = device &+ UInt64(Layout.DeviceObject.flags)
        try kernel.writeU32(flags, try kernel.readU32(flags) & ~0x80)
    }

    /// WdfDeviceCreate(Globals, *DeviceInit, DeviceAttributes, *Device).
    static func create(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel
        let state = kernel.wdf
        let initPointer = try call.arg(1), attributes = try call.arg(2), out = try call.arg(3)
        let address = try kernel.readU64(initPointer)
        guard let setup = state.deviceInits[address] else { return UInt64(NTStatus.invalidParameter) }
        guard state.driver != 0 else { return UInt64(WdfStatus.invalidDeviceState) }
        if let name = setup.name, kernel.objects.devices.values.contains(where: { $0.name == name }) {
            return UInt64(NTStatus.objectNameCollision)
        }
        typealias D = Layout.DeviceObject
        let deviceObject = try kernel.heap.allocate(D.totalSize, name: "DEVICE_OBJECT")
        try kernel.writeU16(deviceObject &+ UInt64(D.type), D.typeValue)
        try kernel.writeU16(deviceObject &+ UInt64(D.size), UInt16(D.totalSize))
        try kernel.writeU64(deviceObject &+ UInt64(D.driverObject), state.driverObject)
        try kernel.writeU32(deviceObject &+ UInt64(D.characteristics), setup.characteristics)
        try kernel.writeU32(deviceObject &+ UInt64(D.deviceType), setup.deviceType)
        try kernel.writeU8(deviceObject &+ UInt64(D.stackSize), setup.control ? 1 : 2)
        let ioFlags: UInt32 = setup.ioType == 1 ? 0x4 : setup.ioType == 2 ? 0x10 : 0
        try kernel.writeU32(deviceObject &+ UInt64(D.flags), 0x80 | ioFlags)
        let first = try kernel.readU64(state.driverObject &+ UInt64(Layout.DriverObject.deviceObject))
        try kernel.writeU64(deviceObject &+ UInt64(D.nextDevice), first)
        try kernel.writeU64(state.driverObject &+ UInt64(Layout.DriverObject.deviceObject), deviceObject)
        kernel.objects.devices[deviceObject] = .init(name: setup.name, driverObject: state.driverObject)

        let device = try kernel.wdfCreate("WDFDEVICE", attributes: attributes, defaultParent: state.driver)
        device["deviceObject"] = deviceObject
        device["pdo"] = setup.physicalDevice
        device["control"] = setup.control ? 1 : 0
        device["fileCreate"] = setup.fileCreate
        device["fileClose"] = setup.fileClose
        device["fileCleanup"] = setup.fileCleanup
        device["fileAttributes"] = setup.fileAttributes
        device["requestAttributes"] = setup.requestAttributes
        device["inCallerContext"] = setup.inCallerContext
        for (offset, routine) in setup.pnpPower where routine != 0 { device.values["pnp:\(offset)"] = routine }
        state.deviceByObject[deviceObject] = device.handle
        state.deviceInits[address] = nil
        if !setup.control { try clearInitializing(kernel, deviceObject) }
        call.note("\(setup.control ? "control" : "PnP") device \(setup.name ?? "(unnamed)")")
        try kernel.writeU64(initPointer, 0)
        if out != 0 { try kernel.writeU64(out, device.handle) }
        return UInt64(NTStatus.success)
    }

    /// A copy of a WDF_OBJECT_ATTRIBUTES the driver may reuse after the call (its stack).
    static func copyAttributes(_ kernel: Kernel, _ attributes: UInt64) throws -> UInt64 {
        let copy = try kernel.heap.allocate(0x38, name: "WDF_OBJECT_ATTRIBUTES")
        try kernel.writeBytes(copy, try kernel.readBytes(attributes, count: 0x38))
        try kernel.writeU64(copy &+ UInt64(WdfLayout.ObjectAttributes.parent), 0)
        return copy
    }
}

private extension String {
    init(format2 byte: UInt8) {
        let digits = String(byte, radix: 16)
        self = digits.count == 1 ? "0" + digits : digits
    }
}
