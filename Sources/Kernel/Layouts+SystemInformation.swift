/// The structures Zw/NtQuerySystemInformation fills (x64 Windows 10/11; the
/// classes are documented in winternl.h / the Windows internals literature).
extension Layout {
    /// SYSTEM_BASIC_INFORMATION (class 0, exactly 0x40 bytes): ULONG Reserved, TimerResolution,
    /// PageSize, NumberOfPhysicalPages, LowestPhysicalPageNumber, HighestPhysicalPageNumber,
    /// AllocationGranularity; ULONG_PTR MinimumUserModeAddress, MaximumUserModeAddress,
    /// ActiveProcessorsAffinityMask (8-aligned, so 4 bytes of padding at 0x1C); CCHAR NumberOfProcessors.
    public enum SystemBasicInformation {
        public static let reserved = 0x0, timerResolution = 0x4, pageSize = 0x8, numberOfPhysicalPages = 0xC
        public static let lowestPhysicalPageNumber = 0x10, highestPhysicalPageNumber = 0x14
        public static let allocationGranularity = 0x18, minimumUserModeAddress = 0x20
        public static let maximumUserModeAddress = 0x28, activeProcessorsAffinityMask = 0x30
        public static let numberOfProcessors = 0x38, size = 0x40
    }

    /// SYSTEM_PROCESSOR_INFORMATION (class 1, 12 bytes): USHORT ProcessorArchitecture,
    /// ProcessorLevel, ProcessorRevision, MaximumProcessors; ULONG ProcessorFeatureBits.
    public enum SystemProcessorInformation {
        public static let architecture = 0x0, level = 0x2, revision = 0x4, maximumProcessors = 0x6
        public static let featureBits = 0x8, size = 0xC
        /// PROCESSOR_ARCHITECTURE_AMD64.
        public static let amd64: UInt16 = 9
    }

    /// SYSTEM_TIMEOFDAY_INFORMATION (class 3, 0x30 bytes): BootTime, CurrentTime, TimeZoneBias
    /// (LARGE_INTEGERs), ULONG TimeZoneId, Reserved, ULONGLONG BootTimeBias, SleepTimeBias.
    public enum SystemTimeOfDayInformation {
        public static let bootTime = 0x0, currentTime = 0x8, timeZoneBias = 0x10, timeZoneId = 0x18
        public static let reserved = 0x1C, bootTimeBias = 0x20, sleepTimeBias = 0x28, size = 0x30
    }

    /// SYSTEM_PROCESS_INFORMATION (class 5, 0x100 bytes), each followed by NumberOfThreads
    /// SYSTEM_THREAD_INFORMATION entries; NextEntryOffset chains them, 0 ends the list.
    public enum SystemProcessInformation {
        public static let nextEntryOffset = 0x0, numberOfThreads = 0x4, createTime = 0x20
        public static let userTime = 0x28, kernelTime = 0x30, imageName = 0x38, basePriority = 0x48
        public static let uniqueProcessId = 0x50, inheritedFromUniqueProcessId = 0x58, handleCount = 0x60
        public static let sessionId = 0x64, uniqueProcessKey = 0x68, peakVirtualSize = 0x70
        public static let virtualSize = 0x78, pageFaultCount = 0x80, peakWorkingSetSize = 0x88
        public static let workingSetSize = 0x90, privatePageCount = 0xC8, size = 0x100
    }

    /// SYSTEM_THREAD_INFORMATION (0x50 bytes): KernelTime, UserTime, CreateTime, ULONG WaitTime,
    /// PVOID StartAddress, CLIENT_ID ClientId, KPRIORITY Priority, LONG BasePriority,
    /// ULONG ContextSwitches, ThreadState, WaitReason.
    public enum SystemThreadInformation {
        public static let kernelTime = 0x0, userTime = 0x8, createTime = 0x10, waitTime = 0x18
        public static let startAddress = 0x20, uniqueProcess = 0x28, uniqueThread = 0x30
        public static let priority = 0x38, basePriority = 0x3C, contextSwitches = 0x40
        public static let threadState = 0x44, waitReason = 0x48, size = 0x50
    }

    /// RTL_PROCESS_MODULES (class 11): ULONG NumberOfModules, then (8-aligned) an array of
    /// RTL_PROCESS_MODULE_INFORMATION (0x128 bytes): HANDLE Section, PVOID MappedBase,
    /// PVOID ImageBase, ULONG ImageSize, ULONG Flags, USHORT LoadOrderIndex, InitOrderIndex,
    /// LoadCount, OffsetToFileName, UCHAR FullPathName[256].
    public enum RtlProcessModules {
        public static let numberOfModules = 0x0, modules = 0x8
        public static let section = 0x0, mappedBase = 0x8, imageBase = 0x10, imageSize = 0x18
        public static let flags = 0x1C, loadOrderIndex = 0x20, initOrderIndex = 0x22, loadCount = 0x24
        public static let offsetToFileName = 0x26, fullPathName = 0x28, fullPathNameLength = 256
        public static let moduleSize = 0x128
    }

    /// SYSTEM_KERNEL_DEBUGGER_INFORMATION (class 35): BOOLEAN KernelDebuggerEnabled,
    /// BOOLEAN KernelDebuggerNotPresent.
    public enum SystemKernelDebuggerInformation {
        public static let enabled = 0x0, notPresent = 0x1, size = 0x2
    }
}
