import CPU
import Events
import Memory

/// Settings of the NT kernel model for one run.
public struct KernelConfiguration: Sendable {
    /// Whether the driver sees HVCI on (SystemCodeIntegrityInformation) and CI owns execute.
    public var hvci: Bool
    /// Driver Verifier with its code-integrity option (`verifier /flags 0x02000000`): whether the
    /// DDI models raise 0xC4/0x2000–0x2002. A separate switch from memory integrity (DESIGN.md §2.5).
    public var verifier: Bool
    /// Audit logs a Driver Verifier violation and goes on; enforce stops there, as Windows would.
    public var enforcement: Enforcement
    /// Calls into the kernel model per run before the entry point is ended.
    public var kernelCallLimit: Int
    /// What an unmodeled import returns (in RAX).
    public var unmodeledReturnValue: UInt64
    /// Kernel calls kept in the report (the count goes on past it).
    public var recordedCallLimit: Int
    /// When a looping routine is parked (VirtualTime.swift).
    public var virtualTime: VirtualTimeBudget
    /// The driver's own name, for DV's image-name parameters and symbolisation.
    public var driverName: String
    /// The registry path handed to DriverEntry.
    public var registryPath: String
    /// What the virtual registry holds besides (or instead of) its defaults (docs/registry.md).
    public var registry: RegistrySeed
    /// The driver's image file as it was loaded: the virtual file system holds it at
    /// `\SystemRoot\System32\drivers\<service>.sys`, where the service would load it from.
    public var driverImage: [UInt8]

    public init(hvci: Bool, verifier: Bool = true, enforcement: Enforcement = .audit, kernelCallLimit: Int = 1_000_000,
                unmodeledReturnValue: UInt64 = 0, recordedCallLimit: Int = 10_000,
                driverName: String = "driver.sys", registryPath: String? = nil,
                registry: RegistrySeed = RegistrySeed(), driverImage: [UInt8] = [],
                virtualTime: VirtualTimeBudget = VirtualTimeBudget()) {
        self.hvci = hvci
        self.virtualTime = virtualTime
        self.verifier = verifier
        self.driverImage = driverImage
        self.enforcement = enforcement
        self.kernelCallLimit = kernelCallLimit
        self.unmodeledReturnValue = unmodeledReturnValue
        self.recordedCallLimit = recordedCallLimit
        self.driverName = driverName
        self.registry = registry
        let service = driverName.split(separator: ".").first.map(String.init) ?? driverName
        self.registryPath = registryPath ?? "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\\(service)"
    }
}

/// Why the kernel model ended the current entry point early.
public enum KernelStop: Error, Sendable, Equatable {
    /// KeBugCheck(Ex), or a fault the model turns into a bug check.
    case bugCheck(code: UInt32, parameters: [UInt64], site: UInt64)
    /// The kernel-call budget ran out.
    case kernelCallLimit(Int)
    /// A wait that nothing in a single-CPU model can ever satisfy.
    case unsatisfiableWait(String)
    /// The routine kept looping past a virtual-time budget (VirtualTime.swift); why.
    case parked(String)
    /// Enforce mode: a Driver Verifier violation stops the driver, as on Windows.
    /// `parameters` are the bug check's p1–p4 as the finding carries them.
    case verifierViolation(code: String, site: UInt64, parameters: [UInt64])
}

/// One kernel call as the report shows it.
public struct KernelCallRecord: Sendable, Equatable {
    public var function: String
    public var arguments: [UInt64]
    public var returnValue: UInt64
    public var site: UInt64
    /// Decoded arguments and effects ("tag 'Hook'", "\\Device\\Foo").
    public var notes: [String]
    public var modeled: Bool
    /// The handler is registered as a stub: it ignored the arguments (see `Kernel.stubHits`).
    public var stub: Bool = false
}

/// The NT kernel model: the exports a driver imports, the objects they
/// create, and the Driver Verifier checks their arguments are subject to.
///
/// Imports resolve to slots of an executable trampoline page (each slot a
/// `ret`); a code hook limited to that page runs the Swift handler before the
/// `ret` executes, so ordinary driver code pays nothing for the model.
public final class Kernel {
    public let engine: Engine
    public let memory: MemoryModel
    public let configuration: KernelConfiguration
    /// Run-time findings (DV 0x2000–0x2002, fallbacks hit, …) in order.
    public internal(set) var findings: [Finding] = []
    public internal(set) var calls: [KernelCallRecord] = []
    public internal(set) var callCount = 0
    /// Why the current entry point was stopped by the kernel, if it was.
    public internal(set) var stopReason: KernelStop?
    /// The call whose handler is running (nil between calls): the writes it makes are the
    /// routine's, judged for the driver (`GuestAccess.swift`).
    public internal(set) var activeCall: KernelCall?
    /// Unmodeled imports that were called, with how often.
    public internal(set) var fallbackHits: [String: Int] = [:]
    /// Calls answered by a handler registered as a stub, by qualified name, with how often.
    public internal(set) var stubHits: [String: Int] = [:]
    /// Called with every finding as it is recorded (the scenario keeps one timeline).
    public var onFinding: ((Finding) -> Void)?
    /// Called with one line per kernel call (`--trace`).
    public var onTrace: ((String) -> Void)?
    /// Called before each kernel call's handler, with the call (the scenario checks
    /// the control registers HVCI protects here: the driver cannot be hooked at `mov cr`).
    public var beforeCall: ((KernelCall) -> Void)?
    /// Turns a guest address into "module!section+offset (function+offset)".
    public var symbolize: (UInt64) -> String = { "0x" + String($0, radix: 16) }
    /// The driver's call stack at a given point, innermost first (set by the loader's unwinder).
    public var callStack: (_ rip: UInt64, _ rsp: UInt64) -> [UInt64] = { _, _ in [] }

    /// DbgPrint output, in order.
    public internal(set) var debugOutput: [String] = []

    /// Open handles of the (single) process context drivers run in.
    public let handles = HandleTable()
    var areaStates: [ObjectIdentifier: AnyObject] = [:]
    var deferredRoutines: [DeferredRoutine] = []

    let trampolines: Trampolines
    let heap: KernelHeap
    var objects = ObjectState()
    var processor = Processor()

    public init(engine: Engine, memory: MemoryModel, configuration: KernelConfiguration) throws {
        self.engine = engine
        self.memory = memory
        self.configuration = configuration
        heap = KernelHeap(memory: memory)
        trampolines = try Trampolines(memory: memory)
        try trampolines.install(on: engine) { [unowned self] slot in dispatch(slot: slot) }
        processor = try Processor.setUp(self)
        try DataExports.install(in: self)
    }

    /// The address an import of `module!function` resolves to: a data object
    /// for the data exports the model knows, otherwise a trampoline slot.
    public func resolve(module: String, function: String) throws -> UInt64 {
        let owner = KernelModule(module)
        if owner == .ntoskrnl || owner == .hal, let data = objects.dataExports[function] {
            try DataExports.prepare(function, in: self)
            return data
        }
        let export = ExportTable.binding(module: module, function: function)
        return try trampolines.slot(for: ExportTable.qualified(module: module, function: function), export: export)
    }

    /// The address of a trampoline slot that stops the emulation when reached:
    /// the return address of an entry point.
    public var returnTrap: UInt64 { trampolines.returnTrap }

    /// Clears per-entry-point state before the next entry point runs. `queued`: the entry point
    /// is a routine the driver queued (a thread, work item, DPC, timer, callback), subject to the
    /// virtual-time budget.
    public func beginEntryPoint(queued: Bool = false) {
        stopReason = nil
        SynchronizationArea.abandonRunningFrames(self)
        virtualTime.entry = RoutineWatch(timed: queued)
        virtualTime.parkedNotes = []
    }

    func record(_ finding: Finding) {
        findings.append(finding)
        onFinding?(finding)
        onTrace?("[event] \(finding.code) \(finding.title)" + (finding.site.map { " at \($0.symbol)" } ?? ""))
    }

    func stop(_ reason: KernelStop) {
        if stopReason == nil { stopReason = reason }
        engine.stop()
    }
}
