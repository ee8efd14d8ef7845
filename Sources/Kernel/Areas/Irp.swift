/// The kernel model's IRPs and device stacks (IoAllocateIrp, IoFreeIrp, IofCallDriver, IoBuildDeviceIoControlRequest, IoBuildSynchronousFsdRequest, IoGetDeviceObjectPointer, IoAttachDeviceToDeviceStack, IoDetachDevice, IoGetRelatedDeviceObject, IoCancelIrp, error log entries, …).
enum IrpArea {
    static let handlers: [String: KernelHandler] = [:]
}
