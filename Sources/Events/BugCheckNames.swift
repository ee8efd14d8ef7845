extension BugCheck {
    /// The symbolic names of the bug checks the tool reports (Microsoft's "Bug check code
    /// reference"), so that text output never shows a bare number.
    public static let names: [UInt32: String] = [
        0x0A: "IRQL_NOT_LESS_OR_EQUAL",
        0x18: "REFERENCE_BY_POINTER",
        0x19: "BAD_POOL_HEADER",
        0x1A: "MEMORY_MANAGEMENT",
        0x1E: "KMODE_EXCEPTION_NOT_HANDLED",
        0x35: "NO_MORE_IRP_STACK_LOCATIONS",
        0x3B: "SYSTEM_SERVICE_EXCEPTION",
        0x41: "MUST_SUCCEED_POOL_EMPTY",
        0x44: "MULTIPLE_IRP_COMPLETE_REQUESTS",
        0x4A: "IRQL_GT_ZERO_AT_SYSTEM_SERVICE",
        0x50: "PAGE_FAULT_IN_NONPAGED_AREA",
        0x7E: "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED",
        0x7F: "UNEXPECTED_KERNEL_MODE_TRAP",
        0x8E: "KERNEL_MODE_EXCEPTION_NOT_HANDLED",
        0xBE: "ATTEMPTED_WRITE_TO_READONLY_MEMORY",
        0xC2: "BAD_POOL_CALLER",
        0xC4: "DRIVER_VERIFIER_DETECTED_VIOLATION",
        0xCE: "DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS",
        0xD1: "DRIVER_IRQL_NOT_LESS_OR_EQUAL",
        0xE2: "MANUALLY_INITIATED_CRASH",
        0xF7: "DRIVER_OVERRAN_STACK_BUFFER",
        0xFC: "ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY",
        0x109: "CRITICAL_STRUCTURE_CORRUPTION",
        0x139: "KERNEL_SECURITY_CHECK_FAILURE",
        0x18C: "HYPERGUARD_VIOLATION",
    ]

    /// "0x50 PAGE_FAULT_IN_NONPAGED_AREA"; a code without a name is shown as its number alone.
    public static func describe(_ code: UInt32) -> String {
        let number = "0x" + String(code, radix: 16)
        return names[code].map { "\(number) \($0)" } ?? number
    }
}
