extension Kernel {
    /// Driver Verifier 0xC4/0x2001 when a WIN32 page protection argument has a
    /// PAGE_EXECUTE* bit (DV's third parameter is the protection); nothing otherwise.
    /// One place for every DDI that takes a protection (docs/ddi-checks.md).
    func checkPageProtection(_ call: KernelCall, _ protection: UInt32, fix: String) throws {
        guard DriverVerifier.isExecutable(protection: protection) else { return }
        let name = DriverVerifier.protectionName(protection)
        try verifierViolation(call, subcode: 0x2001, title: "executable page protection (\(name))",
                              p3: UInt64(protection), p4: nil, fix: fix, details: [(key: "protection", value: name)])
    }
}
