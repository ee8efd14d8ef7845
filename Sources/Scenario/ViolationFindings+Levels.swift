import PEImage
import Memory

/// The two translation levels behind a trap, as `details` keys appended after the older ones
/// (docs/report-schema.md): `frame` and `physical` (the guest-physical frame behind the virtual
/// address), `pteBefore`/`pteAfter` (guest PTE rights; equal unless the trap is a PTE edit),
/// `pteValue` (the raw PTE, after the edit for one), and `decision` (which level granted or
/// denied, in one sentence). `slat` is added where the finding did not carry it yet.
extension ViolationFindings {
    typealias Details = [(key: String, value: String)]

    /// For a violation: the PTE when the access was made ("before" = "after"), or the edit.
    func levelDetails(_ v: Violation) -> Details {
        let tamper = v.kind == .pteTamper
        let before = tamper ? v.pteBefore : v.pte
        let after = tamper ? v.pteAfter : v.pte
        return frameDetails(v.pfn, address: v.address) + pteDetails(before: before, after: after)
            + [(key: "decision", value: v.decision)]
    }

    /// For a write CR0.WP = 0 let through a read-only PTE: granted by both levels.
    func bypassDetails(_ address: UInt64) -> Details {
        let entry = memory.pte(of: address)
        let pfn = entry.present ? entry.pfn : nil
        let slat = pfn.map { memory.verifier.slatRights(of: $0) }
        let slatSays = memory.hvciEnabled ? "the SLAT lets this frame be written (it is not verified code)"
                                          : "HVCI is off, so the SLAT grants everything"
        return frameDetails(pfn, address: address) + pteDetails(before: entry, after: entry)
            + [(key: "slat", value: slat?.description ?? "none"),
               (key: "decision", value: "granted: the PTE is read-only but CR0.WP was clear, so the page table "
                    + "let the supervisor write through, and \(slatSays)")]
    }

    /// For a PTE edit with HVCI off (with HVCI on it is a `pteTamper` violation): only the PTE counts.
    func editDetails(_ edit: PageTableEdit) -> Details {
        let pfn = edit.after.present ? edit.after.pfn : nil
        let slat = pfn.map { memory.verifier.slatRights(of: $0) }
        return frameDetails(pfn, address: edit.virtualAddress) + pteDetails(before: edit.before, after: edit.after)
            + [(key: "slat", value: slat?.description ?? "none"),
               (key: "decision", value: "granted: HVCI is off, so the SLAT grants everything and the PTE alone "
                    + "decides (PTE \(rights(edit.before)) -> \(rights(edit.after)))")]
    }

    private func frameDetails(_ pfn: PFN?, address: UInt64) -> Details {
        let physical = pfn.map { ($0 << 12) | (address & 0xFFF) }
        return [(key: "frame", value: pfn.map { hex($0) } ?? "none"),
                (key: "physical", value: physical.map { hex($0) } ?? "none")]
    }

    private func pteDetails(before: PageTableEntry?, after: PageTableEntry?) -> Details {
        [(key: "pteBefore", value: rights(before)), (key: "pteAfter", value: rights(after)),
         (key: "pteValue", value: after.map { hex($0.raw) } ?? "none")]
    }

    /// "rw-" style, as the `pte` key; "not present" for no entry or a not-present one.
    private func rights(_ entry: PageTableEntry?) -> String {
        guard let entry, entry.present else { return "not present" }
        return entry.rights.description
    }
}
