/// Field offsets of the KMDF structures the framework model reads or writes,
/// as the x64 KMDF 1.33 headers lay them out (older versions are prefixes:
/// a driver's `Size` field says how much of a structure it passed).
enum WdfLayout {
    /// WDF_BIND_INFO (0x30 bytes); WDF_BIND_INFO2 adds five pointers (0x58 bytes).
    enum BindInfo {
        static let size = 0x0, component = 0x8, major = 0x10, minor = 0x14, build = 0x18
        static let funcCount = 0x1C, funcTable = 0x20, module = 0x28
        static let minimumVersionRequired = 0x30, clientVersionHigherThanFramework = 0x38
        static let funcCountPointer = 0x40, structCountPointer = 0x48, structTable = 0x50
        static let size2 = 0x58
    }

    /// WDF_DRIVER_GLOBALS (0x38 bytes).
    enum DriverGlobals {
        static let driver = 0x0, driverFlags = 0x8, driverTag = 0xC, driverName = 0x10, nameLength = 32
        static let totalSize = 0x38
    }

    /// WDF_OBJECT_ATTRIBUTES (0x38 bytes).
    enum ObjectAttributes {
        static let size = 0x0, cleanup = 0x8, destroy = 0x10, executionLevel = 0x18, synchronizationScope = 0x1C
        static let parent = 0x20, contextSizeOverride = 0x28, contextTypeInfo = 0x30
    }

    /// WDF_OBJECT_CONTEXT_TYPE_INFO (0x28 bytes).
    enum ContextTypeInfo {
        static let size = 0x0, name = 0x8, contextSize = 0x10, uniqueType = 0x18, getUniqueType = 0x20
    }

    /// WDF_DRIVER_CONFIG (0x20 bytes).
    enum DriverConfig {
        static let size = 0x0, deviceAdd = 0x8, unload = 0x10, initFlags = 0x18, poolTag = 0x1C
        static let nonPnpDriver: UInt32 = 0x1, noDispatchOverride: UInt32 = 0x2
    }

    /// WDF_FILEOBJECT_CONFIG (0x28 bytes).
    enum FileObjectConfig {
        static let size = 0x0, fileCreate = 0x8, fileClose = 0x10, fileCleanup = 0x18
    }

    /// WDF_PNPPOWER_EVENT_CALLBACKS (0x90 bytes).
    enum PnpPowerCallbacks {
        static let size = 0x0, d0Entry = 0x8, d0Exit = 0x18, prepareHardware = 0x28, releaseHardware = 0x30
        static let selfManagedIoCleanup = 0x38, selfManagedIoInit = 0x48
    }

    /// WDF_IO_QUEUE_CONFIG (0x60 bytes at 1.33; 0x50 before Settings/Driver).
    enum IoQueueConfig {
        static let size = 0x0, dispatchType = 0x4, powerManaged = 0x8, allowZeroLength = 0xC, defaultQueue = 0xD
        static let ioDefault = 0x10, ioRead = 0x18, ioWrite = 0x20, ioDeviceControl = 0x28
        static let ioInternalDeviceControl = 0x30, ioStop = 0x38, ioResume = 0x40, ioCanceledOnQueue = 0x48
    }

    /// WDF_REQUEST_PARAMETERS (0x28 bytes).
    enum RequestParameters {
        static let size = 0x0, minorFunction = 0x2, type = 0x4
        static let outputBufferLength = 0x8, inputBufferLength = 0x10, ioControlCode = 0x18, type3InputBuffer = 0x20
        static let length = 0x8, key = 0x10, deviceOffset = 0x18
        static let totalSize = 0x28
    }

    /// WDF_TIMER_CONFIG / WDF_WORKITEM_CONFIG / WDF_DPC_CONFIG: the callback follows Size.
    enum CallbackConfig {
        static let callback = 0x8, timerPeriod = 0x10
    }
}
