import CPU
import Memory
import Testing
@testable import Kernel

/// Virtual time: a queued routine that keeps looping is parked after its budget of emulated
/// time or of repeated kernel calls, within milliseconds of wall-clock time.
struct VirtualTimeTests {
    static func le64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) } }

    /// `mov rax, slot; call rax`.
    static func callSlot(_ slot: UInt64) -> [UInt8] { [0x48, 0xB8] + le64(slot) + [0xFF, 0xD0] }

    /// A worker that sleeps a second per round, forever:
    /// `for (;;) KeDelayExecutionThread(KernelMode, FALSE, &(-1 s))`.
    static func sleepingWorker(_ h: KernelHarness) throws -> UInt64 {
        let delay = try h.kernel.resolve(module: "ntoskrnl.exe", function: "KeDelayExecutionThread")
        let head: [UInt8] = [0x48, 0x83, 0xEC, 0x38,                          // sub rsp, 0x38
                             0x48, 0xC7, 0x44, 0x24, 0x30, 0x80, 0x69, 0x67, 0xFF] // mov qword [rsp+0x30], -10000000
        let body: [UInt8] = [0x31, 0xC9, 0x31, 0xD2,                          // xor ecx, ecx; xor edx, edx
                             0x4C, 0x8D, 0x44, 0x24, 0x30] + callSlot(delay)     // lea r8, [rsp+0x30]; call
        let back = UInt8(truncatingIfNeeded: -(body.count + 2))
        return try h.code(head + body + [0xEB, back])                          // jmp body
    }

    /// A worker that polls a signalled event forever without time passing (gibepext.sys's shape):
    /// `for (;;) KeWaitForSingleObject(event, Executive, KernelMode, FALSE, NULL)`.
    static func pollingWorker(_ h: KernelHarness, event: UInt64) throws -> UInt64 {
        let wait = try h.kernel.resolve(module: "ntoskrnl.exe", function: "KeWaitForSingleObject")
        let body: [UInt8] = [0x48, 0xB9] + le64(event)                         // mov rcx, event
            + [0x31, 0xD2, 0x45, 0x31, 0xC0, 0x45, 0x31, 0xC9,                  // xor edx, edx; xor r8d, r8d; xor r9d, r9d
               0x48, 0xC7, 0x44, 0x24, 0x20, 0, 0, 0, 0] + callSlot(wait)      // mov qword [rsp+0x20], 0; call
        let back = UInt8(truncatingIfNeeded: -(body.count + 2))
        return try h.code([0x48, 0x83, 0xEC, 0x38] + body + [0xEB, back])
    }

    func interruptTime(_ h: KernelHarness) -> UInt64 { TimeArea.clock(h.kernel).interruptTime }

    /// Why the entry point was parked, nil when it was not.
    func parkReason(_ h: KernelHarness) -> String? {
        if case .parked(let why)? = h.kernel.stopReason { return why }
        return nil
    }

    /// Runs `routine` as an entry point (`queued`: a routine the driver queued).
    func runEntry(_ h: KernelHarness, _ routine: UInt64, queued: Bool) throws {
        h.kernel.beginEntryPoint(queued: queued)
        _ = try h.run(at: routine)
    }

    @Test func aQueuedWorkerThatSleepsForeverIsParkedAfterItsBudgetOfEmulatedTime() throws {
        let h = try KernelHarness(hvci: false, virtualTime: VirtualTimeBudget(seconds: 60))
        let worker = try Self.sleepingWorker(h)
        let before = interruptTime(h)
        try runEntry(h, worker, queued: true)
        let why = try #require(parkReason(h), "not parked: \(String(describing: h.kernel.stopReason))")
        #expect(why.contains("61 s of emulated time") && why.contains("budget of 60 s"), "\(why)")
        // 61 one-second delays: the clock moved by them, and no further.
        #expect(interruptTime(h) - before == 61 * 10_000_000 + 0)
        #expect(h.kernel.calls.filter { $0.function.hasSuffix("KeDelayExecutionThread") }.count == 61)
    }

    @Test func theTimeBudgetDoesNotApplyToDriverEntryOrRequests() throws {
        let h = try KernelHarness(hvci: false, virtualTime: VirtualTimeBudget(seconds: 60, repeatedCalls: 500))
        let worker = try Self.sleepingWorker(h)
        try runEntry(h, worker, queued: false)
        // Not parked for time: the identical delays are a loop without effect, parked by that rule.
        let why = try #require(parkReason(h), "not parked: \(String(describing: h.kernel.stopReason))")
        #expect(why.contains("500 kernel calls in a row"), "\(why)")
    }

    @Test func aWorkerPollingWithoutTimePassingIsParkedAfterRepeatedCalls() throws {
        let h = try KernelHarness(hvci: false, virtualTime: VirtualTimeBudget(seconds: 60, repeatedCalls: 1000))
        let event = try h.buffer(0x18)
        try h.call("KeInitializeEvent", event, 0, 1) // notification event, signalled: every wait succeeds at once
        let worker = try Self.pollingWorker(h, event: event)
        let before = interruptTime(h)
        try runEntry(h, worker, queued: true)
        let why = try #require(parkReason(h), "not parked: \(String(describing: h.kernel.stopReason))")
        #expect(why.contains("1000 kernel calls in a row repeated earlier ones"), "\(why)")
        #expect(h.kernel.callCount == 1 + 1000) // one new call, then 1000 repeats (KeInitializeEvent was invoked directly)
        #expect(interruptTime(h) == before)
    }

    @Test func zeroTurnsBothRulesOff() throws {
        var limits = VirtualTimeBudget(seconds: 0, repeatedCalls: 0)
        #expect(limits.ticks == nil)
        limits.seconds = 1e300
        #expect(limits.ticks == UInt64(Int64.max))
        limits.seconds = .nan
        #expect(limits.ticks == nil)
    }

    @Test func aThreadRunInsideAWaitIsParkedAndTheWaiterGoesOn() throws {
        let h = try KernelHarness(hvci: false, virtualTime: VirtualTimeBudget(seconds: 60))
        let worker = try Self.sleepingWorker(h)
        let handle = try h.buffer(8), event = try h.buffer(0x18), timeout = try h.buffer(8)
        try h.call("KeInitializeEvent", event, 1, 0) // never signalled
        try h.kernel.writeU64(timeout, UInt64(bitPattern: -50_000_000)) // 5 s
        #expect(try h.call("PsCreateSystemThread", handle, 0, 0, 0, 0, worker, 0) == 0)
        let thread = try #require(h.kernel.handles.lookup(h.kernel.readU64(handle))).object
        // The waiter: return KeWaitForSingleObject(event, Executive, KernelMode, FALSE, &(-5 s)).
        let wait = try h.kernel.resolve(module: "ntoskrnl.exe", function: "KeWaitForSingleObject")
        let waiter = try h.code([0x48, 0x83, 0xEC, 0x38, 0x48, 0xB9] + Self.le64(event)
                                + [0x31, 0xD2, 0x45, 0x31, 0xC0, 0x45, 0x31, 0xC9, 0x48, 0xB8] + Self.le64(timeout)
                                + [0x48, 0x89, 0x44, 0x24, 0x20] + Self.callSlot(wait) + [0x48, 0x83, 0xC4, 0x38, 0xC3])
        let before = interruptTime(h)
        h.kernel.beginEntryPoint(queued: false)
        let status = try h.run(at: waiter)
        #expect(h.kernel.stopReason == nil)
        #expect(status == 0x102) // STATUS_TIMEOUT: the thread never set the event
        // The thread's 61 delays; the waiter's 5 s had passed by then (counted from its wait's start).
        #expect(interruptTime(h) - before == 61 * 10_000_000)
        let notes = h.kernel.takeParkedNotes()
        #expect(notes.count == 1 && notes[0].contains("SystemThread") && notes[0].contains("run inside a wait"), "\(notes)")
        // Parked, not ended: its thread object is not signalled, and the waiter's stack is its own again.
        #expect(try h.kernel.readU32(thread + 4) == 0)
        #expect(try h.call("PsGetCurrentThread") == h.kernel.processor.thread)
    }
}
