import Memory

/// What the kernel tells a driver about the machine's configuration: the
/// physical memory ranges (MmGetPhysicalMemoryRanges), the legacy device
/// counts (IoGetConfigurationInformation) and the registered device interfaces
/// (IoGetDeviceInterfaces). The model's machine has one disk on one storage
/// adapter, no legacy floppy, CD-ROM, tape, serial or parallel device, and no
/// device interfaces a driver could open.
enum ConfigurationArea {
    static let handlers: [KernelExport] = [
        .ntoskrnl("MmGetPhysicalMemoryRanges") { try physicalMemoryRanges($0) },
        .ntoskrnl("MmGetPhysicalMemoryRangesEx") { try physicalMemoryRanges($0) },
        .ntoskrnl("MmGetPhysicalMemoryRangesEx2") { try physicalMemoryRanges($0) },
        .ntoskrnl("IoGetConfigurationInformation") { call in try configurationInformation(call.kernel) },
        .ntoskrnl("IoGetDeviceInterfaces") { try deviceInterfaces($0) },
    ]

    /// Pool tag of the buffers these DDIs hand out for the caller to free ('Cnfg').
    static let tag: UInt32 = 0x6766_6E43

    /// MmGetPhysicalMemoryRanges() -> PPHYSICAL_MEMORY_RANGE: a non-paged pool array the
    /// caller frees with ExFreePool, one entry per run of RAM and a final entry of zeros.
    /// The model's RAM is the guest-physical range its frames come from, so the ranges agree
    /// with MmGetPhysicalAddress. (The Ex variants take a partition / flags; same answer.)
    static func physicalMemoryRanges(_ call: KernelCall) throws -> UInt64 {
        typealias R = Layout.PhysicalMemoryRange
        let kernel = call.kernel, ram = kernel.memory.physicalMemoryRange
        let ranges = [ram]
        let size = UInt64((ranges.count + 1) * R.size)
        let array = try kernel.allocatePool(size: size, tag: tag, poolType: 0x200, executable: false)
        guard array != 0 else { return 0 }
        for (index, range) in ranges.enumerated() {
            let entry = array &+ UInt64(index * R.size)
            try kernel.writeU64(entry &+ UInt64(R.baseAddress), range.lowerBound)
            try kernel.writeU64(entry &+ UInt64(R.numberOfBytes), range.upperBound &- range.lowerBound)
        }
        try kernel.fill(array &+ UInt64(ranges.count * R.size), count: R.size)
        call.note("RAM 0x\(String(ram.lowerBound, radix: 16))-0x\(String(ram.upperBound, radix: 16))")
        return array
    }

    final class Information {
        var address: UInt64 = 0
    }

    /// IoGetConfigurationInformation() -> PCONFIGURATION_INFORMATION: a pointer to the I/O
    /// manager's own (permanent, shared) structure of device counts, which class drivers
    /// bump as they create devices. Always the same address.
    static func configurationInformation(_ kernel: Kernel) throws -> UInt64 {
        typealias C = Layout.ConfigurationInformation
        let information = kernel.state(Information.self) { Information() }
        if information.address != 0 { return information.address }
        let address = try kernel.heap.allocate(C.totalSize, name: "CONFIGURATION_INFORMATION")
        try kernel.writeU32(address &+ UInt64(C.diskCount), 1)
        try kernel.writeU32(address &+ UInt64(C.scsiPortCount), 1)
        information.address = address
        return address
    }

    /// IoGetDeviceInterfaces(InterfaceClassGuid, PhysicalDeviceObject, Flags, *SymbolicLinkList):
    /// STATUS_SUCCESS and a paged-pool MULTI_SZ of the matching interfaces' symbolic links,
    /// which the caller frees with ExFreePool. No interface is registered in the model, so the
    /// list is empty: nothing but its terminating NULs.
    static func deviceInterfaces(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, out = try call.arg(3)
        guard try call.arg(0) != 0, out != 0 else { return UInt64(NTStatus.invalidParameter) }
        let list = try kernel.allocatePool(size: 4, tag: tag, poolType: 1, executable: false)
        guard list != 0 else { return UInt64(NTStatus.insufficientResources) }
        try kernel.writeU32(list, 0)
        try kernel.writeU64(out, list)
        call.note("no device interfaces registered")
        return UInt64(NTStatus.success)
    }
}
