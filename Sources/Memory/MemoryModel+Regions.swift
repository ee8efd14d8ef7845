import CPU

/// How the per-page mapping becomes Unicorn regions. Mapping every page as its
/// own region made each map change cost O(regions) and crashed QEMU past 4,096
/// regions (`phys_section_add` asserts), which a driver allocating 16 MiB
/// reaches. So consecutive pages with the same protection whose frames are
/// contiguous in host memory share one region: a change re-maps only the run
/// it touches (unmap, then map the new runs with `uc_mem_map_ptr` at the right
/// host offsets, so aliases keep sharing bytes), never splitting a region
/// inside Unicorn.
extension MemoryModel {
    /// Regions the model keeps below QEMU's hard limit of 4,096 memory sections.
    public static let maximumRegions = 3000

    /// A maximal run of pages mapped as one Unicorn region.
    struct RegionRun {
        var firstVPN: UInt64
        var pages: Int
        var protection: Protection
    }

    /// Re-derives Unicorn's regions for the pages whose mapping changed.
    func flushRegions() throws(MemoryError) {
        guard !regionDirty.isEmpty else { return }
        var span = regionDirty
        regionDirty = []
        // Take down every run that holds a changed page or borders one (it may merge).
        for vpn in Array(span) {
            for neighbour in [vpn &- 1, vpn, vpn &+ 1] {
                guard let start = runStart[neighbour], let run = runs.removeValue(forKey: start) else { continue }
                for index in 0..<run.pages {
                    let page = start &+ UInt64(index)
                    runStart[page] = nil
                    span.insert(page)
                }
                do {
                    try engine.unmap(start << PageGeometry.pageShift, size: run.pages * Int(PageGeometry.pageSize))
                } catch {
                    throw .engine(error)
                }
            }
        }
        // Lay the span out again as maximal runs.
        var pending: RegionRun?
        var pendingHost: UnsafeMutableRawPointer?
        for vpn in span.sorted() {
            guard let page = mapped[vpn], let host = frames.host(page.pfn) else { continue }
            if var run = pending, let runHost = pendingHost, run.firstVPN &+ UInt64(run.pages) == vpn,
               run.protection == page.protection, runHost + run.pages * Int(PageGeometry.pageSize) == host {
                run.pages += 1
                pending = run
                continue
            }
            if let run = pending, let runHost = pendingHost { try mapRun(run, host: runHost) }
            pending = RegionRun(firstVPN: vpn, pages: 1, protection: page.protection)
            pendingHost = host
        }
        if let run = pending, let runHost = pendingHost { try mapRun(run, host: runHost) }
    }

    private func mapRun(_ run: RegionRun, host: UnsafeMutableRawPointer) throws(MemoryError) {
        guard runs.count < Self.maximumRegions else {
            // Leave the pages unmapped in Unicorn: an access faults as unmapped, the run ends cleanly.
            for index in 0..<run.pages { mapped[run.firstVPN &+ UInt64(index)] = nil }
            throw .tooManyRegions(Self.maximumRegions)
        }
        do {
            try engine.map(run.firstVPN << PageGeometry.pageShift, size: run.pages * Int(PageGeometry.pageSize),
                           protection: run.protection, host: host)
        } catch {
            throw .engine(error)
        }
        runs[run.firstVPN] = run
        for index in 0..<run.pages { runStart[run.firstVPN &+ UInt64(index)] = run.firstVPN }
    }

    /// Runs `body` with region changes collected and applied once at the end.
    func batched<T>(_ body: () throws(MemoryError) -> T) throws(MemoryError) -> T {
        regionBatchDepth += 1
        let result: T
        do {
            result = try body()
        } catch {
            regionBatchDepth -= 1
            if regionBatchDepth == 0 { try? flushRegions() }
            throw error
        }
        regionBatchDepth -= 1
        if regionBatchDepth == 0 { try flushRegions() }
        return result
    }

    /// The number of Unicorn regions for data pages (page tables are mapped separately).
    public var regionCount: Int { runs.count }
}
