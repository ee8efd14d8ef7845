import CPU
import Events
import Kernel
import Loader
import Memory
import PEImage
import StaticChecks

/// Runs a driver the way Windows would start it: a fresh machine and kernel,
/// the image loaded and checked by Code Integrity, DriverEntry called with
/// its DRIVER_OBJECT and registry path, then DriverUnload when DriverEntry
/// succeeded and set one. Everything that happens becomes part of the
/// `RunResult`; nothing here throws on driver behaviour.
public enum DriverRunner {
    public static func run(_ file: PEFile, name: String, options: RunOptions) -> RunResult {
        var result = RunResult(hvci: options.hvci, verifier: options.verifier, enforcement: options.enforcement,
                               loadFailure: nil, imageBase: nil, entryPoints: [], debugOutput: [], fallbacks: [:])
        options.observer?.runStarted(hvci: options.hvci, verifier: options.verifier)
        runSession(file, name: name, options: options, into: &result)
        if let kind = result.loadFailureKind { options.observer?.loadFailed(kind: kind, reason: result.loadFailure ?? "") }
        // The machine is gone now: hand its freed heap back to the system, then disassemble the
        // faulting instructions from their saved bytes (loading Capstone, if any finding needs it).
        Engine.releaseFreedHeap()
        disassembleFindings(in: &result)
        return result
    }

    /// Everything that needs the emulator. Returns the closed session (tests check that
    /// nothing else keeps it alive); dropping it frees the engine, memory and kernel.
    @discardableResult
    static func runSession(_ file: PEFile, name: String, options: RunOptions, into result: inout RunResult) -> Session? {
        let session: Session
        do {
            session = try Session(name: name, options: options, image: file.reader.bytes)
        } catch {
            result.loadFailure = "the emulator could not start: \(error)"
            result.loadFailureKind = .tool
            return nil
        }
        runEntryPoints(file, name: name, options: options, session: session, into: &result)
        result.debugOutput = session.kernel.debugOutput
        result.fallbacks = session.kernel.fallbackHits
        result.stubCalls = session.kernel.stubHits
        result.coverage.unmodeledCalls = result.fallbacks.values.reduce(0, +)
        result.coverage.stubCalls = result.stubCalls.values.reduce(0, +)
        if result.imageBase != nil {
            var map = PageMap.capture(session.memory)
            map.addFreed(session.violationRegions)
            result.pageMap = map
        }
        session.close()
        return session
    }

    /// Fills in the instruction text of findings that kept only the bytes (Capstone is
    /// loaded here, if at all, after the run's memory has been given back).
    private static func disassembleFindings(in result: inout RunResult) {
        guard result.findings.contains(where: { $0.instruction == nil && !$0.instructionBytes.isEmpty }),
              let disassembler = try? Disassembler() else { return }
        for entry in result.entryPoints.indices {
            for index in result.entryPoints[entry].findings.indices {
                let finding = result.entryPoints[entry].findings[index]
                guard finding.instruction == nil, !finding.instructionBytes.isEmpty, let site = finding.site else { continue }
                result.entryPoints[entry].findings[index].instruction =
                    disassembler.decode(finding.instructionBytes, at: site.address)?.text
            }
        }
    }

    private static func runEntryPoints(_ file: PEFile, name: String, options: RunOptions, session: Session,
                                       into result: inout RunResult) {
        let kernel = session.kernel
        let image: LoadedImage
        do {
            image = try ImageLoader.load(file, name: name, kernel: kernel, preferredBase: options.preferredBase,
                                        patching: options.codePatching)
        } catch {
            result.loadFailure = "\(error)"
            result.loadStatus = (error as? LoadError)?.status
            switch error as? LoadError {
            case .refusedByCodeIntegrity?: result.loadFailureKind = .codeIntegrity
            case .unsupportedMachine?: result.loadFailureKind = .unsupportedMachine
            case .relocationsStripped?, .relocation?: result.loadFailureKind = .windowsLoader
            default: result.loadFailureKind = .tool
            }
            return
        }
        result.imageBase = image.base
        result.codePatches = image.codeSites.filter(\.patched).map {
            CodePatch(address: $0.address, symbol: image.symbolize($0.address) ?? "0x" + String($0.address, radix: 16),
                      kind: $0.kind.rawValue, title: $0.kind.title, original: $0.original)
        }
        for patch in result.codePatches {
            options.trace?("loader: \(patch.title) at \(patch.symbol) replaced by ud2 (QEMU cannot translate it)")
        }
        if options.verifier, !options.hvci {
            // Driver Verifier checks the image as it loads (with HVCI on, Code Integrity has refused it already).
            result.loadFindings = CodeIntegrityChecks.run(on: file, fileName: name).filter {
                $0.severity == .error && Finding.verifierCodes.contains($0.code)
            }.map { finding in
                var atLoad = finding
                atLoad.phase = .runtime
                atLoad.details.append((key: "seenAt", value: "load (Driver Verifier, HVCI off)"))
                return atLoad
            }
            if options.enforcement == .enforce, let first = result.loadFindings.first {
                result.loadFailure = "Driver Verifier stopped the load: bug check 0xc4/\(first.code) (\(first.title))"
                result.loadFailureKind = .driverVerifier
                return
            }
        }
        session.attach(image)
        var available: [(name: String, whyNotRun: String)] = []
        do {
            let caller = try EntryCaller(kernel: kernel, stackTop: session.stackTop, options: options, sites: image.codeSites)
            let objects = try kernel.createDriverObject(imageBase: image.base, imageSize: image.size,
                                                        entryPoint: image.entryPoint)
            let entry = caller.call("DriverEntry", at: image.entryPoint, arguments: [objects.driverObject, objects.registryPath],
                                    findings: session.takeFindings)
            result.entryPoints.append(entry)
            defer { result.coverage = Coverage(results: result.entryPoints, available: available,
                                               unmodeledCalls: result.coverage.unmodeledCalls) }
            guard let status = entry.status, NTStatus.isSuccess(status) else { return }
            let paths = EntryPaths(kernel: kernel, caller: caller, session: session, options: options)
            result.entryPoints += paths.run(driverObject: objects.driverObject)
            available = paths.available(driverObject: objects.driverObject)
            if let unload = try? kernel.unloadRoutine(objects.driverObject), unload != 0 {
                result.entryPoints.append(caller.call("DriverUnload", at: unload, arguments: [objects.driverObject],
                                                      findings: session.takeFindings))
            }
        } catch {
            result.loadFailure = "setting up the driver's objects failed: \(error)"
            result.loadFailureKind = .tool
        }
    }
}

/// The machine of one run: engine, memory model, kernel, stack, and the
/// timeline of findings from both the memory model and the kernel.
final class Session {
    let engine: Engine
    let memory: MemoryModel
    let kernel: Kernel
    let stackTop: UInt64
    private var timeline: [Finding] = []
    /// The regions violations hit, captured as they happened (the block may be freed later).
    private(set) var violationRegions: [PageMapRegion] = []
    private var watch: ControlRegisterWatch?
    private var converter: ViolationFindings?
    private let trace: (@Sendable (String) -> Void)?

    /// `image`: the driver file's bytes, which the kernel's file system holds as the service's image file.
    init(name: String, options: RunOptions, image: [UInt8] = []) throws {
        engine = try Engine()
        memory = try MemoryModel(engine: engine, configuration: .init(hvci: options.hvci, enforcement: options.enforcement,
                                                                      guestMemoryLimit: options.limits.guestMemoryBytes))
        // CR0.WP set, as Windows runs; the guest may clear it (and the model notices at the next write).
        try engine.write(.cr0, (try engine.read(.cr0)) | 1 << 16)
        memory.followGuestCR0 = true
        let enforcement = options.enforcement
        // A fetch of unverified memory always stops Unicorn; the caller decides
        // whether to deny-and-continue (audit) or end the entry point (enforce).
        memory.decide = { $0.kind.isFetch ? .enforce : enforcement }
        kernel = try Kernel(engine: engine, memory: memory,
                            configuration: KernelConfiguration(hvci: options.hvci, verifier: options.verifier,
                                                               enforcement: options.enforcement,
                                                               kernelCallLimit: options.limits.kernelCalls, driverName: name,
                                                               registry: options.registry, driverImage: image,
                                                               virtualTime: options.limits.virtualTime))
        let stackPages = max(2, (options.limits.stackBytes + 0xFFF) / 0x1000)
        let stack = try memory.allocate(pages: stackPages, owner: .stack)
        stackTop = stack.end
        trace = options.trace
        kernel.onTrace = options.trace.map { trace in { trace($0) } }
        kernel.onFinding = { [unowned self] in timeline.append($0) }
        let watch = try ControlRegisterWatch(engine: engine, hvci: options.hvci)
        self.watch = watch
        let observer = options.observer
        kernel.beforeCall = { [unowned self] call in
            observer?.kernelCall(site: call.returnAddress)
            timeline += watch.check(site: call.site)
        }
    }

    private var image: LoadedImage?

    /// The size of the function starting at `address`, from the image's .pdata.
    func functionLength(at address: UInt64) -> Int? {
        guard let image, image.contains(address),
              let function = image.file.runtimeFunction(containing: UInt32(truncatingIfNeeded: address - image.base)),
              function.endAddress > function.beginAddress else { return nil }
        return Int(function.endAddress - function.beginAddress)
    }

    /// From now on, addresses are symbolised against the image and traps become findings.
    func attach(_ image: LoadedImage) {
        self.image = image
        let memory = self.memory
        let kernel = self.kernel
        let symbolize: (UInt64) -> String = { [unowned kernel] address in
            if let text = image.symbolize(address) { return text }
            if let block = kernel.poolBlockDescription(containing: address) { return block }
            if let allocation = memory.allocation(containing: address) {
                return "\(allocation.owner)+0x\(String(address - allocation.base, radix: 16))"
            }
            return "0x" + String(address, radix: 16)
        }
        let walker = StackWalker(kernel: kernel, image: image)
        kernel.symbolize = symbolize
        // Call stacks and exception dispatch unwind with .pdata; the stack scan fills in past it.
        Unwinder.attach(image, to: kernel, fallback: walker.returnAddresses(from:))
        var converter = ViolationFindings(memory: memory, symbolize: symbolize, stack: walker.returnAddresses(from:))
        converter.disassembleNow = trace != nil
        converter.refineOwner = { [unowned kernel] in kernel.poolBlockDescription(containing: $0) }
        self.converter = converter
        memory.onEvent = { [unowned self] event in
            if case .violation(let violation) = event, violationRegions.count < 64,
               let allocation = memory.allocation(containing: violation.address) {
                violationRegions += memory.pageMap(of: allocation).map(PageMapRegion.init)
            }
            guard let finding = converter.finding(for: event) else { return }
            // A trap is a moment the driver cannot hide a cleared CR0.WP from (it may restore it before its next call).
            timeline += watch?.check(site: finding.site) ?? []
            timeline.append(finding)
            trace?(TrapTrace.block(for: finding))
        }
    }

    /// Ends the run's reference cycles (engine hooks, memory and kernel callbacks
    /// that capture each other), so the engine, Unicorn's translation buffer and
    /// guest memory are freed when the session goes: before the report is
    /// rendered, and before the second run of `--hvci both`.
    func close() {
        engine.removeAllHooks()
        memory.onEvent = nil
        memory.decide = nil
        kernel.onFinding = nil
        kernel.beforeCall = nil
        kernel.onTrace = nil
        kernel.exceptionImageLookup = nil
        kernel.symbolize = { "0x" + String($0, radix: 16) }
        kernel.callStack = { _, _ in [] }
        converter = nil
        watch = nil
        kernel.discardState()
    }

    /// The findings recorded since the last call, in the order they happened (control-register
    /// changes not yet seen at a kernel call are checked here, at the entry point's end).
    func takeFindings() -> [Finding] {
        let rip = (try? engine.read(.rip)) ?? 0
        timeline += watch?.check(site: CodeSite(address: rip, symbol: kernel.symbolize(rip))) ?? []
        defer { timeline = [] }
        return timeline
    }
}
