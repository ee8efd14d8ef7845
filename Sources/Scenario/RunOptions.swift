import Kernel
import Loader
import Memory

/// Resource limits for one run. Reaching one ends the entry point with that
/// outcome in the report; it is never a tool error. The defaults stop a
/// hostile driver within seconds.
public struct Limits: Sendable, Equatable {
    /// Instructions per entry point; 0 turns counting off (no count in the report). Counting
    /// costs a few ns per executed block (BlockCounter), so 10^9 is about 1-2 s of emulation:
    /// real drivers scan firmware windows byte by byte in their DriverEntry (~2.4 * 10^8).
    public var maxInstructions: Int = 1_000_000_000
    /// Wall-clock time per entry point.
    public var timeoutSeconds: Double = 10
    /// Guest frames (image, pool, stacks, page tables).
    public var guestMemoryBytes: Int = 512 << 20
    /// Calls into the kernel model per run (~4 µs each; some drivers call strncmp at every
    /// byte of a BIOS area, ~2.6 * 10^5 calls, in DriverEntry).
    public var kernelCalls: Int = 1_000_000
    /// Kernel stack size in bytes: what bounds call depth (Windows uses 24 KiB; the overflow
    /// hits a guard page and ends the entry point as a stack overflow).
    public var stackBytes: Int = 0x6000
    /// When a routine that keeps looping is parked (`--virtual-time-budget`,
    /// `--repeated-call-limit`; docs/virtual-time.md).
    public var virtualTime = VirtualTimeBudget()

    public init() {}
}

/// One IOCTL to send: its code and input bytes (`--ioctl CODE[:HEX]`).
public struct IoctlRequest: Sendable, Equatable {
    public var code: UInt32
    public var input: [UInt8]
    public var outputLength: Int
    /// Sent because nothing gave a code (EntryPaths.fallbackIoctl), not asked for or found.
    public var isFallback: Bool

    public init(code: UInt32, input: [UInt8] = [], outputLength: Int = 0x100, isFallback: Bool = false) {
        self.code = code
        self.input = input
        self.outputLength = outputLength
        self.isFallback = isFallback
    }
}

/// What to run and how.
public struct RunOptions: Sendable {
    /// IOCTLs to send after IRP_MJ_CREATE, in order.
    public var ioctls: [IoctlRequest] = []
    /// Output buffer size of IOCTLs found by the scan or sent by default (`--output-size`).
    public var outputLength = 0x100
    /// Also send the IOCTL codes a scan of the dispatch routine finds.
    public var discoverIoctls = true
    /// What the virtual registry holds (`--registry FILE`; docs/registry.md).
    public var registry = RegistrySeed()
    /// Memory integrity: the CI verifier owns execute through the SLAT.
    public var hvci: Bool
    /// Driver Verifier's code-integrity option (0x2000–0x2002 at run time); a separate switch.
    public var verifier: Bool = true
    public var enforcement: Enforcement
    public var limits: Limits
    /// Map the image at its preferred ImageBase (no relocations) instead of a system-space
    /// address as Windows does: for debugging against addresses a disassembler shows.
    public var preferredBase: Bool
    /// Which code bytes the loader examines for encodings QEMU aborts on. `.everyOffset` is for
    /// running with no supervisor (the in-process fuzz target); reports use `.reachablePaths`.
    public var codePatching: CodePatching = .reachablePaths
    /// Told of each entry point and kernel call as it happens (the CLI's crash containment).
    public var observer: (any RunObserver)?
    /// Receives one line per kernel call and per trap, as they happen.
    public var trace: (@Sendable (String) -> Void)?

    public init(hvci: Bool, enforcement: Enforcement = .audit, limits: Limits = Limits(), preferredBase: Bool = false,
                trace: (@Sendable (String) -> Void)? = nil) {
        self.hvci = hvci
        self.enforcement = enforcement
        self.limits = limits
        self.preferredBase = preferredBase
        self.trace = trace
    }
}
