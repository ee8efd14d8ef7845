/// MmCopyMemory: a copy that fails with a status instead of a bug check when
/// the source is not there. No argument of it asks for executable memory, so
/// Driver Verifier has nothing to check here (docs/ddi-checks.md).
extension MemoryManagerArea {
    static let copyPhysical: UInt32 = 0x1 // MM_COPY_MEMORY_PHYSICAL
    static let copyVirtual: UInt32 = 0x2 // MM_COPY_MEMORY_VIRTUAL

    /// NTSTATUS MmCopyMemory(PVOID TargetAddress, MM_COPY_ADDRESS SourceAddress, SIZE_T NumberOfBytes,
    ///                       ULONG Flags, PSIZE_T NumberOfBytesTransferred)
    /// MM_COPY_ADDRESS is an 8-byte union passed by value (in RDX).
    static func copyMemory(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel
        let target = try call.arg(0), source = try call.arg(1), count = try call.arg(2), flags = try call.arg32(3)
        let transferredOut = try call.arg(4)
        let physical = flags == copyPhysical
        call.note("\(physical ? "physical" : "virtual") 0x\(String(source, radix: 16)), \(count) bytes")
        guard flags == copyPhysical || flags == copyVirtual else {
            if transferredOut != 0 { try kernel.writeU64(transferredOut, 0) }
            return UInt64(NTStatus.invalidParameter)
        }
        let total = Int(min(count, UInt64(PoolArea.maxAllocation)))
        var copied = 0
        while copied < total {
            let (address, overflow) = source.addingReportingOverflow(UInt64(copied))
            if overflow { break }
            let chunk = min(total - copied, 0x1000 - Int(address & 0xFFF))
            let bytes: [UInt8]
            if physical {
                bytes = kernel.memory.readPhysical(address, count: chunk)
            } else {
                bytes = (try? kernel.readBytes(address, count: chunk)) ?? []
            }
            if !bytes.isEmpty { try kernel.writeBytes(target &+ UInt64(copied), bytes) }
            copied += bytes.count
            if bytes.count < chunk { break }
        }
        if transferredOut != 0 { try kernel.writeU64(transferredOut, UInt64(copied)) }
        if copied == total, UInt64(total) == count { return UInt64(NTStatus.success) }
        call.note("copied \(copied) of \(count) bytes")
        return UInt64(NTStatus.accessViolation)
    }
}
