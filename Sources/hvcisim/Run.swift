import Events
import Kernel
import Memory
import PEImage
import Report
import Scenario

enum HVCISetting: String, CaseIterable {
    case on, off, both
}

enum ModeSetting: String, CaseIterable {
    case audit, enforce
}

enum SwitchSetting: String, CaseIterable {
    case on, off
}

struct Run: Subcommand {
    static let spec = CommandSpec(
        name: "run",
        abstract: "Run a driver's entry paths in an emulated x64 CPU under HVCI and report what HVCI forbids.",
        discussion: """
        The image is checked and loaded as Windows would (with HVCI on, Code Integrity refuses an image \
        with a writable+executable or misaligned section, or its import address table in code). DriverEntry is called with a DRIVER_OBJECT and registry \
        path; then AddDevice and IRP_MN_START_DEVICE when the driver registers AddDevice, IRP_MJ_CREATE, \
        IRP_MJ_DEVICE_CONTROL for each IOCTL given or found in the dispatch routine, READ, WRITE, CLEANUP, \
        CLOSE, the callbacks, DPCs, timers, work items and threads it queued, and DriverUnload. Every \
        violation is trapped and reported with its call site, instruction, target and fix:
          CODE_PAGE_WRITE   write to a code page (0xBE)        DATA_EXECUTION  run non-verified memory (0xFC)
          PTE_TAMPER        PTE edit making data executable    CR0_WP_BYPASS   write with CR0.WP cleared
          0x2000/0x2001/0x2002  Driver Verifier: executable pool / protection / MDL mapping (bug check 0xC4)
        --mode audit (default) logs, denies and goes on, so one run finds every violation; \
        --mode enforce stops at the first, as Windows would. Limits end an entry point with that outcome.

        Two switches, as Microsoft's two verification steps: --verifier is Driver Verifier's \
        code-integrity option (verifier /flags 0x02000000), which raises 0xC4/0x2000-0x2002 at the \
        call; --hvci is memory integrity, where the hypervisor refuses the access itself. With the \
        verifier off and HVCI on, an executable allocation succeeds but its pages are not \
        executable: the driver stops only when it runs them (0xFC). docs/configurations.md has the table.

        Verdict (from the HVCI-on run; with --hvci both the off run is a comparison):
          compatible / compatible-with-notes  DriverEntry completed, nothing Windows would stop
          incompatible   Code Integrity, the hypervisor or Driver Verifier would refuse or stop it
          inconclusive   the run could not decide: DriverEntry hit a limit, an emulator fault or a
                         model gap, crashed, or the image is not x64 (see "coverage" in the report)

        Exit status: 0 compatible; 1 incompatible; 2 the file could not be analysed or the command \
        line is wrong; 3 inconclusive.

        Examples:
          hvcisim run driver.sys
          hvcisim run driver.sys --hvci both --format json -o run.json
          hvcisim run driver.sys --format sarif -o run.sarif       # code scanning (docs/formats.md)
          hvcisim run driver.sys --format junit --fail-on warning  # CI test results
          hvcisim run driver.sys --mode enforce --trace
          hvcisim run driver.sys --ioctl 0x222004:01000000 --no-discover-ioctls
          hvcisim run driver.sys --ioctl 0x222004:@request.bin --output-size 4096
          hvcisim run driver.sys --verifier off --hvci both
        """,
        arguments: [ArgumentSpec(name: "driver", help: "The driver image (.sys, x64).")],
        options: [
            OptionSpec(long: "hvci", kind: .value(placeholder: "setting"),
                       help: "HVCI on, off, or both (two runs, differences side by side).",
                       choices: HVCISetting.allCases.map(\.rawValue), defaultText: "on"),
            OptionSpec(long: "verifier", kind: .value(placeholder: "setting"),
                       help: "Driver Verifier's code-integrity checks (0xC4/0x2000-0x2002 at the call) on or off.",
                       choices: SwitchSetting.allCases.map(\.rawValue), defaultText: "on"),
            OptionSpec(long: "mode", kind: .value(placeholder: "mode"),
                       help: "audit: log, deny, continue; enforce: stop at the first violation.",
                       choices: ModeSetting.allCases.map(\.rawValue), defaultText: "audit"),
            .format,
            .failOn,
            OptionSpec(long: "output", short: "o", kind: .value(placeholder: "file"), help: "Write the report to this file."),
            OptionSpec(long: "trace", kind: .flag,
                       help: "Print each kernel call and each trap (with its disassembly) to stderr as it happens."),
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
        ])

    var driver: String
    var hvci: HVCISetting
    var verifier: SwitchSetting
    var mode: ModeSetting
    var format: OutputFormat
    var failOn: FailOn
    var output: String?
    var trace: Bool
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
        driver = arguments.positionals[0]
        hvci = arguments.choice("hvci", default: .on)
        verifier = arguments.choice("verifier", default: .on)
        mode = arguments.choice("mode", default: .audit)
        format = arguments.choice("format", default: .text)
        failOn = arguments.choice("fail-on", default: .error)
        output = arguments.value("output")
        trace = arguments.flag("trace")
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

    /// The report in the chosen format, and the exit status its verdict gives.
    func render(_ report: RunReport) -> (text: String, status: Int32) {
        let text: String
        switch format {
        case .text: text = TextReport.render(report)
        case .json: text = JSONReport.document(for: report).rendered()
        case .sarif, .junit: text = format.render([JSONReport.document(for: report)], failOn: failOn) ?? ""
        }
        return (text, report.verdict.exitStatus)
    }

    @Sendable static func writeTrace(_ line: String) {
        SystemIO.printError(line)
    }

    func run() throws {
        var seed = RegistrySeed()
        if let registry {
            do {
                seed = try RegistrySeed.load(path: registry)
            } catch {
                // The seed's errors name the file (and line:column) themselves.
                SystemIO.printError("hvcisim: \(error)")
                throw ExitStatus(2)
            }
        }
        let image: ImageReport
        do {
            image = try ImageReport(path: driver, bytes: try InputFiles.read(driver))
        } catch {
            SystemIO.printError("hvcisim: \(driver): \(error)")
            throw ExitStatus(2)
        }
        var limits = Limits()
        limits.maxInstructions = maxInstructions
        limits.timeoutSeconds = timeout
        limits.guestMemoryBytes = memoryLimit << 20
        limits.kernelCalls = kernelCallLimit
        limits.stackBytes = stackSize
        limits.virtualTime = VirtualTimeBudget(seconds: virtualTimeBudget, repeatedCalls: repeatedCallLimit)
        let tracer: (@Sendable (String) -> Void)? = trace ? Run.writeTrace : nil
        let settings: [Bool] = hvci == .both ? [true, false] : [hvci == .on]
        let name = SystemIO.lastComponent(driver)
        let requests = try parsedIoctls()
        let enforcement: Enforcement = mode == .audit ? .audit : .enforce
        let channel = Supervisor.enabled ? ProgressChannel() : nil
        let work = { () -> (text: String, status: Int32) in
            let runs = settings.map { on in
                tracer?("== run with HVCI \(on ? "on" : "off"), Driver Verifier \(verifier.rawValue) ==")
                var options = RunOptions(hvci: on, enforcement: enforcement, limits: limits, preferredBase: preferredBase,
                                         trace: tracer)
                options.verifier = verifier == .on
                options.outputLength = outputSize
                options.ioctls = requests
                options.discoverIoctls = !noDiscoverIoctls
                options.registry = seed
                options.observer = channel
                return DriverRunner.run(image.image, name: name, options: options)
            }
            return render(RunReport(image: image, runs: runs))
        }
        let outcome: (text: String, status: Int32)
        if let channel {
            // Per entry point the watchdog ends a run after --timeout; a process that shows no
            // progress for well past that is stuck where the watchdog cannot reach (QEMU itself).
            switch Supervisor.run(channel: channel, stallSeconds: timeout * 2 + 10, work: work) {
            case let .completed(text, status):
                outcome = (text, status)
            case .died(let reason):
                let runs = channel.rebuildRuns(configurations: settings.map { ($0, verifier == .on) },
                                               enforcement: enforcement, fault: reason)
                outcome = render(RunReport(image: image, runs: runs))
            }
        } else {
            outcome = work()
        }
        try OutputSink.write(outcome.text, to: output)
        let status = outcome.status
        if status != 0 { throw ExitStatus(status) }
    }
}
