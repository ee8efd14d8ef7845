import Testing
@testable import Kernel

/// The x64 Windows 10/11 structure offsets the model relies on, pinned to the
/// values in the WDK headers (wdm.h, ntddk.h), so a slip in Layout*.swift fails here.
struct LayoutTests {
    @Test func driverAndDeviceObjects() {
        #expect(Layout.DriverObject.totalSize == 0x150)
        #expect(Layout.DriverObject.majorFunction == 0x70)
        #expect(Layout.DriverObject.majorFunctionCount == 28)
        #expect(Layout.DriverObject.majorFunction + 8 * Layout.DriverObject.majorFunctionCount == Layout.DriverObject.totalSize)
        #expect(Layout.DriverObject.driverUnload == 0x68)
        #expect(Layout.DriverObject.driverExtension == 0x30)
        #expect(Layout.DriverObject.driverName == 0x38)
        #expect(Layout.DriverExtension.addDevice == 0x8)
        #expect(Layout.DeviceObject.totalSize == 0x150)
        #expect(Layout.DeviceObject.deviceExtension == 0x40)
        #expect(Layout.DeviceObject.flags == 0x30)
        #expect(Layout.DeviceObject.stackSize == 0x4C)
    }

    @Test func irpAndStackLocation() {
        #expect(Layout.IRP.totalSize == 0xD0)
        #expect(Layout.IRP.systemBuffer == 0x18)
        #expect(Layout.IRP.ioStatusStatus == 0x30 && Layout.IRP.ioStatusInformation == 0x38)
        #expect(Layout.IRP.userBuffer == 0x70)
        #expect(Layout.IRP.currentStackLocation == 0xB8)
        #expect(Layout.IoStackLocation.totalSize == 0x48)
        #expect(Layout.IoStackLocation.outputBufferLength == 0x8)
        #expect(Layout.IoStackLocation.inputBufferLength == 0x10)
        #expect(Layout.IoStackLocation.ioControlCode == 0x18)
        #expect(Layout.IoStackLocation.type3InputBuffer == 0x20)
        #expect(Layout.IoStackLocation.deviceObject == 0x28 && Layout.IoStackLocation.fileObject == 0x30)
    }

    @Test func stringsMdlAndProcessor() {
        #expect(Layout.UnicodeString.size == 0x10 && Layout.UnicodeString.buffer == 0x8)
        #expect(Layout.MDL.pfnArray == 0x30)
        #expect(Layout.MDL.mappedSystemVa == 0x18 && Layout.MDL.byteCount == 0x28 && Layout.MDL.byteOffset == 0x2C)
        #expect(Layout.KPCR.currentThread == 0x188)
        #expect(Layout.KUserSharedData.kernelAddress == 0xFFFF_F780_0000_0000)
        #expect(Layout.FileObject.totalSize == 0xD8 && Layout.FileObject.fileName == 0x58)
        #expect(Layout.ObjectAttributes.size == 0x30 && Layout.ObjectAttributes.objectName == 0x10)
        #expect(Layout.CodeIntegrityInformation.hvciKmciEnabled == 0x400)
        #expect(Layout.CodeIntegrityInformation.hvciIumEnabled == 0x2000)
    }

    @Test func loaderAndConfigurationStructures() {
        typealias E = Layout.KldrDataTableEntry
        #expect(E.inLoadOrderLinks == 0x0 && E.exceptionTable == 0x10 && E.exceptionTableSize == 0x18)
        #expect(E.gpValue == 0x20 && E.nonPagedDebugInfo == 0x28 && E.dllBase == 0x30 && E.entryPoint == 0x38)
        #expect(E.sizeOfImage == 0x40 && E.fullDllName == 0x48 && E.baseDllName == 0x58)
        #expect(E.flags == 0x68 && E.loadCount == 0x6C && E.sectionPointer == 0x70 && E.checkSum == 0x78)
        #expect(E.loadedImports == 0x88 && E.sizeOfImageNotRounded == 0x98 && E.timeDateStamp == 0x9C)
        #expect(E.totalSize == 0xA0)
        #expect(E.integrityForced == 0x20)
        #expect(Layout.PhysicalMemoryRange.numberOfBytes == 0x8 && Layout.PhysicalMemoryRange.size == 0x10)
        typealias C = Layout.ConfigurationInformation
        #expect(C.diskCount == 0x0 && C.serialCount == 0x14 && C.parallelCount == 0x18)
        #expect(C.atDiskPrimaryAddressClaimed == 0x1C && C.version == 0x20 && C.mediumChangerCount == 0x24)
        #expect(C.totalSize == 0x28)
        #expect(Layout.ObjectType.callbackList == 0xC8)
        #expect(Layout.ObjectType.callbackList + 0x10 == Layout.ObjectType.totalSize)
    }
}
