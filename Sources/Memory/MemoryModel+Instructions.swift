import CPU

extension MemoryModel {
    /// The bytes of the instruction at `address` (its length from the pure-Swift
    /// decoder; up to 15 bytes, fewer at the end of the mapped range), or none
    /// if nothing is mapped there. Reports disassemble them after the run.
    public func instructionBytes(at address: UInt64) -> [UInt8] {
        guard let bytes = instructionWindow(at: address) else { return [] }
        return Array(bytes.prefix(InstructionDecoder.length(of: bytes) ?? bytes.count))
    }

    /// The length of the instruction at `address` (pure-Swift decoder, no Capstone), or nil if
    /// nothing is mapped there or the bytes are not an instruction.
    func instructionLength(at address: UInt64) -> Int? {
        instructionWindow(at: address).flatMap { InstructionDecoder.length(of: $0) }
    }

    /// Up to 15 bytes at `address` (x86's longest instruction), fewer when the next page is unmapped.
    private func instructionWindow(at address: UInt64) -> [UInt8]? {
        if let bytes = try? engine.readMemory(address, count: 15) { return bytes }
        let toPageEnd = Int(PageGeometry.pageSize - address % PageGeometry.pageSize)
        return try? engine.readMemory(address, count: min(15, toPageEnd))
    }
}
