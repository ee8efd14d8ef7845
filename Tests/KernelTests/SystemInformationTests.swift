import Testing
@testable import Kernel

/// Zw/NtQuerySystemInformation classes answered from the model's own state, with
/// Windows' length protocol.
struct SystemInformationTests {
    let mismatch = UInt64(NTStatus.infoLengthMismatch)

    @Test func basicInformationAgreesWithPhysicalMemoryAndProcessors() throws {
        typealias B = Layout.SystemBasicInformation
        let h = try KernelHarness()
        let info = try h.buffer(0x100), returned = try h.buffer(4)
        // The length must be exactly sizeof(SYSTEM_BASIC_INFORMATION).
        #expect(try h.call("ZwQuerySystemInformation", 0, info, 0x48, returned) == mismatch)
        #expect(try h.kernel.readU32(returned) == 0x40)
        #expect(try h.call("NtQuerySystemInformation", 0, info, 0x40, returned) == 0)
        let ram = h.memory.physicalMemoryRange
        #expect(try h.kernel.readU32(info + UInt64(B.pageSize)) == 0x1000)
        #expect(try h.kernel.readU32(info + UInt64(B.allocationGranularity)) == 0x10000)
        #expect(try UInt64(h.kernel.readU32(info + UInt64(B.numberOfPhysicalPages))) == UInt64(ram.count) >> 12)
        #expect(try UInt64(h.kernel.readU32(info + UInt64(B.lowestPhysicalPageNumber))) == ram.lowerBound >> 12)
        #expect(try UInt64(h.kernel.readU32(info + UInt64(B.highestPhysicalPageNumber))) == (ram.upperBound >> 12) - 1)
        #expect(try h.kernel.readU64(info + UInt64(B.minimumUserModeAddress)) == 0x10000)
        #expect(try h.kernel.readU64(info + UInt64(B.maximumUserModeAddress)) == 0x7FFF_FFFE_FFFF)
        #expect(try h.kernel.readU64(info + UInt64(B.activeProcessorsAffinityMask)) == 1)
        #expect(try UInt64(h.kernel.readU8(info + UInt64(B.numberOfProcessors))) == h.call("KeQueryActiveProcessorCount", 0))
    }

    /// Length 0 first for the size, then the list: ntoskrnl.exe, hal.dll, the other system modules, the driver.
    @Test func moduleInformationListsTheLoadedModulesAfterASizingQuery() throws {
        typealias M = Layout.RtlProcessModules
        let h = try KernelHarness()
        let image = try h.buffer(0x1000)
        try h.kernel.writeMinimalImageHeader(at: image, size: 0x1000)
        _ = try h.kernel.createDriverObject(imageBase: image, imageSize: 0x1000, entryPoint: image + 0x10)
        let returned = try h.buffer(4)
        #expect(try h.call("ZwQuerySystemInformation", 11, 0, 0, returned) == mismatch)
        let needed = try h.kernel.readU32(returned)
        let count = Kernel.systemModules.count + 1, driver = count - 1
        #expect(count > 3)
        #expect(needed == UInt32(M.modules + count * M.moduleSize))
        let info = try h.buffer(Int(needed))
        // One module short: the header and the entries that fit, and the mismatch.
        #expect(try h.call("ZwQuerySystemInformation", 11, info, UInt64(needed) - 8, returned) == mismatch)
        #expect(try h.kernel.readU32(info) == UInt32(count))
        #expect(try h.call("ZwQuerySystemInformation", 11, info, UInt64(needed), returned) == 0)
        #expect(try h.kernel.readU32(info + UInt64(M.numberOfModules)) == UInt32(count))
        func module(_ index: Int) -> UInt64 { info + UInt64(M.modules + index * M.moduleSize) }
        func path(_ index: Int) throws -> String { try h.kernel.readCString(module(index) + UInt64(M.fullPathName)) }
        #expect(try path(0) == "\\SystemRoot\\system32\\ntoskrnl.exe")
        #expect(try h.kernel.readU16(module(0) + UInt64(M.offsetToFileName)) == 21)
        #expect(try path(1) == "\\SystemRoot\\system32\\hal.dll")
        #expect(try path(driver) == "\\SystemRoot\\System32\\drivers\\test.sys")
        #expect(try h.kernel.readU64(module(driver) + UInt64(M.imageBase)) == image)
        #expect(try h.kernel.readU32(module(driver) + UInt64(M.imageSize)) == 0x1000)
        #expect(try h.kernel.readU16(module(driver) + UInt64(M.loadOrderIndex)) == UInt16(driver))
        // The win32k session drivers are loaded on every Windows 10 system, each with a valid header.
        let paths = try (0..<count).map(path)
        let win32kfull = try #require(paths.firstIndex(of: "\\SystemRoot\\System32\\win32kfull.sys"))
        let win32kBase = try h.kernel.readU64(module(win32kfull) + UInt64(M.imageBase))
        #expect(try h.call("RtlImageNtHeader", win32kBase) == win32kBase + 0x80)
        // ntoskrnl's range holds every kernel routine a driver resolves.
        let base = try h.kernel.readU64(module(0) + UInt64(M.imageBase))
        let size = UInt64(try h.kernel.readU32(module(0) + UInt64(M.imageSize)))
        let routine = try h.kernel.resolve(module: "ntoskrnl.exe", function: "ZwQuerySystemInformation")
        #expect(routine >= base && routine < base + size)
    }

    @Test func moduleInformationFollowsTheGuestListWhenADriverUnlinksItself() throws {
        let h = try KernelHarness()
        let image = try h.buffer(0x1000)
        let objects = try h.kernel.createDriverObject(imageBase: image, imageSize: 0x1000, entryPoint: image)
        let section = try h.kernel.readU64(objects.driverObject + UInt64(Layout.DriverObject.driverSection))
        let flink = try h.kernel.readU64(section), blink = try h.kernel.readU64(section + 8)
        try h.kernel.writeU64(blink, flink)
        try h.kernel.writeU64(flink + 8, blink)
        let info = try h.buffer(0x4000), returned = try h.buffer(4)
        #expect(try h.call("ZwQuerySystemInformation", 11, info, 0x4000, returned) == 0)
        #expect(try h.kernel.readU32(info) == UInt32(Kernel.systemModules.count))
    }

    @Test func processInformationStartsWithIdleAndSystemAndAgreesWithTheProcessTable() throws {
        typealias P = Layout.SystemProcessInformation
        typealias T = Layout.SystemThreadInformation
        let h = try KernelHarness()
        let returned = try h.buffer(4)
        #expect(try h.call("ZwQuerySystemInformation", 5, 0, 0, returned) == mismatch)
        let needed = try h.kernel.readU32(returned)
        #expect(needed > UInt32(2 * (P.size + T.size)))
        let info = try h.buffer(Int(needed))
        #expect(try h.call("ZwQuerySystemInformation", 5, info, UInt64(needed) - 1, returned) == mismatch)
        #expect(try h.call("ZwQuerySystemInformation", 5, info, UInt64(needed), returned) == 0)
        var entries: [(pid: UInt64, name: String, tid: UInt64)] = []
        var at = info
        while entries.count < 64 {
            let name = try h.kernel.readUnicodeString(at + UInt64(P.imageName)) ?? ""
            let tid = try h.kernel.readU64(at + UInt64(P.size + T.uniqueThread))
            entries.append((try h.kernel.readU64(at + UInt64(P.uniqueProcessId)), name, tid))
            #expect(try h.kernel.readU32(at + UInt64(P.numberOfThreads)) == 1)
            let next = try h.kernel.readU32(at + UInt64(P.nextEntryOffset))
            if next == 0 { break }
            at += UInt64(next)
        }
        #expect(entries.first?.pid == 0 && entries.first?.name == "")
        #expect(entries.dropFirst().first?.pid == 4 && entries.dropFirst().first?.name == "System")
        let lsass = try #require(entries.first { $0.name == "lsass.exe" })
        // The PID a driver finds here opens the same process PsLookupProcessByProcessId knows.
        let out = try h.buffer(8)
        #expect(try h.call("PsLookupProcessByProcessId", lsass.pid, out) == 0)
        #expect(entries.count == ObjectModel.processTable.count + 1)
        #expect(try h.kernel.readU64(at + UInt64(P.nextEntryOffset)) & 0xFFFF_FFFF == 0)
    }

    @Test func fixedSizeClassesDescribeTheModelsMachine() throws {
        let h = try KernelHarness()
        let info = try h.buffer(0x100), returned = try h.buffer(4)
        // SystemProcessorInformation: AMD64.
        #expect(try h.call("ZwQuerySystemInformation", 1, info, 8, returned) == mismatch)
        #expect(try h.call("ZwQuerySystemInformation", 1, info, 12, returned) == 0)
        #expect(try h.kernel.readU16(info) == 9)
        // SystemTimeOfDayInformation: boot time + interrupt time = system time; longer than 0x30 fails.
        #expect(try h.call("ZwQuerySystemInformation", 3, info, 0x31, returned) == mismatch)
        #expect(try h.call("ZwQuerySystemInformation", 3, info, 0x30, returned) == 0)
        let boot = try h.kernel.readU64(info), now = try h.kernel.readU64(info + 8)
        #expect(boot > 0 && boot < now)
        #expect(now == h.kernel.processor.systemTime)
        // SystemKernelDebuggerInformation: no debugger, as KdDebuggerNotPresent says.
        #expect(try h.call("ZwQuerySystemInformation", 35, info, 2, returned) == 0)
        #expect(try h.kernel.readU8(info) == 0 && h.kernel.readU8(info + 1) == 1)
        #expect(try h.call("ZwQuerySystemInformation", 0x1234, info, 0x100, returned) == UInt64(NTStatus.invalidInfoClass))
    }

    @Test func layoutsOfTheSystemInformationStructures() {
        #expect(Layout.SystemBasicInformation.size == 0x40)
        #expect(Layout.SystemBasicInformation.minimumUserModeAddress == 0x20)
        #expect(Layout.SystemBasicInformation.numberOfProcessors == 0x38)
        #expect(Layout.RtlProcessModules.moduleSize == 0x128)
        #expect(Layout.RtlProcessModules.fullPathName + Layout.RtlProcessModules.fullPathNameLength
                == Layout.RtlProcessModules.moduleSize)
        #expect(Layout.RtlProcessModules.modules == 8)
        #expect(Layout.SystemProcessInformation.size == 0x100)
        #expect(Layout.SystemProcessInformation.uniqueProcessId == 0x50)
        #expect(Layout.SystemThreadInformation.size == 0x50)
        #expect(Layout.SystemTimeOfDayInformation.size == 0x30)
    }
}
