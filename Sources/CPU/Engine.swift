import CUnicorn
import CUnicornShim

/// An x86-64 Unicorn instance: registers, memory regions, emulation, hooks. No policy.
///
/// Not thread-safe: use one engine from one thread (hooks run on the thread that called `start`).
/// Hooks are Swift closures kept alive by the engine and removed when it is deinitialised.
public final class Engine {
    /// The raw `uc_engine*`, for code that needs a Unicorn call this wrapper lacks.
    public let handle: OpaquePointer
    var hooks: [uc_hook: HookBox] = [:]

    /// Opens Unicorn in x86 64-bit mode (paging off: virtual addresses are Unicorn addresses).
    public init() throws(EngineError) {
        Engine.avoidHugePages
        var uc: OpaquePointer?
        try check(uc_open(UC_ARCH_X86, UC_MODE_64, &uc), "uc_open")
        guard let uc else { throw .invalidArgument("uc_open returned no engine") }
        handle = uc
    }

    /// Gives the heap that closed engines (and whatever else was freed) left behind back to the
    /// system, so that what is loaded next does not add to the process's peak.
    public static func releaseFreedHeap() {
        _ = hvs_release_free_heap()
    }

    /// Once per process, before the first uc_open (see hvs_disable_transparent_huge_pages).
    private static let avoidHugePages: Void = { _ = hvs_disable_transparent_huge_pages() }()

    deinit {
        for (hook, box) in hooks {
            _ = uc_hook_del(handle, hook)
            Unmanaged.passUnretained(box).release()
        }
        uc_close(handle)
    }

    // MARK: Registers

    public func read(_ register: Register) throws(EngineError) -> UInt64 {
        var value: UInt64 = 0
        try check(uc_reg_read(handle, register.unicornID, &value), "read \(register)")
        // Selectors are 16-bit; Unicorn may leave the rest of the 64-bit buffer untouched.
        switch register {
        case .cs, .ds, .es, .fs, .gs, .ss: return value & 0xFFFF
        default: return value
        }
    }

    public func write(_ register: Register, _ value: UInt64) throws(EngineError) {
        var value = value
        try check(uc_reg_write(handle, register.unicornID, &value), "write \(register)")
    }

    /// Reads an XMM register as (low 64 bits, high 64 bits).
    public func read(_ register: VectorRegister) throws(EngineError) -> (low: UInt64, high: UInt64) {
        var value: (UInt64, UInt64) = (0, 0)
        try check(uc_reg_read(handle, register.unicornID, &value), "read \(register)")
        return (value.0, value.1)
    }

    public func write(_ register: VectorRegister, low: UInt64, high: UInt64 = 0) throws(EngineError) {
        var value: (UInt64, UInt64) = (low, high)
        try check(uc_reg_write(handle, register.unicornID, &value), "write \(register)")
    }

    /// Reads a model-specific register through `UC_X86_REG_MSR`.
    public func readMSR(_ id: UInt32) throws(EngineError) -> UInt64 {
        var msr = uc_x86_msr(rid: id, value: 0)
        try check(uc_reg_read(handle, Int32(bitPattern: UC_X86_REG_MSR.rawValue), &msr), "rdmsr \(id)")
        return msr.value
    }

    public func writeMSR(_ id: UInt32, _ value: UInt64) throws(EngineError) {
        var msr = uc_x86_msr(rid: id, value: value)
        try check(uc_reg_write(handle, Int32(bitPattern: UC_X86_REG_MSR.rawValue), &msr), "wrmsr \(id)")
    }

    // MARK: Memory regions

    /// Unicorn's page size: every region address and size must be a multiple of it.
    public static let pageSize: UInt64 = 0x1000

    private func checkRegion(_ address: UInt64, _ size: Int, _ operation: String) throws(EngineError) {
        guard size > 0, UInt64(size) % Engine.pageSize == 0, address % Engine.pageSize == 0 else {
            throw .invalidArgument("\(operation): address 0x\(String(address, radix: 16)) size \(size) not page-aligned")
        }
        guard !address.addingReportingOverflow(UInt64(size) - 1).overflow else {
            throw .invalidArgument("\(operation): range at 0x\(String(address, radix: 16)) wraps")
        }
    }

    /// Maps zero-filled memory owned by Unicorn.
    public func map(_ address: UInt64, size: Int, protection: Protection) throws(EngineError) {
        try checkRegion(address, size, "map")
        try check(uc_mem_map(handle, address, size, protection.rawValue), "map 0x\(String(address, radix: 16))")
    }

    /// Maps caller-owned host memory (`uc_mem_map_ptr`). Several addresses may map the same bytes.
    /// The memory must stay valid, readable and writable, until unmapped or the engine is gone.
    public func map(_ address: UInt64, size: Int, protection: Protection,
                    host: UnsafeMutableRawPointer) throws(EngineError) {
        try checkRegion(address, size, "map_ptr")
        try check(uc_mem_map_ptr(handle, address, size, protection.rawValue, host),
                  "map_ptr 0x\(String(address, radix: 16))")
    }

    public func unmap(_ address: UInt64, size: Int) throws(EngineError) {
        try checkRegion(address, size, "unmap")
        try check(uc_mem_unmap(handle, address, size), "unmap 0x\(String(address, radix: 16))")
    }

    public func protect(_ address: UInt64, size: Int, protection: Protection) throws(EngineError) {
        try checkRegion(address, size, "protect")
        try check(uc_mem_protect(handle, address, size, protection.rawValue),
                  "protect 0x\(String(address, radix: 16))")
    }

    /// Every mapped region as (first address, last address inclusive, protection).
    public func regions() throws(EngineError) -> [(begin: UInt64, end: UInt64, protection: Protection)] {
        var list: UnsafeMutablePointer<uc_mem_region>?
        var count: UInt32 = 0
        try check(uc_mem_regions(handle, &list, &count), "regions")
        guard let list else { return [] }
        defer { uc_free(list) }
        return (0..<Int(count)).map { (list[$0].begin, list[$0].end, Protection(rawValue: list[$0].perms)) }
    }

    /// Drops translated code for [begin, end) so a change of execute rights takes effect
    /// for blocks Unicorn already translated (its execute check happens at translation time).
    public func invalidateTranslations(from begin: UInt64, to end: UInt64) throws(EngineError) {
        guard end > begin else { return }
        try check(hvs_ctl_remove_cache(handle, begin, end), "remove_cache")
    }

    // MARK: Memory contents (host-side: ignores protections, fails on unmapped bytes)

    public func readMemory(_ address: UInt64, count: Int) throws(EngineError) -> [UInt8] {
        guard count >= 0 else { throw .invalidArgument("negative read size") }
        guard count > 0 else { return [] }
        guard !address.addingReportingOverflow(UInt64(count) - 1).overflow else {
            throw .invalidArgument("read at 0x\(String(address, radix: 16)) wraps")
        }
        var bytes = [UInt8](repeating: 0, count: count)
        let status = bytes.withUnsafeMutableBytes { uc_mem_read(handle, address, $0.baseAddress, count) }
        try check(status, "read memory 0x\(String(address, radix: 16))")
        return bytes
    }

    public func writeMemory(_ address: UInt64, _ bytes: [UInt8]) throws(EngineError) {
        guard !bytes.isEmpty else { return }
        guard !address.addingReportingOverflow(UInt64(bytes.count) - 1).overflow else {
            throw .invalidArgument("write at 0x\(String(address, radix: 16)) wraps")
        }
        let status = bytes.withUnsafeBytes { uc_mem_write(handle, address, $0.baseAddress, bytes.count) }
        try check(status, "write memory 0x\(String(address, radix: 16))")
    }

    // MARK: Emulation

    /// Runs from `begin` until `until` is reached, a hook stops it, a fault is not handled,
    /// `timeoutMicroseconds` passes (0: none) or `instructionLimit` instructions ran (0: none).
    ///
    /// An instruction limit makes Unicorn count every instruction (an internal per-instruction
    /// hook), so it costs on ordinary code; leave it 0 when a timeout is enough.
    /// Throws the fault that ended emulation (e.g. `.writeProtected`, `.fetchUnmapped`).
    public func start(at begin: UInt64, until: UInt64 = 0, timeoutMicroseconds: UInt64 = 0,
                      instructionLimit: Int = 0) throws(EngineError) {
        guard instructionLimit >= 0 else { throw .invalidArgument("negative instruction limit") }
        try check(uc_emu_start(handle, begin, until, timeoutMicroseconds, instructionLimit),
                  "emulate from 0x\(String(begin, radix: 16))")
    }

    /// Stops emulation (from a hook: after the current instruction or block).
    public func stop() {
        _ = uc_emu_stop(handle)
    }

    /// Whether the last `start` ended because its timeout expired.
    public var timedOut: Bool {
        var result = 0
        guard uc_query(handle, UC_QUERY_TIMEOUT, &result) == UC_ERR_OK else { return false }
        return result != 0
    }
}
