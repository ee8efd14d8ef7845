import CPU
import Testing
@testable import Kernel

struct FilterManagerTests {
    /// An FLT_REGISTRATION with one operation (IRP_MJ_CREATE) and an unload callback.
    private func registration(_ h: KernelHarness, version: UInt16 = 0x0203, size: UInt16 = 0x70) throws -> UInt64 {
        let reg = try h.buffer(0x100)
        let ops = try h.buffer(0x40)
        try h.kernel.writeU8(ops, 0)              // IRP_MJ_CREATE
        try h.kernel.writeU64(ops + 8, 0x1400_1000)
        try h.kernel.writeU8(ops + 0x20, 0x80)    // IRP_MJ_OPERATION_END
        try h.kernel.writeU16(reg, size)
        try h.kernel.writeU16(reg + 2, version)
        try h.kernel.writeU64(reg + 0x10, ops)
        try h.kernel.writeU64(reg + 0x18, 0x1400_2000)
        return reg
    }

    @Test func registerFilterChecksTheVersionAndRemembersCallbacks() throws {
        let h = try KernelHarness()
        let out = try h.buffer(8)
        #expect(try h.call("FltRegisterFilter", 0x1000, registration(h, version: 0x0100), out) == UInt64(NTStatus.invalidParameter))
        #expect(try h.call("FltRegisterFilter", 0x1000, registration(h, size: 0x20), out) == UInt64(NTStatus.invalidParameter))
        #expect(try h.call("FltRegisterFilter", 0x1000, registration(h), out) == 0)
        let filter = try h.kernel.readU64(out)
        let registered = try #require(FilterManagerArea.registeredFilters(h.kernel)[filter])
        #expect(registered.unload == 0x1400_2000)
        #expect(registered.operations.count == 1 && registered.operations[0].pre == 0x1400_1000)
        #expect(try h.call("FltStartFiltering", filter) == 0)
        #expect(try h.call("FltStartFiltering", 0x1234) == UInt64(NTStatus.invalidParameter))
        try h.call("FltUnregisterFilter", filter)
        #expect(FilterManagerArea.registeredFilters(h.kernel).isEmpty)
    }

    @Test func communicationPortNamesAreUniqueAndCallbacksRequired() throws {
        let h = try KernelHarness()
        let out = try h.buffer(8)
        try h.call("FltRegisterFilter", 0x1000, registration(h), out)
        let filter = try h.kernel.readU64(out)
        let name = try h.buffer(16)
        try h.call("RtlInitUnicodeString", name, try h.wide("\\MyPort"))
        let attributes = try h.buffer(0x30)
        try h.kernel.writeU32(attributes, 0x30)
        try h.kernel.writeU64(attributes + 0x10, name)
        let port = try h.buffer(8)
        #expect(try h.call("FltCreateCommunicationPort", filter, port, attributes, 0, 0, 0x2000, 0x3000, 1)
                == UInt64(NTStatus.invalidParameter))
        #expect(try h.call("FltCreateCommunicationPort", filter, port, attributes, 0, 0x1000, 0x2000, 0x3000, 1) == 0)
        #expect(try h.kernel.readU64(port) != 0)
        #expect(try h.call("FltCreateCommunicationPort", filter, port, attributes, 0, 0x1000, 0x2000, 0x3000, 1)
                == UInt64(NTStatus.objectNameCollision))
        try h.call("FltCloseCommunicationPort", try h.kernel.readU64(port))
        #expect(try h.call("FltCreateCommunicationPort", filter, port, attributes, 0, 0x1000, 0x2000, 0x3000, 1) == 0)
    }

    @Test func defaultSecurityDescriptorHasADaclForSystemAndAdministrators() throws {
        let h = try KernelHarness()
        let out = try h.buffer(8)
        #expect(try h.call("FltBuildDefaultSecurityDescriptor", out, 0x1F0001) == 0)
        let sd = try h.kernel.readU64(out)
        #expect(try h.kernel.readU8(sd) == 1)
        #expect(try h.kernel.readU16(sd + 2) & 0x8004 == 0x8004) // self-relative, DACL present
        #expect(try h.call("RtlValidSecurityDescriptor", sd) == 1)
        try h.call("FltFreeSecurityDescriptor", sd)
    }

    @Test func pushLocksAreExclusiveAndShared() throws {
        let h = try KernelHarness()
        let lock = try h.buffer(8)
        try h.kernel.writeU64(lock, 0xFF)
        try h.call("FltInitializePushLock", lock)
        #expect(try h.kernel.readU64(lock) == 0)
        try h.call("FltAcquirePushLockShared", lock)
        try h.call("FltAcquirePushLockSharedEx", lock, 0)
        #expect(try h.kernel.readU64(lock) == 0x21)
        #expect { try h.call("FltAcquirePushLockExclusive", lock) } throws: { $0 is KernelStop }
        try h.call("FltReleasePushLock", lock)
        try h.call("FltReleasePushLockEx", lock, 0)
        try h.call("FltAcquirePushLockExclusiveEx", lock, 0)
        #expect(try h.kernel.readU64(lock) == 1)
    }

    @Test func enumerationListsTheSystemFiltersWithNames() throws {
        let h = try KernelHarness()
        let count = try h.buffer(4)
        #expect(try h.call("FltEnumerateFilters", 0, 0, count) == UInt64(NTStatus.bufferTooSmall))
        let n = try h.kernel.readU32(count)
        #expect(n == UInt32(FilterManagerArea.systemFilters.count))
        let list = try h.buffer(8 * Int(n))
        #expect(try h.call("FltEnumerateFilters", list, UInt64(n), count) == 0)
        let info = try h.buffer(0x100), returned = try h.buffer(4)
        #expect(try h.call("FltGetFilterInformation", try h.kernel.readU64(list + 8), 1, info, 0x100, returned) == 0)
        let length = Int(try h.kernel.readU16(info + 0x10)), offset = UInt64(try h.kernel.readU16(info + 0x12))
        let name = try h.kernel.readBytes(info + offset, count: length)
        #expect(String(decoding: stride(from: 0, to: name.count, by: 2).map { UInt16(name[$0]) }, as: UTF16.self) == "WdFilter")
        #expect(try h.call("FltGetFilterInformation", try h.kernel.readU64(list), 1, info, 4, returned) == UInt64(NTStatus.bufferTooSmall))
    }

    @Test func routineAddressOnlyForFilterManagerExports() throws {
        let h = try KernelHarness()
        #expect(try h.call("FltGetRoutineAddress", try h.ansi("FltRegisterFilter")) != 0)
        #expect(try h.call("FltGetRoutineAddress", try h.ansi("FltNoSuchRoutine")) == 0)
    }
}

struct IoDriversTests {
    @Test func createDriverCallsTheInitRoutineWithANamedDriverObject() throws {
        let h = try KernelHarness()
        let name = try h.buffer(16)
        try h.call("RtlInitUnicodeString", name, try h.wide("\\Driver\\Hidden"))
        _ = try h.call("IoCreateDriver", name, 0x1400_5000)
        // The init routine is entered as a guest call: RIP points at it, RCX is the new object.
        #expect(try h.engine.read(.rip) == 0x1400_5000)
        let driver = try h.engine.read(.rcx)
        #expect(try h.kernel.readU16(driver) == 4) // IO_TYPE_DRIVER
        #expect(try h.kernel.readUnicodeString(driver + 0x38) == "\\Driver\\Hidden")
        #expect(try h.engine.read(.rdx) == 0) // no registry path
        #expect(try h.call("IoCreateDriver", name, 0x1400_5000) == UInt64(NTStatus.objectNameCollision))
    }

    @Test func removeLockRefusesAcquiresAfterRemoval() throws {
        let h = try KernelHarness()
        let lock = try h.buffer(0x20)
        try h.call("IoInitializeRemoveLockEx", lock, 0x6B636F4C, 0, 0, 0x20)
        #expect(try h.kernel.readU32(lock + 4) == 1)
        #expect(try h.call("IoAcquireRemoveLockEx", lock, 1, 0, 0, 0x20) == 0)
        #expect(try h.kernel.readU32(lock + 4) == 2)
        try h.call("IoReleaseRemoveLockAndWaitEx", lock, 1, 0x20)
        #expect(try h.kernel.readU32(lock + 4) == 0)
        #expect(try h.kernel.readU32(lock + 8 + 4) == 1) // RemoveEvent signalled
        #expect(try h.call("IoAcquireRemoveLockEx", lock, 1, 0, 0, 0x20) == 0xC000_0056)
        #expect(try h.kernel.readU32(lock + 4) == 0)
    }

    @Test func startPacketQueuesWhileTheDeviceIsBusy() throws {
        let h = try KernelHarness()
        let driver = try h.buffer(0x150), device = try h.buffer(0x150)
        try h.kernel.writeU64(device + 8, driver)
        try h.kernel.writeU64(driver + 0x60, 0x1400_6000) // DriverStartIo
        _ = try h.call("IoStartPacket", device, 0xAAA0, 0, 0)
        #expect(try h.engine.read(.rip) == 0x1400_6000)
        #expect(try h.kernel.readU64(device + 0x20) == 0xAAA0)
        try h.engine.write(.rip, 0)
        _ = try h.call("IoStartPacket", device, 0xBBB0, 0, 0)
        #expect(try h.engine.read(.rip) == 0) // queued, StartIo not called
        _ = try h.call("IoStartNextPacket", device, 0)
        #expect(try h.kernel.readU64(device + 0x20) == 0xBBB0)
        _ = try h.call("IoStartNextPacket", device, 0)
        #expect(try h.kernel.readU64(device + 0x20) == 0)
    }
}

struct WaitRunsQueuedWorkTests {
    @Test func infiniteWaitOnAThreadRunsTheThreadInsteadOfStopping() throws {
        let h = try KernelHarness()
        let out = try h.buffer(8)
        try h.call("PsCreateSystemThread", out, 0, 0, 0, 0, 0x1400_7000, 0xC7)
        let handle = try h.kernel.readU64(out)
        let object = try h.buffer(8)
        try h.call("ObReferenceObjectByHandle", handle, 0, 0, 0, object, 0)
        _ = try h.call("KeWaitForSingleObject", try h.kernel.readU64(object), 0, 0, 0, 0)
        #expect(try h.engine.read(.rip) == 0x1400_7000)
        #expect(try h.engine.read(.rcx) == 0xC7)
        #expect(h.kernel.deferredRoutines.isEmpty)
    }
}

struct RtlMiscTests {
    @Test func versionChecksCompareWithTheReportedVersion() throws {
        let h = try KernelHarness()
        var mask = try h.call("VerSetConditionMask", 0, 2, 3)  // major >= 
        mask = try h.call("VerSetConditionMask", mask, 1, 3)    // minor >=
        #expect(mask == (3 << 3) | 3)
        let info = try h.buffer(0x11C)
        try h.kernel.writeU32(info, 0x11C)
        try h.kernel.writeU32(info + 4, 6)
        try h.kernel.writeU32(info + 8, 3)
        #expect(try h.call("RtlVerifyVersionInfo", info, 3, mask) == 0)          // 10.0 >= 6.3
        try h.kernel.writeU32(info + 4, 11)
        #expect(try h.call("RtlVerifyVersionInfo", info, 3, mask) == UInt64(NTStatus.revisionMismatch))
        try h.kernel.writeU32(info + 0xC, 19045)
        #expect(try h.call("RtlVerifyVersionInfo", info, 4, try h.call("VerSetConditionMask", 0, 4, 1)) == 0)
        #expect(try h.call("RtlVerifyVersionInfo", info, 0, mask) == UInt64(NTStatus.invalidParameter))
    }

    @Test func randomUpdatesTheSeedAndStaysBelowMaxLong() throws {
        let h = try KernelHarness()
        let seed = try h.buffer(4)
        try h.kernel.writeU32(seed, 12345)
        let a = try h.call("RtlRandomEx", seed)
        let stored = UInt64(try h.kernel.readU32(seed))
        #expect(a < 0x7FFF_FFFF && stored == a)
        let b = try h.call("RtlRandomEx", seed)
        #expect(a != b)
    }

    @Test func uuidsAreVersionFourAndDistinct() throws {
        let h = try KernelHarness()
        let a = try h.buffer(16), b = try h.buffer(16)
        #expect(try h.call("ExUuidCreate", a) == 0)
        try h.call("ExUuidCreate", b)
        #expect(try h.kernel.readU8(a + 7) >> 4 == 4)
        let uuidA = try h.kernel.readBytes(a, count: 16), uuidB = try h.kernel.readBytes(b, count: 16)
        #expect(uuidA != uuidB)
    }

    @Test func ansiCharConversionAdvancesThePointer() throws {
        let h = try KernelHarness()
        let text = try h.buffer(4)
        try h.kernel.writeBytes(text, [0x41, 0x80])
        let pointer = try h.buffer(8)
        try h.kernel.writeU64(pointer, text)
        #expect(try h.call("RtlAnsiCharToUnicodeChar", pointer) == 0x41)
        #expect(try h.call("RtlAnsiCharToUnicodeChar", pointer) == 0x20AC) // Euro sign in Windows-1252
        #expect(try h.kernel.readU64(pointer) == text + 2)
    }

    @Test func debuggerAndPowerAndImageHeader() throws {
        let h = try KernelHarness()
        #expect(try h.call("KdChangeOption", 0, 0, 0, 0, 0, 0) == 0xC000_0354)
        #expect(try h.call("KdDisableDebugger") == 0)
        #expect(try h.call("PoSetPowerState", 0x5000, 1, 4) == 1)  // was D0
        #expect(try h.call("PoSetPowerState", 0x5000, 1, 1) == 4)  // was D3
        let image = try h.buffer(0x200)
        try h.kernel.writeU16(image, 0x5A4D)
        try h.kernel.writeU32(image + 0x3C, 0x80)
        try h.kernel.writeU32(image + 0x80, 0x4550)
        #expect(try h.call("RtlImageNtHeader", image) == image + 0x80)
        try h.kernel.writeU32(image + 0x80, 0)
        #expect(try h.call("RtlImageNtHeader", image) == 0)
    }
}

struct MoreFilterAndRandomTests {
    @Test func parseFileNameSplitsTheFinalComponent() throws {
        let h = try KernelHarness()
        let name = try h.buffer(16)
        try h.call("RtlInitUnicodeString", name, try h.wide("\\Device\\HarddiskVolume1\\dir\\file.txt:ads"))
        let ext = try h.buffer(16), stream = try h.buffer(16), final = try h.buffer(16)
        #expect(try h.call("FltParseFileName", name, ext, stream, final) == 0)
        #expect(try h.kernel.readUnicodeString(ext) == "txt")
        #expect(try h.kernel.readUnicodeString(stream) == ":ads")
        #expect(try h.kernel.readUnicodeString(final) == "file.txt:ads")
    }

    @Test func genRandomFillsTheBufferAndNeedsAnRngChoice() throws {
        let h = try KernelHarness()
        let buffer = try h.buffer(32)
        #expect(try h.call("BCryptGenRandom", 0, buffer, 32, 0) == UInt64(NTStatus.invalidHandle))
        #expect(try h.call("BCryptGenRandom", 0, buffer, 32, 2) == 0)
        let bytes = try h.kernel.readBytes(buffer, count: 32)
        #expect(Set(bytes).count > 8)
    }
}

struct PagesForMdlTests {
    @Test func pagesForMdlDescribeFramesAndMapWithoutExecute() throws {
        let h = try KernelHarness()
        #expect(try h.call("MmAllocatePagesForMdl", 0, UInt64.max, 0, 0) == 0)
        let mdl = try h.call("MmAllocatePagesForMdl", 0, UInt64.max, 0, 0x1800)
        #expect(mdl != 0)
        #expect(try h.kernel.readU32(mdl + 0x28) == 0x2000)
        #expect(try h.kernel.readU64(mdl + 0x30) != 0 && h.kernel.readU64(mdl + 0x38) != 0)
        let va = try h.call("MmMapLockedPagesSpecifyCache", mdl, 0, 1, 0, 0, 0x4000_0010)
        #expect(va != 0)
        try h.kernel.writeU32(va, 0xDEAD_BEEF)
        #expect(h.kernel.findings.isEmpty)
        try h.call("MmUnmapLockedPages", va, mdl)
        try h.call("MmFreePagesFromMdl", mdl)
        #expect(try h.kernel.readU32(mdl + 0x28) == 0)
    }

    @Test func initializeSListHeadEmptiesTheHeader() throws {
        let h = try KernelHarness()
        let head = try h.buffer(16)
        try h.kernel.writeU64(head, 0x1234)
        try h.call("InitializeSListHead", head)
        #expect(try h.call("ExQueryDepthSList", head) == 0)
        #expect(try h.kernel.readU64(head) == 0)
    }
}

/// Guest code for the scheduler: a worker thread serving requests in a loop and a caller that
/// posts two requests and waits for each.
struct SchedulerTests {
    private func imm64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

    /// mov rax, target; call rax
    private func callAbs(_ target: UInt64) -> [UInt8] { [0x48, 0xB8] + imm64(target) + [0xFF, 0xD0] }

    /// KeWaitForSingleObject(object, 0, 0, 0, NULL)
    private func wait(_ object: UInt64, _ keWait: UInt64) -> [UInt8] {
        [0x48, 0xB9] + imm64(object) + [0x31, 0xD2, 0x45, 0x31, 0xC0, 0x45, 0x31, 0xC9]
            + [0x48, 0xC7, 0x44, 0x24, 0x20, 0, 0, 0, 0] + callAbs(keWait)
    }

    @Test func aWorkerThreadBlocksBetweenRequestsAndIsResumedForTheNext() throws {
        let h = try KernelHarness(hvci: false)
        let k = h.kernel
        let keWait = try k.resolve(module: "ntoskrnl.exe", function: "KeWaitForSingleObject")
        let keSetEvent = try k.resolve(module: "ntoskrnl.exe", function: "KeSetEvent")
        let keRelease = try k.resolve(module: "ntoskrnl.exe", function: "KeReleaseSemaphore")
        let semaphore = try h.buffer(0x20), done = try h.buffer(0x18), counter = try h.buffer(8)
        try h.call("KeInitializeSemaphore", semaphore, 0, 10)
        try h.call("KeInitializeEvent", done, 1, 0)
        // Worker(ctx): push rbx; sub rsp,0x30; mov rbx,rcx; loop: wait(sem); inc [rbx]; KeSetEvent(done); jmp loop
        var body = wait(semaphore, keWait) + [0x48, 0xFF, 0x03]
            + [0x48, 0xB9] + imm64(done) + [0x31, 0xD2, 0x45, 0x31, 0xC0] + callAbs(keSetEvent)
        body += [0xEB, UInt8(bitPattern: Int8(-(body.count + 2)))]
        let worker = try h.code([0x53, 0x48, 0x83, 0xEC, 0x30, 0x48, 0x89, 0xCB] + body)
        // Main: push rbx; sub rsp,0x30; mov ebx,2; loop: KeReleaseSemaphore(sem,0,1,0); wait(done); dec ebx; jnz loop
        //       mov rax,counter; mov rax,[rax]; add rsp,0x30; pop rbx; ret
        var loop = [0x48, 0xB9] + imm64(semaphore) + [0x31, 0xD2, 0x41, 0xB8, 1, 0, 0, 0, 0x45, 0x31, 0xC9] + callAbs(keRelease)
        loop += wait(done, keWait) + [0xFF, 0xCB]
        loop += [0x75, UInt8(bitPattern: Int8(-(loop.count + 2)))]
        let main = try h.code([0x53, 0x48, 0x83, 0xEC, 0x30, 0xBB, 2, 0, 0, 0] + loop
                              + [0x48, 0xB8] + imm64(counter) + [0x48, 0x8B, 0x00, 0x48, 0x83, 0xC4, 0x30, 0x5B, 0xC3])
        let handle = try h.buffer(8)
        try h.call("PsCreateSystemThread", handle, 0, 0, 0, 0, worker, counter)
        #expect(try h.run(at: main) == 2)
        #expect(k.stopReason == nil)
        #expect(k.deferredRoutines.isEmpty)
        // The worker is blocked on the semaphore again, not ended.
        #expect(SynchronizationArea.scheduler(k).blocked.count == 1)
    }

    /// KeSetEvent(event, 0, FALSE)
    private func setEvent(_ event: UInt64, _ keSetEvent: UInt64) -> [UInt8] {
        [0x48, 0xB9] + imm64(event) + [0x31, 0xD2, 0x45, 0x31, 0xC0] + callAbs(keSetEvent)
    }

    /// A worker blocks on a timer; the caller, with nothing else to run, waits for the worker's
    /// signal: time passes until the timer is due and the worker continues (as on Windows, where
    /// the timer expiring readies it). When the worker then returns, the caller resumes with its
    /// own callee-saved registers — not those it had when it first ran the worker.
    @Test func aWorkerBlockedOnATimerWakesWhenItIsDueAndTheWaiterKeepsItsRegisters() throws {
        let h = try KernelHarness(hvci: false)
        let k = h.kernel
        let keWait = try k.resolve(module: "ntoskrnl.exe", function: "KeWaitForSingleObject")
        let keSetEvent = try k.resolve(module: "ntoskrnl.exe", function: "KeSetEvent")
        let started = try h.buffer(0x18), finished = try h.buffer(0x18), timer = try h.buffer(0x40)
        try h.call("KeInitializeEvent", started, 0, 0)
        try h.call("KeInitializeEvent", finished, 0, 0)
        try h.call("KeInitializeTimer", timer)
        let before = k.processor.systemTime
        try h.call("KeSetTimer", timer, UInt64(bitPattern: -100_000), 0) // 10 ms from now
        // Worker: push rbx; sub rsp,0x30; mov ebx,0x2222; KeSetEvent(started); wait(timer);
        //         KeSetEvent(finished); mov eax,7; add rsp,0x30; pop rbx; ret
        let worker = try h.code([0x53, 0x48, 0x83, 0xEC, 0x30, 0xBB, 0x22, 0x22, 0, 0] + setEvent(started, keSetEvent)
                                + wait(timer, keWait) + setEvent(finished, keSetEvent)
                                + [0xB8, 7, 0, 0, 0, 0x48, 0x83, 0xC4, 0x30, 0x5B, 0xC3])
        // Main: push rbx; sub rsp,0x30; mov ebx,1; wait(started); mov rbx,magic; wait(finished);
        //       mov rax,rbx; add rsp,0x30; pop rbx; ret
        let magic: UInt64 = 0x1234_5678_9ABC_DEF0
        let main = try h.code([0x53, 0x48, 0x83, 0xEC, 0x30, 0xBB, 1, 0, 0, 0] + wait(started, keWait)
                              + [0x48, 0xBB] + imm64(magic) + wait(finished, keWait)
                              + [0x48, 0x89, 0xD8, 0x48, 0x83, 0xC4, 0x30, 0x5B, 0xC3])
        let handle = try h.buffer(8)
        try h.call("PsCreateSystemThread", handle, 0, 0, 0, 0, worker, 0)
        #expect(try h.run(at: main) == magic)
        #expect(k.stopReason == nil)
        #expect(SynchronizationArea.scheduler(k).blocked.isEmpty)
        #expect(k.processor.systemTime >= before + 100_000)
    }
}

struct GenericTableTests {
    @Test func initialiseCountAndEnumerateInKeyOrder() throws {
        let h = try KernelHarness()
        let k = h.kernel
        let table = try h.buffer(0x68)
        try h.call("RtlInitializeGenericTableAvl", table, 0x1000, 0x2000, 0x3000, 0x77)
        #expect(try k.readU64(table) == table)
        #expect(try k.readU64(table + 0x48) == 0x1000 && k.readU64(table + 0x60) == 0x77)
        #expect(try h.call("RtlNumberGenericTableElementsAvl", table) == 0)
        let restart = try h.buffer(8)
        #expect(try h.call("RtlEnumerateGenericTableWithoutSplayingAvl", table, restart) == 0)
        // A tree of three elements as the Rtl insert would leave it: b at the root, a left, c right.
        let a = try h.buffer(0x28), b = try h.buffer(0x28), c = try h.buffer(0x28)
        try k.writeU64(table + 0x10, b)
        try k.writeU64(b, table); try k.writeU64(b + 8, a); try k.writeU64(b + 0x10, c)
        try k.writeU64(a, b); try k.writeU64(c, b)
        try k.writeU32(table + 0x2C, 3)
        var order: [UInt64] = []
        for _ in 0..<4 { order.append(try h.call("RtlEnumerateGenericTableWithoutSplayingAvl", table, restart)) }
        #expect(order == [a + 0x20, b + 0x20, c + 0x20, 0])
        #expect(try h.call("RtlNumberGenericTableElementsAvl", table) == 3)
    }

    @Test func pcToFileHeaderFindsTheDriverImageOnly() throws {
        let h = try KernelHarness()
        h.kernel.exceptionImageLookup = { pc in
            (0x1_4000_0000..<0x1_4001_0000).contains(pc) ? X64ImageHit(imageBase: 0x1_4000_0000, imageSize: 0x10000, function: nil) : nil
        }
        let out = try h.buffer(8)
        #expect(try h.call("RtlPcToFileHeader", 0x1_4000_1234, out) == 0x1_4000_0000)
        #expect(try h.kernel.readU64(out) == 0x1_4000_0000)
        #expect(try h.call("RtlPcToFileHeader", 0xFFFF_F800_0000_1000, out) == 0)
        #expect(try h.kernel.readU64(out) == 0)
    }

    /// RtlPcToFileHeader agrees with PsLoadedModuleList: a kernel routine's address lies in
    /// ntoskrnl.exe (whose header RtlImageNtHeader accepts), a driver's code in its own entry.
    @Test func pcToFileHeaderUsesTheLoadedModuleList() throws {
        let h = try KernelHarness()
        try h.driverModule(integrityForced: false)
        let out = try h.buffer(8)
        let routine = try h.kernel.resolve(module: "ntoskrnl.exe", function: "IoCreateDevice")
        let ntoskrnl = try h.call("RtlPcToFileHeader", routine, out)
        #expect(ntoskrnl == Kernel.ntoskrnlHeaderBase)
        #expect(try h.kernel.readU64(out) == ntoskrnl)
        #expect(try h.call("RtlImageNtHeader", ntoskrnl) == ntoskrnl + 0x80)
        #expect(try h.call("RtlPcToFileHeader", 0x1_4000_1234, out) == 0x1_4000_0000)
        #expect(try h.call("RtlPcToFileHeader", 0x1_4001_0000, out) == 0)
        #expect(try h.kernel.readU64(out) == 0)
    }
}

struct PlugPlayNotificationTests {
    @Test func registrationsNeedACategoryAndUnregisterOnce() throws {
        let h = try KernelHarness()
        let out = try h.buffer(8), guid = try h.buffer(16)
        #expect(try h.call("IoRegisterPlugPlayNotification", 9, 0, guid, 0, 0x1000, 0, out) == UInt64(NTStatus.invalidParameter))
        #expect(try h.call("IoRegisterPlugPlayNotification", 2, 1, 0, 0, 0x1000, 0, out) == UInt64(NTStatus.invalidParameter))
        #expect(try h.call("IoRegisterPlugPlayNotification", 2, 1, guid, 0, 0x1000, 0, out) == 0)
        let entry = try h.kernel.readU64(out)
        #expect(entry != 0)
        #expect(try h.call("IoUnregisterPlugPlayNotification", entry) == 0)
        #expect(try h.call("IoUnregisterPlugPlayNotification", entry) == UInt64(NTStatus.invalidParameter))
    }
}

struct SecureCopyAndCancelLockTests {
    @Test func memcpySChecksTheDestinationSize() throws {
        let h = try KernelHarness()
        let source = try h.ansi("abcdefgh"), destination = try h.buffer(16)
        #expect(try h.call("memcpy_s", destination, 16, source, 4) == 0)
        #expect(try h.kernel.readBytes(destination, count: 4) == Array("abcd".utf8))
        #expect(try h.call("memcpy_s", destination, 2, source, 4) == 34)
        #expect(try h.kernel.readBytes(destination, count: 4) == [0, 0] + Array("cd".utf8)) // DestinationSize bytes cleared
        #expect(try h.call("memcpy_s", 0, 16, source, 4) == 22)
    }

    @Test func cancelSpinLockRaisesAndRestoresIrql() throws {
        let h = try KernelHarness()
        let old = try h.buffer(1)
        try h.call("IoAcquireCancelSpinLock", old)
        #expect(try h.kernel.readU8(old) == 0)
        #expect(SynchronizationArea.currentIrql(h.kernel) == 2)
        try h.call("IoReleaseCancelSpinLock", 0)
        #expect(SynchronizationArea.currentIrql(h.kernel) == 0)
    }
}

struct VaListDebugPrintTests {
    @Test func vDbgPrintExWithPrefixFormatsFromTheVaList() throws {
        let h = try KernelHarness()
        let list = try h.buffer(16)
        try h.kernel.writeU64(list, 42)
        try h.kernel.writeU64(list + 8, try h.ansi("disk"))
        try h.call("vDbgPrintExWithPrefix", try h.ansi("[drv] "), 0x4D, 0, try h.ansi("%d on %s\n"), list)
        #expect(h.kernel.debugOutput.last == "[drv] 42 on disk\n")
        try h.call("vDbgPrintEx", 0x4D, 0, try h.ansi("x=%x"), list)
        #expect(h.kernel.debugOutput.last == "x=2a")
    }
}

struct AbandonedFramesTests {
    @Test func aNewEntryPointForgetsRoutinesCutShortInsideAWait() throws {
        let h = try KernelHarness()
        let k = h.kernel
        let frame = SynchronizationArea.WaitFrame(routine: DeferredRoutine(kind: "SystemThread", routine: 0x1000, arguments: [0]),
                                                  thread: 0xABC0, entry: 0x2000, registers: [], irql: 0,
                                                  objects: [], waitAll: false, wait: { 0 })
        SynchronizationArea.scheduler(k).frames.append(frame)
        DeferredArea.deferredState(k).running.append(0xABC0)
        DeferredArea.deferredState(k).nestedDepth = 1
        k.beginEntryPoint()
        #expect(SynchronizationArea.scheduler(k).frames.isEmpty)
        #expect(DeferredArea.deferredState(k).running.isEmpty)
        #expect(DeferredArea.deferredState(k).nestedDepth == 0)
        #expect(SynchronizationArea.currentThread(k) == k.processor.thread)
    }
}

struct GenericTableCallbackTests {
    private func imm64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

    @Test func insertLookupDeleteCallTheDriversRoutines() throws {
        let h = try KernelHarness(hvci: false)
        let k = h.kernel
        // Compare(Table, First, Second) on 8-byte keys: 0 less, 1 greater, 2 equal.
        let compare = try h.code([0x48, 0x8B, 0x02, 0x4D, 0x8B, 0x00, 0x4C, 0x39, 0xC0, 0x72, 8, 0x77, 9,
                                  0xB8, 2, 0, 0, 0, 0xC3, 0x31, 0xC0, 0xC3, 0xB8, 1, 0, 0, 0, 0xC3])
        let exAllocate = try k.resolve(module: "ntoskrnl.exe", function: "ExAllocatePoolWithTag")
        let exFree = try k.resolve(module: "ntoskrnl.exe", function: "ExFreePool")
        let allocate = try h.code([0x48, 0x83, 0xEC, 0x28, 0xB9, 0, 2, 0, 0, 0x41, 0xB8, 0x54, 0x61, 0x62, 0x6C,
                                   0x48, 0xB8] + imm64(exAllocate) + [0xFF, 0xD0, 0x48, 0x83, 0xC4, 0x28, 0xC3])
        let free = try h.code([0x48, 0x83, 0xEC, 0x28, 0x48, 0x89, 0xD1, 0x48, 0xB8] + imm64(exFree)
                              + [0xFF, 0xD0, 0x48, 0x83, 0xC4, 0x28, 0xC3])
        let table = try h.buffer(0x68)
        try h.call("RtlInitializeGenericTableAvl", table, compare, allocate, free, 0)
        let insert = try k.resolve(module: "ntoskrnl.exe", function: "RtlInsertElementGenericTableAvl")
        let lookup = try k.resolve(module: "ntoskrnl.exe", function: "RtlLookupElementGenericTableAvl")
        let delete = try k.resolve(module: "ntoskrnl.exe", function: "RtlDeleteElementGenericTableAvl")
        let key = try h.buffer(8), isNew = try h.buffer(1)
        var elements: [UInt64: UInt64] = [:]
        for value: UInt64 in [50, 20, 80, 10, 30, 70, 90] {
            try k.writeU64(key, value)
            let element = try h.run(at: insert, arguments: [table, key, 8, isNew])
            let stored = try k.readU64(element), created = try k.readU8(isNew)
            #expect(element != 0 && stored == value && created == 1)
            elements[value] = element
        }
        try k.writeU64(key, 30)
        #expect(try h.run(at: insert, arguments: [table, key, 8, isNew]) == elements[30])
        #expect(try k.readU8(isNew) == 0)
        #expect(try h.call("RtlNumberGenericTableElementsAvl", table) == 7)
        #expect(try h.run(at: lookup, arguments: [table, key]) == elements[30])
        try k.writeU64(key, 50) // the root, which has two children
        #expect(try h.run(at: delete, arguments: [table, key]) == 1)
        #expect(try h.run(at: lookup, arguments: [table, key]) == 0)
        #expect(try h.run(at: delete, arguments: [table, key]) == 0)
        let restart = try h.buffer(8)
        var order: [UInt64] = []
        while true {
            let element = try h.call("RtlEnumerateGenericTableWithoutSplayingAvl", table, restart)
            if element == 0 || order.count > 10 { break }
            order.append(try k.readU64(element))
        }
        #expect(order == [10, 20, 30, 70, 80, 90])
    }
}

struct FsRtlFileSizeTests {
    @Test func fileSizeOfAnOpenedFileObject() throws {
        let h = try KernelHarness()
        let file = try h.createFile("\\??\\C:\\data.bin", disposition: 5).handle
        let iosb = try h.buffer(16)
        #expect(try h.call("ZwWriteFile", file, 0, 0, 0, iosb, try h.ansi("hello world"), 11, 0, 0) == 0)
        let object = try h.buffer(8)
        #expect(try h.call("ObReferenceObjectByHandle", file, 0, 0, 0, object, 0) == 0)
        let size = try h.buffer(8)
        #expect(try h.call("FsRtlGetFileSize", try h.kernel.readU64(object), size) == 0)
        #expect(try h.kernel.readU64(size) == 11)
        #expect(try h.call("FsRtlGetFileSize", 0x1234, size) == UInt64(NTStatus.invalidDeviceRequest))
    }
}

struct FilterDriversAndIoControlTests {
    @Test func registeredFiltersListIsTheFilterManager() throws {
        let h = try KernelHarness()
        let count = try h.buffer(4), list = try h.buffer(16)
        #expect(try h.call("IoEnumerateRegisteredFiltersList", list, 0, count) == UInt64(NTStatus.bufferTooSmall))
        #expect(try h.kernel.readU32(count) == 1)
        #expect(try h.call("IoEnumerateRegisteredFiltersList", list, 16, count) == 0)
        let driver = try h.kernel.readU64(list)
        #expect(try h.kernel.readUnicodeString(driver + 0x38) == "\\FileSystem\\FltMgr")
    }

    @Test func deviceIoControlOnAFileCompletesAsInvalidDeviceRequest() throws {
        let h = try KernelHarness()
        let file = try h.createFile("\\??\\C:\\data.bin", disposition: 5).handle
        let iosb = try h.buffer(16)
        try h.kernel.writeU32(iosb, 0xFFFF)
        #expect(try h.call("ZwDeviceIoControlFile", file, 0, 0, 0, iosb, 0x22_2004, 0, 0, 0, 0) == UInt64(NTStatus.invalidDeviceRequest))
        #expect(try h.kernel.readU32(iosb) == NTStatus.invalidDeviceRequest)
        #expect(try h.call("ZwDeviceIoControlFile", 0x7777_0000, 0, 0, 0, iosb, 0x22_2004, 0, 0, 0, 0) == UInt64(NTStatus.invalidHandle))
    }
}
