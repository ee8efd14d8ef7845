/// Told what a run is doing while it does it: the CLI's isolation layer keeps
/// these facts outside the emulator's process, so that when the emulator dies
/// (an abort inside QEMU, a trap) the report can still say which entry points
/// completed, how, and where the one that killed it was (DESIGN.md §3: the
/// outputs never reach into the kernel model; this is the one narrow channel).
public protocol RunObserver: AnyObject, Sendable {
    /// A run with this HVCI setting begins (a fresh machine).
    func runStarted(hvci: Bool, verifier: Bool)
    /// The image was refused or could not be loaded.
    func loadFailed(kind: LoadFailureKind, reason: String)
    /// An entry point is about to be called.
    func entryStarted(_ name: String, address: UInt64)
    /// An entry point ended (its whole result).
    func entryFinished(_ result: EntryPointResult)
    /// The driver called the kernel from `site`: the last place known to be in the driver.
    func kernelCall(site: UInt64)
}
