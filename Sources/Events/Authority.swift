/// Who, on a real Windows machine, raises a finding. The verdict counts only
/// the first three: a finding only the processor's page tables raise (HVCI
/// off), or one that records a driver bug or a risky act Windows lets pass,
/// is reported but never makes a driver incompatible with memory integrity.
public enum Authority: String, Sendable, CaseIterable {
    /// Code Integrity at load time: with memory integrity on, the image does not load.
    case codeIntegrity = "code-integrity"
    /// The hypervisor: the SLAT refused an access, or HyperGuard-protected state was changed.
    case hypervisor
    /// Driver Verifier's code-integrity option (bug check 0xC4, 0x2000–0x2005).
    case driverVerifier = "driver-verifier"
    /// The processor through the guest page tables (legacy behaviour, HVCI off): a driver bug
    /// or legacy patching, not an HVCI verdict.
    case processor
    /// Reported for the reader (a driver bug, a risky act that Windows lets pass, a tool note).
    case advisory

    /// Whether an error from this authority makes a driver incompatible.
    public var decides: Bool { self == .codeIntegrity || self == .hypervisor || self == .driverVerifier }
}

extension Finding {
    /// Driver Verifier's code-integrity subcodes.
    public static let verifierCodes: Set<String> = ["0x2000", "0x2001", "0x2002", "0x2003", "0x2004", "0x2005"]

    /// Run-time codes whose finding stands for state the hypervisor protects under HVCI
    /// (HyperGuard: control registers and MSRs), when seen with HVCI on.
    static let hyperGuardCodes: Set<String> = ["CR4_SMEP_CLEARED", "LSTAR_WRITE"]

    /// Who raises this finding on Windows (see `Authority`). Static errors are Code Integrity's
    /// refusals under HVCI; run-time findings say who denied the access (`deniedBy`) and with
    /// which HVCI setting (`hvci`) in their details.
    public var authority: Authority {
        if phase == .static { return severity == .error ? .codeIntegrity : .advisory }
        if Finding.verifierCodes.contains(code) { return .driverVerifier }
        let detail = { (key: String) in details.first { $0.key == key }?.value }
        if detail("deniedBy") == "slat" { return .hypervisor }
        if detail("deniedBy") == "pageTable" || detail("deniedBy") == "notMapped" { return .processor }
        if Finding.hyperGuardCodes.contains(code) { return detail("hvci") == "on" ? .hypervisor : .advisory }
        // Everything else — CR0_WP_BYPASS and PTE_TAMPER with HVCI off among them — is what legacy
        // Windows lets happen: an HVCI-off run cannot show the hypervisor's refusal, only predict
        // it, and a verdict rests on what the deciding (HVCI-on) run saw.
        return .advisory
    }

    /// An error that Windows itself raises with memory integrity on (or Driver Verifier does).
    public var decidesIncompatibility: Bool { severity == .error && authority.decides }
}
