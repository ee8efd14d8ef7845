/// Kernel variables drivers import as data (`KeTickCount`, `PsProcessType`,
/// …): real objects in kernel memory, so a driver dereferencing one reads
/// something sensible instead of jumping into a trampoline.
enum DataExports {
    /// Where data exports are implemented, for `hvcisim apis --where`.
    static let file = KernelExport.packageRelative(#filePath)

    /// name → (bytes, initial value written as little-endian UInt64 at offset 0).
    static func install(in kernel: Kernel) throws {
        let objectType = try kernel.heap.allocate(0x100, name: "OBJECT_TYPE")
        let systemProcess = kernel.processor.process
        let values: [(String, Int, UInt64)] = [
            ("KeTickCount", 16, 0),
            ("NtBuildNumber", 8, 0xF000_0000 | 19045),
            ("InitSafeBootMode", 8, 0),
            ("KdDebuggerEnabled", 8, 0),
            ("KdDebuggerNotPresent", 8, 1),
            ("KeNumberProcessors", 8, 1),
            ("MmSystemRangeStart", 8, 0xFFFF_8000_0000_0000),
            ("MmHighestUserAddress", 8, 0x7FFF_FFFE_FFFF),
            ("MmUserProbeAddress", 8, 0x7FFF_FFFF_0000),
            ("MmBadPointer", 8, 0),
            ("PsInitialSystemProcess", 8, systemProcess),
            ("SeExports", 0x200, 0),
            ("HalDispatchTable", 0x100, 1),
            ("HalPrivateDispatchTable", 0x400, 1),
            ("NlsMbCodePageTag", 8, 0),
            ("NlsMbOemCodePageTag", 8, 0),
            // LIST_ENTRY head of KLDR_DATA_TABLE_ENTRYs (Areas/Modules.swift fills it on demand),
            // and the ERESOURCE drivers hold while walking it.
            ("PsLoadedModuleList", 16, 0),
            ("PsLoadedModuleResource", Layout.Dispatcher.EResource.totalSize, 0),
        ] + ["PsProcessType", "PsThreadType", "IoFileObjectType", "ExEventObjectType", "IoDeviceObjectType",
             "IoDriverObjectType", "SeTokenObjectType", "PsJobType", "ExSemaphoreObjectType", "CmKeyObjectType",
             "ExDesktopObjectType", "ExWindowStationObjectType", "MmSectionObjectType", "TmEnlistmentObjectType",
             "TmResourceManagerObjectType", "TmTransactionManagerObjectType", "TmTransactionObjectType",
             "IoCompletionObjectType", "ExTimerObjectType", "LpcPortObjectType", "AlpcPortObjectType"]
            .map { ($0, 8, objectType) }
        for (name, size, value) in values {
            let address = try kernel.heap.allocate(size, name: name)
            try kernel.writeU64(address, value)
            kernel.objects.dataExports[name] = address
        }
    }

    /// Fills the object behind a data export whose contents are built on first use, before
    /// the driver gets its address: the module list, SeExports and the OBJECT_TYPEs (a driver
    /// may read them directly, without any kernel call that would have built them).
    static func prepare(_ name: String, in kernel: Kernel) throws {
        if name == "PsLoadedModuleList" {
            try kernel.loadedModules()
        } else if name == "SeExports" || Kernel.objectTypeExports.contains(where: { $0.0 == name }) {
            _ = try kernel.obModel()
        }
    }

    /// Names `hvcisim apis` lists as modeled data exports.
    static var names: [String] {
        ["KeTickCount", "NtBuildNumber", "InitSafeBootMode", "KdDebuggerEnabled", "KdDebuggerNotPresent",
         "KeNumberProcessors", "MmSystemRangeStart", "MmHighestUserAddress", "MmUserProbeAddress", "MmBadPointer",
         "PsInitialSystemProcess", "SeExports", "HalDispatchTable", "HalPrivateDispatchTable", "NlsMbCodePageTag",
         "NlsMbOemCodePageTag", "PsLoadedModuleList", "PsLoadedModuleResource", "PsProcessType", "PsThreadType", "IoFileObjectType", "ExEventObjectType",
         "IoDeviceObjectType", "IoDriverObjectType", "SeTokenObjectType", "PsJobType", "ExSemaphoreObjectType",
         "CmKeyObjectType", "ExDesktopObjectType", "ExWindowStationObjectType", "MmSectionObjectType",
         "TmEnlistmentObjectType", "TmResourceManagerObjectType", "TmTransactionManagerObjectType",
         "TmTransactionObjectType", "IoCompletionObjectType", "ExTimerObjectType", "LpcPortObjectType",
         "AlpcPortObjectType"]
    }
}
