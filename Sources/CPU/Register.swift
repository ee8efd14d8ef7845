import CUnicorn

/// The x86-64 registers the emulator reads and writes, as 64-bit values.
///
/// Segment selectors read as their 16-bit selector; `fsBase`/`gsBase` are the
/// 64-bit bases (what `IA32_FS_BASE`/`IA32_GS_BASE` hold; the kernel's KPCR lives at GS).
public enum Register: String, Sendable, Hashable, CaseIterable {
    case rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp
    case r8, r9, r10, r11, r12, r13, r14, r15
    case rip, rflags
    case cs, ds, es, fs, gs, ss
    case cr0, cr2, cr3, cr4, cr8
    case fsBase, gsBase

    var unicornID: Int32 {
        let id: uc_x86_reg
        switch self {
        case .rax: id = UC_X86_REG_RAX
        case .rbx: id = UC_X86_REG_RBX
        case .rcx: id = UC_X86_REG_RCX
        case .rdx: id = UC_X86_REG_RDX
        case .rsi: id = UC_X86_REG_RSI
        case .rdi: id = UC_X86_REG_RDI
        case .rbp: id = UC_X86_REG_RBP
        case .rsp: id = UC_X86_REG_RSP
        case .r8: id = UC_X86_REG_R8
        case .r9: id = UC_X86_REG_R9
        case .r10: id = UC_X86_REG_R10
        case .r11: id = UC_X86_REG_R11
        case .r12: id = UC_X86_REG_R12
        case .r13: id = UC_X86_REG_R13
        case .r14: id = UC_X86_REG_R14
        case .r15: id = UC_X86_REG_R15
        case .rip: id = UC_X86_REG_RIP
        case .rflags: id = UC_X86_REG_RFLAGS
        case .cs: id = UC_X86_REG_CS
        case .ds: id = UC_X86_REG_DS
        case .es: id = UC_X86_REG_ES
        case .fs: id = UC_X86_REG_FS
        case .gs: id = UC_X86_REG_GS
        case .ss: id = UC_X86_REG_SS
        case .cr0: id = UC_X86_REG_CR0
        case .cr2: id = UC_X86_REG_CR2
        case .cr3: id = UC_X86_REG_CR3
        case .cr4: id = UC_X86_REG_CR4
        case .cr8: id = UC_X86_REG_CR8
        case .fsBase: id = UC_X86_REG_FS_BASE
        case .gsBase: id = UC_X86_REG_GS_BASE
        }
        return Int32(bitPattern: id.rawValue)
    }

    /// The x64 Windows integer argument registers, in order (then the stack at RSP+0x28).
    public static let windowsArguments: [Register] = [.rcx, .rdx, .r8, .r9]
}

/// XMM0–XMM3 (float arguments / returns in the x64 Windows convention), as 128-bit values.
public enum VectorRegister: Int, Sendable, Hashable, CaseIterable {
    case xmm0 = 0, xmm1, xmm2, xmm3

    var unicornID: Int32 {
        let id: uc_x86_reg
        switch self {
        case .xmm0: id = UC_X86_REG_XMM0
        case .xmm1: id = UC_X86_REG_XMM1
        case .xmm2: id = UC_X86_REG_XMM2
        case .xmm3: id = UC_X86_REG_XMM3
        }
        return Int32(bitPattern: id.rawValue)
    }
}
