import CCapstone

/// One decoded x86-64 instruction.
public struct Instruction: Sendable, Hashable, CustomStringConvertible {
    public var address: UInt64
    /// Length in bytes (what to add to RIP to skip it).
    public var length: Int
    public var mnemonic: String
    public var operands: String
    public var bytes: [UInt8]

    /// "mnemonic operands", e.g. "mov qword ptr [rax], rbx".
    public var text: String { operands.isEmpty ? mnemonic : "\(mnemonic) \(operands)" }
    public var description: String { "0x\(String(address, radix: 16)): \(text)" }
}

/// Capstone in x86-64 mode (Intel syntax). The library is loaded on the
/// first `Disassembler()` (see CapstoneLibrary).
public final class Disassembler {
    private var handle: csh = 0
    private let capstone: CapstoneLibrary

    public init() throws(EngineError) {
        capstone = try CapstoneLibrary.shared.get()
        guard capstone.open(CS_ARCH_X86, CS_MODE_64, &handle) == CS_ERR_OK else {
            throw .disassembly("cs_open failed")
        }
    }

    deinit { _ = capstone.close(&handle) }

    /// Decodes the first instruction of `bytes`, taken to start at `address`.
    /// Returns nil if the bytes do not begin with a valid instruction (x86 needs at most 15).
    public func decode(_ bytes: [UInt8], at address: UInt64) -> Instruction? {
        guard !bytes.isEmpty else { return nil }
        var decoded: UnsafeMutablePointer<cs_insn>?
        let count = bytes.withUnsafeBufferPointer { buffer in
            capstone.disasm(handle, buffer.baseAddress, buffer.count, address, 1, &decoded)
        }
        guard count > 0, let decoded else { return nil }
        defer { capstone.free(decoded, count) }
        let insn = decoded.pointee
        let length = Int(insn.size)
        let mnemonic = withUnsafeBytes(of: insn.mnemonic) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let operands = withUnsafeBytes(of: insn.op_str) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return Instruction(address: address, length: length, mnemonic: mnemonic, operands: operands,
                           bytes: Array(bytes.prefix(length)))
    }

    /// Decodes the instruction at `address` in the engine's memory (reads up to 15 bytes,
    /// fewer if the next page is unmapped).
    public func decode(in engine: Engine, at address: UInt64) -> Instruction? {
        let pageRemaining = Int(Engine.pageSize - address % Engine.pageSize)
        if let bytes = try? engine.readMemory(address, count: 15) { return decode(bytes, at: address) }
        guard let bytes = try? engine.readMemory(address, count: min(15, pageRemaining)) else { return nil }
        return decode(bytes, at: address)
    }
}
