/// The CI verifier and the SLAT it owns (DESIGN §2.1): the only code that can make a frame
/// executable at the second level.
///
/// With HVCI on, a frame is SLAT-executable only after `verifyImageCode` accepted it (or
/// `grantTrampoline` for the emulator's stub page), and an executable frame is never
/// SLAT-writable. With HVCI off the SLAT grants everything and only PTEs apply.
/// The model asks it for rights; nothing else writes them.
public final class CodeIntegrityVerifier {
    public let hvciEnabled: Bool
    /// Frames verified as image code.
    public private(set) var verifiedCode: Set<PFN> = []
    /// Frames of the emulator's trampoline page(s).
    public private(set) var trampolineFrames: Set<PFN> = []

    /// Who owns a frame (set by the memory model), to check what is being verified.
    var frameOwner: (PFN) -> MemoryOwner? = { _ in nil }
    /// Called with the frames whose SLAT rights changed, so mappings can be re-derived.
    var slatChanged: (Set<PFN>) -> Void = { _ in }

    init(hvciEnabled: Bool) {
        self.hvciEnabled = hvciEnabled
    }

    /// The SLAT rights of a frame.
    public func slatRights(of pfn: PFN) -> PageRights {
        guard hvciEnabled else { return .all }
        return isExecutable(pfn) ? .readExecute : .readWrite
    }

    /// Whether CI made the frame executable (verified code or trampoline).
    public func isExecutable(_ pfn: PFN) -> Bool {
        verifiedCode.contains(pfn) || trampolineFrames.contains(pfn)
    }

    /// Verifies frames as image code: each must belong to an image section. With HVCI on they
    /// become SLAT read+execute (no longer writable through any mapping).
    /// All-or-nothing: on refusal no frame changes.
    public func verifyImageCode(frames: [PFN]) throws(MemoryError) {
        for pfn in frames {
            guard case .imageSection = frameOwner(pfn) else {
                throw .verificationRefused(pfn: pfn, reason: "not image memory (\(frameOwner(pfn)?.description ?? "unallocated"))")
            }
        }
        let added = Set(frames).subtracting(verifiedCode)
        verifiedCode.formUnion(added)
        if hvciEnabled, !added.isEmpty { slatChanged(added) }
    }

    /// Grants execute to the emulator's trampoline frames (owner `.trampoline`).
    public func grantTrampoline(frames: [PFN]) throws(MemoryError) {
        for pfn in frames {
            guard frameOwner(pfn) == .trampoline else {
                throw .verificationRefused(pfn: pfn, reason: "not the emulator's trampoline")
            }
        }
        let added = Set(frames).subtracting(trampolineFrames)
        trampolineFrames.formUnion(added)
        if hvciEnabled, !added.isEmpty { slatChanged(added) }
    }

    /// Withdraws execute (image unloaded): the frames become data again.
    public func revoke(frames: [PFN]) {
        let removed = Set(frames).filter { isExecutable($0) }
        verifiedCode.subtract(removed)
        trampolineFrames.subtract(removed)
        if hvciEnabled, !removed.isEmpty { slatChanged(removed) }
    }

    /// A frame went back to the pool: forget it (no re-derivation: nothing maps it).
    func forget(_ pfn: PFN) {
        verifiedCode.remove(pfn)
        trampolineFrames.remove(pfn)
    }
}
