/// Instructions the emulator cannot be left to run on its own (docs/cpu-behaviour.md).
///
/// Two groups:
/// - encodings a CPU rejects with #UD but that make QEMU (Unicorn 2.0.1) abort the whole
///   process while it *translates* the block holding them, before any hook can run
///   (`abortsEmulator`); they must be replaced by `ud2` before they can be translated;
/// - privileged instructions whose ring-0 behaviour QEMU does not reproduce (it returns 0 for
///   any MSR, and raises #UD for `rdpmc`); they are watched by a code hook at their address.
public enum SpecialInstruction: String, Sendable, Hashable, CaseIterable {
    /// `FF /3` or `FF /5` with a register operand: a far call/jmp needs a memory operand
    /// (Intel SDM Vol. 2, CALL and JMP: "r/m" must be m16:16/32/64); with a register it is #UD.
    /// QEMU 5.0's translator reads an address it never computed ("tcg fatal error").
    case farBranchRegisterOperand = "far-branch-register-operand"
    /// LOCK on CMP r/m, r (38/39) or CMPS (A6/A7): LOCK is only allowed on read-modify-write
    /// instructions with a memory destination (SDM Vol. 2, LOCK), else #UD. QEMU aborts.
    case lockedCompare = "locked-compare"
    /// LOCK on BT/BTS/BTR/BTC with a register destination (0F A3/AB/B3/BB, 0F BA /4-/7, ModRM
    /// mod 11): LOCK needs a memory destination, so #UD. QEMU aborts.
    case lockedRegisterBitTest = "locked-register-bit-test"
    /// `rdmsr` (0F 32): #GP(0) for an MSR the processor does not implement.
    case rdmsr
    /// `wrmsr` (0F 30): #GP(0) for an MSR the processor does not implement.
    case wrmsr
    /// `rdpmc` (0F 33): #GP(0) for a counter index that does not exist.
    case rdpmc

    /// QEMU aborts the process translating it: it is replaced by `ud2` (0F 0B) beforehand.
    public var abortsEmulator: Bool {
        self == .farBranchRegisterOperand || self == .lockedCompare || self == .lockedRegisterBitTest
    }

    /// For reports: "far call with a register operand".
    public var title: String {
        switch self {
        case .farBranchRegisterOperand: return "far call/jmp with a register operand (#UD on x86-64)"
        case .lockedCompare: return "LOCK prefix on CMP/CMPS (#UD on x86-64)"
        case .lockedRegisterBitTest: return "LOCK prefix on BT/BTS/BTR/BTC with a register operand (#UD on x86-64)"
        case .rdmsr: return "rdmsr"
        case .wrmsr: return "wrmsr"
        case .rdpmc: return "rdpmc"
        }
    }

    /// The special instruction at the start of `bytes`, given the instruction's decoded length.
    /// Looks only at prefixes, the opcode and ModRM.
    public static func classify(_ bytes: UnsafeRawBufferPointer, length: Int) -> SpecialInstruction? {
        var index = 0, lock = false
        let end = min(length, bytes.count)
        while index < end {
            switch bytes[index] {
            case 0xF0: lock = true
            case 0x66, 0x67, 0xF2, 0xF3, 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x40...0x4F: break
            default:
                return opcode(bytes, at: index, end: end, lock: lock)
            }
            index += 1
        }
        return nil
    }

    private static func opcode(_ bytes: UnsafeRawBufferPointer, at index: Int, end: Int, lock: Bool) -> SpecialInstruction? {
        let opcode = bytes[index]
        let next: UInt8? = index + 1 < end ? bytes[index + 1] : nil
        switch opcode {
        case 0xFF:
            guard let modrm = next, modrm >> 6 == 3 else { return nil }
            let reg = (modrm >> 3) & 7
            return reg == 3 || reg == 5 ? .farBranchRegisterOperand : nil
        case 0x38, 0x39, 0xA6, 0xA7:
            return lock ? .lockedCompare : nil
        case 0x0F:
            if lock, let second = next, index + 2 < end, bytes[index + 2] >> 6 == 3 {
                let reg = (bytes[index + 2] >> 3) & 7
                if [0xA3, 0xAB, 0xB3, 0xBB].contains(second) || (second == 0xBA && reg >= 4) { return .lockedRegisterBitTest }
            }
            switch next {
            case 0x30: return .wrmsr
            case 0x32: return .rdmsr
            case 0x33: return .rdpmc
            default: return nil
            }
        default:
            return nil
        }
    }
}
