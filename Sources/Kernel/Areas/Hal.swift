/// The kernel model's hal.dll and port I/O (READ_PORT_*/WRITE_PORT_*, HalGetBusDataByOffset, HalSetBusDataByOffset, HalTranslateBusAddress, KeQueryActiveProcessors, MmMapIoSpace(Ex)/MmUnmapIoSpace).
enum HalArea {
    static let handlers: [String: KernelHandler] = [:]
}
