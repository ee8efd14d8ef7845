import CPU

/// Allocation, aliasing, protection and the one place that derives Unicorn's mapping of a page.
extension MemoryModel {
    /// Maps `pages` new zeroed frames. Without `at`, the range comes from the arena (followed by
    /// a guard page; the user arena for a user-mode owner); with `at`, exactly there (e.g. an
    /// image section at ImageBase + RVA). A user-mode owner's PTEs carry U/S.
    @discardableResult
    public func allocate(pages: Int, owner: MemoryOwner, rights: PageRights = .readWrite,
                         at fixed: UInt64? = nil) throws(MemoryError) -> Allocation {
        let base = try reserve(pages: pages, at: fixed, user: owner.isUserMode)
        let pfns: [PFN]
        do {
            pfns = try frames.allocate(pages)
        } catch {
            if fixed == nil { giveBack(base, pages: pages) }
            throw error
        }
        for pfn in pfns {
            frameOwners[pfn] = owner
            frameRefs[pfn] = 1
        }
        revive(pfns)
        let allocation = Allocation(base: base, pageCount: pages, owner: owner, frames: pfns, isAlias: false)
        try install(allocation, rights: rights)
        return allocation
    }

    /// A new virtual mapping of the frames behind `count` pages from `va` (an MDL mapping):
    /// the bytes are shared, and so are the frames' SLAT rights. Returns the page-aligned range;
    /// add `va`'s page offset yourself.
    @discardableResult
    public func alias(va: UInt64, count: Int, owner: MemoryOwner = .mdlMapping,
                      rights: PageRights = .readWrite, at fixed: UInt64? = nil) throws(MemoryError) -> Allocation {
        let pfns = try frames(of: va, pages: count)
        let base = try reserve(pages: count, at: fixed)
        for pfn in pfns { frameRefs[pfn, default: 0] += 1 }
        let allocation = Allocation(base: base, pageCount: count, owner: owner, frames: pfns, isAlias: true)
        try install(allocation, rights: rights)
        return allocation
    }

    /// Unmaps an allocation (by its base). Frames go back to the pool once no allocation maps them.
    public func free(_ base: UInt64) throws(MemoryError) {
        try batched { () throws(MemoryError) in try freeUnbatched(base) }
    }

    private func freeUnbatched(_ base: UInt64) throws(MemoryError) {
        guard let allocation = allocations.removeValue(forKey: base) else { throw .notAllocated(base) }
        var failure: MemoryError?
        for index in 0..<allocation.pageCount {
            let va = base &+ UInt64(index) &* PageGeometry.pageSize
            allocationOfPage[PageGeometry.pageNumber(va)] = nil
            do {
                try storePTE(va, PageTableEntry(raw: 0))
                try sync(PageGeometry.pageNumber(va))
            } catch {
                failure = failure ?? error
            }
        }
        var released: Set<PFN> = []
        for pfn in allocation.frames {
            let refs = (frameRefs[pfn] ?? 1) - 1
            if refs > 0 {
                frameRefs[pfn] = refs
                continue
            }
            frameRefs[pfn] = nil
            frameOwners[pfn] = nil
            verifier.forget(pfn)
            frames.release(pfn)
            released.insert(pfn)
        }
        // A guest PTE may still name a released frame: unmap those pages too.
        resync(frames: released)
        giveBack(base, pages: allocation.pageCount)
        if let failure { throw failure }
    }

    /// Rewrites the PTEs of `pages` pages from `va` with `rights` (keeping their frames).
    public func protect(_ va: UInt64, pages: Int, rights: PageRights) throws(MemoryError) {
        try batched { () throws(MemoryError) in try protectUnbatched(va, pages: pages, rights: rights) }
    }

    private func protectUnbatched(_ va: UInt64, pages: Int, rights: PageRights) throws(MemoryError) {
        guard pages >= 0, PageGeometry.advance(va, pages: pages) != nil else {
            throw .addressOverflow(address: va, count: pages)
        }
        for index in 0..<pages {
            let page = PageGeometry.pageBase(va) &+ UInt64(index) &* PageGeometry.pageSize
            guard allocation(containing: page) != nil else { throw .notAllocated(page) }
            let old = readPTE(page)
            try storePTE(page, PageTableEntry(pfn: old.pfn, rights: rights, user: old.user))
            try sync(PageGeometry.pageNumber(page))
        }
    }

    /// Writes a raw PTE (the kernel model's own page-table edits) and re-derives the page.
    public func setPTE(of va: UInt64, _ entry: PageTableEntry) throws(MemoryError) {
        guard !isSelfMap(va) else { throw .invalidArgument("PTEs of the self-map itself are not modelled") }
        try storePTE(va, entry)
        try sync(PageGeometry.pageNumber(va))
    }

    // MARK: Internals

    private func reserve(pages: Int, at fixed: UInt64?, user: Bool = false) throws(MemoryError) -> UInt64 {
        guard pages > 0, pages < 1 << 28 else { throw .invalidArgument("page count \(pages)") }
        if let fixed {
            guard fixed % PageGeometry.pageSize == 0 else { throw .invalidArgument("unaligned address") }
            guard isFree(fixed, pages) else { throw .overlap(fixed) }
            return fixed
        }
        let taken = user ? userArena.take(pages, isFree: isFree) : arena.take(pages, isFree: isFree)
        guard let base = taken else { throw .outOfAddressSpace(pages: pages) }
        return base
    }

    /// Returns a range to the arena it came from (fixed addresses belong to neither).
    private func giveBack(_ base: UInt64, pages: Int) {
        if arena.contains(base) { arena.give(base, pages: pages) }
        if userArena.contains(base) { userArena.give(base, pages: pages) }
    }

    /// No allocation, guest-made mapping or self-map in the range, and the range is canonical.
    func isFree(_ base: UInt64, _ pages: Int) -> Bool {
        guard let end = PageGeometry.advance(base, pages: pages), PageGeometry.isCanonical(base),
              PageGeometry.isCanonical(end &- 1), PageGeometry.pageNumber(end &- 1) >= PageGeometry.pageNumber(base)
        else { return false }
        for index in 0..<pages {
            let va = base &+ UInt64(index) &* PageGeometry.pageSize
            let vpn = PageGeometry.pageNumber(va)
            if allocationOfPage[vpn] != nil || mapped[vpn] != nil || isSelfMap(va) { return false }
        }
        return true
    }

    private func install(_ allocation: Allocation, rights: PageRights) throws(MemoryError) {
        try batched { () throws(MemoryError) in try installPages(allocation, rights: rights) }
    }

    private func installPages(_ allocation: Allocation, rights: PageRights) throws(MemoryError) {
        allocations[allocation.base] = allocation
        for (index, pfn) in allocation.frames.enumerated() {
            let va = allocation.base &+ UInt64(index) &* PageGeometry.pageSize
            allocationOfPage[PageGeometry.pageNumber(va)] = allocation.base
            do {
                try storePTE(va, PageTableEntry(pfn: pfn, rights: rights, user: allocation.owner.isUserMode))
                try sync(PageGeometry.pageNumber(va))
            } catch {
                try? free(allocation.base)
                throw error
            }
        }
    }

    /// The effective rights of a PTE: PTE ∧ SLAT of its frame, without execute on a user page
    /// (the guest runs in kernel mode with SMEP on).
    func effectiveRights(_ entry: PageTableEntry) -> PageRights {
        guard entry.present else { return [] }
        var rights = entry.rights.intersection(verifier.slatRights(of: entry.pfn))
        if entry.user { rights.remove(.execute) }
        return rights
    }

    /// What Unicorn should map at `vpn`: a present PTE naming a live data frame.
    func desiredMapping(_ vpn: UInt64) -> MappedPage? {
        let va = vpn << PageGeometry.pageShift
        guard !isSelfMap(va) else { return nil }
        let entry = readPTE(va)
        guard entry.present, frames.isAllocated(entry.pfn), frameOwners[entry.pfn] != .pageTable else { return nil }
        return MappedPage(pfn: entry.pfn, protection: effectiveRights(entry).protection)
    }

    /// Re-derives dangling pages that name frames which just became live again.
    func revive(_ pfns: [PFN]) {
        for pfn in pfns {
            guard let pages = danglingPTEs.removeValue(forKey: pfn) else { continue }
            for vpn in pages {
                do {
                    try sync(vpn)
                } catch {
                    log(.internalError("re-deriving 0x\(String(vpn << 12, radix: 16)): \(error)"))
                }
            }
        }
    }

    /// Brings the model's mapping of one virtual page in line with its PTE and SLAT rights;
    /// Unicorn's regions follow at the end of the current batch (`flushRegions`).
    func sync(_ vpn: UInt64) throws(MemoryError) {
        let desired = desiredMapping(vpn)
        let current = mapped[vpn]
        let entry = readPTE(vpn << PageGeometry.pageShift)
        if entry.present, !frames.isAllocated(entry.pfn) { danglingPTEs[entry.pfn, default: []].insert(vpn) }
        guard desired != current else { return }
        let va = vpn << PageGeometry.pageShift
        auditedFetchPages.remove(vpn)
        if let current {
            // Unicorn checks execute rights when it translates; drop what it translated.
            if current.protection.contains(.execute),
               desired?.pfn != current.pfn || desired?.protection.contains(.execute) != true {
                do {
                    try engine.invalidateTranslations(from: va, to: va &+ PageGeometry.pageSize)
                } catch {
                    throw .engine(error)
                }
            }
            mappingsOfFrame[current.pfn]?.remove(vpn)
        }
        mapped[vpn] = desired
        if let desired { mappingsOfFrame[desired.pfn, default: []].insert(vpn) }
        regionDirty.insert(vpn)
        if regionBatchDepth == 0 { try flushRegions() }
    }

    func resync(frames changed: Set<PFN>) {
        regionBatchDepth += 1
        defer {
            regionBatchDepth -= 1
            if regionBatchDepth == 0 {
                do { try flushRegions() } catch { log(.internalError("re-mapping after a SLAT change: \(error)")) }
            }
        }
        for pfn in changed {
            for vpn in mappingsOfFrame[pfn] ?? [] {
                do {
                    try sync(vpn)
                } catch {
                    log(.internalError("re-deriving 0x\(String(vpn << 12, radix: 16)): \(error)"))
                }
            }
        }
    }
}
