import CPU
import Memory

/// The page(s) import slots point into. Each 16-byte slot holds `ret`; a code
/// hook restricted to these pages calls the slot's handler just before that
/// `ret` runs. The pages are code the emulator owns, so the CI verifier
/// grants them execute (the only non-image code it does).
final class Trampolines {
    static let slotSize: UInt64 = 16
    static let pages = 16
    static let base: UInt64 = 0xFFFF_F807_1000_0000

    struct Slot {
        var name: String
        /// nil: the logged fallback.
        var handler: KernelHandler?
        /// The handler is a registered stub (counted in `Kernel.stubHits`).
        var stub = false
    }

    let allocation: Allocation
    private(set) var slots: [Slot] = []
    private var slotByName: [String: Int] = [:]
    private var hook: HookHandle?
    /// Slot 0: reaching it ends an entry point (the fake return address).
    var returnTrap: UInt64 { allocation.base }

    init(memory: MemoryModel) throws {
        allocation = try memory.allocate(pages: Self.pages, owner: .trampoline, rights: .readExecute, at: Self.base)
        let page = [UInt8](repeating: 0xCC, count: Self.pages * 0x1000)
        var code = page
        for offset in stride(from: 0, to: code.count, by: Int(Self.slotSize)) { code[offset] = 0xC3 }
        try memory.engine.writeMemory(allocation.base, code)
        try memory.verifier.grantTrampoline(frames: allocation.frames)
        slots.append(Slot(name: "<return>", handler: nil))
    }

    var capacity: Int { Self.pages * 0x1000 / Int(Self.slotSize) }

    /// The slot address for `name`, creating it on first use.
    func slot(for name: String, export: KernelExport?) throws -> UInt64 {
        try slot(for: name, handler: export?.handler, stub: export?.isStub ?? false)
    }

    /// The slot address for `name`, creating it on first use (the model's own
    /// continuation slots pass a handler that is no export).
    func slot(for name: String, handler: KernelHandler?, stub: Bool = false) throws -> UInt64 {
        if let index = slotByName[name] { return address(of: index) }
        guard slots.count < capacity else { throw KernelSetupError.tooManyImports(capacity) }
        slots.append(Slot(name: name, handler: handler, stub: stub))
        slotByName[name] = slots.count - 1
        return address(of: slots.count - 1)
    }

    func address(of index: Int) -> UInt64 { allocation.base + UInt64(index) * Self.slotSize }

    func install(on engine: Engine, dispatch: @escaping (Int) -> Void) throws {
        let last = allocation.base + UInt64(Self.pages * 0x1000) - 1
        hook = try engine.addCodeHook(range: allocation.base...last) { _, address, _ in
            let offset = address - self.allocation.base
            guard offset % Self.slotSize == 0 else { return }
            dispatch(Int(offset / Self.slotSize))
        }
    }
}

/// Problems setting up the kernel model (not the driver's fault).
public enum KernelSetupError: Error, CustomStringConvertible {
    case tooManyImports(Int)
    case notModeled(String)

    public var description: String {
        switch self {
        case .tooManyImports(let n): return "the driver imports more than \(n) distinct functions"
        case .notModeled(let name): return "\(name) has no handler in the kernel model"
        }
    }
}
