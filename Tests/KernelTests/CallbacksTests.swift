import Testing
@testable import Kernel

struct CallbacksTests {
    @Test func processNotifyIsQueuedWithParentChildAndCreate() throws {
        let h = try KernelHarness()
        #expect(try h.call("PsSetCreateProcessNotifyRoutine", 0x1_4000_1000, 0) == 0)
        #expect(try h.call("PsSetCreateProcessNotifyRoutine", 0x1_4000_1000, 0) == UInt64(NTStatus.invalidParameter))
        let queued = h.kernel.takeDeferredRoutines()
        #expect(queued == [DeferredRoutine(kind: "ProcessNotify", routine: 0x1_4000_1000, arguments: [0x1130, 0x1A2C, 1])])
        #expect(try h.call("PsSetCreateProcessNotifyRoutine", 0x1_4000_1000, 1) == 0)
        #expect(try h.call("PsSetCreateProcessNotifyRoutine", 0x1_4000_1000, 1) == UInt64(NTStatus.procedureNotFound))
    }

    @Test func exProcessNotifyGetsACreateNotifyInfo() throws {
        let h = try KernelHarness()
        try h.driverModule(integrityForced: true)
        #expect(try h.call("PsSetCreateProcessNotifyRoutineEx", 0x1_4000_2000, 0) == 0)
        let routine = try #require(h.kernel.takeDeferredRoutines().first)
        #expect(routine.arguments[1] == 0x1A2C)
        #expect(try h.call("PsGetProcessId", routine.arguments[0]) == 0x1A2C)
        let info = routine.arguments[2]
        #expect(try h.kernel.readU64(info) == 0x48)
        #expect(try h.kernel.readU64(info + 0x10) == 0x1130)
        #expect(try h.kernel.readUnicodeString(try h.kernel.readU64(info + 0x30)) == "\\??\\C:\\Windows\\System32\\notepad.exe")
        #expect(try h.kernel.readUnicodeString(try h.kernel.readU64(info + 0x28) + 0x58) == "\\Windows\\System32\\notepad.exe")
        #expect(try h.call("PsSetCreateProcessNotifyRoutineEx2", 1, 0x1_4000_3000, 0) == UInt64(NTStatus.invalidParameter))
        // Terminating the process notifies its exit (CreateInfo NULL).
        #expect(try h.call("ZwTerminateProcess", try h.obOpenProcess(0x1A2C), 0) == 0)
        #expect(h.kernel.takeDeferredRoutines().last?.arguments == [routine.arguments[0], 0x1A2C, 0])
    }

    @Test func threadAndImageNotifyCarryTheirArguments() throws {
        let h = try KernelHarness()
        #expect(try h.call("PsSetCreateThreadNotifyRoutine", 0x1_4000_4000) == 0)
        #expect(try h.call("PsSetLoadImageNotifyRoutine", 0x1_4000_5000) == 0)
        #expect(try h.call("PsSetLoadImageNotifyRoutineEx", 0x1_4000_6000, 2) == UInt64(NTStatus.invalidParameter))
        let queued = h.kernel.takeDeferredRoutines()
        #expect(queued.first == DeferredRoutine(kind: "ThreadNotify", routine: 0x1_4000_4000, arguments: [0x1A2C, 0x1A30, 1]))
        let image = try #require(queued.last)
        #expect(image.kind == "ImageNotify" && image.arguments[1] == 0x1A2C)
        #expect(try h.kernel.readUnicodeString(image.arguments[0]) == "\\Device\\HarddiskVolume3\\Windows\\System32\\notepad.exe")
        #expect(try h.kernel.readU32(image.arguments[2]) & 0x400 != 0)
        #expect(try h.kernel.readU64(image.arguments[2] + 8) == 0x7FF6_1234_0000)
        #expect(try h.call("PsRemoveLoadImageNotifyRoutine", 0x1_4000_5000) == 0)
        #expect(try h.call("PsRemoveLoadImageNotifyRoutine", 0x1_4000_5000) == UInt64(NTStatus.procedureNotFound))
        #expect(try h.call("PsRemoveCreateThreadNotifyRoutine", 0x1_4000_4000) == 0)
    }

    /// OB_CALLBACK_REGISTRATION with one OB_OPERATION_REGISTRATION for `typeExport`.
    func registration(_ h: KernelHarness, version: UInt16 = 0x100, altitude: String, typeExport: String = "PsProcessType",
                      operations: UInt32 = 1, pre: UInt64 = 0x1_4000_7000) throws -> UInt64 {
        _ = try h.kernel.obModel()
        let registration = try h.buffer(0x60), op = registration + 0x30
        try h.kernel.writeU16(registration, version)
        try h.kernel.writeU16(registration + 2, 1)
        let name = try h.kernel.makeUnicodeString(altitude, name: "altitude")
        try h.kernel.writeBytes(registration + 8, try h.kernel.readBytes(name, count: 16))
        try h.kernel.writeU64(registration + 0x18, 0xC0C0)
        try h.kernel.writeU64(registration + 0x20, op)
        try h.kernel.writeU64(op, try #require(h.kernel.objects.dataExports[typeExport]))
        try h.kernel.writeU32(op + 8, operations)
        try h.kernel.writeU64(op + 0x10, pre)
        return registration
    }

    @Test func obRegisterCallbacksValidatesAndQueuesThePreOperation() throws {
        let h = try KernelHarness()
        try h.driverModule(integrityForced: true)
        let out = try h.buffer(8)
        #expect(try h.call("ObRegisterCallbacks", try registration(h, version: 0x200, altitude: "321000"), out)
            == UInt64(NTStatus.invalidParameter))
        #expect(try h.call("ObRegisterCallbacks", try registration(h, altitude: "321000", typeExport: "IoFileObjectType"), out)
            == UInt64(NTStatus.invalidParameter))
        #expect(try h.call("ObRegisterCallbacks", try registration(h, altitude: "321000", operations: 4), out)
            == UInt64(NTStatus.invalidParameter))
        #expect(try h.call("ObRegisterCallbacks", try registration(h, altitude: "321000", pre: 0), out)
            == UInt64(NTStatus.invalidParameter))
        #expect(h.kernel.takeDeferredRoutines().isEmpty)
        #expect(try h.call("ObRegisterCallbacks", try registration(h, altitude: "321000"), out) == 0)
        let handle = try h.kernel.readU64(out)
        #expect(handle != 0)
        let pre = try #require(h.kernel.takeDeferredRoutines().first)
        #expect(pre.kind == "ObjectCallback" && pre.routine == 0x1_4000_7000 && pre.arguments[0] == 0xC0C0)
        let info = pre.arguments[1]
        #expect(try h.kernel.readU32(info) == 1) // OB_OPERATION_HANDLE_CREATE
        #expect(try h.call("PsGetProcessId", try h.kernel.readU64(info + 8)) == 0x2E4)
        #expect(try h.kernel.readU64(info + 0x10) == (try h.obType("PsProcessType")))
        #expect(try h.kernel.readU32(try h.kernel.readU64(info + 0x20)) == 0x1F_FFFF)
        #expect(try h.call("ObRegisterCallbacks", try registration(h, altitude: "321000"), out)
            == UInt64(NTStatus.fltInstanceAltitudeCollision))
        try h.call("ObUnRegisterCallbacks", handle)
        #expect(try h.call("ObRegisterCallbacks", try registration(h, altitude: "321000"), out) == 0)
        #expect(try h.call("ObGetFilterVersion") == 0x100)
    }

    @Test func registryCallbacksHaveCookiesAndAltitudes() throws {
        let h = try KernelHarness()
        let cookie = try h.buffer(8), altitude = try h.kernel.makeUnicodeString("360000", name: "a")
        #expect(try h.call("CmRegisterCallbackEx", 0x1_4000_8000, altitude, 0, 0xABCD, cookie, 0) == 0)
        #expect(try h.call("CmRegisterCallbackEx", 0x1_4000_9000, altitude, 0, 0, cookie + 0, 0)
            == UInt64(NTStatus.fltInstanceAltitudeCollision))
        let routine = try #require(h.kernel.takeDeferredRoutines().first)
        #expect(routine.kind == "RegistryCallback" && routine.arguments[0] == 0xABCD && routine.arguments[1] == 26)
        #expect(try h.kernel.readUnicodeString(try h.kernel.readU64(routine.arguments[2]))
            == "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run")
        let id = try h.buffer(8), name = try h.buffer(8)
        #expect(try h.call("CmCallbackGetKeyObjectID", cookie, try h.kernel.readU64(routine.arguments[2] + 8), id, name) == 0)
        #expect(try h.kernel.readUnicodeString(try h.kernel.readU64(name)) == "\\REGISTRY\\MACHINE")
        let value = try h.kernel.readU64(cookie)
        #expect(try h.call("CmUnRegisterCallback", value) == 0)
        #expect(try h.call("CmUnRegisterCallback", value) == UInt64(NTStatus.invalidParameter))
    }

    @Test func executiveCallbackObjectsOpenRegisterAndNotify() throws {
        let h = try KernelHarness()
        let out = try h.buffer(8)
        #expect(try h.call("ExCreateCallback", out, try h.obAttributes("\\Callback\\PowerState"), 0, 1) == 0)
        let power = try h.kernel.readU64(out)
        #expect(try h.call("ExCreateCallback", out, try h.obAttributes("\\Callback\\Mine"), 0, 1)
            == UInt64(NTStatus.objectNameNotFound))
        #expect(try h.call("ExCreateCallback", out, try h.obAttributes("\\Callback\\Mine"), 1, 0) == 0)
        let mine = try h.kernel.readU64(out)
        let registration = try h.call("ExRegisterCallback", mine, 0x1_4000_A000, 0x77)
        #expect(registration != 0)
        #expect(try h.call("ExRegisterCallback", mine, 0x1_4000_B000, 0x78) == 0) // not AllowMultipleCallbacks
        #expect(try h.call("ExRegisterCallback", power, 0x1_4000_C000, 0x79) != 0)
        _ = h.kernel.takeDeferredRoutines()
        try h.call("ExNotifyCallback", mine, 5, 6)
        #expect(h.kernel.takeDeferredRoutines() == [DeferredRoutine(kind: "ExCallback", routine: 0x1_4000_A000, arguments: [0x77, 5, 6])])
        try h.call("ExUnregisterCallback", registration)
        try h.call("ExNotifyCallback", mine, 5, 6)
        #expect(h.kernel.takeDeferredRoutines().isEmpty)
        try h.call("ObfDereferenceObject", mine)
        try h.call("ObfDereferenceObject", power)
        #expect(h.kernel.findings.isEmpty)
    }

    @Test func shutdownAndBugCheckRegistrations() throws {
        let h = try KernelHarness()
        #expect(try h.call("IoRegisterShutdownNotification", 0xFFFF_A000_0000_1000) == 0)
        #expect(h.kernel.takeDeferredRoutines() == [DeferredRoutine(kind: "Shutdown", routine: 0, arguments: [0xFFFF_A000_0000_1000])])
        let record = try h.buffer(0x40), buffer = try h.buffer(0x10)
        #expect(try h.call("KeRegisterBugCheckCallback", record, 0x1_4000_D000, buffer, 0x10, 0) == 1)
        #expect(try h.kernel.readU8(record + 0x38) == 1)
        #expect(try h.call("KeRegisterBugCheckCallback", record, 0x1_4000_D000, buffer, 0x10, 0) == 0)
        #expect(try h.call("KeDeregisterBugCheckCallback", record) == 1)
        #expect(try h.call("KeDeregisterBugCheckCallback", record) == 0)
        let reason = try h.buffer(0x30)
        #expect(try h.call("KeRegisterBugCheckReasonCallback", reason, 0x1_4000_E000, 0, 0) == 0) // KbCallbackInvalid
        #expect(try h.call("KeRegisterBugCheckReasonCallback", reason, 0x1_4000_E000, 2, 0) == 1)
        let queued = h.kernel.takeDeferredRoutines().last
        #expect(queued?.kind == "BugCheckReasonCallback" && queued?.arguments[0] == 2 && queued?.arguments[1] == reason)
        #expect(try h.call("KeDeregisterBugCheckReasonCallback", reason) == 1)
    }
}

/// MmVerifyCallbackFunction: the documented registrations that need the callback's image to
/// be linked with /INTEGRITYCHECK (LDR entry Flags & 0x20), and the ones that do not.
struct CallbackIntegrityTests {
    let denied = UInt64(NTStatus.accessDenied)

    @Test func exProcessNotifyNeedsTheIntegrityFlagOfTheModuleHoldingTheRoutine() throws {
        let h = try KernelHarness()
        let entry = try h.driverModule(integrityForced: false)
        #expect(try h.call("PsSetCreateProcessNotifyRoutineEx", 0x1_4000_2000, 0) == denied)
        #expect(try h.call("PsSetCreateProcessNotifyRoutineEx2", 0, 0x1_4000_2000, 0) == denied)
        #expect(h.kernel.takeDeferredRoutines().isEmpty)
        // The classic routine has no such check.
        #expect(try h.call("PsSetCreateProcessNotifyRoutine", 0x1_4000_1000, 0) == 0)
        // Setting the flag in the module's own entry (DriverSection->Flags |= 0x20) lets it through.
        let flags = entry + UInt64(Layout.KldrDataTableEntry.flags)
        try h.kernel.writeU32(flags, try h.kernel.readU32(flags) | 0x20)
        #expect(try h.call("PsSetCreateProcessNotifyRoutineEx", 0x1_4000_2000, 0) == 0)
        #expect(try h.call("PsSetCreateProcessNotifyRoutineEx2", 0, 0x1_4000_3000, 0) == 0)
        // Removal is not checked.
        try h.kernel.writeU32(flags, try h.kernel.readU32(flags) & ~0x20)
        #expect(try h.call("PsSetCreateProcessNotifyRoutineEx", 0x1_4000_2000, 1) == 0)
    }

    @Test func aRoutineOutsideEveryModuleIsDenied() throws {
        let h = try KernelHarness()
        try h.driverModule(integrityForced: true)
        let pool = try h.call("ExAllocatePoolWithTag", 0, 0x100, 0x6B6F_6F48)
        #expect(try h.call("PsSetCreateProcessNotifyRoutineEx", pool, 0) == denied)
        #expect(try h.call("PsSetCreateProcessNotifyRoutineEx", 0x1_4001_0000, 0) == denied) // one past the image
    }

    @Test func theLoaderSetsTheFlagForImagesLinkedWithIntegrityCheck() throws {
        let h = try KernelHarness()
        for (characteristics, expected) in [(UInt16(0x0160), denied), (UInt16(0x01E0), UInt64(0))] {
            let image = try h.buffer(0x2000)
            try h.kernel.writeMinimalImageHeader(at: image, size: 0x2000)
            try h.kernel.writeU16(image + 0x80 + 0x18 + 0x46, characteristics)
            _ = try h.kernel.addDriverModule(base: image, size: 0x2000, entryPoint: image + 0x1000)
            #expect(try h.call("PsSetCreateProcessNotifyRoutineEx", image + 0x1000, 0) == expected)
        }
    }

    @Test func obRegisterCallbacksChecksEveryPreAndPostRoutine() throws {
        let h = try KernelHarness()
        let entry = try h.driverModule(integrityForced: false)
        let out = try h.buffer(8)
        let registration = try CallbacksTests().registration(h, altitude: "321000")
        #expect(try h.call("ObRegisterCallbacks", registration, out) == denied)
        let flags = entry + UInt64(Layout.KldrDataTableEntry.flags)
        try h.kernel.writeU32(flags, try h.kernel.readU32(flags) | 0x20)
        // A post-operation outside the module fails the registration as a whole.
        let pool = try h.call("ExAllocatePoolWithTag", 0x200, 0x100, 0x6B6F_6F48)
        try h.kernel.writeU64(registration + 0x30 + 0x18, pool)
        #expect(try h.call("ObRegisterCallbacks", registration, out) == denied)
        #expect(h.kernel.takeDeferredRoutines().isEmpty)
        try h.kernel.writeU64(registration + 0x30 + 0x18, 0x1_4000_7100)
        #expect(try h.call("ObRegisterCallbacks", registration, out) == 0)
        #expect(h.kernel.takeDeferredRoutines().map(\.routine) == [0x1_4000_7000, 0x1_4000_7100])
    }

    @Test func threadImageAndRegistryCallbacksAreNotChecked() throws {
        let h = try KernelHarness()
        try h.driverModule(integrityForced: false)
        #expect(try h.call("PsSetCreateThreadNotifyRoutineEx", 0, 0x1_4000_4000) == 0)
        #expect(try h.call("PsSetLoadImageNotifyRoutineEx", 0x1_4000_5000, 0) == 0)
        let cookie = try h.buffer(8), altitude = try h.kernel.makeUnicodeString("360000", name: "a")
        #expect(try h.call("CmRegisterCallbackEx", 0x1_4000_8000, altitude, 0, 0, cookie, 0) == 0)
    }
}
