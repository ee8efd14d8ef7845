/// Field offsets of the NT structures the model builds or reads, as on x64
/// Windows 10/11. One place for all of them; `LayoutTests` pins each value.
public enum Layout {
    /// UNICODE_STRING: USHORT Length, USHORT MaximumLength, PWSTR Buffer.
    public enum UnicodeString {
        public static let length = 0x0, maximumLength = 0x2, buffer = 0x8, size = 0x10
    }

    /// DRIVER_OBJECT (0x150 bytes).
    public enum DriverObject {
        public static let type = 0x0, size = 0x2, deviceObject = 0x8, flags = 0x10
        public static let driverStart = 0x18, driverSize = 0x20, driverSection = 0x28, driverExtension = 0x30
        public static let driverName = 0x38, hardwareDatabase = 0x48, fastIoDispatch = 0x50
        public static let driverInit = 0x58, driverStartIo = 0x60, driverUnload = 0x68, majorFunction = 0x70
        public static let majorFunctionCount = 28
        public static let totalSize = 0x150
        public static let typeValue: UInt16 = 4
    }

    /// DRIVER_EXTENSION.
    public enum DriverExtension {
        public static let driverObject = 0x0, addDevice = 0x8, count = 0x10, serviceKeyName = 0x18, totalSize = 0x40
    }

    /// DEVICE_OBJECT (0x150 bytes).
    public enum DeviceObject {
        public static let type = 0x0, size = 0x2, referenceCount = 0x4, driverObject = 0x8, nextDevice = 0x10
        public static let attachedDevice = 0x18, currentIrp = 0x20, flags = 0x30, characteristics = 0x34
        public static let deviceExtension = 0x40, deviceType = 0x48, stackSize = 0x4C
        public static let totalSize = 0x150
        public static let typeValue: UInt16 = 3
    }

    /// MDL header; the PFN array follows at `pfnArray`.
    public enum MDL {
        public static let next = 0x0, size = 0x8, mdlFlags = 0xA, process = 0x10, mappedSystemVa = 0x18
        public static let startVa = 0x20, byteCount = 0x28, byteOffset = 0x2C, pfnArray = 0x30
        public static let mappedToSystemVa: UInt16 = 0x0001, sourceIsNonpagedPool: UInt16 = 0x0004
        public static let pagesLocked: UInt16 = 0x0002
    }

    /// KPCR at GS base; the KPRCB is embedded at `prcb`.
    public enum KPCR {
        public static let selfPointer = 0x18, currentPrcb = 0x20, prcb = 0x180
        /// gs:[0x188] is KPRCB.CurrentThread (what KeGetCurrentThread reads).
        public static let currentThread = prcb + 0x8
        public static let totalSize = 0x8000
    }

    /// KTHREAD / ETHREAD fields the inline accessors read.
    public enum KThread {
        /// KTHREAD.ApcState.Process (PsGetCurrentProcess via the thread).
        public static let apcStateProcess = 0xB8
        public static let totalSize = 0x800
    }

    /// SYSTEM_CODEINTEGRITY_INFORMATION: ULONG Length, ULONG CodeIntegrityOptions.
    public enum CodeIntegrityInformation {
        public static let length = 0x0, options = 0x4, size = 0x8
        public static let enabled: UInt32 = 0x01
        public static let hvciKmciEnabled: UInt32 = 0x400
        /// CODEINTEGRITY_OPTION_HVCI_IUM_ENABLED: isolated user mode (VBS) is running, as it is
        /// whenever memory integrity is on (docs/configurations.md, "What the driver can ask").
        public static let hvciIumEnabled: UInt32 = 0x2000
    }

    /// KUSER_SHARED_DATA, mapped read-only at its fixed kernel address.
    public enum KUserSharedData {
        public static let kernelAddress: UInt64 = 0xFFFF_F780_0000_0000
        public static let tickCountMultiplier = 0x4, interruptTime = 0x8, systemTime = 0x14
        public static let ntMajorVersion = 0x26C, ntMinorVersion = 0x270, ntBuildNumber = 0x260
        public static let tickCount = 0x320
    }
}
