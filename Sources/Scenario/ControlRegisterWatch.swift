import CPU
import Events
import Kernel
import PEImage

/// Watches the control state HVCI protects: CR0.WP, CR4.SMEP (bit 20) and the
/// syscall entry MSR LSTAR. Unicorn 2.0.1 cannot hook `mov cr` or `wrmsr`, so
/// the values are compared with the ones the run started with at every kernel
/// call and at the end of every entry point; each change is one finding at the
/// first point it was seen (where the driver called next, or returned).
final class ControlRegisterWatch {
    static let lstar: UInt32 = 0xC000_0082
    static let smep: UInt64 = 1 << 20
    static let writeProtect: UInt64 = 1 << 16

    private let engine: Engine
    private let initialCR4: UInt64
    private let initialLSTAR: UInt64
    private var reported: Set<String> = []
    /// Whether memory integrity is on: with it the hypervisor guards CR4 and LSTAR (HyperGuard),
    /// so those changes are the hypervisor's findings; CR0.WP alone changes nothing under HVCI.
    private let hvci: Bool

    init(engine: Engine, hvci: Bool) throws {
        self.engine = engine
        self.hvci = hvci
        // SMEP on, as on any HVCI-capable machine.
        try engine.write(.cr4, (try engine.read(.cr4)) | Self.smep)
        initialCR4 = try engine.read(.cr4)
        initialLSTAR = (try? engine.readMSR(Self.lstar)) ?? 0
    }

    /// Findings for what changed since the start (each kind once per run).
    func check(site: CodeSite?) -> [Finding] {
        var findings: [Finding] = []
        let cr0 = (try? engine.read(.cr0)) ?? Self.writeProtect
        if cr0 & Self.writeProtect == 0, reported.insert("CR0_WP_CLEARED").inserted {
            findings.append(finding("CR0_WP_CLEARED", severity: .warning, "CR0.WP cleared (write protection of read-only pages off)",
                                    "never clear CR0.WP; HVCI keeps code read-only in the SLAT regardless, and PatchGuard bug checks 0x109",
                                    [("cr0", hex(cr0))], site))
        }
        let cr4 = (try? engine.read(.cr4)) ?? initialCR4
        if cr4 & Self.smep == 0, initialCR4 & Self.smep != 0, reported.insert("CR4_SMEP_CLEARED").inserted {
            findings.append(finding("CR4_SMEP_CLEARED", severity: .error, "CR4.SMEP cleared (supervisor-mode execution prevention off)",
                                    "never change CR4; with HVCI the hypervisor pins CR4.SMEP and the write is refused",
                                    [("cr4", hex(cr4))], site))
        }
        let lstar = (try? engine.readMSR(Self.lstar)) ?? initialLSTAR
        if lstar != initialLSTAR, reported.insert("LSTAR_WRITE").inserted {
            findings.append(finding("LSTAR_WRITE", severity: .error, "MSR LSTAR (syscall entry point) changed",
                                    "never hook the system call entry; HVCI protects LSTAR and PatchGuard bug checks 0x109",
                                    [("lstar", hex(lstar)), ("initial", hex(initialLSTAR))], site))
        }
        return findings
    }

    /// CR0.WP cleared is a warning: what decides is a write it lets through (CR0_WP_BYPASS with
    /// HVCI off) or that the SLAT refuses (CODE_PAGE_WRITE with HVCI on).
    private func finding(_ code: String, severity: Severity, _ title: String, _ fix: String, _ details: [(String, String)],
                         _ site: CodeSite?) -> Finding {
        Finding(code: code, title: title, severity: severity, phase: .runtime, fix: fix,
                details: details.map { (key: $0.0, value: $0.1) }
                    + [(key: "seenAt", value: "the driver's next kernel call or return"), (key: "hvci", value: hvci ? "on" : "off")],
                site: site)
    }
}
