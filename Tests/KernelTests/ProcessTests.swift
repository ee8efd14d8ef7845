import Testing
@testable import Kernel

struct ProcessTests {
    @Test func lookupOfSystemReturnsTheCurrentProcessWithItsFields() throws {
        let h = try KernelHarness()
        let out = try h.buffer(8)
        #expect(try h.call("PsLookupProcessByProcessId", 4, out) == 0)
        let system = try h.kernel.readU64(out)
        #expect(system == h.kernel.processor.process)
        #expect(try h.call("PsGetProcessId", system) == 4)
        #expect(try h.kernel.readCString(try h.call("PsGetProcessImageFileName", system)) == "System")
        #expect(try h.call("PsGetProcessExitStatus", system) == UInt64(NTStatus.pending))
        try h.kernel.writeU64(out, 0x55)
        #expect(try h.call("PsLookupProcessByProcessId", 0x9998, out) == UInt64(NTStatus.invalidCid))
        #expect(try h.kernel.readU64(out) == 0x55)
    }

    @Test func userProcessesHaveAPebWithTheirImagePath() throws {
        let h = try KernelHarness()
        let out = try h.buffer(8)
        #expect(try h.call("PsLookupProcessByProcessId", 0x2E4, out) == 0)
        let lsass = try h.kernel.readU64(out)
        #expect(try h.kernel.readCString(try h.call("PsGetProcessImageFileName", lsass)) == "lsass.exe")
        #expect(try h.call("PsGetProcessInheritedFromUniqueProcessId", lsass) == 0x264)
        let peb = try h.call("PsGetProcessPeb", lsass)
        #expect(peb != 0 && peb < 0x8000_0000_0000)
        let parameters = try h.kernel.readU64(peb + 0x20)
        #expect(try h.kernel.readUnicodeString(parameters + 0x60) == "C:\\Windows\\System32\\lsass.exe")
        #expect(try h.call("PsGetProcessWow64Process", lsass) == 0)
        #expect(try h.call("PsGetProcessSessionId", lsass) == 0)
        #expect(try h.call("ObfDereferenceObject", lsass) != 0)
    }

    @Test func threadsBelongToTheirProcess() throws {
        let h = try KernelHarness()
        let out = try h.buffer(8)
        #expect(try h.call("PsLookupThreadByThreadId", 8, out) == 0)
        let thread = try h.kernel.readU64(out)
        #expect(thread == h.kernel.processor.thread)
        #expect(try h.call("IoThreadToProcess", thread) == h.kernel.processor.process)
        #expect(try h.call("PsGetThreadId", thread) == 8)
        #expect(try h.call("PsIsSystemThread", thread) == 1)
        #expect(try h.call("PsLookupThreadByThreadId", 0x1134, out) == 0)
        #expect(try h.call("PsIsSystemThread", try h.kernel.readU64(out)) == 0)
        #expect(try h.call("PsGetThreadProcessId", try h.kernel.readU64(out)) == 0x1130)
        #expect(try h.call("PsLookupThreadByThreadId", 3, out) == UInt64(NTStatus.invalidCid))
    }

    @Test func queryInformationProcessValidatesLengthsAndAnswers() throws {
        let h = try KernelHarness()
        let handle = try h.obOpenProcess(0x1130), info = try h.buffer(0x200), returned = try h.buffer(4)
        #expect(try h.call("ZwQueryInformationProcess", handle, 0, info, 0x30, returned) == 0)
        #expect(try h.kernel.readU64(info + 0x20) == 0x1130)
        #expect(try h.kernel.readU64(info + 0x28) == 0x10F8)
        #expect(try h.kernel.readU32(info) == NTStatus.pending)
        #expect(try h.call("ZwQueryInformationProcess", handle, 0, info, 0x20, returned) == UInt64(NTStatus.infoLengthMismatch))
        #expect(try h.call("ZwQueryInformationProcess", handle, 27, info, 0x10, returned) == UInt64(NTStatus.infoLengthMismatch))
        let needed = try h.kernel.readU32(returned)
        #expect(try h.call("ZwQueryInformationProcess", handle, 27, info, UInt64(needed), returned) == 0)
        #expect(try h.kernel.readUnicodeString(info) == "\\Device\\HarddiskVolume3\\Windows\\explorer.exe")
        #expect(try h.call("ZwQueryInformationProcess", handle, 24, info, 4, returned) == 0)
        #expect(try h.kernel.readU32(info) == 1)
        #expect(try h.call("ZwQueryInformationProcess", handle, 0x999, info, 4, returned) == UInt64(NTStatus.invalidInfoClass))
        #expect(try h.call("ZwQueryInformationProcess", 0x7770, 0, info, 0x30, returned) == UInt64(NTStatus.invalidHandle))
        #expect(try h.call("ZwSetInformationProcess", handle, 29, info, 8) == UInt64(NTStatus.infoLengthMismatch))
    }

    @Test func attachSwitchesTheCurrentProcessAndDetachRestoresIt() throws {
        let h = try KernelHarness()
        let out = try h.buffer(8), apc = try h.buffer(0x30), apc2 = try h.buffer(0x30)
        #expect(try h.call("PsLookupProcessByProcessId", 0x1130, out) == 0)
        let explorer = try h.kernel.readU64(out), thread = h.kernel.processor.thread
        try h.call("KeStackAttachProcess", explorer, apc)
        #expect(try h.kernel.readU64(thread + 0xB8) == explorer)
        #expect(try h.call("KeIsAttachedProcess") == 1)
        #expect(try h.call("PsGetCurrentProcessSessionId") == 1)
        try h.call("KeStackAttachProcess", h.kernel.processor.process, apc2)
        #expect(throws: KernelStop.self) { try h.call("KeUnstackDetachProcess", apc) }
        try h.call("KeUnstackDetachProcess", apc2)
        try h.call("KeUnstackDetachProcess", apc)
        #expect(try h.kernel.readU64(thread + 0xB8) == h.kernel.processor.process)
        #expect(try h.call("KeIsAttachedProcess") == 0)
    }

    @Test func terminateProcessSetsTheExitStatusOnce() throws {
        let h = try KernelHarness()
        let notepad = try h.obOpenProcess(0x1A2C)
        #expect(try h.call("ZwTerminateProcess", notepad, 0xC000_0005) == 0)
        #expect(try h.call("ZwTerminateProcess", notepad, 0) == UInt64(NTStatus.processIsTerminating))
        let out = try h.buffer(8)
        #expect(try h.call("ObReferenceObjectByHandle", notepad, 0, 0, 0, out, 0) == 0)
        #expect(try h.call("PsGetProcessExitStatus", try h.kernel.readU64(out)) == 0xC000_0005)
        #expect(try h.call("ZwTerminateProcess", UInt64.max, 0) == UInt64(NTStatus.accessDenied))
        let lsass = try h.obOpenProcess(0x2E4)
        do {
            try h.call("ZwTerminateProcess", lsass, 1)
            Issue.record("terminating lsass.exe should be CRITICAL_PROCESS_DIED")
        } catch let KernelStop.bugCheck(code, _, _) {
            #expect(code == 0xEF)
        }
    }

    @Test func versionIsWindows10_22H2() throws {
        let h = try KernelHarness()
        let major = try h.buffer(4), minor = try h.buffer(4), build = try h.buffer(4), csd = try h.buffer(16)
        #expect(try h.call("PsGetVersion", major, minor, build, csd) == 0)
        #expect(try h.kernel.readU32(major) == 10 && h.kernel.readU32(minor) == 0 && h.kernel.readU32(build) == 19045)
        #expect(try h.kernel.readUnicodeString(csd) == "")
        #expect(try h.call("PsGetVersion", 0, 0, build, 0) == 0)
    }
}
