/// I/O manager structures on x64 Windows 10/11 (wdm.h layouts).
extension Layout {
    /// IRP (0xD0 bytes), followed by its IO_STACK_LOCATIONs.
    public enum IRP {
        public static let type = 0x0, size = 0x2, mdlAddress = 0x8, flags = 0x10, systemBuffer = 0x18
        public static let ioStatusStatus = 0x30, ioStatusInformation = 0x38
        public static let requestorMode = 0x40, pendingReturned = 0x41, stackCount = 0x42, currentLocation = 0x43
        public static let cancel = 0x44, cancelIrql = 0x45, userIosb = 0x48, userEvent = 0x50
        public static let cancelRoutine = 0x68, userBuffer = 0x70, thread = 0x98
        public static let currentStackLocation = 0xB8, originalFileObject = 0xC0
        public static let totalSize = 0xD0
        public static let typeValue: UInt16 = 6
    }

    /// IO_STACK_LOCATION (0x48 bytes); `Parameters` is a 32-byte union at 0x8.
    public enum IoStackLocation {
        public static let majorFunction = 0x0, minorFunction = 0x1, flags = 0x2, control = 0x3
        public static let parameters = 0x8
        // Parameters.DeviceIoControl
        public static let outputBufferLength = 0x8, inputBufferLength = 0x10, ioControlCode = 0x18, type3InputBuffer = 0x20
        // Parameters.Read / Parameters.Write
        public static let length = 0x8, key = 0x10, byteOffset = 0x18
        // Parameters.Create
        public static let createOptions = 0x10, fileAttributes = 0x18, shareAccess = 0x1A
        public static let deviceObject = 0x28, fileObject = 0x30, completionRoutine = 0x38, context = 0x40
        public static let totalSize = 0x48
    }

    // FILE_OBJECT: Layout.FileObject is in Layouts+Objects.swift.

    /// IRP_MJ_* codes.
    public enum MajorFunction {
        public static let create = 0x00, close = 0x02, read = 0x03, write = 0x04, deviceControl = 0x0E
        public static let internalDeviceControl = 0x0F, shutdown = 0x10, cleanup = 0x12, power = 0x16, pnp = 0x1B
    }

    /// DEVICE_OBJECT.Flags bits that choose how read/write buffers are passed.
    public enum DeviceFlags {
        public static let bufferedIo: UInt32 = 0x4, directIo: UInt32 = 0x10, deviceInitializing: UInt32 = 0x80
    }
}
