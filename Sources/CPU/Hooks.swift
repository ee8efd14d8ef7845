import CUnicorn
import CUnicornShim

/// A registered hook; pass it to `Engine.removeHook` to unregister early.
public struct HookHandle: Sendable, Hashable {
    let raw: uc_hook
}

/// The kind of a memory access reported to a hook.
public enum MemoryAccessKind: Sendable, Hashable {
    case read, write, fetch, readAfter
    case readUnmapped, writeUnmapped, fetchUnmapped
    case readProtected, writeProtected, fetchProtected

    init(_ type: uc_mem_type) {
        switch type {
        case UC_MEM_WRITE: self = .write
        case UC_MEM_FETCH: self = .fetch
        case UC_MEM_READ_AFTER: self = .readAfter
        case UC_MEM_READ_UNMAPPED: self = .readUnmapped
        case UC_MEM_WRITE_UNMAPPED: self = .writeUnmapped
        case UC_MEM_FETCH_UNMAPPED: self = .fetchUnmapped
        case UC_MEM_READ_PROT: self = .readProtected
        case UC_MEM_WRITE_PROT: self = .writeProtected
        case UC_MEM_FETCH_PROT: self = .fetchProtected
        default: self = .read
        }
    }

    public var isWrite: Bool { self == .write || self == .writeUnmapped || self == .writeProtected }
    public var isFetch: Bool { self == .fetch || self == .fetchUnmapped || self == .fetchProtected }
}

/// One memory access as Unicorn reports it. `value` is the stored value for writes
/// (the low `size` bytes, little-endian), meaningless for reads and fetches.
public struct MemoryAccess: Sendable, Hashable {
    public var kind: MemoryAccessKind
    public var address: UInt64
    public var size: Int
    public var value: UInt64
}

/// Valid accesses a tracing hook can watch. Each one costs on every matching access in range.
public struct AccessKinds: OptionSet, Sendable, Hashable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let read = AccessKinds(rawValue: Int32(UC_HOOK_MEM_READ.rawValue))
    public static let write = AccessKinds(rawValue: Int32(UC_HOOK_MEM_WRITE.rawValue))
    public static let fetch = AccessKinds(rawValue: Int32(UC_HOOK_MEM_FETCH.rawValue))
}

/// Faulting accesses a fault hook can handle. These cost nothing until the fault happens.
public struct FaultKinds: OptionSet, Sendable, Hashable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let readUnmapped = FaultKinds(rawValue: Int32(UC_HOOK_MEM_READ_UNMAPPED.rawValue))
    public static let writeUnmapped = FaultKinds(rawValue: Int32(UC_HOOK_MEM_WRITE_UNMAPPED.rawValue))
    public static let fetchUnmapped = FaultKinds(rawValue: Int32(UC_HOOK_MEM_FETCH_UNMAPPED.rawValue))
    public static let readProtected = FaultKinds(rawValue: Int32(UC_HOOK_MEM_READ_PROT.rawValue))
    public static let writeProtected = FaultKinds(rawValue: Int32(UC_HOOK_MEM_WRITE_PROT.rawValue))
    public static let fetchProtected = FaultKinds(rawValue: Int32(UC_HOOK_MEM_FETCH_PROT.rawValue))
    public static let unmapped: FaultKinds = [.readUnmapped, .writeUnmapped, .fetchUnmapped]
    public static let protected: FaultKinds = [.readProtected, .writeProtected, .fetchProtected]
    public static let all: FaultKinds = [.unmapped, .protected]
}

/// Keeps a hook's Swift closure alive; its address is the hook's `user_data`.
final class HookBox {
    enum Body {
        case code((Engine, UInt64, UInt32) -> Void)
        case memory((Engine, MemoryAccess) -> Void)
        case fault((Engine, MemoryAccess) -> Bool)
        case interrupt((Engine, UInt32) -> Void)
        case invalidInstruction((Engine) -> Bool)
        case instruction((Engine) -> Void)
        case cpuid((Engine) -> Bool)
        case portIn((Engine, UInt16, Int) -> UInt32)
        case portOut((Engine, UInt16, Int, UInt32) -> Void)
        /// No Swift callback: the C block counter; the box keeps it alive.
        case blockCounter(BlockCounter)
    }

    unowned let engine: Engine
    let body: Body

    init(engine: Engine, body: Body) {
        self.engine = engine
        self.body = body
    }

    static func from(_ pointer: UnsafeMutableRawPointer?) -> HookBox? {
        guard let pointer else { return nil }
        return Unmanaged<HookBox>.fromOpaque(pointer).takeUnretainedValue()
    }
}

private func access(_ type: uc_mem_type, _ address: UInt64, _ size: Int32, _ value: Int64) -> MemoryAccess {
    MemoryAccess(kind: MemoryAccessKind(type), address: address, size: Int(size), value: UInt64(bitPattern: value))
}

extension Engine {
    /// `range` nil: everywhere (Unicorn's begin > end convention).
    private func bounds(_ range: ClosedRange<UInt64>?) -> (UInt64, UInt64) {
        guard let range else { return (1, 0) }
        return (range.lowerBound, range.upperBound)
    }

    func register(_ body: HookBox.Body,
                          _ add: (UnsafeMutablePointer<uc_hook>, UnsafeMutableRawPointer) -> uc_err,
                          _ operation: String) throws(EngineError) -> HookHandle {
        let box = Unmanaged.passRetained(HookBox(engine: self, body: body))
        var hook: uc_hook = 0
        let status = add(&hook, box.toOpaque())
        guard status == UC_ERR_OK else {
            box.release()
            try check(status, operation)
            throw .invalidArgument(operation)
        }
        hooks[hook] = box.takeUnretainedValue()
        return HookHandle(raw: hook)
    }

    /// Calls `body(engine, address, size)` before each instruction in `range`.
    /// Unicorn decides at translation time whether a block needs the call, so code outside
    /// `range` pays nothing.
    @discardableResult
    public func addCodeHook(range: ClosedRange<UInt64>?,
                            _ body: @escaping (Engine, UInt64, UInt32) -> Void) throws(EngineError) -> HookHandle {
        let (begin, end) = bounds(range)
        return try register(.code(body), { hook, data in
            hvs_hook_add_code(handle, hook, Int32(UC_HOOK_CODE.rawValue), { _, address, size, data in
                guard let box = HookBox.from(data), case let .code(body) = box.body else { return }
                body(box.engine, address, size)
            }, data, begin, end)
        }, "hook code")
    }

    /// Calls `body(engine, address, size)` at the start of each basic block in `range`.
    @discardableResult
    public func addBlockHook(range: ClosedRange<UInt64>?,
                             _ body: @escaping (Engine, UInt64, UInt32) -> Void) throws(EngineError) -> HookHandle {
        let (begin, end) = bounds(range)
        return try register(.code(body), { hook, data in
            hvs_hook_add_code(handle, hook, Int32(UC_HOOK_BLOCK.rawValue), { _, address, size, data in
                guard let box = HookBox.from(data), case let .code(body) = box.body else { return }
                body(box.engine, address, size)
            }, data, begin, end)
        }, "hook block")
    }

    /// Traces valid accesses of `kinds` in `range` (costs on every such access: tracing only).
    @discardableResult
    public func addMemoryHook(_ kinds: AccessKinds, range: ClosedRange<UInt64>?,
                              _ body: @escaping (Engine, MemoryAccess) -> Void) throws(EngineError) -> HookHandle {
        let (begin, end) = bounds(range)
        return try register(.memory(body), { hook, data in
            hvs_hook_add_mem(handle, hook, kinds.rawValue, { _, type, address, size, value, data in
                guard let box = HookBox.from(data), case let .memory(body) = box.body else { return }
                body(box.engine, access(type, address, size, value))
            }, data, begin, end)
        }, "hook memory")
    }

    /// Handles faulting accesses of `kinds`. Return true to continue: for an unmapped access
    /// the memory must have been mapped; for a protected write Unicorn then drops the store
    /// (the region is read-only) and the instruction completes; for a protected fetch the code
    /// runs anyway. Return false to end emulation with the fault.
    @discardableResult
    public func addFaultHook(_ kinds: FaultKinds, range: ClosedRange<UInt64>? = nil,
                             _ body: @escaping (Engine, MemoryAccess) -> Bool) throws(EngineError) -> HookHandle {
        let (begin, end) = bounds(range)
        return try register(.fault(body), { hook, data in
            hvs_hook_add_mem_event(handle, hook, kinds.rawValue, { _, type, address, size, value, data in
                guard let box = HookBox.from(data), case let .fault(body) = box.body else { return false }
                return body(box.engine, access(type, address, size, value))
            }, data, begin, end)
        }, "hook fault")
    }

    /// Calls `body(engine, vector)` on `int n`, `int3` and CPU exceptions.
    @discardableResult
    public func addInterruptHook(_ body: @escaping (Engine, UInt32) -> Void) throws(EngineError) -> HookHandle {
        try register(.interrupt(body), { hook, data in
            hvs_hook_add_intr(handle, hook, { _, number, data in
                guard let box = HookBox.from(data), case let .interrupt(body) = box.body else { return }
                body(box.engine, number)
            }, data)
        }, "hook interrupt")
    }

    /// Calls `body` on an undecodable instruction; return true to continue (after moving RIP).
    @discardableResult
    public func addInvalidInstructionHook(_ body: @escaping (Engine) -> Bool) throws(EngineError) -> HookHandle {
        try register(.invalidInstruction(body), { hook, data in
            hvs_hook_add_insn_invalid(handle, hook, { _, data in
                guard let box = HookBox.from(data), case let .invalidInstruction(body) = box.body else { return false }
                return body(box.engine)
            }, data)
        }, "hook invalid instruction")
    }

    /// Calls `body` on `syscall` (Unicorn supports only in/out/syscall/sysenter/cpuid here;
    /// rdmsr/wrmsr and mov-to-CR cannot be hooked as instructions in Unicorn 2.0.1).
    @discardableResult
    public func addSyscallHook(_ body: @escaping (Engine) -> Void) throws(EngineError) -> HookHandle {
        try register(.instruction(body), { hook, data in
            hvs_hook_add_syscall(handle, hook, Int32(bitPattern: UC_X86_INS_SYSCALL.rawValue), { _, data in
                guard let box = HookBox.from(data), case let .instruction(body) = box.body else { return }
                body(box.engine)
            }, data)
        }, "hook syscall")
    }

    /// Calls `body` on `cpuid`; return true if it set RAX/RBX/RCX/RDX itself (Unicorn's
    /// own cpuid is then skipped), false to let Unicorn execute it.
    @discardableResult
    public func addCPUIDHook(_ body: @escaping (Engine) -> Bool) throws(EngineError) -> HookHandle {
        try register(.cpuid(body), { hook, data in
            hvs_hook_add_cpuid(handle, hook, { _, data in
                guard let box = HookBox.from(data), case let .cpuid(body) = box.body else { return 0 }
                return body(box.engine) ? 1 : 0
            }, data)
        }, "hook cpuid")
    }

    /// Calls `body(engine, port, size)` on `in` (all forms); its result is the value read.
    /// Without this hook Unicorn reads 0.
    @discardableResult
    public func addPortInHook(_ body: @escaping (Engine, UInt16, Int) -> UInt32) throws(EngineError) -> HookHandle {
        try register(.portIn(body), { hook, data in
            hvs_hook_add_in(handle, hook, { _, port, size, data in
                guard let box = HookBox.from(data), case let .portIn(body) = box.body else { return 0 }
                return body(box.engine, UInt16(truncatingIfNeeded: port), Int(size))
            }, data)
        }, "hook in")
    }

    /// Calls `body(engine, port, size, value)` on `out` (all forms).
    @discardableResult
    public func addPortOutHook(_ body: @escaping (Engine, UInt16, Int, UInt32) -> Void) throws(EngineError) -> HookHandle {
        try register(.portOut(body), { hook, data in
            hvs_hook_add_out(handle, hook, { _, port, size, value, data in
                guard let box = HookBox.from(data), case let .portOut(body) = box.body else { return }
                body(box.engine, UInt16(truncatingIfNeeded: port), Int(size), value)
            }, data)
        }, "hook out")
    }

    /// Unregisters every hook and releases the closures. Hook closures often
    /// hold the objects that hold this engine; dropping them ends such cycles
    /// so the engine (and Unicorn's memory) is freed when its owners let go.
    public func removeAllHooks() {
        for raw in Array(hooks.keys) { removeHook(HookHandle(raw: raw)) }
    }

    /// Unregisters a hook and releases its closure. Unknown handles are ignored.
    public func removeHook(_ handle: HookHandle) {
        guard let box = hooks.removeValue(forKey: handle.raw) else { return }
        _ = uc_hook_del(self.handle, handle.raw)
        Unmanaged.passUnretained(box).release()
    }
}
