import CPU

/// Finds the instruction that made a memory access. Unicorn 2.0.1 leaves RIP
/// at the start of the translated block while a block runs, in fault hooks and
/// after a stop alike (`PreciseRIPTests`), so the model decodes forward from
/// there and takes the first instruction whose memory operand, computed with
/// the registers as they are now, is the faulting address. Instructions before
/// the faulting one have run, so the registers it reads are current.
///
/// Decoding uses `InstructionDecoder` (pure Swift), not Capstone, so a fault does
/// not load Capstone's tables. The rules:
/// - an explicit memory operand matches when the faulting address lies in
///   [operand, operand + size + 32); for a write fault only operands the
///   instruction writes or may write count (`mayWriteMemoryOperand`), for a read
///   fault any operand it accesses (not LEA's or a prefetch's);
/// - string instructions match through [rsi] (read) and [rdi] (written or read),
///   by the same window;
/// - push and call match their implicit stack write at RSP - 8 (or - 2, - 4);
/// - decoding stops at ret, an unconditional jmp and hlt (the block ends there),
///   at undecodable bytes, and after `maxInstructions`.
struct FaultLocator {
    let engine: Engine
    static let maxInstructions = 256

    /// The address of the instruction that accessed `address`, or nil when none is found.
    func instruction(from blockStart: UInt64, accessing address: UInt64, size: Int, write: Bool) -> UInt64? {
        var pc = blockStart
        let window = UInt64(max(size, 1)) + 32
        func hits(_ target: UInt64?) -> Bool {
            guard let target else { return false }
            return address >= target && address - target < window
        }
        for _ in 0..<Self.maxInstructions {
            guard let insn = decode(at: pc) else { return nil }
            let end = pc &+ UInt64(insn.length)
            if let memory = insn.memoryOperand,
               write ? insn.mayWriteMemoryOperand : insn.memoryAccess != .none,
               hits(memory.effectiveAddress(instructionEnd: end, register: register, segmentBase: { segmentBase($0) })) {
                return pc
            }
            let strings = insn.stringOperands
            if !strings.isEmpty {
                let mask: UInt64 = insn.addressSize32 ? 0xFFFF_FFFF : .max
                let source = (try? engine.read(.rsi)).map { ($0 & mask) &+ (insn.segmentOverride.map { segmentBase($0) } ?? 0) }
                let destination = (try? engine.read(.rdi)).map { $0 & mask }
                if write {
                    if strings.contains(.writesDestination), hits(destination) { return pc }
                } else {
                    if strings.contains(.readsSource), hits(source) { return pc }
                    if strings.contains(.readsDestination), hits(destination) { return pc }
                }
            }
            // Implicit stack writes (push, call) address RSP.
            if insn.kind == .push || insn.kind == .call,
               let rsp = try? engine.read(.rsp), address == rsp &- 8 || address == rsp &- 2 || address == rsp &- 4 {
                return pc
            }
            switch insn.kind {
            case .ret, .jump, .halt: return nil
            default: pc = end
            }
        }
        return nil
    }

    /// Decodes the instruction at `address` from the engine's memory (up to 15 bytes, fewer
    /// when the next page is unmapped).
    private func decode(at address: UInt64) -> DecodedInstruction? {
        if let bytes = try? engine.readMemory(address, count: 15) { return InstructionDecoder.decode(bytes) }
        let pageRemaining = Int(Engine.pageSize - address % Engine.pageSize)
        guard let bytes = try? engine.readMemory(address, count: min(15, pageRemaining)) else { return nil }
        return InstructionDecoder.decode(bytes)
    }

    private static let registers: [Register] = [
        .rax, .rcx, .rdx, .rbx, .rsp, .rbp, .rsi, .rdi, .r8, .r9, .r10, .r11, .r12, .r13, .r14, .r15,
    ]

    private func register(_ number: Int) -> UInt64? {
        guard Self.registers.indices.contains(number) else { return nil }
        return try? engine.read(Self.registers[number])
    }

    /// FS/GS base; 0 when it cannot be read (as segments without an override).
    private func segmentBase(_ segment: MemoryOperand.Segment) -> UInt64 {
        (try? engine.read(segment == .fs ? .fsBase : .gsBase)) ?? 0
    }
}

extension MemoryModel {
    /// The address of the instruction that made `access` (RIP itself for fetches and
    /// when the instruction cannot be located).
    func faultingInstructionAddress(_ access: MemoryAccess) -> UInt64 {
        let rip = (try? engine.read(.rip)) ?? 0
        if access.kind.isFetch { return access.address }
        return FaultLocator(engine: engine)
            .instruction(from: rip, accessing: access.address, size: access.size, write: access.kind.isWrite) ?? rip
    }
}
