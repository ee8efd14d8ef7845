import CPU
import Memory

/// The one processor of the model: its KPCR at GS base (so `gs:[0x188]` is
/// the current thread, as KeGetCurrentThread's inline form reads it), the
/// System process and its thread, and KUSER_SHARED_DATA at its fixed
/// read-only address.
struct Processor {
    var kpcr: UInt64 = 0
    var thread: UInt64 = 0
    var process: UInt64 = 0
    /// 2026-01-01T00:00:00Z as FILETIME (100 ns since 1601).
    var systemTime: UInt64 = 134_116_992_000_000_000

    static func setUp(_ kernel: Kernel) throws -> Processor {
        var p = Processor()
        let kpcr = try kernel.memory.allocate(pages: Layout.KPCR.totalSize / 0x1000, owner: .kernelStructure("KPCR"))
        p.kpcr = kpcr.base
        p.process = try kernel.heap.allocate(0xA00, name: "EPROCESS")
        p.thread = try kernel.heap.allocate(Layout.KThread.totalSize, name: "ETHREAD")
        try kernel.writeU64(p.kpcr &+ UInt64(Layout.KPCR.selfPointer), p.kpcr)
        try kernel.writeU64(p.kpcr &+ UInt64(Layout.KPCR.currentPrcb), p.kpcr &+ UInt64(Layout.KPCR.prcb))
        try kernel.writeU64(p.kpcr &+ UInt64(Layout.KPCR.currentThread), p.thread)
        try kernel.writeU64(p.thread &+ UInt64(Layout.KThread.apcStateProcess), p.process)
        try kernel.engine.write(.gsBase, p.kpcr)

        typealias K = Layout.KUserSharedData
        let shared = try kernel.memory.allocate(pages: 1, owner: .kernelStructure("KUSER_SHARED_DATA"),
                                                rights: .read, at: K.kernelAddress)
        try kernel.writeU32(shared.base &+ UInt64(K.tickCountMultiplier), 0x0FA0_0000)
        try kernel.writeU64(shared.base &+ UInt64(K.systemTime), p.systemTime)
        try kernel.writeU32(shared.base &+ UInt64(K.ntBuildNumber), 19045)
        try kernel.writeU32(shared.base &+ UInt64(K.ntMajorVersion), 10)
        try kernel.writeU32(shared.base &+ UInt64(K.ntMinorVersion), 0)
        return p
    }
}
