import CPU

/// What the kernel knows about the code at an address: the image holding it
/// and its .pdata entry (nil function = a leaf function of that image).
public struct X64ImageHit: Sendable, Equatable {
    public var imageBase: UInt64
    public var imageSize: UInt64
    public var function: X64FunctionEntry?

    public init(imageBase: UInt64, imageSize: UInt64, function: X64FunctionEntry?) {
        self.imageBase = imageBase
        self.imageSize = imageSize
        self.function = function
    }
}

/// An exception as the dispatcher sees it (the fields of EXCEPTION_RECORD).
public struct ExceptionInfo: Sendable, Equatable {
    public var code: UInt32
    /// EXCEPTION_NONCONTINUABLE (1) for ExRaiseStatus & co.
    public var flags: UInt32
    public var address: UInt64
    public var parameters: [UInt64]

    public init(code: UInt32, flags: UInt32 = 0, address: UInt64, parameters: [UInt64] = []) {
        self.code = code
        self.flags = flags
        self.address = address
        self.parameters = Array(parameters.prefix(15))
    }

    public static let noncontinuable: UInt32 = 1
    /// EXCEPTION_UNWINDING: set in the record handed to language handlers during the unwind (second pass).
    public static let unwinding: UInt32 = 2
    /// EXCEPTION_EXIT_UNWIND: an unwind without a target frame (RtlUnwindEx(NULL, …)).
    public static let exitUnwind: UInt32 = 4
    /// EXCEPTION_TARGET_UNWIND: set, besides EXCEPTION_UNWINDING, for the target frame of the unwind only.
    public static let targetUnwind: UInt32 = 0x20
}

/// Per-kernel state of structured exception handling (area state, see `Kernel.state`).
final class ExceptionState {
    /// Set by the loader/scenario: which image and .pdata entry holds an address.
    var imageLookup: ((UInt64) -> X64ImageHit?)?
    /// Exceptions waiting for a guest filter to return (innermost last).
    var pending: [PendingDispatch] = []
    /// Unwinds waiting for a guest termination handler (`__finally`) to return (innermost last).
    var unwinds: [PendingUnwind] = []
    /// Exceptions dispatched so far (a raise loop ends at `maxDispatches`).
    var dispatched = 0
    static let maxPending = 16
    static let maxDispatches = 100_000
}

/// One frame of the stack being searched for a handler.
struct DispatchFrame {
    /// The frame's own context (RIP inside its function).
    var context: X64Context
    var establisherFrame: UInt64
    var imageBase: UInt64
    var handler: X64HandlerInfo?
}

/// An exception whose search stopped to run a guest filter.
struct PendingDispatch {
    var exception: ExceptionInfo
    var raiseContext: X64Context
    var frames: [DispatchFrame]
    var frameIndex: Int
    var scopeIndex: Int
    var recordAddress: UInt64
    var contextAddress: UInt64
}

/// The second pass (RtlUnwindEx): the frames from the innermost up to the target
/// frame, whose termination handlers run in order before control reaches `target`.
struct PendingUnwind {
    /// The exception being unwound (as raised, or RtlUnwindEx's record / STATUS_UNWIND).
    var exception: ExceptionInfo
    var frames: [DispatchFrame]
    /// Index in `frames` of the frame that gets control (its establisher frame is TargetFrame).
    var targetIndex: Int
    /// Where control goes once every frame is unwound (the `__except` block, RtlUnwind's TargetIp).
    var target: X64Context
    /// The frame and scope-table entry the walk goes on from.
    var frameIndex: Int
    var scopeIndex: Int
    /// Guest handlers are called with their stack below this address (below every frame being unwound).
    var stackTop: UInt64
    /// The guest EXCEPTION_RECORD whose ExceptionFlags follow the unwind (RtlUnwindEx's, or the one filters saw); 0 = none.
    var recordAddress: UInt64
    /// RtlUnwindEx's ContextRecord: receives the target context at the end; 0 = none.
    var contextRecord: UInt64
}

/// Where execution goes after an exception was dispatched.
public enum ExceptionResolution: Sendable, Equatable {
    /// Load this context and run on (an `__except` block, a filter, or a continued raise).
    case resume(X64Context)
    /// No frame handles it: Windows bug checks 0x1E KMODE_EXCEPTION_NOT_HANDLED.
    case unhandled
}

extension Kernel {
    /// Which driver image and .pdata entry hold an address; set by the loader
    /// (`Unwinder.attach`). Without it every frame looks like a foreign one and
    /// every exception is unhandled.
    public var exceptionImageLookup: ((UInt64) -> X64ImageHit?)? {
        get { exceptionState.imageLookup }
        set { exceptionState.imageLookup = newValue }
    }

    var exceptionState: ExceptionState { state(ExceptionState.self) { ExceptionState() } }

    /// The 16 integer registers and RIP as the CPU holds them now.
    public func currentContext() throws -> X64Context {
        let order: [Register] = [.rax, .rcx, .rdx, .rbx, .rsp, .rbp, .rsi, .rdi,
                                 .r8, .r9, .r10, .r11, .r12, .r13, .r14, .r15]
        return X64Context(gpr: try order.map { try engine.read($0) }, rip: try engine.read(.rip))
    }

    /// Writes the 16 integer registers of `context` (not RIP: the caller starts there).
    public func loadRegisters(_ context: X64Context) throws {
        let order: [Register] = [.rax, .rcx, .rdx, .rbx, .rsp, .rbp, .rsi, .rdi,
                                 .r8, .r9, .r10, .r11, .r12, .r13, .r14, .r15]
        for (index, register) in order.enumerated() { try engine.write(register, context[index]) }
    }

    /// Dispatches a *hardware* exception raised by driver code (an access
    /// violation on a user address, #DE, #UD, int3) while the emulator is stopped:
    /// searches the driver's frames for a `__try/__except` that takes it.
    ///
    /// On `.resume(context)` the registers are already loaded; restart the
    /// emulation at `context.rip` (an `__except` block, or a guest filter that
    /// will come back through a kernel trampoline). On `.unhandled` nothing
    /// changed: report the fault as before. Throws `KernelStop` when the search
    /// itself ends the entry point (a filter asked to continue a noncontinuable
    /// exception, …).
    ///
    /// Windows dispatches page faults on *user* addresses (below
    /// MmUserProbeAddress) as STATUS_ACCESS_VIOLATION; a fault on an invalid
    /// kernel address is bug check 0x50, a write to read-only kernel memory 0xBE,
    /// an NX fetch 0xFC — none of those reach a `__try` block.
    public func dispatchException(code: UInt32, address: UInt64, parameters: [UInt64] = [],
                                  context: X64Context? = nil) throws -> ExceptionResolution {
        let start = try context ?? currentContext()
        let exception = ExceptionInfo(code: code, flags: 0, address: address, parameters: parameters)
        let resolution = try ExceptionDispatcher(kernel: self).dispatch(exception, context: start)
        if case .resume(let target) = resolution { try loadRegisters(target) }
        return resolution
    }
}
