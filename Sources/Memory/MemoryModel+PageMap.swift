/// A run of pages of one allocation whose rights are the same at both levels: what a report's
/// page map draws. Read from the guest PTEs as they are now (so a guest PTE edit shows) and
/// from the SLAT of the frame each PTE names.
public struct PageMapEntry: Sendable, Equatable {
    public var start: UInt64
    public var pages: Int
    public var owner: MemoryOwner
    /// What the guest PTE grants (empty: not present).
    public var pte: PageRights
    /// What the CI verifier's SLAT grants the frame behind the page.
    public var slat: PageRights
    /// An MDL mapping or other alias of frames someone else owns.
    public var isAlias: Bool

    public var byteCount: UInt64 { UInt64(pages) &* PageGeometry.pageSize }
}

extension MemoryModel {
    /// Every allocation except page tables, in address order, as runs of equal rights.
    /// At most `limit` runs; `omitted` counts the runs left out past it.
    public func pageMap(limit: Int = 2000) -> (entries: [PageMapEntry], omitted: Int) {
        var entries: [PageMapEntry] = []
        var omitted = 0
        for allocation in allAllocations where allocation.owner != .pageTable {
            for entry in pageMap(of: allocation) {
                if entries.count < limit { entries.append(entry) } else { omitted += 1 }
            }
        }
        return (entries, omitted)
    }

    /// One allocation's runs of pages with equal PTE and SLAT rights.
    public func pageMap(of allocation: Allocation) -> [PageMapEntry] {
        var entries: [PageMapEntry] = []
        for index in 0..<allocation.pageCount {
            let va = allocation.base &+ UInt64(index) &* PageGeometry.pageSize
            let entry = readPTE(va)
            // A present PTE may name another frame than the allocation's (a guest edit).
            let pfn = entry.present ? entry.pfn : allocation.frames[index]
            let slat = frames.isAllocated(pfn) ? verifier.slatRights(of: pfn) : []
            if var last = entries.last, last.pte == entry.rights, last.slat == slat {
                last.pages += 1
                entries[entries.count - 1] = last
                continue
            }
            entries.append(PageMapEntry(start: va, pages: 1, owner: allocation.owner, pte: entry.rights, slat: slat,
                                        isAlias: allocation.isAlias))
        }
        return entries
    }
}
