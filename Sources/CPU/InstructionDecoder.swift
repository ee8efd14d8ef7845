/// A small, table-driven x86-64 (64-bit mode) instruction decoder in pure Swift.
///
/// It exists so that the hot paths which only need instruction *lengths* (counting the
/// instructions of a translated block, skipping a denied store) or a few operand facts
/// (finding IOCTL-shaped constants, finding the instruction that faulted) do not have to load
/// Capstone, whose relocated tables cost several MiB of resident memory.
/// It is not a disassembler: it reports the length of the instruction at the start of a
/// buffer, which of a handful of operations it is, its destination register, its immediate
/// and displacement values, its memory operand (base, index, scale, segment, address size)
/// and whether it may write it, its implicit string/stack accesses, and whether it ends a block. Written from the opcode maps of the Intel SDM Vol. 2
/// (Appendix A) and the AMD APM Vol. 3 (Appendix A), for 64-bit mode only.
///
/// Where Intel and AMD disagree the Intel SDM is followed; in particular near branches
/// (E8, E9, 0F 8x) keep their 32-bit displacement under a 66h prefix, as Intel 64 processors do.
public struct DecodedInstruction: Sendable, Hashable {
    /// The operations callers tell apart; everything else is `.other`.
    public enum Operation: UInt8, Sendable, Hashable {
        case add, sub, cmp, mov, lea, other
    }

    /// Length in bytes (1...15).
    public var length: Int
    public var operation: Operation
    /// Operand size in bytes (1, 2, 4 or 8) of the operation's register/memory operand.
    /// Meaningful for add/sub/cmp/mov/lea; 66h, REX.W and the opcode's byte form decide it.
    public var operandSize: Int
    /// The general register number (0 = rax ... 15 = r15, REX.B/REX.R applied) when the first
    /// (destination) operand is a general register; nil when it is memory or another register
    /// class, and for `.other` instructions. With `operandSize == 1` and no REX prefix,
    /// 4...7 mean AH, CH, DH, BH (`isHighByteRegister`).
    public var destinationRegister: Int?
    /// True when `destinationRegister` 4...7 names AH/CH/DH/BH (byte operand, no REX prefix).
    public var isHighByteRegister: Bool
    /// The immediate operand's value, when the instruction has one.
    ///
    /// For add/sub/cmp/mov it is the value the CPU uses, as an unsigned number of the operand
    /// size: an imm8 of 83h or an imm32 with a 64-bit operand is sign-extended to the operand
    /// size first (so `83 F8 FF`, cmp eax, -1, gives 0xFFFF_FFFF and `48 83 F8 FF` gives
    /// 0xFFFF_FFFF_FFFF_FFFF), an immediate as wide as the operand is taken as is (B8+r with
    /// REX.W: the imm64). For other instructions it is the raw little-endian value of the
    /// immediate bytes, zero-extended (for ENTER and EXTRQ/INSERTQ, all of their immediate
    /// bytes). Branch displacements (rel8/rel32) are reported here as well, raw.
    public var immediate: UInt64?
    /// Number of immediate bytes encoded (0 if none).
    public var immediateSize: Int
    /// The memory operand's displacement, sign-extended from disp8/disp32 as the CPU does;
    /// for the moffs forms of MOV (A0-A3) the absolute address (8 bytes, or 4 zero-extended
    /// with 67h). Nil when there is no displacement.
    public var displacement: Int64?
    /// The memory operand is [rip + displacement] (or [eip + displacement] with 67h).
    public var isRIPRelative: Bool
    /// The memory operand has neither base nor index: an absolute [disp32] (or moffs).
    public var isAbsoluteAddress: Bool
    /// The explicit memory operand: the ModRM r/m operand when it is memory (mod != 11), or
    /// the moffs of A0-A3. Nil for register forms, for the register-only ModRM of MOV CRn/DRn,
    /// and for instructions whose memory operands are implicit (string instructions, see
    /// `stringOperands`; push/call/pop stack accesses, see `kind`).
    public var memoryOperand: MemoryOperand? = nil
    /// What the instruction does with `memoryOperand` (`.none` when there is none).
    public var memoryAccess: MemoryAccess = .none
    /// Stack writes and block-ending control flow (see `Kind`).
    public var kind: Kind = .plain
    /// The implicit [rsi]/[rdi] operands of string instructions (empty for all others).
    public var stringOperands: StringOperands = []
    /// FS or GS when the last segment-override prefix is 64h/65h; it applies to `memoryOperand`
    /// and to a string instruction's [rsi] source. The last override prefix counts (as in QEMU,
    /// which Unicorn runs, and Capstone): a CS/DS/ES/SS override, whose base is 0 in 64-bit
    /// mode, after 64h/65h cancels it; nil then.
    public var segmentOverride: MemoryOperand.Segment? = nil
    /// A 67h prefix: addresses are 32-bit (computed from the low halves, truncated).
    public var addressSize32: Bool = false

    /// What an instruction does with its explicit memory operand. It exists to tell whether an
    /// instruction could have made a *write* fault, so the classification is conservative:
    /// only forms known not to write are `.read`/`.none`, everything unclassified is `.mayWrite`.
    ///
    /// - `.write`: stores and read-modify-writes whose r/m operand is the destination:
    ///   MOV 88/89/8C/C6 /0/C7 /0/A2/A3, POP r/m (8F /0), the ALU ops 00-3F with r/m first
    ///   (00/01, 08/09, ... except CMP 38/39), group 1 (80-83) except /7 CMP, INC/DEC (FE/FF
    ///   /0 /1), NOT/NEG (F6/F7 /2 /3), shifts and rotates (C0/C1/D0-D3), XCHG 86/87,
    ///   SETcc (0F 9x), SLDT/STR (0F 00 /0 /1), SHLD/SHRD, BTS/BTR/BTC (0F AB/B3/BB, 0F BA
    ///   /5-/7), CMPXCHG (0F B0/B1), CMPXCHG8B/16B (0F C7 /1), XADD (0F C0/C1), MOVNTI (0F C3),
    ///   and the SSE stores (legacy or VEX map 1): 0F 11, 13, 17, 29, 2B, 7E (not F3), 7F,
    ///   D6, E7.
    /// - `.read`: loads and compares: the ALU ops with r/m second (02/03, ...), CMP 38/39 and
    ///   80-83 /7, TEST (84/85, F6/F7 /0 /1), MUL/IMUL/DIV/IDIV (F6/F7 /4-/7), IMUL 69/6B/0F AF,
    ///   MOV 8A/8B/8E/A0/A1, MOVSXD, CALL/JMP/PUSH r/m (FF /2-/6: the operand is read; the
    ///   push/call stack write is `kind`), CMOVcc, MOVZX/MOVSX, BT, BSF/BSR, POPCNT, LAR/LSL,
    ///   LLDT/LTR/VERR/VERW, LSS/LFS/LGS, VMWRITE, and the SSE/MMX loads and arithmetic of
    ///   map 1 (0F 10, 12, 14-16, 28, 2A, 2C-2F, 50-76, 7C, 7D, F3 0F 7E, C2, C4, C6, D0-FE
    ///   but D6/E7/F7).
    /// - `.none`: the address is computed but not accessed: LEA, the hint NOPs and prefetches
    ///   (0F 0D, 0F 18, 0F 19, 0F 1C-1F).
    /// - `.mayWrite`: everything else with a memory operand: x87, 0F 01, 0F AE (FXSAVE,
    ///   STMXCSR, XSAVE, CLFLUSH...), 0F C7 but /1, MPX, 0F 38 and 0F 3A maps (PEXTR*, MOVBE,
    ///   ...), VEX maps 2 and 3, EVEX, XOP, VMREAD, 3DNow!.
    public enum MemoryAccess: UInt8, Sendable, Hashable {
        case none, read, write, mayWrite
    }

    /// True when the explicit memory operand is, or may be, written.
    public var mayWriteMemoryOperand: Bool { memoryAccess == .write || memoryAccess == .mayWrite }

    /// Instruction classes with implicit stack writes, and those after which a translated
    /// block cannot go on (the fault locator stops there).
    public enum Kind: UInt8, Sendable, Hashable {
        case plain
        /// Writes below RSP: PUSH r (50-57), PUSH r/m (FF /6), PUSH imm (68, 6A), PUSHF (9C),
        /// PUSH FS/GS (0F A0, 0F A8).
        case push
        /// Writes the return address below RSP: CALL rel32 (E8), CALL r/m (FF /2), far CALL (FF /3).
        case call
        /// Unconditional jump: E9, EB, FF /4, far JMP FF /5.
        case jump
        /// RET (C2, C3) and far RET (CA, CB).
        case ret
        /// HLT (F4).
        case halt
    }

    /// The implicit operands of the string instructions (A4-A7, AA-AF, 6C-6F, with or
    /// without REP): [rsi] (segment override allowed) and [rdi] (always ES, base 0).
    public struct StringOperands: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// Reads [rsi]: MOVS, CMPS, LODS, OUTS.
        public static let readsSource = StringOperands(rawValue: 1)
        /// Writes [rdi]: MOVS, STOS, INS.
        public static let writesDestination = StringOperands(rawValue: 2)
        /// Reads [rdi]: CMPS, SCAS.
        public static let readsDestination = StringOperands(rawValue: 4)
    }
}

/// A decoded memory operand: segment:[base + index * scale + displacement].
public struct MemoryOperand: Sendable, Hashable {
    public enum Segment: UInt8, Sendable, Hashable { case fs, gs }

    /// General register number (0 = rax ... 15 = r15), nil for none (RIP-relative, [disp32]
    /// through SIB base 101b with mod 00, moffs).
    public var base: Int?
    /// Index register number; nil for none (SIB index 100b without REX.X). With
    /// `hasVectorIndex` it is the number of an xmm/ymm/zmm register (low 4 bits; EVEX.V' not included).
    public var index: Int?
    /// 1, 2, 4 or 8 (1 when there is no index).
    public var scale: Int
    /// Sign-extended disp8/disp32 (0 when none); the absolute address for moffs.
    public var displacement: Int64
    /// [rip + displacement]: relative to the end of the instruction.
    public var isRIPRelative: Bool
    /// FS or GS override; nil means a segment whose base is 0.
    public var segment: Segment?
    /// 67h: the effective address is computed in 32 bits (truncated), before the segment base.
    public var addressSize32: Bool
    /// VSIB (gathers, scatters): the index is a vector register, so there is no single address.
    public var hasVectorIndex: Bool
    /// EVEX with disp8: the CPU scales the displacement by N (disp8*N), which this decoder does
    /// not compute; `displacement` is the unscaled disp8.
    public var hasCompressedDisplacement: Bool

    /// The linear address, given the end address of the instruction (for RIP-relative), the
    /// general registers' values by number, and the FS/GS bases. Nil when it cannot be
    /// computed: VSIB, EVEX disp8*N, or a register/base the closures do not supply.
    public func effectiveAddress(instructionEnd: UInt64, register: (Int) -> UInt64?,
                                 segmentBase: (Segment) -> UInt64?) -> UInt64? {
        guard !hasVectorIndex, !hasCompressedDisplacement else { return nil }
        var address = UInt64(bitPattern: displacement)
        if isRIPRelative { address &+= instructionEnd }
        if let base {
            guard let value = register(base) else { return nil }
            address &+= value
        }
        if let index {
            guard let value = register(index) else { return nil }
            address &+= value &* UInt64(scale)
        }
        if addressSize32 { address &= 0xFFFF_FFFF }
        if let segment {
            guard let value = segmentBase(segment) else { return nil }
            address &+= value
        }
        return address
    }
}

/// Decodes x86-64 instructions without Capstone (see `DecodedInstruction`).
public enum InstructionDecoder {
    /// Length of the instruction at the start of `bytes`, or nil if the bytes are incomplete
    /// or not a valid 64-bit-mode instruction. Looks at no more than 15 bytes; allocates nothing.
    @inlinable
    public static func length(of bytes: UnsafeRawBufferPointer) -> Int? {
        decode(bytes)?.length
    }

    /// Convenience for arrays (the array is not copied).
    public static func length(of bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBytes { decode($0)?.length }
    }

    /// Convenience for arrays (the array is not copied).
    public static func decode(_ bytes: [UInt8]) -> DecodedInstruction? {
        bytes.withUnsafeBytes { decode($0) }
    }

    /// Decodes the instruction at the start of `bytes` (up to 15 bytes are examined).
    /// Returns nil if the buffer ends before the instruction does, or the bytes are not a
    /// valid instruction in 64-bit mode. Never traps, whatever the input.
    public static func decode(_ bytes: UnsafeRawBufferPointer) -> DecodedInstruction? {
        var decoder = Decoder(bytes: bytes)
        return decoder.run()
    }
}

// MARK: - Opcode maps
//
// One character per opcode, 16 per row, rows 0x00...0xF0 (Intel SDM Vol. 2 Appendix A,
// 64-bit mode column):
//   .  no ModRM, no immediate            m  ModRM
//   b  imm8 (no ModRM)                   i  ModRM + imm8
//   w  imm16 (no ModRM)                  I  ModRM + imm16/32 (operand size)
//   z  imm16/32 by operand size          d  32-bit immediate or displacement (rel32)
//   r  ModRM, register form only (mod is ignored: MOV to/from CRn/DRn)
//   p  legacy prefix                     x  invalid in 64-bit mode
//   s  special: handled in code
private let oneByteMap: StaticString = """
mmmmbzxxmmmmbzxs\
mmmmbzxxmmmmbzxx\
mmmmbzpxmmmmbzpx\
mmmmbzpxmmmmbzpx\
pppppppppppppppp\
................\
xxsmppppzIbi....\
bbbbbbbbbbbbbbbb\
ssxsmmmmssssssss\
..........x.....\
ssss....bz......\
bbbbbbbbssssssss\
iiw.sssss.w..bx.\
mmmmxxx.mmmmmmmm\
bbbbbbbbddxb....\
p.pp..ss......ss
"""

private let twoByteMap: StaticString = """
mmmmx.....x.xm.i\
mmmmmmmmmmmmmmmm\
rrrrxxxxmmmmmmmm\
......x.sxsxxxxx\
mmmmmmmmmmmmmmmm\
mmmmmmmmmmmmmmmm\
mmmmmmmmmmmmmmmm\
iiiimmm.smxxmmmm\
dddddddddddddddd\
mmmmmmmmmmmmmmmm\
...mimmm...mimmm\
mmmmmmmmsmimmmmm\
mmimiiim........\
mmmmmmmmmmmmmmmm\
mmmmmmmmmmmmmmmm\
mmmmmmmmmmmmmmmm
"""

@inline(__always)
private func mapEntry(_ map: StaticString, _ opcode: UInt8) -> UInt8 {
    map.utf8Start[Int(opcode)]
}

private enum Entry {
    static let none = UInt8(ascii: "."), modrm = UInt8(ascii: "m"), imm8 = UInt8(ascii: "b")
    static let modrmImm8 = UInt8(ascii: "i"), imm16 = UInt8(ascii: "w"), modrmImmZ = UInt8(ascii: "I")
    static let immZ = UInt8(ascii: "z"), imm32 = UInt8(ascii: "d"), modrmRegOnly = UInt8(ascii: "r")
    static let prefix = UInt8(ascii: "p"), invalid = UInt8(ascii: "x"), special = UInt8(ascii: "s")
}

// MARK: - Decoder

private struct Decoder {
    let bytes: UnsafeRawBufferPointer
    let limit: Int
    var i = 0
    var rex: UInt8 = 0
    var operandSize16 = false
    var addressSize32 = false
    var lastRepeat: UInt8 = 0      // last F2/F3 seen (mandatory-prefix selection)
    var hasLegacyForVEX = false  // 66/F2/F3/F0 before a VEX/EVEX/XOP prefix: #UD (as is REX)
    var modrm: UInt8 = 0
    var hasModRM = false
    var displacement: Int64?
    var ripRelative = false
    var absolute = false
    var immediate: UInt64 = 0
    var immediateSize = 0
    var sib: UInt8 = 0
    var registerOnlyModRM = false   // MOV CRn/DRn: mod is ignored, no memory operand
    var segment: UInt8 = 0          // last segment-override prefix
    var moffs = false
    var vectorIndex = false         // VSIB
    var evex = false
    var access = DecodedInstruction.MemoryAccess.mayWrite  // for a memory operand; refined per opcode
    var kind = DecodedInstruction.Kind.plain
    var strings: DecodedInstruction.StringOperands = []

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        limit = min(bytes.count, 15)
    }

    var rexW: Bool { rex & 0x08 != 0 }
    var rexR: Int { rex & 0x04 != 0 ? 8 : 0 }
    var rexX: Bool { rex & 0x02 != 0 }
    var rexB: Int { rex & 0x01 != 0 ? 8 : 0 }
    /// Operand size for instructions whose default is 32 bits.
    var operandSize: Int { rexW ? 8 : operandSize16 ? 2 : 4 }
    var immZSize: Int { !rexW && operandSize16 ? 2 : 4 }
    var modrmReg: Int { Int(modrm >> 3) & 7 }
    var modrmRM: Int { Int(modrm) & 7 }
    var isRegisterForm: Bool { modrm >> 6 == 3 }

    @inline(__always)
    mutating func next() -> UInt8? {
        guard i < limit else { return nil }
        defer { i += 1 }
        return bytes[i]
    }

    @inline(__always)
    func peek() -> UInt8? { i < limit ? bytes[i] : nil }

    /// Reads `count` bytes little-endian (count 1, 2, 4 or 8).
    @inline(__always)
    mutating func read(_ count: Int) -> UInt64? {
        guard count <= limit - i else { return nil }
        var value: UInt64 = 0
        for k in 0..<count { value |= UInt64(bytes[i + k]) << (8 * UInt64(k)) }
        i += count
        return value
    }

    mutating func readImmediate(_ count: Int) -> Bool {
        guard let value = read(count) else { return false }
        immediate = value
        immediateSize = count
        return true
    }

    /// Reads ModRM and, for memory forms, SIB and displacement.
    mutating func readModRM(registerOnly: Bool = false) -> Bool {
        guard let byte = next() else { return false }
        modrm = byte
        hasModRM = true
        registerOnlyModRM = registerOnly
        let mod = byte >> 6, rm = byte & 7
        if mod == 3 || registerOnly { return true }
        var dispSize = mod == 1 ? 1 : mod == 2 ? 4 : 0
        if rm == 4 {
            guard let sib = next() else { return false }
            self.sib = sib
            if sib & 7 == 5, mod == 0 {
                dispSize = 4
                absolute = (sib >> 3) & 7 == 4 && !rexX
            }
        } else if rm == 5, mod == 0 {
            dispSize = 4
            ripRelative = true
        }
        if dispSize == 1 {
            guard let d = read(1) else { return false }
            displacement = Int64(Int8(truncatingIfNeeded: d))
        } else if dispSize == 4 {
            guard let d = read(4) else { return false }
            displacement = Int64(Int32(truncatingIfNeeded: d))
        }
        return true
    }

    /// Applies a one-byte/two-byte map entry (the non-special classes).
    mutating func apply(_ entry: UInt8) -> Bool {
        switch entry {
        case Entry.none: return true
        case Entry.modrm: return readModRM()
        case Entry.modrmRegOnly: return readModRM(registerOnly: true)
        case Entry.imm8: return readImmediate(1)
        case Entry.imm16: return readImmediate(2)
        case Entry.immZ: return readImmediate(immZSize)
        case Entry.imm32: return readImmediate(4)
        case Entry.modrmImm8: return readModRM() && readImmediate(1)
        case Entry.modrmImmZ: return readModRM() && readImmediate(immZSize)
        default: return false  // invalid, or a prefix/special that reached here
        }
    }

    mutating func run() -> DecodedInstruction? {
        // Legacy prefixes and REX, in any order; a REX counts only right before the opcode.
        var opcode: UInt8 = 0
        prefixes: while true {
            guard let byte = next() else { return nil }
            switch byte {
            case 0x66: operandSize16 = true; rex = 0; hasLegacyForVEX = true
            case 0x67: addressSize32 = true; rex = 0
            case 0xF2, 0xF3: lastRepeat = byte; rex = 0; hasLegacyForVEX = true
            case 0xF0: rex = 0; hasLegacyForVEX = true
            case 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65: segment = byte; rex = 0
            case 0x40...0x4F: rex = byte
            default: opcode = byte; break prefixes
            }
        }
        if opcode == 0x0F { return twoByte() }
        var operation = DecodedInstruction.Operation.other
        var size = operandSize
        var destination: Int?
        let entry = mapEntry(oneByteMap, opcode)

        if entry == Entry.special {
            switch opcode {
            case 0x62: return vexLike(prefixBytes: 3, evex: true)
            case 0xC4: return vexLike(prefixBytes: 2, evex: false)
            case 0xC5: return vexLike(prefixBytes: 1, evex: false)
            case 0x8F:
                // XOP (AMD) when the would-be ModRM's low five bits select map 8 or above.
                if let next = peek(), next & 0x1F >= 8 { return xop() }
                guard readModRM(), modrmReg == 0 else { return nil }  // POP r/m64
            case 0xA0...0xA3:
                // MOV AL/rAX <-> moffs: an 8-byte absolute address (4 with 67h).
                let addressBytes = addressSize32 ? 4 : 8
                guard let address = read(addressBytes) else { return nil }
                displacement = Int64(bitPattern: address)
                absolute = true
                moffs = true
                access = opcode <= 0xA1 ? .read : .write
                operation = .mov
                size = opcode & 1 == 0 ? 1 : operandSize
                if opcode <= 0xA1 { destination = 0 }
            case 0xB8...0xBF:
                guard readImmediate(rexW ? 8 : immZSize) else { return nil }
                operation = .mov
                destination = Int(opcode & 7) + rexB
            case 0xC8:
                guard readImmediate(2), let level = read(1) else { return nil }
                immediate |= level << 16
                immediateSize = 3
            case 0xF6, 0xF7:
                guard readModRM() else { return nil }
                if modrmReg <= 1 {  // TEST r/m, imm (/1 is an alias of /0)
                    guard readImmediate(opcode == 0xF6 ? 1 : immZSize) else { return nil }
                }
            case 0x80...0x83:
                guard readModRM(), readImmediate(opcode == 0x81 ? immZSize : 1) else { return nil }
                operation = aluOperation(modrmReg)
                size = opcode == 0x80 ? 1 : operandSize
                if isRegisterForm { destination = modrmRM + rexB }
            case 0x88...0x8B:
                guard readModRM() else { return nil }
                operation = .mov
                size = opcode & 1 == 0 ? 1 : operandSize
                if opcode >= 0x8A { destination = modrmReg + rexR }
                else if isRegisterForm { destination = modrmRM + rexB }
            case 0x8C:
                guard readModRM() else { return nil }
                operation = .mov  // MOV r/m, Sreg
                if isRegisterForm { destination = modrmRM + rexB }
            case 0x8E:
                guard readModRM() else { return nil }
                operation = .mov  // MOV Sreg, r/m: the destination is a segment register
            case 0x8D:
                guard readModRM(), !isRegisterForm else { return nil }  // LEA needs a memory operand
                operation = .lea
                destination = modrmReg + rexR
            case 0xC6, 0xC7:
                guard readModRM() else { return nil }
                switch modrmReg {
                case 0:
                    operation = .mov
                    size = opcode == 0xC6 ? 1 : operandSize
                    if isRegisterForm { destination = modrmRM + rexB }
                case 7 where modrm == 0xF8: break  // XABORT imm8 / XBEGIN rel16/32
                default: return nil
                }
                guard readImmediate(opcode == 0xC6 ? 1 : immZSize) else { return nil }
            case 0xFE:
                guard readModRM(), modrmReg <= 1 else { return nil }  // INC/DEC r/m8
            case 0xFF:
                guard readModRM(), modrmReg != 7 else { return nil }
            default:
                return nil
            }
        } else {
            guard apply(entry) else { return nil }
            if opcode < 0x40, opcode & 7 < 6 {
                // ALU ops 00-3F: add or adc sbb and sub xor cmp, in four forms each.
                operation = aluOperation(Int(opcode >> 3))
                size = opcode & 1 == 0 ? 1 : operandSize
                switch opcode & 7 {
                case 0, 1: if isRegisterForm { destination = modrmRM + rexB }
                case 2, 3: destination = modrmReg + rexR
                default: destination = 0  // AL/AX/EAX/RAX, imm
                }
            } else if opcode >= 0xB0, opcode <= 0xB7 {
                operation = .mov
                size = 1
                destination = Int(opcode & 7) + rexB
            }
        }
        if opcode < 0xA0 || opcode > 0xA3 { classifyOneByte(opcode) }
        return finish(operation: operation, size: size, destination: destination)
    }

    /// Memory access, stack/flow kind and string operands of a one-byte-map instruction
    /// (see `DecodedInstruction.MemoryAccess` for the lists).
    mutating func classifyOneByte(_ opcode: UInt8) {
        let reg = modrmReg
        switch opcode {
        case 0x00...0x3F where opcode & 7 <= 1: access = opcode >> 3 == 7 ? .read : .write
        case 0x00...0x3F where opcode & 7 <= 3: access = .read
        case 0x63, 0x69, 0x6B, 0x84, 0x85, 0x8A, 0x8B, 0x8E: access = .read
        case 0x80...0x83: access = reg == 7 ? .read : .write
        case 0x86...0x89, 0x8C, 0x8F, 0xC0, 0xC1, 0xD0...0xD3, 0xC6, 0xC7: access = .write
        case 0x8D: access = .none
        case 0xF6, 0xF7: access = reg == 2 || reg == 3 ? .write : .read
        case 0xFE: access = .write
        case 0xFF:
            access = reg <= 1 ? .write : .read
            switch reg {
            case 2, 3: kind = .call
            case 4, 5: kind = .jump
            case 6: kind = .push
            default: break
            }
        case 0x50...0x57, 0x68, 0x6A, 0x9C: kind = .push
        case 0xE8: kind = .call
        case 0xE9, 0xEB: kind = .jump
        case 0xC2, 0xC3, 0xCA, 0xCB: kind = .ret
        case 0xF4: kind = .halt
        case 0xA4, 0xA5: strings = [.readsSource, .writesDestination]
        case 0xA6, 0xA7: strings = [.readsSource, .readsDestination]
        case 0xAA, 0xAB, 0x6C, 0x6D: strings = .writesDestination
        case 0xAC, 0xAD, 0x6E, 0x6F: strings = .readsSource
        case 0xAE, 0xAF: strings = .readsDestination
        default: break  // x87 (D8-DF) and the rest stay .mayWrite
        }
    }

    /// Memory access of a 0F-map instruction (legacy, or VEX map 1 with `repeatF3` from VEX.pp);
    /// also the PUSH FS/GS kind.
    mutating func classifyTwoByte(_ opcode: UInt8, repeatF3: Bool) {
        let reg = modrmReg
        switch opcode {
        case 0x00: access = reg <= 1 ? .write : reg <= 5 ? .read : .mayWrite
        case 0x02, 0x03, 0x10, 0x12, 0x14, 0x15, 0x16, 0x28, 0x2A, 0x2C...0x2F, 0x40...0x76, 0x79, 0x7C, 0x7D,
             0xA3, 0xAF, 0xB2, 0xB4...0xB8, 0xBC...0xBF, 0xC2, 0xC4, 0xC6, 0xD0...0xD5, 0xD7...0xE6,
             0xE8...0xF6, 0xF8...0xFE:
            access = .read
        case 0x11, 0x13, 0x17, 0x29, 0x2B, 0x7F, 0x90...0x9F, 0xA4, 0xA5, 0xAB, 0xAC, 0xAD, 0xB0, 0xB1, 0xB3,
             0xBB, 0xC0, 0xC1, 0xC3, 0xD6, 0xE7:
            access = .write
        case 0x7E: access = repeatF3 ? .read : .write
        case 0xBA: access = reg == 4 ? .read : .write
        case 0xC7: access = reg == 1 ? .write : .mayWrite
        case 0x0D, 0x18, 0x19, 0x1C...0x1F: access = .none
        case 0xA0, 0xA8: kind = .push
        default: break
        }
    }

    /// 0F xx, 0F 38 xx, 0F 3A xx.
    mutating func twoByte() -> DecodedInstruction? {
        guard let opcode = next() else { return nil }
        var operation = DecodedInstruction.Operation.other
        var destination: Int?
        let entry = mapEntry(twoByteMap, opcode)
        if entry == Entry.special {
            switch opcode {
            case 0x38:
                guard next() != nil, readModRM() else { return nil }
            case 0x3A:
                guard next() != nil, readModRM(), readImmediate(1) else { return nil }
            case 0x78:
                // VMREAD; with 66h EXTRQ xmm, imm8, imm8; with F2h INSERTQ xmm, xmm, imm8, imm8
                // (both register-form only: a memory form is VMREAD's encoding).
                guard readModRM() else { return nil }
                if isRegisterForm, lastRepeat == 0xF2 || (lastRepeat == 0 && operandSize16) {
                    guard readImmediate(2) else { return nil }
                }
            case 0xB8:
                guard lastRepeat == 0xF3, readModRM() else { return nil }  // POPCNT (JMPE is IA-64 only)
            default:
                return nil
            }
        } else {
            guard apply(entry) else { return nil }
            if opcode >= 0x20, opcode <= 0x23 {
                operation = .mov  // MOV r64 <-> CRn/DRn
                if opcode <= 0x21 { destination = modrmRM + rexB }
                return finish(operation: operation, size: 8, destination: destination)
            }
        }
        classifyTwoByte(opcode, repeatF3: lastRepeat == 0xF3)
        return finish(operation: operation, size: operandSize, destination: destination)
    }

    /// VEX (C5: 1 payload byte, C4: 2) and EVEX (62: 3 payload bytes).
    mutating func vexLike(prefixBytes: Int, evex: Bool) -> DecodedInstruction? {
        guard !hasLegacyForVEX, rex == 0, let first = next() else { return nil }
        self.evex = evex
        var map = 1
        // The inverted R (X, B) bits become REX-style extension bits for ModRM/SIB.
        rex = first & 0x80 == 0 ? 0x04 : 0
        var pp = first & 3
        if prefixBytes >= 2 {
            map = Int(first & (evex ? 0x07 : 0x1F))
            if evex, first & 0x08 != 0 { return nil }
            rex |= (first & 0x40 == 0 ? 0x02 : 0) | (first & 0x20 == 0 ? 0x01 : 0)
        }
        if prefixBytes >= 2 {
            guard let second = next() else { return nil }
            if evex, second & 0x04 == 0 { return nil }  // EVEX P1 bit 2 is fixed at 1
            pp = second & 3
        }
        if prefixBytes == 3 { guard next() != nil else { return nil } }
        guard let opcode = next() else { return nil }
        switch map {
        case 1:
            if opcode == 0x77, !evex { return finish(operation: .other, size: 4, destination: nil) }  // VZEROUPPER/ALL
            guard readModRM() else { return nil }
            switch opcode {
            case 0x70...0x73, 0xC2, 0xC4...0xC6: guard readImmediate(1) else { return nil }
            default: break
            }
            if !evex { classifyTwoByte(opcode, repeatF3: pp == 2) }
        case 2, 5, 6:
            if map != 2, !evex { return nil }
            guard readModRM() else { return nil }
            // VSIB: gathers (and EVEX scatters, gather/scatter prefetches).
            switch opcode {
            case 0x90...0x93: vectorIndex = true
            case 0xA0...0xA3, 0xC6, 0xC7: vectorIndex = evex
            default: break
            }
        case 3:
            guard readModRM(), readImmediate(1) else { return nil }
        default:
            return nil
        }
        return finish(operation: .other, size: 4, destination: nil)
    }

    /// AMD XOP: 8F RXB.mmmmm W.vvvv.L.pp opcode ModRM [imm].
    mutating func xop() -> DecodedInstruction? {
        guard !hasLegacyForVEX, rex == 0, let first = next(), next() != nil, next() != nil else { return nil }
        rex = (first & 0x80 == 0 ? 0x04 : 0) | (first & 0x40 == 0 ? 0x02 : 0) | (first & 0x20 == 0 ? 0x01 : 0)
        guard readModRM() else { return nil }
        switch first & 0x1F {
        case 8: guard readImmediate(1) else { return nil }
        case 9: break
        case 10: guard readImmediate(4) else { return nil }
        default: return nil
        }
        return finish(operation: .other, size: 4, destination: nil)
    }

    /// The eight ALU operations (00-3F by opcode bits 5:3, group 1 by ModRM.reg):
    /// add or adc sbb and sub xor cmp.
    func aluOperation(_ n: Int) -> DecodedInstruction.Operation {
        switch n {
        case 0: return .add
        case 5: return .sub
        case 7: return .cmp
        default: return .other
        }
    }

    func finish(operation: DecodedInstruction.Operation, size: Int, destination: Int?) -> DecodedInstruction {
        var value: UInt64? = immediateSize > 0 ? immediate : nil
        if let raw = value, operation != .other, operation != .lea {
            // Sign-extend a narrower immediate to the operand size, then keep operand-size bits.
            let bits = UInt64(immediateSize * 8)
            var extended = raw
            if (immediateSize < size) && (bits < 64) && ((raw >> (bits - 1)) & 1 == 1) {
                extended |= ~0 << bits
            }
            value = size >= 8 ? extended : extended & ((1 << UInt64(size * 8)) - 1)
        }
        let keepDestination = operation != .other
        let segmentOverride: MemoryOperand.Segment? = segment == 0x64 ? .fs : segment == 0x65 ? .gs : nil
        let memory = memoryOperand(segment: segmentOverride)
        return DecodedInstruction(
            length: i, operation: operation, operandSize: size,
            destinationRegister: keepDestination ? destination : nil,
            isHighByteRegister: keepDestination && size == 1 && rex == 0 && (destination ?? 0) >= 4 && (destination ?? 0) <= 7,
            immediate: value, immediateSize: immediateSize,
            displacement: displacement, isRIPRelative: ripRelative, isAbsoluteAddress: absolute,
            memoryOperand: memory, memoryAccess: memory == nil ? .none : access, kind: kind,
            stringOperands: strings, segmentOverride: segmentOverride, addressSize32: addressSize32)
    }

    /// The ModRM (or moffs) memory operand, from the bytes `readModRM` consumed.
    func memoryOperand(segment: MemoryOperand.Segment?) -> MemoryOperand? {
        var operand = MemoryOperand(base: nil, index: nil, scale: 1, displacement: displacement ?? 0,
                                    isRIPRelative: ripRelative, segment: segment, addressSize32: addressSize32,
                                    hasVectorIndex: false, hasCompressedDisplacement: false)
        if moffs { return operand }
        guard hasModRM, !registerOnlyModRM, !isRegisterForm else { return nil }
        let mod = modrm >> 6
        if modrmRM == 4 {
            if !(sib & 7 == 5 && mod == 0) { operand.base = Int(sib & 7) + rexB }
            let index = (Int(sib >> 3) & 7) + (rexX ? 8 : 0)
            if index != 4 || vectorIndex {
                operand.index = index
                operand.scale = 1 << Int(sib >> 6)
            }
            operand.hasVectorIndex = vectorIndex
        } else if !ripRelative {
            operand.base = modrmRM + rexB
        }
        operand.hasCompressedDisplacement = evex && mod == 1
        return operand
    }
}
