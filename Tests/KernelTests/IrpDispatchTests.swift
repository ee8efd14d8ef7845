import CPU
import Testing
@testable import Kernel

/// IRPs a driver sends to its own devices: IofCallDriver runs the driver's dispatch routine,
/// IofCompleteRequest runs the completion routines on the way up, as on Windows.
struct IrpDispatchTests {
    private func imm64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

    /// A driver object with one named device, \Device\SelfTest, whose IRP_MJ_DEVICE_CONTROL is `dispatch`;
    /// the device as IoGetDeviceObjectPointer finds it by name.
    private func ownDevice(_ h: KernelHarness, dispatch: UInt64) throws -> UInt64 {
        let driver = try h.kernel.createDriverObject(imageBase: 0, imageSize: 0, entryPoint: 0).driverObject
        let name = try h.buffer(16), out = try h.buffer(8)
        try h.call("RtlInitUnicodeString", name, try h.wide("\\Device\\SelfTest"))
        #expect(try h.call("IoCreateDevice", driver, 0, name, 0x22, 0, 0, out) == UInt64(NTStatus.success))
        let slot = UInt64(Layout.DriverObject.majorFunction + 8 * Layout.MajorFunction.deviceControl)
        try h.kernel.writeU64(driver + slot, dispatch)
        let file = try h.buffer(8), found = try h.buffer(8)
        #expect(try h.call("IoGetDeviceObjectPointer", name, 0, file, found) == UInt64(NTStatus.success))
        let device = try h.kernel.readU64(found)
        #expect(device == (try h.kernel.readU64(out)))
        return device
    }

    /// Dispatch(Device, Irp): IoStatus = {STATUS_SUCCESS, 0x42}; IofCompleteRequest(Irp, 0); return 0x1234.
    private func completingDispatch(_ h: KernelHarness) throws -> UInt64 {
        let complete = try h.kernel.resolve(module: "ntoskrnl.exe", function: "IofCompleteRequest")
        return try h.code([0x48, 0x83, 0xEC, 0x28,                    // sub rsp, 0x28
                           0xC7, 0x42, 0x30, 0, 0, 0, 0,              // mov dword [rdx+0x30], 0
                           0x48, 0xC7, 0x42, 0x38, 0x42, 0, 0, 0,     // mov qword [rdx+0x38], 0x42
                           0x48, 0x89, 0xD1, 0x31, 0xD2]              // mov rcx, rdx; xor edx, edx
                          + [0x48, 0xB8] + imm64(complete) + [0xFF, 0xD0]
                          + [0xB8, 0x34, 0x12, 0, 0, 0x48, 0x83, 0xC4, 0x28, 0xC3])
    }

    /// Completion(Device, Irp, Context): *Context = Irp; return `status`.
    private func completionRoutine(_ h: KernelHarness, returning status: UInt32) throws -> UInt64 {
        try h.code([0x49, 0x89, 0x10, 0xB8] + (0..<4).map { UInt8(truncatingIfNeeded: status >> (8 * $0)) } + [0xC3])
    }

    @Test func anIoctlToTheDriversOwnDeviceReachesItsDispatchAndCompletes() throws {
        let h = try KernelHarness(hvci: false)
        let device = try ownDevice(h, dispatch: try completingDispatch(h))
        let iosb = try h.buffer(16), event = try h.buffer(0x18), context = try h.buffer(8)
        try h.call("KeInitializeEvent", event, 0, 0)
        let irp = try h.call("IoBuildDeviceIoControlRequest", 0x22_2004, device, 0, 0, 0, 0, 0, event, iosb)
        try h.call("IoSetCompletionRoutineEx", device, irp, try completionRoutine(h, returning: 0), context, 1, 1, 1)
        let callDriver = try h.kernel.resolve(module: "ntoskrnl.exe", function: "IofCallDriver")
        #expect(try h.run(at: callDriver, arguments: [device, irp]) == 0x1234)
        // The completion routine ran with the IRP, then the I/O manager finished it.
        #expect(try h.kernel.readU64(context) == irp)
        #expect(try h.kernel.readU32(iosb) == NTStatus.success)
        #expect(try h.kernel.readU64(iosb + 8) == 0x42)
        #expect(try h.kernel.readU32(event + 4) == 1)
        #expect(try h.kernel.readU8(irp + UInt64(Layout.IRP.currentLocation)) == 2)
        #expect(h.kernel.guestCallbacks.pending.isEmpty)
        #expect(h.kernel.stopReason == nil)
    }

    @Test func aCompletionRoutineAskingForMoreProcessingKeepsTheIrp() throws {
        let h = try KernelHarness(hvci: false)
        let device = try ownDevice(h, dispatch: try completingDispatch(h))
        let iosb = try h.buffer(16), event = try h.buffer(0x18), context = try h.buffer(8)
        try h.call("KeInitializeEvent", event, 0, 0)
        try h.kernel.writeU32(iosb, 0xFFFF_FFFF)
        let irp = try h.call("IoBuildDeviceIoControlRequest", 0x22_2004, device, 0, 0, 0, 0, 0, event, iosb)
        try h.call("IoSetCompletionRoutineEx", device, irp, try completionRoutine(h, returning: 0xC000_0016), context, 1, 1, 1)
        let callDriver = try h.kernel.resolve(module: "ntoskrnl.exe", function: "IofCallDriver")
        #expect(try h.run(at: callDriver, arguments: [device, irp]) == 0x1234)
        #expect(try h.kernel.readU64(context) == irp)
        #expect(try h.kernel.readU32(iosb) == 0xFFFF_FFFF)
        #expect(try h.kernel.readU32(event + 4) == 0)
    }

    @Test func aMissingLowerDriverStillRunsTheCallersCompletionRoutineOnError() throws {
        let h = try KernelHarness(hvci: false)
        let device = try h.kernel.makePhysicalDeviceObject()
        let iosb = try h.buffer(16), context = try h.buffer(8)
        let irp = try h.call("IoBuildDeviceIoControlRequest", 0x22_2004, device, 0, 0, 0, 0, 0, 0, iosb)
        // Only on success: not called for the invalid device request.
        try h.call("IoSetCompletionRoutineEx", device, irp, try completionRoutine(h, returning: 0), context, 1, 0, 0)
        let callDriver = try h.kernel.resolve(module: "ntoskrnl.exe", function: "IofCallDriver")
        #expect(try h.run(at: callDriver, arguments: [device, irp]) == UInt64(NTStatus.invalidDeviceRequest))
        #expect(try h.kernel.readU64(context) == 0)
        let again = try h.call("IoBuildDeviceIoControlRequest", 0x22_2004, device, 0, 0, 0, 0, 0, 0, iosb)
        try h.call("IoSetCompletionRoutineEx", device, again, try completionRoutine(h, returning: 0), context, 0, 1, 0)
        #expect(try h.run(at: callDriver, arguments: [device, again]) == UInt64(NTStatus.invalidDeviceRequest))
        #expect(try h.kernel.readU64(context) == again)
        #expect(try h.kernel.readU32(iosb) == NTStatus.invalidDeviceRequest)
    }

    @Test func aDriverForwardingAnIrpToItselfForeverFailsWithStackOverflow() throws {
        let h = try KernelHarness(hvci: false)
        let callDriver = try h.kernel.resolve(module: "ntoskrnl.exe", function: "IofCallDriver")
        // Dispatch: IoSkipCurrentIrpStackLocation(Irp); return IofCallDriver(Device, Irp).
        let dispatch = try h.code([0x48, 0x83, 0xEC, 0x28,                          // sub rsp, 0x28
                                   0xFE, 0x42, 0x43,                                // inc byte [rdx+0x43]
                                   0x48, 0x83, 0x82, 0xB8, 0, 0, 0, 0x48]           // add qword [rdx+0xB8], 0x48
                                  + [0x48, 0xB8] + imm64(callDriver) + [0xFF, 0xD0]
                                  + [0x48, 0x83, 0xC4, 0x28, 0xC3])
        let device = try ownDevice(h, dispatch: dispatch)
        let irp = try h.call("IoBuildDeviceIoControlRequest", 0x22_2004, device, 0, 0, 0, 0, 0, 0, 0)
        #expect(try h.run(at: callDriver, arguments: [device, irp]) == UInt64(IrpArea.stackOverflow))
        #expect(h.kernel.stopReason == nil)
        #expect(h.kernel.calls.filter { $0.function.hasSuffix("IofCallDriver") }.count == IrpArea.maxCallDepth + 1)
        #expect(h.kernel.calls.contains { $0.notes.contains { $0.contains("STATUS_STACK_OVERFLOW") } })
    }

    /// ZwCreateFile of the driver's symbolic link sends IRP_MJ_CREATE to its device; ZwDeviceIoControlFile
    /// on the handle sends a METHOD_BUFFERED IRP_MJ_DEVICE_CONTROL and copies the output back.
    @Test func zwDeviceIoControlFileOnTheDriversOwnDeviceReachesItsDispatch() throws {
        let h = try KernelHarness(hvci: false)
        let complete = try h.kernel.resolve(module: "ntoskrnl.exe", function: "IofCompleteRequest")
        let marker: UInt64 = 0x1122_3344_5566_7788
        // Dispatch: *(UINT64*)Irp->AssociatedIrp.SystemBuffer = marker; IoStatus = {0, 8}; complete; return 0.
        let control = try h.code([0x48, 0x83, 0xEC, 0x28, 0x48, 0x8B, 0x42, 0x18, 0x48, 0xB9] + imm64(marker)
                                 + [0x48, 0x89, 0x08, 0xC7, 0x42, 0x30, 0, 0, 0, 0, 0x48, 0xC7, 0x42, 0x38, 8, 0, 0, 0,
                                    0x48, 0x89, 0xD1, 0x31, 0xD2, 0x48, 0xB8] + imm64(complete)
                                 + [0xFF, 0xD0, 0x31, 0xC0, 0x48, 0x83, 0xC4, 0x28, 0xC3])
        let device = try ownDevice(h, dispatch: control)
        let driver = try h.kernel.readU64(device + UInt64(Layout.DeviceObject.driverObject))
        try h.kernel.writeU64(driver + UInt64(Layout.DriverObject.majorFunction + 8 * Layout.MajorFunction.create),
                              try completingDispatch(h))
        let link = try h.buffer(16), target = try h.buffer(16)
        try h.call("RtlInitUnicodeString", link, try h.wide("\\DosDevices\\SelfTestLink"))
        try h.call("RtlInitUnicodeString", target, try h.wide("\\Device\\SelfTest"))
        #expect(try h.call("IoCreateSymbolicLink", link, target) == 0)
        let createFile = try h.kernel.resolve(module: "ntoskrnl.exe", function: "ZwCreateFile")
        let out = try h.buffer(8), iosb = try h.buffer(16)
        let attributes = try objectAttributes(h, "\\??\\SelfTestLink")
        // The create dispatch returns 0x1234 (a success status): the open succeeds with it.
        #expect(try h.run(at: createFile, arguments: [out, 0xC000_0000, attributes, iosb, 0, 0x80, 0, 1, 0, 0, 0]) == 0x1234)
        let handle = try h.kernel.readU64(out)
        #expect(handle != 0)
        let ioctl = try h.kernel.resolve(module: "ntoskrnl.exe", function: "ZwDeviceIoControlFile")
        let output = try h.buffer(16)
        #expect(try h.run(at: ioctl, arguments: [handle, 0, 0, 0, iosb, 0x22_2000, 0, 0, output, 16]) == 0)
        #expect(try h.kernel.readU64(output) == marker)
        #expect(try h.kernel.readU64(iosb + 8) == 8)
        // A name no device has still goes to the file system.
        let missing = try objectAttributes(h, "\\??\\NoSuchLink")
        #expect(try h.run(at: createFile, arguments: [out, 0xC000_0000, missing, iosb, 0, 0x80, 0, 1, 0, 0, 0])
                == UInt64(NTStatus.objectPathNotFound))
    }

    @Test func callingDownWithNoStackLocationLeftIsBugCheck35() throws {
        let h = try KernelHarness(hvci: false)
        let device = try h.kernel.makePhysicalDeviceObject()
        let irp = try h.call("IoAllocateIrp", 1, 0)
        let callDriver = try h.kernel.resolve(module: "ntoskrnl.exe", function: "IofCallDriver")
        // IoSetNextIrpStackLocation: the driver made the only location its own.
        try h.kernel.writeU8(irp + UInt64(Layout.IRP.currentLocation), 1)
        let top = try h.kernel.readU64(irp + UInt64(Layout.IRP.currentStackLocation))
        try h.kernel.writeU64(irp + UInt64(Layout.IRP.currentStackLocation), top - UInt64(Layout.IoStackLocation.totalSize))
        _ = try? h.run(at: callDriver, arguments: [device, irp])
        guard case .bugCheck(let code, let parameters, _)? = h.kernel.stopReason else {
            Issue.record("no bug check: \(String(describing: h.kernel.stopReason))")
            return
        }
        #expect(code == 0x35 && parameters.first == irp)
    }
}
