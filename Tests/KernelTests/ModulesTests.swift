import Testing
@testable import Kernel

/// The loaded-module list, DriverSection, and the configuration, WMI/ETW, firmware-table
/// and DDI-version exports drivers ask before they touch hardware.
struct ModulesTests {
    typealias E = Layout.KldrDataTableEntry

    /// A driver image header at `base` as the loader maps it: MZ, PE32+, DllCharacteristics,
    /// and an exception directory.
    func mapImageHeader(_ h: KernelHarness, dllCharacteristics: UInt16) throws -> UInt64 {
        let base = try h.buffer(0x1000)
        try h.kernel.writeMinimalImageHeader(at: base, size: 0x1000)
        try h.kernel.writeU16(base + 0x80 + 0x18 + 0x46, dllCharacteristics)
        try h.kernel.writeU32(base + 0x80 + 0x18 + 0x70 + 3 * 8, 0x3000)
        try h.kernel.writeU32(base + 0x80 + 0x18 + 0x70 + 3 * 8 + 4, 0x24)
        return base
    }

    func names(in h: KernelHarness, head: UInt64) throws -> [String] {
        var result: [String] = []
        var link = try h.kernel.readU64(head)
        while link != head, result.count < 64 {
            result.append(try h.kernel.readUnicodeString(link + UInt64(E.baseDllName)) ?? "?")
            link = try h.kernel.readU64(link)
        }
        return result
    }

    @Test func driverSectionIsTheDriversEntryInPsLoadedModuleList() throws {
        let h = try KernelHarness()
        let head = try h.kernel.resolve(module: "ntoskrnl.exe", function: "PsLoadedModuleList")
        #expect(try names(in: h, head: head) == Kernel.systemModules.map(\.name))
        let base = try mapImageHeader(h, dllCharacteristics: 0x0160)
        let objects = try h.kernel.createDriverObject(imageBase: base, imageSize: 0x1000, entryPoint: base + 0x10)
        let section = try h.kernel.readU64(objects.driverObject + UInt64(Layout.DriverObject.driverSection))
        #expect(try names(in: h, head: head) == Kernel.systemModules.map(\.name) + ["test.sys"])
        #expect(try h.kernel.readU64(head + 8) == section)
        #expect(try h.kernel.readU64(section + UInt64(E.dllBase)) == base)
        #expect(try h.kernel.readU64(section + UInt64(E.entryPoint)) == base + 0x10)
        #expect(try h.kernel.readU32(section + UInt64(E.sizeOfImage)) == 0x1000)
        #expect(try h.kernel.readU64(section + UInt64(E.exceptionTable)) == base + 0x3000)
        #expect(try h.kernel.readU32(section + UInt64(E.exceptionTableSize)) == 0x24)
        #expect(try h.kernel.readUnicodeString(section + UInt64(E.fullDllName)) == "\\SystemRoot\\System32\\drivers\\test.sys")
        // Not linked with /INTEGRITYCHECK: the flag drivers set by hand is clear, and writable.
        let flags = try h.kernel.readU32(section + UInt64(E.flags))
        #expect(flags & E.integrityForced == 0 && flags & E.entryProcessed != 0)
        try h.kernel.writeU32(section + UInt64(E.flags), flags | 0x20)
    }

    @Test func forceIntegrityImagesGetTheIntegrityFlag() throws {
        let h = try KernelHarness()
        let base = try mapImageHeader(h, dllCharacteristics: 0x01E0)
        let entry = try h.kernel.addDriverModule(base: base, size: 0x1000, entryPoint: 0)
        #expect(try h.kernel.readU32(entry + UInt64(E.flags)) & E.integrityForced != 0)
    }

    @Test func ntoskrnlHasAValidHeaderAndContainsEveryKernelRoutine() throws {
        let h = try KernelHarness()
        let head = try h.kernel.resolve(module: "ntoskrnl.exe", function: "PsLoadedModuleList")
        let ntoskrnl = try h.kernel.readU64(head)
        let base = try h.kernel.readU64(ntoskrnl + UInt64(E.dllBase))
        let size = UInt64(try h.kernel.readU32(ntoskrnl + UInt64(E.sizeOfImage)))
        #expect(try h.kernel.readU16(base) == 0x5A4D)
        let lfanew = UInt64(try h.kernel.readU32(base + 0x3C))
        #expect(try h.kernel.readU32(base + lfanew) == 0x4550)
        #expect(try h.kernel.readU32(base + lfanew + 0x18 + 0x38) == UInt32(size))
        let routine = try h.kernel.resolve(module: "ntoskrnl.exe", function: "IoCreateDevice")
        #expect(routine >= base && routine < base + size)
    }

    @Test func ioCreateDeviceSecureReturnsTheDeviceInItsNinthArgument() throws {
        let h = try KernelHarness()
        let objects = try h.kernel.createDriverObject(imageBase: 0x1_4000_0000, imageSize: 0x1000, entryPoint: 0x1_4000_1000)
        let name = try h.buffer(16), sddl = try h.buffer(16), out = try h.buffer(8)
        try h.call("RtlInitUnicodeString", name, try h.wide("\\Device\\Secure"))
        try h.call("RtlInitUnicodeString", sddl, try h.wide("D:P(A;;GA;;;SY)"))
        let before = try h.kernel.readBytes(sddl, count: 16)
        #expect(try h.call("IoCreateDeviceSecure", objects.driverObject, 0x18, name, 0x22, 0, 0, sddl, 0, out) == 0)
        let device = try h.kernel.readU64(out)
        #expect(device != 0)
        #expect(try h.kernel.readBytes(sddl, count: 16) == before)
        #expect(try h.kernel.readU64(device + UInt64(Layout.DeviceObject.deviceExtension)) != 0)
    }

    @Test func importedSeExportsAndObjectTypesAreFilledBeforeTheDriverReadsThem() throws {
        let h = try KernelHarness()
        let seExports = try h.kernel.readU64(try h.kernel.resolve(module: "ntoskrnl.exe", function: "SeExports"))
        #expect(seExports != 0)
        // SeLocalSystemSid (index 33): S-1-5-18.
        let localSystem = try h.kernel.readU64(seExports + 33 * 8)
        #expect(try h.kernel.readU8(localSystem + 1) == 1 && h.kernel.readU32(localSystem + 8) == 18)
        let processType = try h.kernel.readU64(try h.kernel.resolve(module: "ntoskrnl.exe", function: "PsProcessType"))
        let callbacks = processType + UInt64(Layout.ObjectType.callbackList)
        #expect(try h.kernel.readU64(callbacks) == callbacks && h.kernel.readU64(callbacks + 8) == callbacks)
    }

    @Test func physicalMemoryRangesEndInAZeroEntryAndAgreeWithPhysicalAddresses() throws {
        let h = try KernelHarness()
        let ranges = try h.call("MmGetPhysicalMemoryRanges")
        #expect(ranges != 0)
        let base = try h.kernel.readU64(ranges), bytes = try h.kernel.readU64(ranges + 8)
        #expect(bytes > 0)
        #expect(try h.kernel.readU64(ranges + 0x10) == 0 && h.kernel.readU64(ranges + 0x18) == 0)
        let physical = try h.call("MmGetPhysicalAddress", try h.buffer(0x10))
        #expect(physical >= base && physical < base + bytes)
        #expect(try h.call("ExFreePool", ranges) == 0)
    }

    @Test func configurationInformationIsOneSharedStructureWithDeviceCounts() throws {
        typealias C = Layout.ConfigurationInformation
        let h = try KernelHarness()
        let information = try h.call("IoGetConfigurationInformation")
        let again = try h.call("IoGetConfigurationInformation")
        #expect(information != 0 && again == information)
        #expect(try h.kernel.readU32(information + UInt64(C.diskCount)) == 1)
        #expect(try h.kernel.readU32(information + UInt64(C.parallelCount)) == 0)
    }

    @Test func deviceInterfacesAreAnEmptyMultiSzInPool() throws {
        let h = try KernelHarness()
        let guid = try h.buffer(16), out = try h.buffer(8)
        #expect(try h.call("IoGetDeviceInterfaces", guid, 0, 1, out) == 0)
        let list = try h.kernel.readU64(out)
        #expect(list != 0)
        #expect(try h.kernel.readU16(list) == 0)
        #expect(h.kernel.poolBlockDescription(containing: list) != nil)
        #expect(try h.call("IoGetDeviceInterfaces", guid, 0, 1, 0) == UInt64(NTStatus.invalidParameter))
    }

    @Test func wmiBlocksAreNotFoundAndEtwProvidersRegisterButStayDisabled() throws {
        let h = try KernelHarness()
        let guid = try h.buffer(16), out = try h.buffer(8)
        try h.kernel.writeU64(out, 0x1234)
        #expect(try h.call("IoWMIOpenBlock", guid, 1, out) == 0xC000_0295)
        #expect(try h.kernel.readU64(out) == 0x1234)
        let first = try h.buffer(8), second = try h.buffer(8)
        #expect(try h.call("EtwRegister", guid, 0, 0, first) == 0)
        #expect(try h.call("EtwRegisterClassicProvider", guid, 0, 0, 0, second) == 0)
        let a = try h.kernel.readU64(first), b = try h.kernel.readU64(second)
        #expect(a != 0 && b != 0 && a != b)
        #expect(try h.call("EtwEventEnabled", a, guid) == 0)
        #expect(try h.call("EtwRegister", 0, 0, 0, first) == UInt64(NTStatus.invalidParameter))
    }

    @Test func mcfgFirmwareTableIsSizedThenReturnedWithAValidChecksum() throws {
        let h = try KernelHarness()
        let header = try h.buffer(0x100), returned = try h.buffer(4)
        try h.kernel.writeU32(header, 0x4143_5049)           // 'ACPI'
        try h.kernel.writeU32(header + 4, 1)                 // SystemFirmwareTable_Get
        try h.kernel.writeU32(header + 8, 0x4746_434D)       // 'GFCM': bytes "MCFG"
        #expect(try h.call("ZwQuerySystemInformation", 76, header, 0x10, returned) == UInt64(NTStatus.bufferTooSmall))
        #expect(try h.kernel.readU32(header + 0xC) == 60)
        #expect(try h.kernel.readU32(returned) == 0x10 + 60)
        #expect(try h.call("ZwQuerySystemInformation", 76, header, 0x10 + 60, returned) == 0)
        let table = try h.kernel.readBytes(header + 0x10, count: 60)
        #expect(Array(table[0..<4]) == Array("MCFG".utf8))
        #expect(table.reduce(UInt8(0)) { $0 &+ $1 } == 0)
        #expect(table[44 + 11] == 0xFF)                       // EndBus
        try h.kernel.writeU32(header + 8, 0x5444_5358)       // "XSDT": not modeled
        #expect(try h.call("ZwQuerySystemInformation", 76, header, 0x100, returned) == UInt64(NTStatus.notFound))
        let buffer = try h.buffer(0x100)
        #expect(try h.call("ExGetSystemFirmwareTable", 0x4143_5049, 0x4746_434D, buffer, 8, returned) == UInt64(NTStatus.bufferTooSmall))
        #expect(try h.kernel.readU32(returned) == 60)
        #expect(try h.call("ExGetSystemFirmwareTable", 0x4143_5049, 0x4746_434D, buffer, 60, returned) == 0)
        #expect(try h.kernel.readBytes(buffer, count: 60) == table)
    }

    @Test func ntddiVersionsUpToWindows10VbAreAvailable() throws {
        let h = try KernelHarness()
        #expect(try h.call("RtlIsNtDdiVersionAvailable", 0x0602_0000) == 1) // Windows 8
        #expect(try h.call("RtlIsNtDdiVersionAvailable", 0x0A00_0008) == 1) // 2004 / 22H2
        #expect(try h.call("RtlIsNtDdiVersionAvailable", 0x0A00_000C) == 0) // Windows 11 22H2
    }
}
