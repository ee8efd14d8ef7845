import Testing
@testable import Kernel

/// hal.dll, device memory and driver-built IRPs, as drivers use them with no hardware present.
struct HalIrpTests {
    @Test func portsReadAsAFloatingBusAndPciSlotsAreEmpty() throws {
        let h = try KernelHarness()
        #expect(try h.call("READ_PORT_UCHAR", 0x60) == 0xFF)
        #expect(try h.call("READ_PORT_ULONG", 0xCF8) == 0xFFFF_FFFF)
        let buffer = try h.buffer(0x100)
        #expect(try h.call("HalGetBusDataByOffset", 4, 0, 3, buffer, 0, 0x40) == 2)
        #expect(try h.kernel.readU16(buffer) == 0xFFFF)
        #expect(try h.call("HalGetBusDataByOffset", 1, 0, 3, buffer, 0, 0x40) == 0)
    }

    @Test func ioSpaceIsMappedNonExecutableAndAnExecutableAskIsAFinding() throws {
        let h = try KernelHarness()
        let mapped = try h.call("MmMapIoSpace", 0xFED0_0010, 0x2000, 0)
        #expect(mapped & 0xFFF == 0x10)
        #expect(h.memory.effectiveRights(of: mapped) == .readWrite)
        #expect(h.kernel.findings.isEmpty)
        _ = try h.call("MmMapIoSpaceEx", 0xFED0_0000, 0x1000, 0x40)
        #expect(h.kernel.findings.map(\.code) == ["0x2001"])
        try h.call("MmUnmapIoSpace", mapped, 0x2000)
        #expect(h.memory.effectiveRights(of: mapped) == nil)
    }

    @Test func deviceIoControlRequestToAMissingLowerDriverCompletesAsInvalid() throws {
        let h = try KernelHarness()
        let device = try h.kernel.makePhysicalDeviceObject()
        let iosb = try h.buffer(16), event = try h.buffer(0x18)
        let irp = try h.call("IoBuildDeviceIoControlRequest", 0x22_2004, device, 0, 0, 0, 0, 0, event, iosb)
        #expect(irp != 0)
        let stack = try IrpArea.nextLocation(h.kernel, irp: irp)
        #expect(try h.kernel.readU8(stack) == UInt8(Layout.MajorFunction.deviceControl))
        #expect(try h.kernel.readU32(stack + UInt64(Layout.IoStackLocation.ioControlCode)) == 0x22_2004)
        #expect(try h.call("IofCallDriver", device, irp) == UInt64(NTStatus.invalidDeviceRequest))
        #expect(try h.kernel.readU32(iosb) == NTStatus.invalidDeviceRequest)
        #expect(try h.kernel.readU32(event + 4) == 1)
    }

    @Test func deviceStacksAttachOnTopAndNamedDevicesAreFound() throws {
        let h = try KernelHarness()
        let lower = try h.kernel.makePhysicalDeviceObject(), upper = try h.kernel.makePhysicalDeviceObject()
        #expect(try h.call("IoAttachDeviceToDeviceStack", upper, lower) == lower)
        #expect(try h.call("IoGetAttachedDeviceReference", lower) == upper)
        #expect(try h.kernel.readU8(upper + UInt64(Layout.DeviceObject.stackSize)) == 2)
        let name = try h.buffer(16)
        try h.call("RtlInitUnicodeString", name, try h.wide("\\Device\\Nowhere"))
        let file = try h.buffer(8), out = try h.buffer(8)
        #expect(try h.call("IoGetDeviceObjectPointer", name, 0, file, out) == UInt64(NTStatus.objectNameNotFound))
        #expect(try h.call("IoIsWdmVersionAvailable", 6, 0x30) == 1)
        #expect(try h.call("IoIsWdmVersionAvailable", 6, 0x31) == 0)
    }

    @Test func everyHalAndIrpHandlerSurvivesGarbageArguments() throws {
        let h = try KernelHarness()
        let garbage: [UInt64] = [0, 1, 0xFFFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, 0x7FFF_FFFF_FFFF, 0xFFFF_F780_0000_0000]
        for name in (HalArea.handlers + IrpArea.handlers).map(\.name).sorted() {
            for value in garbage {
                // A bad pointer is an error value (the entry point would bug check), never a trap.
                _ = try? h.kernel.invoke(name, arguments: Array(repeating: value, count: 9))
            }
        }
    }
}
