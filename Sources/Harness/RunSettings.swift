import Kernel
import Memory
import Report
import Scenario

/// How to run a driver: everything `run`, `scan` and `test` scenarios choose (the HVCI
/// settings to run under, Driver Verifier, mode, limits, IOCTLs, registry), in one place so
/// that the three commands build the same RunOptions from the same choices.
public struct RunSettings: Sendable {
    /// One run per element, in order (`--hvci both`: on, then off).
    public var hvci: [Bool] = [true]
    public var verifier = true
    public var enforcement: Enforcement = .audit
    public var limits = Limits()
    public var preferredBase = false
    public var ioctls: [IoctlRequest] = []
    public var outputLength = IoctlRequest(code: 0).outputLength
    public var discoverIoctls = true
    public var registry = RegistrySeed()
    public var trace: (@Sendable (String) -> Void)?
    /// Known findings (`--baseline`), suppressed in the reports.
    public var baseline = Baseline()
    /// Keep each entry point's kernel-call log in the report (`scan` drops it unless `--calls`).
    public var callLog = true

    public init() {}

    /// The (hvci, verifier) pairs the runs stand for, in order.
    public var configurations: [(hvci: Bool, verifier: Bool)] { hvci.map { ($0, verifier) } }

    /// A process that shows no progress for this long is stuck where the per-entry watchdog
    /// cannot reach (inside QEMU): the supervisor kills it.
    public var stallSeconds: Double { limits.timeoutSeconds * 2 + 10 }

    /// The RunOptions of the run with HVCI `on`.
    public func options(hvci on: Bool, observer: (any RunObserver)?) -> RunOptions {
        var options = RunOptions(hvci: on, enforcement: enforcement, limits: limits, preferredBase: preferredBase, trace: trace)
        options.verifier = verifier
        options.outputLength = outputLength
        options.ioctls = ioctls
        options.discoverIoctls = discoverIoctls
        options.registry = registry
        options.observer = observer
        return options
    }

    /// Runs the image once per HVCI setting, in this process.
    public func report(for image: ImageReport, name: String, observer: (any RunObserver)?) -> RunReport {
        let runs = hvci.map { on in
            trace?("== run with HVCI \(on ? "on" : "off"), Driver Verifier \(verifier ? "on" : "off") ==")
            return DriverRunner.run(image.image, name: name, options: options(hvci: on, observer: observer))
        }
        return RunReport(image: image, runs: runs, baseline: baseline.fingerprints(for: name), callLog: callLog)
    }

    /// The report when the emulator's process died: the runs as far as `channel` recorded them,
    /// the running entry point ended with a `tool-fault` outcome saying `reason`.
    public func reportAfterDeath(of image: ImageReport, channel: ProgressChannel, reason: String) -> RunReport {
        let runs = channel.rebuildRuns(configurations: configurations, enforcement: enforcement, fault: reason)
        let name = image.path.split(separator: "/").last.map(String.init) ?? image.path
        return RunReport(image: image, runs: runs, baseline: baseline.fingerprints(for: name), callLog: callLog)
    }
}
