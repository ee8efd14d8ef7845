import CPU

extension MemoryModel {
    /// The bytes of the instruction at `address` (its length from the pure-Swift
    /// decoder; up to 15 bytes, fewer at the end of the mapped range), or none
    /// if nothing is mapped there. Reports disassemble them after the run.
    public func instructionBytes(at address: UInt64) -> [UInt8] {
        let toPageEnd = Int(PageGeometry.pageSize - address % PageGeometry.pageSize)
        guard let bytes = (try? engine.readMemory(address, count: 15))
                ?? (try? engine.readMemory(address, count: min(15, toPageEnd))) else { return [] }
        return Array(bytes.prefix(InstructionDecoder.length(of: bytes) ?? bytes.count))
    }
}
