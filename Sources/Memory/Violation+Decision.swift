/// The verdict of the two translation levels on a violation, in one sentence, for reports and
/// `--trace` (docs/memory-behaviour.md, "Reading a trap"). The point it makes for a reader: an
/// access passes only if both the guest PTE and the SLAT allow it, and under HVCI only the CI
/// verifier grants execute at the SLAT, so the PTE may say writable or executable while the
/// SLAT says no.
extension Violation {
    public var decision: String {
        switch deniedBy {
        case .notMapped:
            return "denied: nothing is mapped there (no present PTE, no frame)"
        case .pageTable:
            return "denied by the page table: " + pageTableReason + slatAlsoRefuses
        case .slat:
            return kind == .pteTamper ? tamperDecision : "denied by the SLAT: " + slatReason
        }
    }

    /// Why the guest PTE refused (a real #PF, HVCI or not).
    private var pageTableReason: String {
        switch access {
        case .execute where pte?.user == true:
            return "the PTE is a user-mode page (U/S set) and SMEP forbids kernel-mode execution of it"
        case .execute:
            return "the PTE has NX set"
        case .write:
            return "the PTE is read-only and CR0.WP is set"
        case .read:
            return "the PTE does not allow the read"
        }
    }

    /// With HVCI on, whether the SLAT would have refused too (a student's second question).
    private var slatAlsoRefuses: String {
        guard hvci, let slatRights else { return "" }
        switch access {
        case .execute where !slatRights.contains(.execute):
            return "; the SLAT would refuse too (the CI verifier never granted execute to this frame)"
        case .write where !slatRights.contains(.write):
            return "; the SLAT would refuse too (the frame is verified code, never SLAT-writable)"
        default:
            return ""
        }
    }

    /// Why only the SLAT refused: the PTE allowed it (or CR0.WP was clear).
    private var slatReason: String {
        switch access {
        case .execute:
            return "the CI verifier never granted execute to this frame (the PTE allows execute)"
        case .write:
            let pteSays = pteRights?.contains(.write) == true
                ? "the PTE says writable" : "the PTE is read-only but CR0.WP was clear"
            return "the frame is code the CI verifier verified, and verified code is never SLAT-writable (\(pteSays))"
        case .read:
            return "the SLAT does not allow the read"
        }
    }

    /// A PTE edit is not refused: the page table takes it, the SLAT does not follow.
    private var tamperDecision: String {
        let asked = pteAfter?.rights.subtracting(pteBefore?.rights ?? []) ?? []
        let what = asked.contains(.execute)
            ? "the CI verifier never granted execute to this frame, so executing it will fault (0xFC)"
            : "the frame is verified code, never SLAT-writable, so writing it will fault (0xBE)"
        return "granted by the page table (the edit is stored, PTE \(pteBefore?.rights.description ?? "---") -> "
            + "\(pteAfter?.rights.description ?? "---")), not by the SLAT: \(what)"
    }
}
