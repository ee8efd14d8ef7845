import CPU
import Memory
import Testing
@testable import Kernel

/// A harness with driver code: `code(bytes)` places x64 code in an executable
/// page (HVCI off, so data pages may execute) and `run(at:)` runs it until the
/// kernel's return trap, as the scenario runs an entry point.
extension KernelHarness {
    func code(_ bytes: [UInt8]) throws -> UInt64 {
        let page = try memory.allocate(pages: 1, owner: .pool(tag: 0x74736554, poolType: 0), rights: .all)
        try kernel.writeBytes(page.base, bytes)
        return page.base
    }

    /// Runs from `address` with the return trap as return address; returns RAX.
    func run(at address: UInt64, arguments: [UInt64] = []) throws -> UInt64 {
        let rsp = stack.end - 0x800 - 8
        try kernel.writeU64(rsp, kernel.returnTrap)
        for (index, value) in arguments.prefix(4).enumerated() { try engine.write(Register.windowsArguments[index], value) }
        for (index, value) in arguments.enumerated() where index >= 4 { try kernel.writeU64(rsp + 0x28 + UInt64(index - 4) * 8, value) }
        try engine.write(.rsp, rsp)
        try memory.run(at: address, until: kernel.returnTrap, timeoutMicroseconds: 2_000_000)
        return try engine.read(.rax)
    }
}

struct WdfGuestCallbackTests {
    @Test func aHandlerCallsTheDriverAndContinuesWithItsResult() throws {
        let h = try KernelHarness(hvci: false)
        // lea rax, [rcx+1]; ret
        let callback = try h.code([0x48, 0x8D, 0x41, 0x01, 0xC3])
        let slot = try h.kernel.trampolines.slot(for: "test!twice") { call in
            try call.kernel.runGuestStep(call, .call(callback, [try call.arg(0)], then: { rax in
                .call(callback, [rax], then: { .finish($0 &* 2) })
            }))
        }
        #expect(try h.run(at: slot, arguments: [5]) == 14)
        #expect(h.kernel.guestCallbacks.pending.isEmpty)
    }
}

extension KernelHarness {
    /// Calls the framework function `name` as a driver would through its table (DriverGlobals first).
    @discardableResult
    func wdf(_ name: String, _ arguments: UInt64...) throws -> UInt64 {
        let handler = try #require(ExportTable.lookup(.kmdf, name)).handler
        let rsp = try engine.read(.rsp)
        let all = [kernel.wdf.globals] + arguments
        for (index, value) in all.enumerated() {
            if index < 4 { try engine.write(Register.windowsArguments[index], value) }
            else { try kernel.writeU64(rsp &+ 0x28 &+ UInt64(index - 4) * 8, value) }
        }
        return try handler(KernelCall(kernel: kernel, function: "wdf01000.sys!" + name))
    }

    /// Binds as a KMDF 1.`minor` stub would; returns (bind info, WdfFunctions variable, globals).
    func bind(minor: UInt32, count: Int) throws -> (info: UInt64, functions: UInt64, globals: UInt64) {
        let info = try buffer(0x100), functionsVariable = try buffer(count * 8), globalsOut = try buffer(8)
        try kernel.writeU32(info, 0x30)
        try kernel.writeU64(info + 8, try wide("KmdfLibrary"))
        try kernel.writeU32(info + 0x10, 1)
        try kernel.writeU32(info + 0x14, minor)
        try kernel.writeU32(info + 0x1C, UInt32(count))
        try kernel.writeU64(info + 0x20, functionsVariable)
        let objects = try kernel.createDriverObject(imageBase: 0x1_4000_0000, imageSize: 0x1000, entryPoint: 0x1_4000_1000)
        #expect(try call("WdfVersionBind", objects.driverObject, objects.registryPath, info, globalsOut) == 0)
        return (info, functionsVariable, try kernel.readU64(globalsOut))
    }

    /// WdfDriverCreate for a non-PnP driver with `unload`; returns the WDFDRIVER.
    func createNonPnpDriver(unload: UInt64 = 0) throws -> UInt64 {
        let config = try buffer(0x20), out = try buffer(8)
        try kernel.writeU32(config, 0x20)
        try kernel.writeU64(config + 0x10, unload)
        try kernel.writeU32(config + 0x18, 1) // WdfDriverInitNonPnpDriver
        #expect(try wdf("WdfDriverCreate", kernel.wdf.driverObject, 0, 0, config, out) == 0)
        return try kernel.readU64(out)
    }
}

struct WdfLoaderTests {
    @Test func theTableHas458EntriesInWdffuncenumOrder() {
        #expect(WdfFunctionTable.names.count == 458)
        #expect(WdfFunctionTable.names[0] == "WdfChildListCreate")
        #expect(WdfFunctionTable.names[116] == "WdfDriverCreate")
        #expect(WdfFunctionTable.names[152] == "WdfIoQueueCreate")
        #expect(WdfFunctionTable.names[192] == "WdfMemoryCreate")
        #expect(WdfFunctionTable.names[202] == "WdfObjectGetTypedContextWorker")
        #expect(WdfFunctionTable.names[457] == "WdfDeviceSetDeviceInterfaceStateEx")
        #expect(Set(WdfFunctionTable.names).count == 458)
        #expect(WdfFunctionTable.structureSizes.count == WdfFunctionTable.structureNames.count)
        #expect(WdfFunctionTable.structureSizes[38] == 0x38) // WDF_OBJECT_ATTRIBUTES
    }

    @Test func bindingA133DriverPointsItsTableAtSlotsNamedInOrder() throws {
        let h = try KernelHarness()
        let bound = try h.bind(minor: 33, count: 458)
        #expect(bound.globals != 0)
        let table = try h.kernel.readU64(bound.functions)
        #expect(table != 0)
        for index in [0, 116, 202, 457] {
            let slot = try h.kernel.readU64(table + UInt64(index * 8))
            #expect(slot != 0)
            let number = Int((slot - h.kernel.trampolines.address(of: 0)) / Trampolines.slotSize)
            #expect(h.kernel.trampolines.slots[number].name == "wdf01000.sys!" + WdfFunctionTable.names[index])
        }
        let all = try h.kernel.readBytes(table, count: 458 * 8)
        #expect(stride(from: 0, to: all.count, by: 8).allSatisfy { all[$0..<$0 + 8].contains { $0 != 0 } })
    }

    @Test func bindingA19DriverCopiesTheTablePrefix() throws {
        let h = try KernelHarness()
        let bound = try h.bind(minor: 9, count: 396)
        let copied = try h.kernel.readU64(bound.functions + 116 * 8)
        #expect(copied == (try h.kernel.readU64(h.kernel.wdf.functionTable + 116 * 8)))
    }

    @Test func aNewerDriverWithoutBindInfo2IsRefused() throws {
        let h = try KernelHarness()
        let info = try h.buffer(0x100), out = try h.buffer(8)
        try h.kernel.writeU32(info, 0x30)
        try h.kernel.writeU32(info + 0x10, 1)
        try h.kernel.writeU32(info + 0x14, 99)
        try h.kernel.writeU32(info + 0x1C, 600)
        try h.kernel.writeU64(info + 0x20, try h.buffer(8))
        #expect(try h.call("WdfVersionBind", 0, 0, info, out) == 0xC000_0059)
    }

    @Test func everyRegisteredFunctionIsAnEntryOfTheTable() {
        let names = WdfFunctions.handlers.map(\.name)
        #expect(names.count > 100)
        #expect(Kernel.modelledAPIs.contains { $0.qualifiedName == "wdf01000.sys!WdfDriverCreate" })
        // A misspelt name would be dead code: no slot of the table would ever run it.
        #expect(names.filter { WdfFunctionTable.index[$0] == nil } == [])
        #expect(WdfFunctions.handlers.allSatisfy { $0.module == .kmdf })
    }
}

struct WdfObjectModelTests {
    @Test func driverCreateTakesOverTheDriverObject() throws {
        let h = try KernelHarness()
        _ = try h.bind(minor: 33, count: 458)
        let driver = try h.createNonPnpDriver(unload: 0x1_4000_2000)
        #expect(driver != 0)
        #expect(try h.kernel.readU64(h.kernel.wdf.globals) == driver)
        let dispatch = try h.kernel.majorFunction(h.kernel.wdf.driverObject, 14)
        #expect(h.kernel.trampolines.slots.contains { $0.name == "wdf01000.sys!FxDevice::Dispatch" })
        #expect(!h.kernel.isInvalidDeviceRequestRoutine(dispatch))
        #expect(try h.kernel.unloadRoutine(h.kernel.wdf.driverObject) != 0)
    }

    @Test func controlDeviceQueueAndTypedContext() throws {
        let h = try KernelHarness()
        _ = try h.bind(minor: 33, count: 458)
        let driver = try h.createNonPnpDriver()
        let setup = try h.wdf("WdfControlDeviceInitAllocate", driver, 0)
        let name = try h.buffer(16)
        try h.call("RtlInitUnicodeString", name, try h.wide("\\Device\\KmdfTest"))
        #expect(try h.wdf("WdfDeviceInitAssignName", setup, name) == 0)
        // Attributes with a 0x40-byte context type.
        let typeInfo = try h.buffer(0x28), attributes = try h.buffer(0x38)
        try h.kernel.writeU32(typeInfo, 0x28)
        try h.kernel.writeU64(typeInfo + 0x10, 0x40)
        try h.kernel.writeU32(attributes, 0x38)
        try h.kernel.writeU64(attributes + 0x30, typeInfo)
        let initVariable = try h.buffer(8), deviceOut = try h.buffer(8)
        try h.kernel.writeU64(initVariable, setup)
        #expect(try h.wdf("WdfDeviceCreate", initVariable, attributes, deviceOut) == 0)
        let device = try h.kernel.readU64(deviceOut)
        #expect(try h.kernel.readU64(initVariable) == 0)
        let context = try h.wdf("WdfObjectGetTypedContextWorker", device, typeInfo)
        #expect(context != 0)
        try h.kernel.writeU64(context + 0x38, 7) // the whole context is writable
        let deviceObject = try h.wdf("WdfDeviceWdmGetDeviceObject", device)
        #expect(h.kernel.devices(of: h.kernel.wdf.driverObject).contains(deviceObject))
        // A parallel default queue with EvtIoDeviceControl.
        let config = try h.buffer(0x60), queueOut = try h.buffer(8)
        try h.kernel.writeU32(config, 0x60)
        try h.kernel.writeU32(config + 4, 2)
        try h.kernel.writeU8(config + 0xD, 1)
        try h.kernel.writeU64(config + 0x28, 0x1_4000_3000)
        #expect(try h.wdf("WdfIoQueueCreate", device, config, 0, queueOut) == 0)
        #expect(try h.wdf("WdfDeviceGetDefaultQueue", device) == (try h.kernel.readU64(queueOut)))
        #expect(h.kernel.kmdfCallback(forMajor: 14) == 0x1_4000_3000)
        #expect(try h.wdf("WdfIoQueueCreate", device, config, 0, queueOut) == 0xC000_0184) // a second default queue
    }

    @Test func memoryCreateWithNonPagedPoolIsTheExecutablePoolFinding() throws {
        let h = try KernelHarness()
        _ = try h.bind(minor: 33, count: 458)
        _ = try h.createNonPnpDriver()
        let memoryOut = try h.buffer(8), bufferOut = try h.buffer(8)
        #expect(try h.wdf("WdfMemoryCreate", 0, 0, 0x6B6D_6457, 0x100, memoryOut, bufferOut) == 0)
        let finding = try #require(h.kernel.findings.first)
        #expect(finding.code == "0x2000")
        #expect(finding.bugCheck?.parameters[2] == "0x0")
        #expect(finding.bugCheck?.parameters[3] == "0x6b6d6457")
        let buffer = try h.kernel.readU64(bufferOut)
        #expect(try h.wdf("WdfMemoryGetBuffer", h.kernel.readU64(memoryOut), 0) == buffer)
        #expect(try h.wdf("WdfMemoryCreate", 0, 0x200, 0x6B6D_6457, 0x100, memoryOut, bufferOut) == 0)
        #expect(try h.wdf("WdfLookasideListCreate", 0, 0x40, 0x200, 0, 0x6B6D_6457, memoryOut) == 0)
        #expect(h.kernel.findings.count == 1)
        #expect(try h.wdf("WdfLookasideListCreate", 0, 0x40, 0, 0, 0x6B6D_6457, memoryOut) == 0)
        #expect(try h.wdf("WdfRegistryQueryMemory", 0, 0, 4, 0, memoryOut, 0) != 0)
        #expect(h.kernel.findings.filter { $0.code == "0x2000" }.count == 3)
    }

    @Test func deletingAnObjectRunsCleanupOfChildrenThenParent() throws {
        let h = try KernelHarness(hvci: false)
        _ = try h.bind(minor: 33, count: 458)
        _ = try h.createNonPnpDriver()
        // Cleanup callback: append RCX to a log: mov rax,[log]; mov [rax],rcx; add qword [log],8; ret
        let log = try h.buffer(0x100)
        try h.kernel.writeU64(log, log + 8)
        var code: [UInt8] = [0x48, 0xB8] + withUnsafeBytes(of: log.littleEndian, Array.init) // mov rax, log
        code += [0x48, 0x8B, 0x10]             // mov rdx, [rax]
        code += [0x48, 0x89, 0x0A]             // mov [rdx], rcx
        code += [0x48, 0x83, 0x00, 0x08]       // add qword [rax], 8
        code += [0xC3]
        let cleanup = try h.code(code)
        let attributes = try h.buffer(0x38), out = try h.buffer(8)
        try h.kernel.writeU32(attributes, 0x38)
        try h.kernel.writeU64(attributes + 8, cleanup)
        #expect(try h.wdf("WdfObjectCreate", attributes, out) == 0)
        let parent = try h.kernel.readU64(out)
        try h.kernel.writeU64(attributes + 0x20, parent)
        #expect(try h.wdf("WdfObjectCreate", attributes, out) == 0)
        let child = try h.kernel.readU64(out)
        // Call WdfObjectDelete(parent) through a slot, as the driver would.
        let slot = try h.kernel.trampolines.slot(for: "test!delete") { call in
            try ExportTable.lookup(.kmdf, "WdfObjectDelete")!.handler(call)
        }
        _ = try h.run(at: slot, arguments: [h.kernel.wdf.globals, parent])
        #expect(try h.kernel.readU64(log + 8) == child)
        #expect(try h.kernel.readU64(log + 16) == parent)
        #expect(h.kernel.wdf.objects[parent] == nil && h.kernel.wdf.objects[child] == nil)
    }
}
