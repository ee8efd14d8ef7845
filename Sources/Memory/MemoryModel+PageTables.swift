import CPU

/// The guest page tables: 8-byte PTEs stored in page-table frames, mapped read-only at the
/// self-map so that the guest reads them directly and its writes trap into `applyGuestPTEWrite`.
extension MemoryModel {
    /// Index of the page-table page holding the PTE of `va` (one page per 2 MiB of VA).
    func pageTableIndex(of va: UInt64) -> UInt64 { (va >> 21) & 0x7FF_FFFF }

    func pageTablePageAddress(_ index: UInt64) -> UInt64 { configuration.selfMapBase &+ (index << 12) }

    /// The page-table frame backing self-map address `address`, if materialised.
    func pageTablePage(containing address: UInt64) -> PFN? {
        guard isSelfMap(address) else { return nil }
        return pageTablePages[(address - configuration.selfMapBase) >> 12]
    }

    func readPTE(_ va: UInt64) -> PageTableEntry {
        guard let pfn = pageTablePages[pageTableIndex(of: va)], let host = frames.host(pfn) else {
            return PageTableEntry(raw: 0)
        }
        return PageTableEntry(raw: host.loadUnaligned(fromByteOffset: slotOffset(va), as: UInt64.self))
    }

    func storePTE(_ va: UInt64, _ entry: PageTableEntry) throws(MemoryError) {
        let pfn = try materialisePageTable(index: pageTableIndex(of: va))
        guard let host = frames.host(pfn) else { throw .notMapped(pteAddress(of: va)) }
        host.storeBytes(of: entry.raw, toByteOffset: slotOffset(va), as: UInt64.self)
    }

    private func slotOffset(_ va: UInt64) -> Int { Int((va >> 12) & 0x1FF) * 8 }

    /// Creates (zeroed, mapped read-only at the self-map) the page-table page `index` if needed.
    @discardableResult
    func materialisePageTable(index: UInt64) throws(MemoryError) -> PFN {
        if let pfn = pageTablePages[index] { return pfn }
        guard let pfn = try frames.allocate(1).first, let host = frames.host(pfn) else {
            throw .outOfGuestMemory(requestedPages: 1, limitBytes: frames.limitBytes)
        }
        do {
            try engine.map(pageTablePageAddress(index), size: Int(PageGeometry.pageSize), protection: .read, host: host)
        } catch {
            frames.release(pfn)
            throw .engine(error)
        }
        frameOwners[pfn] = .pageTable
        pageTablePages[index] = pfn
        revive([pfn])
        return pfn
    }

    /// Applies a guest store into a page-table page: stores the bytes, logs each changed PTE,
    /// logs tampering (HVCI on) and re-derives the pages described. The page tables belong to
    /// the kernel, so the edit itself never stops the guest (DESIGN §2.1): the SLAT decides at
    /// the page's use. Returns false only if the page-table page is gone.
    func applyGuestPTEWrite(_ access: MemoryAccess, rip: UInt64) -> Bool {
        let index = (access.address - configuration.selfMapBase) >> 12
        guard let pfn = pageTablePages[index], let host = frames.host(pfn) else { return false }
        let offset = PageGeometry.pageOffset(access.address)
        let count = min(access.size, 8, Int(PageGeometry.pageSize) - offset)
        guard count > 0 else { return true }
        let slots = (offset / 8)...((offset + count - 1) / 8)
        let before = slots.map { host.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self) }
        for byte in 0..<count {
            host.storeBytes(of: UInt8(truncatingIfNeeded: access.value >> (8 * UInt64(byte))),
                            toByteOffset: offset + byte, as: UInt8.self)
        }
        for (slot, old) in zip(slots, before) {
            let new = host.loadUnaligned(fromByteOffset: slot * 8, as: UInt64.self)
            guard new != old else { continue }
            let pteAddress = pageTablePageAddress(index) &+ UInt64(slot * 8)
            guard let va = PageGeometry.virtualAddress(ofPTEAt: pteAddress, selfMapBase: configuration.selfMapBase)
            else { continue }
            let edit = PageTableEdit(virtualAddress: va, pteAddress: pteAddress, before: PageTableEntry(raw: old),
                                     after: PageTableEntry(raw: new), rip: rip)
            log(.pageTableEdit(edit))
            if hvciEnabled, !tamper(edit.after).subtracting(tamper(edit.before)).isEmpty {
                var violation = makeViolation(.pteTamper, access: .write, address: va, rip: rip, size: access.size,
                                              entry: edit.after, deniedBy: .slat)
                violation.pteBefore = edit.before
                violation.pteAfter = edit.after
                violation.continued = true
                log(.violation(violation))
            }
            pendingSync.insert(PageGeometry.pageNumber(va))
        }
        // Changing Unicorn's map inside a store hook is unsafe (the store helper holds a TLB
        // entry that the change flushes), and stopping here would resume at the start of the
        // translated block (Unicorn does not keep RIP precise inside a block), re-running
        // instructions. So the change waits: the first fault on a page it affects stops
        // emulation there (`deferToPendingChanges`) and `run` applies it and retries.
        return true
    }

    /// What a PTE asks for that the SLAT will not give: execute on data, write on code.
    func tamper(_ entry: PageTableEntry) -> PageRights {
        guard entry.present, frames.isAllocated(entry.pfn), frameOwners[entry.pfn] != .pageTable else { return [] }
        let slat = verifier.slatRights(of: entry.pfn)
        var result: PageRights = []
        if !entry.noExecute, !slat.contains(.execute) { result.insert(.execute) }
        if entry.writable, slat.contains(.execute) { result.insert(.write) }
        return result
    }
}
