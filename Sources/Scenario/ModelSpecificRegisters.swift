/// The MSRs the model's processor implements: architectural MSRs every current Intel 64
/// processor has (Intel SDM Vol. 4, Table 2-2) and the few model-specific ones drivers of the
/// WinRing0 family read on every such processor (thermal, frequency and RAPL energy status).
/// Any other index raises #GP(0), which Windows turns into STATUS_PRIVILEGED_INSTRUCTION.
///
/// Under memory integrity Windows runs as Hyper-V's root partition and the hypervisor decides
/// MSR accesses; Microsoft documents no list, so the same set is used with HVCI on and off.
enum ModelSpecificRegisters {
    static let ranges: [ClosedRange<UInt32>] = [
        0x10...0x10,          // IA32_TIME_STAMP_COUNTER
        0x17...0x17,          // IA32_PLATFORM_ID
        0x1B...0x1B,          // IA32_APIC_BASE
        0x3A...0x3B,          // IA32_FEATURE_CONTROL, IA32_TSC_ADJUST
        0x8B...0x8B,          // IA32_BIOS_SIGN_ID (microcode revision)
        0xC1...0xC4,          // IA32_PMC0-3
        0xCE...0xCE,          // MSR_PLATFORM_INFO
        0xE7...0xE8,          // IA32_MPERF, IA32_APERF
        0xFE...0xFE,          // IA32_MTRRCAP
        0x174...0x176,        // IA32_SYSENTER_CS/ESP/EIP
        0x179...0x17B,        // IA32_MCG_CAP/STATUS/CTL
        0x186...0x189,        // IA32_PERFEVTSEL0-3
        0x198...0x19C,        // IA32_PERF_STATUS/CTL, CLOCK_MODULATION, THERM_INTERRUPT/STATUS
        0x1A0...0x1A0,        // IA32_MISC_ENABLE
        0x1A2...0x1A2,        // MSR_TEMPERATURE_TARGET
        0x1B1...0x1B2,        // IA32_PACKAGE_THERM_STATUS/INTERRUPT
        0x1D9...0x1D9,        // IA32_DEBUGCTL
        0x200...0x20F,        // IA32_MTRR_PHYSBASE/PHYSMASK 0-7
        0x250...0x250, 0x258...0x259, 0x268...0x26F,  // fixed-range MTRRs
        0x277...0x277,        // IA32_PAT
        0x2FF...0x2FF,        // IA32_MTRR_DEF_TYPE
        0x309...0x30B,        // IA32_FIXED_CTR0-2
        0x345...0x345,        // IA32_PERF_CAPABILITIES
        0x38D...0x390,        // IA32_FIXED_CTR_CTRL, IA32_PERF_GLOBAL_STATUS/CTRL/OVF_CTRL
        0x400...0x427,        // IA32_MC0-9 CTL/STATUS/ADDR/MISC
        0x606...0x606,        // MSR_RAPL_POWER_UNIT
        0x610...0x611,        // MSR_PKG_POWER_LIMIT, MSR_PKG_ENERGY_STATUS
        0x639...0x639, 0x641...0x641,  // MSR_PP0/PP1_ENERGY_STATUS
        0x6E0...0x6E0,        // IA32_TSC_DEADLINE
        0xDA0...0xDA0,        // IA32_XSS
        0xC000_0080...0xC000_0084,  // IA32_EFER, STAR, LSTAR, CSTAR, FMASK
        0xC000_0100...0xC000_0103,  // FS_BASE, GS_BASE, KERNEL_GS_BASE, TSC_AUX
    ]

    /// Read-only MSRs: `wrmsr` to them raises #GP(0) (SDM Vol. 4: "RO").
    static let readOnly: Set<UInt32> = [0x17, 0xCE, 0xFE, 0x179, 0x198, 0x1A2, 0x345, 0x606, 0x611, 0x639, 0x641]

    static func readable(_ index: UInt32) -> Bool { ranges.contains { $0.contains(index) } }
    static func writable(_ index: UInt32) -> Bool { readable(index) && !readOnly.contains(index) }
}
