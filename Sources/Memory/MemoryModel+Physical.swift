extension MemoryModel {
    /// Reads guest-physical memory (MmCopyMemory with MM_COPY_MEMORY_PHYSICAL):
    /// the bytes of allocated frames from `address` on, stopping at the first
    /// frame that is not RAM the model handed out. Never traps; at most `count`
    /// bytes are returned, possibly fewer.
    public func readPhysical(_ address: UInt64, count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(max(0, min(count, 1 << 20)))
        var cursor = address
        while bytes.count < count {
            let pfn = cursor >> 12
            guard let host = frames.host(PFN(pfn)) else { break }
            let offset = Int(cursor & 0xFFF)
            let chunk = min(count - bytes.count, 0x1000 - offset)
            let source = UnsafeRawBufferPointer(start: host + offset, count: chunk)
            bytes.append(contentsOf: source)
            let (next, overflow) = cursor.addingReportingOverflow(UInt64(chunk))
            if overflow { break }
            cursor = next
        }
        return bytes
    }
}
