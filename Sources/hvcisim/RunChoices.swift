import Harness
import Kernel
import Scenario

/// The options that say how to run a driver (HVCI, verifier, mode, limits, IOCTLs, registry),
/// shared by `run` and `scan` so that both read them the same way into one RunSettings.
struct RunChoices {
    static let options: [OptionSpec] = [
        OptionSpec(long: "hvci", kind: .value(placeholder: "setting"),
                   help: "HVCI on, off, or both (two runs, differences side by side).",
                   choices: HVCISetting.allCases.map(\.rawValue), defaultText: "on"),
        OptionSpec(long: "verifier", kind: .value(placeholder: "setting"),
                   help: "Driver Verifier's code-integrity checks (0xC4/0x2000-0x2002 at the call) on or off.",
                   choices: SwitchSetting.allCases.map(\.rawValue), defaultText: "on"),
        OptionSpec(long: "mode", kind: .value(placeholder: "mode"),
                   help: "audit: log, deny, continue; enforce: stop at the first violation.",
                   choices: ModeSetting.allCases.map(\.rawValue), defaultText: "audit"),
        OptionSpec(long: "max-instructions", kind: .value(placeholder: "count"),
                   help: "Instructions per entry point (0: do not count; fastest).",
                   defaultText: "\(Limits().maxInstructions)"),
        OptionSpec(long: "timeout", kind: .value(placeholder: "seconds"), help: "Wall-clock seconds per entry point.",
                   defaultText: "\(Limits().timeoutSeconds)"),
        OptionSpec(long: "memory-limit", kind: .value(placeholder: "MiB"), help: "Guest memory cap in MiB.",
                   defaultText: "\(Limits().guestMemoryBytes >> 20)"),
        OptionSpec(long: "kernel-call-limit", kind: .value(placeholder: "count"), help: "Calls into the kernel model per run.",
                   defaultText: "\(Limits().kernelCalls)"),
        OptionSpec(long: "virtual-time-budget", kind: .value(placeholder: "seconds"),
                   help: "Emulated seconds a queued routine (thread, work item, DPC, timer) may let pass before it is parked (0: never; docs/virtual-time.md).",
                   defaultText: "\(Int(Limits().virtualTime.seconds))"),
        OptionSpec(long: "repeated-call-limit", kind: .value(placeholder: "count"),
                   help: "Kernel calls in a row repeating earlier ones (a loop without effect) before a routine is parked (0: never).",
                   defaultText: "\(Limits().virtualTime.repeatedCalls)"),
        OptionSpec(long: "stack-size", kind: .value(placeholder: "bytes"), help: "Kernel stack size in bytes (bounds call depth).",
                   defaultText: "\(Limits().stackBytes)"),
        OptionSpec(long: "preferred-base", kind: .flag,
                   help: "Map the image at its preferred ImageBase instead of a system-space address with relocations applied (debugging; Windows never does this)."),
        OptionSpec(long: "relocate", kind: .flag,
                   help: "No effect (kept for old scripts): a system-space address with relocations is the default."),
        OptionSpec(long: "ioctl", kind: .repeated(placeholder: "code[:hex|:@file]"),
                   help: "Send IRP_MJ_DEVICE_CONTROL with this code (hex or decimal) and input bytes in hex or read from a file."),
        OptionSpec(long: "output-size", kind: .value(placeholder: "bytes"),
                   help: "Output buffer size of every IOCTL sent.", defaultText: "\(IoctlRequest(code: 0).outputLength)"),
        OptionSpec(long: "no-discover-ioctls", kind: .flag,
                   help: "Do not send the IOCTL codes found by scanning the dispatch routine."),
        OptionSpec(long: "registry", kind: .value(placeholder: "file"),
                   help: "Registry keys and values the driver sees (JSON; see docs/registry.md)."),
    ]

    var hvci: HVCISetting
    var verifier: SwitchSetting
    var mode: ModeSetting
    var maxInstructions: Int
    var timeout: Double
    var memoryLimit: Int
    var kernelCallLimit: Int
    var stackSize: Int
    var virtualTimeBudget: Double
    var repeatedCallLimit: Int
    var preferredBase: Bool
    var ioctls: [String]
    var outputSize: Int
    var noDiscoverIoctls: Bool
    var registry: String?

    init(_ arguments: ParsedArguments) throws(UsageError) {
        let defaults = Limits()
        hvci = arguments.choice("hvci", default: .on)
        verifier = arguments.choice("verifier", default: .on)
        mode = arguments.choice("mode", default: .audit)
        maxInstructions = try arguments.integer("max-instructions", default: defaults.maxInstructions)
        timeout = try arguments.number("timeout", default: defaults.timeoutSeconds)
        memoryLimit = try arguments.integer("memory-limit", default: defaults.guestMemoryBytes >> 20)
        kernelCallLimit = try arguments.integer("kernel-call-limit", default: defaults.kernelCalls)
        stackSize = try arguments.integer("stack-size", default: defaults.stackBytes)
        virtualTimeBudget = try arguments.number("virtual-time-budget", default: defaults.virtualTime.seconds)
        repeatedCallLimit = try arguments.integer("repeated-call-limit", default: defaults.virtualTime.repeatedCalls)
        preferredBase = arguments.flag("preferred-base")
        ioctls = arguments.all("ioctl")
        outputSize = try arguments.integer("output-size", default: IoctlRequest(code: 0).outputLength)
        noDiscoverIoctls = arguments.flag("no-discover-ioctls")
        registry = arguments.value("registry")
        try validate()
    }

    func validate() throws(UsageError) {
        guard maxInstructions >= 0 else { throw UsageError("--max-instructions must be 0 or more") }
        guard timeout > 0, timeout <= 3600 else { throw UsageError("--timeout must be between 0 and 3600 seconds") }
        guard (1...16384).contains(memoryLimit) else { throw UsageError("--memory-limit must be 1 to 16384 MiB") }
        guard kernelCallLimit > 0 else { throw UsageError("--kernel-call-limit must be positive") }
        guard (0x2000...(64 << 20)).contains(stackSize) else { throw UsageError("--stack-size must be 8 KiB to 64 MiB") }
        guard virtualTimeBudget >= 0, virtualTimeBudget <= 1e9 else { throw UsageError("--virtual-time-budget must be 0 to 10^9 seconds") }
        guard repeatedCallLimit >= 0 else { throw UsageError("--repeated-call-limit must be 0 or more") }
        guard (0...(16 << 20)).contains(outputSize) else { throw UsageError("--output-size must be 0 to 16 MiB") }
        _ = try parsedIoctls()
    }

    /// The `--ioctl` arguments, parsed (IoctlArgument).
    func parsedIoctls() throws(UsageError) -> [IoctlRequest] {
        var requests: [IoctlRequest] = []
        for text in ioctls { requests.append(try IoctlArgument.parse(text, outputLength: outputSize)) }
        return requests
    }

    /// The settings the options give (the registry seed is loaded here).
    func settings() throws -> RunSettings {
        var settings = RunSettings()
        if let registry {
            do {
                settings.registry = try RegistrySeed.load(path: registry)
            } catch {
                // The seed's errors name the file (and line:column) themselves.
                SystemIO.printError("hvcisim: \(error)")
                throw ExitStatus(2)
            }
        }
        settings.limits.maxInstructions = maxInstructions
        settings.limits.timeoutSeconds = timeout
        settings.limits.guestMemoryBytes = memoryLimit << 20
        settings.limits.kernelCalls = kernelCallLimit
        settings.limits.stackBytes = stackSize
        settings.limits.virtualTime = VirtualTimeBudget(seconds: virtualTimeBudget, repeatedCalls: repeatedCallLimit)
        settings.hvci = hvci == .both ? [true, false] : [hvci == .on]
        settings.verifier = verifier == .on
        settings.enforcement = mode == .audit ? .audit : .enforce
        settings.preferredBase = preferredBase
        settings.ioctls = try parsedIoctls()
        settings.outputLength = outputSize
        settings.discoverIoctls = !noDiscoverIoctls
        return settings
    }
}
