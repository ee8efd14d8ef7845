/// Devices and symbolic links: the part of the I/O manager DriverEntry and
/// unload use. The object namespace is virtual: nothing reaches the host.
enum IoManagerArea {
    static let handlers: [KernelExport] = [
        .ntoskrnl("IoCreateDevice") { try createDevice($0) },
        // Same arguments plus DefaultSDDLString and DeviceClassGuid (not enforced) before
        // *DeviceObject, which is therefore the ninth argument, not the seventh.
        .ntoskrnl("IoCreateDeviceSecure") { try createDevice($0, deviceObjectArgument: 8) },
        .ntoskrnl("IoDeleteDevice") { call in
            call.kernel.objects.devices[try call.arg(0)] = nil
            return 0
        },
        .ntoskrnl("IoCreateSymbolicLink") { call in
            let link = try call.kernel.readUnicodeString(call.arg(0)) ?? ""
            let target = try call.kernel.readUnicodeString(call.arg(1)) ?? ""
            call.note("\(link) -> \(target)")
            guard call.kernel.objects.symbolicLinks[link] == nil else { return UInt64(NTStatus.objectNameCollision) }
            call.kernel.objects.symbolicLinks[link] = target
            return UInt64(NTStatus.success)
        },
        .ntoskrnl("IoDeleteSymbolicLink") { call in
            let link = try call.kernel.readUnicodeString(call.arg(0)) ?? ""
            call.note(link)
            return call.kernel.objects.symbolicLinks.removeValue(forKey: link) == nil
                ? UInt64(NTStatus.objectNameNotFound) : UInt64(NTStatus.success)
        },
        // What an unset MajorFunction slot points at: completes the IRP as invalid.
        .ntoskrnl("IopInvalidDeviceRequest") { _ in UInt64(NTStatus.invalidDeviceRequest) }.stub("returns STATUS_INVALID_DEVICE_REQUEST without completing the IRP"),
    ]

    /// IoCreateDevice(DriverObject, DeviceExtensionSize, DeviceName, DeviceType,
    ///                DeviceCharacteristics, Exclusive, *DeviceObject);
    /// `deviceObjectArgument` is where *DeviceObject is (8 for IoCreateDeviceSecure).
    static func createDevice(_ call: KernelCall, deviceObjectArgument: Int = 6) throws -> UInt64 {
        let kernel = call.kernel
        let driver = try call.arg(0), extensionSize = try call.arg32(1)
        let name = try kernel.readUnicodeString(call.arg(2))
        let deviceType = try call.arg32(3), characteristics = try call.arg32(4)
        let out = try call.arg(deviceObjectArgument)
        call.note(name ?? "(unnamed)")
        if let name, kernel.objects.devices.values.contains(where: { $0.name == name }) {
            return UInt64(NTStatus.objectNameCollision)
        }
        guard extensionSize <= 1 << 20 else { return UInt64(NTStatus.insufficientResources) }
        typealias D = Layout.DeviceObject
        let device = try kernel.heap.allocate(D.totalSize + Int(extensionSize), name: "DEVICE_OBJECT")
        try kernel.writeU16(device &+ UInt64(D.type), D.typeValue)
        try kernel.writeU16(device &+ UInt64(D.size), UInt16(D.totalSize))
        try kernel.writeU64(device &+ UInt64(D.driverObject), driver)
        try kernel.writeU32(device &+ UInt64(D.characteristics), characteristics)
        try kernel.writeU32(device &+ UInt64(D.deviceType), deviceType)
        try kernel.writeU8(device &+ UInt64(D.stackSize), 1)
        try kernel.writeU32(device &+ UInt64(D.flags), 0x80) // DO_DEVICE_INITIALIZING
        if extensionSize > 0 { try kernel.writeU64(device &+ UInt64(D.deviceExtension), device + UInt64(D.totalSize)) }
        // Link into DriverObject->DeviceObject, newest first, as Windows does.
        let first = try kernel.readU64(driver &+ UInt64(Layout.DriverObject.deviceObject))
        try kernel.writeU64(device &+ UInt64(D.nextDevice), first)
        try kernel.writeU64(driver &+ UInt64(Layout.DriverObject.deviceObject), device)
        kernel.objects.devices[device] = .init(name: name, driverObject: driver)
        try kernel.writeU64(out, device)
        return UInt64(NTStatus.success)
    }
}
