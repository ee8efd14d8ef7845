import CPU

/// Finds the instruction that made a memory access. Unicorn 2.0.1 leaves RIP
/// at the start of the translated block while a block runs, in fault hooks and
/// after a stop alike (`PreciseRIPTests`), so the model decodes forward from
/// there and takes the first instruction whose memory operand, computed with
/// the registers as they are now, is the faulting address. Instructions before
/// the faulting one have run, so the registers it reads are current.
struct FaultLocator {
    let engine: Engine
    let disassembler: Disassembler
    static let maxInstructions = 256

    func instruction(from blockStart: UInt64, accessing address: UInt64, size: Int, write: Bool) -> Instruction? {
        var pc = blockStart
        for _ in 0..<Self.maxInstructions {
            guard let insn = disassembler.decode(in: engine, at: pc) else { return nil }
            // A store's memory operand is its destination: the first operand (Intel syntax).
            let destinationIsMemory = insn.operands.split(separator: ",").first?.contains("[") ?? false
            if !write || destinationIsMemory, let target = memoryOperand(of: insn),
               address >= target, address - target < UInt64(max(size, 1)) + 32 {
                return insn
            }
            // Implicit stack writes (push, call) address RSP.
            if insn.mnemonic.hasPrefix("push") || insn.mnemonic.hasPrefix("call"),
               let rsp = try? engine.read(.rsp), address == rsp &- 8 || address == rsp &- 2 || address == rsp &- 4 {
                return insn
            }
            if ["ret", "jmp", "hlt"].contains(insn.mnemonic) { return nil }
            pc &+= UInt64(insn.length)
        }
        return nil
    }

    /// The effective address of the instruction's `[...]` operand, if it has one.
    func memoryOperand(of insn: Instruction) -> UInt64? {
        let text = insn.operands
        guard let open = text.firstIndex(of: "["), let close = text[open...].firstIndex(of: "]") else { return nil }
        var total: UInt64 = 0
        let prefix = text[..<open]
        if prefix.hasSuffix("gs:") { total = (try? engine.read(.gsBase)) ?? 0 }
        if prefix.hasSuffix("fs:") { total = (try? engine.read(.fsBase)) ?? 0 }
        var sign: UInt64 = 1
        for token in text[text.index(after: open)..<close].split(separator: " ") {
            if token == "+" { sign = 1; continue }
            if token == "-" { sign = UInt64.max; continue }
            var term: UInt64
            if let star = token.firstIndex(of: "*") {
                guard let reg = value(of: String(token[..<star]), insn: insn),
                      let scale = UInt64(token[token.index(after: star)...]) else { return nil }
                term = reg &* scale
            } else if let reg = value(of: String(token), insn: insn) {
                term = reg
            } else if token.hasPrefix("0x"), let literal = UInt64(token.dropFirst(2), radix: 16) {
                term = literal
            } else if let literal = UInt64(token) {
                term = literal
            } else {
                return nil
            }
            total = total &+ sign &* term
        }
        return total
    }

    private func value(of name: String, insn: Instruction) -> UInt64? {
        if name == "rip" { return insn.address &+ UInt64(insn.length) }
        let names64: [String: Register] = [
            "rax": .rax, "rbx": .rbx, "rcx": .rcx, "rdx": .rdx, "rsi": .rsi, "rdi": .rdi, "rbp": .rbp, "rsp": .rsp,
            "r8": .r8, "r9": .r9, "r10": .r10, "r11": .r11, "r12": .r12, "r13": .r13, "r14": .r14, "r15": .r15,
        ]
        if let register = names64[name] { return try? engine.read(register) }
        let names32: [String: Register] = [
            "eax": .rax, "ebx": .rbx, "ecx": .rcx, "edx": .rdx, "esi": .rsi, "edi": .rdi, "ebp": .rbp, "esp": .rsp,
            "r8d": .r8, "r9d": .r9, "r10d": .r10, "r11d": .r11, "r12d": .r12, "r13d": .r13, "r14d": .r14, "r15d": .r15,
        ]
        if let register = names32[name] { return (try? engine.read(register)).map { $0 & 0xFFFF_FFFF } }
        return nil
    }
}

extension MemoryModel {
    /// The address of the instruction that made `access` (RIP itself for fetches and
    /// when the instruction cannot be located).
    func faultingInstructionAddress(_ access: MemoryAccess) -> UInt64 {
        let rip = (try? engine.read(.rip)) ?? 0
        if access.kind.isFetch { return access.address }
        guard let disassembler,
              let insn = FaultLocator(engine: engine, disassembler: disassembler)
                .instruction(from: rip, accessing: access.address, size: access.size,
                                   write: access.kind.isWrite) else { return rip }
        return insn.address
    }
}
