import CPU

/// Running the guest under the model.
extension MemoryModel {
    /// `Engine.start` plus what the model must do between blocks: a guest PTE write is applied
    /// to the page tables at once, but Unicorn's map can only change once the store hook has
    /// returned, so the hook stops emulation after the current block, and this loop re-derives
    /// the pages and resumes. (Instructions left in that block still see the old rights.)
    ///
    /// Callers with their own run loop call `applyPendingChanges()` after `Engine.start` and
    /// resume at RIP while `needsResume` is true. `instructionLimit` counts per resumed segment.
    public func run(at begin: UInt64, until: UInt64 = 0, timeoutMicroseconds: UInt64 = 0,
                    instructionLimit: Int = 0) throws(EngineError) {
        var address = begin
        while true {
            resumeRequested = false
            do {
                try engine.start(at: address, until: until, timeoutMicroseconds: timeoutMicroseconds,
                                 instructionLimit: instructionLimit)
            } catch {
                applyPendingChanges()
                // A fault deferred to pending PTE changes: RIP is the faulting fetch (a block
                // start), so retrying there is exact.
                guard resumeRequested else { throw error }
            }
            applyPendingChanges()
            guard resumeRequested else { return }
            resumeRequested = false
            let rip: UInt64
            if let address = resumeAddress { rip = address } else { rip = try engine.read(.rip) }
            resumeAddress = nil
            if rip == until { return }
            address = rip
        }
    }

    /// Whether the last stop was only the model's request to apply page-table changes.
    public var needsResume: Bool { resumeRequested }

    /// Re-derives the pages whose PTEs the guest changed (see `run`). Safe to call any time
    /// outside a memory hook.
    public func applyPendingChanges() {
        regionBatchDepth += 1
        defer {
            regionBatchDepth -= 1
            if regionBatchDepth == 0 {
                do { try flushRegions() } catch { log(.internalError("re-mapping after PTE writes: \(error)")) }
            }
        }
        let pages = pendingSync.sorted()
        pendingSync = []
        for vpn in pages {
            do {
                try sync(vpn)
            } catch {
                log(.internalError("applying PTE write for 0x\(String(vpn << 12, radix: 16)): \(error)"))
            }
        }
    }
}
