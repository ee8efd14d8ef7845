import Testing
@testable import Kernel

/// Helpers shared by the object manager, process, security and callback tests.
extension KernelHarness {
    /// An OBJECT_ATTRIBUTES naming `name`.
    func obAttributes(_ name: String) throws -> UInt64 {
        let attributes = try buffer(0x30)
        try kernel.writeU32(attributes, 0x30)
        try kernel.writeU64(attributes + 0x10, try kernel.makeUnicodeString(name, name: "test name"))
        try kernel.writeU32(attributes + 0x18, 0x240) // OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE
        return attributes
    }

    /// The OBJECT_TYPE a type export (PsProcessType, …) points at now.
    func obType(_ export: String) throws -> UInt64 {
        _ = try kernel.obModel()
        return try kernel.readU64(try #require(kernel.objects.dataExports[export]))
    }

    /// A process handle from ZwOpenProcess(PID).
    func obOpenProcess(_ pid: UInt64) throws -> UInt64 {
        let cid = try buffer(16), out = try buffer(8)
        try kernel.writeU64(cid, pid)
        #expect(try call("ZwOpenProcess", out, 0x1F_FFFF, obAttributesWithoutName(), cid) == 0)
        return try kernel.readU64(out)
    }

    func obAttributesWithoutName() throws -> UInt64 {
        let attributes = try buffer(0x30)
        try kernel.writeU32(attributes, 0x30)
        return attributes
    }

    func obUnicodeBuffer(maximum: Int) throws -> UInt64 {
        let string = try buffer(16 + maximum)
        try kernel.writeUnicodeStringHeader(string, buffer: string + 16, length: 0, maximumLength: maximum)
        return string
    }
}

struct ObjectsTests {
    @Test func closingAHandleTwiceFailsTheSecondTime() throws {
        let h = try KernelHarness()
        let handle = try h.obOpenProcess(0x1130)
        #expect(try h.call("ZwClose", handle) == 0)
        #expect(try h.call("ZwClose", handle) == UInt64(NTStatus.invalidHandle))
        #expect(try h.call("NtClose", 0x1234_5678) == UInt64(NTStatus.invalidHandle))
    }

    @Test func referenceByHandleChecksTheObjectTypeAndWritesTheObject() throws {
        let h = try KernelHarness()
        let handle = try h.obOpenProcess(0x2E4), out = try h.buffer(8), info = try h.buffer(8)
        try h.kernel.writeU64(out, 0xDEAD)
        #expect(try h.call("ObReferenceObjectByHandle", handle, 0, try h.obType("PsThreadType"), 0, out, 0)
            == UInt64(NTStatus.objectTypeMismatch))
        #expect(try h.kernel.readU64(out) == 0)
        #expect(try h.call("ObReferenceObjectByHandle", handle, 0x1000, try h.obType("PsProcessType"), 0, out, info) == 0)
        let process = try h.kernel.readU64(out)
        #expect(try h.kernel.readU64(process + 0x440) == 0x2E4)
        #expect(try h.kernel.readU32(info + 4) == 0x1F_FFFF)
        #expect(try h.call("ObReferenceObjectByHandle", 0x9990, 0, 0, 0, out, 0) == UInt64(NTStatus.invalidHandle))
        // NtCurrentProcess() is the System process.
        #expect(try h.call("ObReferenceObjectByHandle", UInt64.max, 0, try h.obType("PsProcessType"), 0, out, 0) == 0)
        #expect(try h.kernel.readU64(out) == h.kernel.processor.process)
    }

    @Test func dereferencingMoreThanReferencedIsAFinding() throws {
        let h = try KernelHarness()
        let out = try h.buffer(8)
        #expect(try h.call("PsLookupProcessByProcessId", 4, out) == 0)
        let process = try h.kernel.readU64(out)
        try h.call("ObfDereferenceObject", process)
        #expect(h.kernel.findings.isEmpty)
        try h.call("ObfDereferenceObject", process)
        let finding = try #require(h.kernel.findings.first)
        #expect(finding.code == "OB_OVER_DEREFERENCE")
        #expect(finding.bugCheck?.code == 0x18)
        // ObfReferenceObject then ObDereferenceObject is balanced.
        try h.call("ObfReferenceObject", process)
        try h.call("ObDereferenceObject", process)
        #expect(h.kernel.findings.count == 1)
    }

    @Test func symbolicLinksOpenAndQueryWithTheirTarget() throws {
        let h = try KernelHarness()
        h.kernel.objects.symbolicLinks["\\DosDevices\\MyDrv"] = "\\Device\\MyDrv"
        let out = try h.buffer(8), returned = try h.buffer(4)
        #expect(try h.call("ZwOpenSymbolicLinkObject", out, 1, try h.obAttributes("\\??\\mydrv")) == 0)
        let handle = try h.kernel.readU64(out)
        let small = try h.obUnicodeBuffer(maximum: 8)
        #expect(try h.call("ZwQuerySymbolicLinkObject", handle, small, returned) == UInt64(NTStatus.bufferTooSmall))
        #expect(try h.kernel.readU32(returned) == 28)
        let target = try h.obUnicodeBuffer(maximum: 64)
        #expect(try h.call("ZwQuerySymbolicLinkObject", handle, target, returned) == 0)
        #expect(try h.kernel.readUnicodeString(target) == "\\Device\\MyDrv")
        // The built-in C: link, and a directory is not a link.
        #expect(try h.call("ZwOpenSymbolicLinkObject", out, 1, try h.obAttributes("\\GLOBAL??\\C:")) == 0)
        #expect(try h.call("ZwQuerySymbolicLinkObject", try h.kernel.readU64(out), target, 0) == 0)
        #expect(try h.kernel.readUnicodeString(target) == "\\Device\\HarddiskVolume3")
        #expect(try h.call("ZwOpenSymbolicLinkObject", out, 1, try h.obAttributes("\\Device"))
            == UInt64(NTStatus.objectTypeMismatch))
        #expect(try h.call("ZwOpenSymbolicLinkObject", out, 1, try h.obAttributes("\\??\\Nope"))
            == UInt64(NTStatus.objectNameNotFound))
    }

    @Test func directoryQueryEnumeratesEntriesThenReportsNoMore() throws {
        let h = try KernelHarness()
        let out = try h.buffer(8), context = try h.buffer(4), returned = try h.buffer(4), buffer = try h.buffer(0x400)
        #expect(try h.call("ZwOpenDirectoryObject", out, 1, try h.obAttributes("\\ObjectTypes")) == 0)
        let handle = try h.kernel.readU64(out)
        var names: [String] = []
        for index in 0..<100 {
            let status = try h.call("ZwQueryDirectoryObject", handle, buffer, 0x400, 1, index == 0 ? 1 : 0, context, returned)
            if status == UInt64(NTStatus.noMoreEntries) { break }
            #expect(status == 0)
            names.append(try #require(try h.kernel.readUnicodeString(buffer)))
            #expect(try h.kernel.readUnicodeString(buffer + 0x10) == "Type")
        }
        #expect(names.contains("Process") && names.contains("Thread") && names.contains("Token"))
        #expect(names.count == 25)
        #expect(try h.call("ZwQueryDirectoryObject", handle, buffer, 0x10, 1, 1, context, returned)
            == UInt64(NTStatus.bufferTooSmall))
        #expect(try h.call("ZwOpenDirectoryObject", out, 1, try h.obAttributes("\\NoSuchDirectory"))
            == UInt64(NTStatus.objectNameNotFound))
    }

    @Test func queryNameStringReportsTheRequiredLength() throws {
        let h = try KernelHarness()
        let driver = try h.buffer(0x150), deviceOut = try h.buffer(8)
        let name = try h.kernel.makeUnicodeString("\\Device\\Foo", name: "n")
        #expect(try h.call("IoCreateDevice", driver, 0, name, 0x22, 0, 0, deviceOut) == 0)
        let device = try h.kernel.readU64(deviceOut), info = try h.buffer(0x100), returned = try h.buffer(4)
        #expect(try h.call("ObQueryNameString", device, info, 0x10, returned) == UInt64(NTStatus.infoLengthMismatch))
        #expect(try h.kernel.readU32(returned) == 0x10 + 22 + 2)
        #expect(try h.call("ObQueryNameString", device, info, 0x100, returned) == 0)
        #expect(try h.kernel.readUnicodeString(info) == "\\Device\\Foo")
        // By name, with the device type.
        let object = try h.buffer(8)
        #expect(try h.call("ObReferenceObjectByName", name, 0x40, 0, 0, try h.obType("IoDeviceObjectType"), 0, 0, object) == 0)
        #expect(try h.kernel.readU64(object) == device)
        #expect(try h.call("ObReferenceObjectByName", name, 0x40, 0, 0, try h.obType("IoDriverObjectType"), 0, 0, object)
            == UInt64(NTStatus.objectTypeMismatch))
    }

    @Test func createdObjectsAreNamedDuplicatedAndQueried() throws {
        let h = try KernelHarness()
        let objectOut = try h.buffer(8), handleOut = try h.buffer(8)
        #expect(try h.call("ObCreateObject", 0, try h.obType("ExEventObjectType"), try h.obAttributes("\\BaseNamedObjects\\Ev"),
                           0, 0, 0x18, 0, 0, objectOut) == 0)
        let object = try h.kernel.readU64(objectOut)
        #expect(try h.call("ObInsertObject", object, 0, 0x1F0003, 0, 0, handleOut) == 0)
        let handle = try h.kernel.readU64(handleOut)
        let info = try h.buffer(0x100), returned = try h.buffer(4)
        #expect(try h.call("ZwQueryObject", handle, 2, info, 0x100, returned) == 0)
        #expect(try h.kernel.readUnicodeString(info) == "Event")
        #expect(try h.call("ZwQueryObject", handle, 0, info, 0x10, returned) == UInt64(NTStatus.infoLengthMismatch))
        let duplicate = try h.buffer(8)
        #expect(try h.call("ZwDuplicateObject", UInt64.max, handle, UInt64.max, duplicate, 0, 0, 3) == 0)
        #expect(try h.call("ZwClose", handle) == UInt64(NTStatus.invalidHandle)) // DUPLICATE_CLOSE_SOURCE
        #expect(try h.call("ObGetObjectType", object) == (try h.obType("ExEventObjectType")))
        #expect(try h.call("ZwClose", try h.kernel.readU64(duplicate)) == 0)
    }
}
