import CPU

/// Self-checks of the model's promises, for tests and `--self-check` style debugging.
extension MemoryModel {
    /// Every broken invariant, as text (empty: all hold):
    /// - no frame is both SLAT-writable and SLAT-executable (HVCI on);
    /// - SLAT-executable frames are exactly the verified image code plus the trampoline (HVCI on);
    /// - Unicorn maps exactly the present PTEs on live frames, each with PTE ∧ SLAT;
    /// - page-table pages are mapped read-only at the self-map.
    public func invariantViolations() -> [String] {
        var problems: [String] = []
        func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
        if hvciEnabled {
            var executable: Set<PFN> = []
            for pfn in frameOwners.keys {
                let slat = verifier.slatRights(of: pfn)
                if slat.contains(.write), slat.contains(.execute) { problems.append("frame \(hex(pfn)) is SLAT W+X") }
                if slat.contains(.execute) { executable.insert(pfn) }
            }
            let expected = verifier.verifiedCode.union(verifier.trampolineFrames)
            if executable != expected {
                problems.append("SLAT-executable frames \(executable.sorted().map(hex)) != verified \(expected.sorted().map(hex))")
            }
        }
        let regions: [UInt64: (end: UInt64, protection: Protection)]
        do {
            regions = Dictionary(try engine.regions().map { ($0.begin, ($0.end, $0.protection)) },
                                 uniquingKeysWith: { first, _ in first })
        } catch {
            return problems + ["cannot list regions: \(error)"]
        }
        if regions.count != runs.count + pageTablePages.count {
            problems.append("Unicorn has \(regions.count) regions, model \(runs.count) runs + \(pageTablePages.count) page tables")
        }
        for (vpn, page) in mapped {
            let va = vpn << PageGeometry.pageShift
            let expected = effectiveRights(readPTE(va)).protection
            if desiredMapping(vpn) != page { problems.append("page \(hex(va)) is stale") }
            guard let start = runStart[vpn], let run = runs[start],
                  let region = regions[start << PageGeometry.pageShift] else {
                problems.append("page \(hex(va)) missing in Unicorn")
                continue
            }
            if region.protection != expected || page.protection != expected || run.protection != expected {
                problems.append("page \(hex(va)): Unicorn \(region.protection), model \(page.protection), PTE∧SLAT \(expected)")
            }
            let runEnd = (start &+ UInt64(run.pages)) << PageGeometry.pageShift
            if region.end != runEnd &- 1 { problems.append("run at \(hex(start << 12)) region size") }
        }
        for (index, _) in pageTablePages {
            let va = pageTablePageAddress(index)
            if regions[va]?.protection != .read { problems.append("page table \(hex(va)) not read-only") }
        }
        for (vpn, _) in allocationOfPage where desiredMapping(vpn) != mapped[vpn] {
            problems.append("allocated page \(hex(vpn << 12)) not in line with its PTE")
        }
        return problems
    }
}
