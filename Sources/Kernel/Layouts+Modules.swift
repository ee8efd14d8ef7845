/// Loader and configuration structures (x64 Windows 10/11).
extension Layout {
    /// KLDR_DATA_TABLE_ENTRY (0xA0 bytes): one loaded kernel module, linked by
    /// InLoadOrderLinks into PsLoadedModuleList; DRIVER_OBJECT.DriverSection points at
    /// the driver's own entry.
    public enum KldrDataTableEntry {
        public static let inLoadOrderLinks = 0x0, exceptionTable = 0x10, exceptionTableSize = 0x18
        public static let gpValue = 0x20, nonPagedDebugInfo = 0x28, dllBase = 0x30, entryPoint = 0x38
        public static let sizeOfImage = 0x40, fullDllName = 0x48, baseDllName = 0x58, flags = 0x68
        public static let loadCount = 0x6C, signatureInfo = 0x6E, sectionPointer = 0x70, checkSum = 0x78
        public static let loadedImports = 0x88, sizeOfImageNotRounded = 0x98, timeDateStamp = 0x9C
        public static let totalSize = 0xA0
        /// LDRP_IMAGE_INTEGRITY_FORCED: the image was linked with /INTEGRITYCHECK
        /// (IMAGE_DLLCHARACTERISTICS_FORCE_INTEGRITY); MmVerifyCallbackFunction requires it of
        /// Ps*NotifyRoutineEx and ObRegisterCallbacks callers.
        public static let integrityForced: UInt32 = 0x20
        /// LDRP_ENTRY_PROCESSED: the entry point has been called (set for every loaded module).
        public static let entryProcessed: UInt32 = 0x4000
    }

    /// PHYSICAL_MEMORY_RANGE: PHYSICAL_ADDRESS BaseAddress, LARGE_INTEGER NumberOfBytes.
    public enum PhysicalMemoryRange {
        public static let baseAddress = 0x0, numberOfBytes = 0x8, size = 0x10
    }

    /// CONFIGURATION_INFORMATION (0x28 bytes), what IoGetConfigurationInformation points at.
    public enum ConfigurationInformation {
        public static let diskCount = 0x0, floppyCount = 0x4, cdRomCount = 0x8, tapeCount = 0xC
        public static let scsiPortCount = 0x10, serialCount = 0x14, parallelCount = 0x18
        public static let atDiskPrimaryAddressClaimed = 0x1C, atDiskSecondaryAddressClaimed = 0x1D
        public static let version = 0x20, mediumChangerCount = 0x24, totalSize = 0x28
    }
}
