/// When the model stops a routine that keeps looping (docs/virtual-time.md).
///
/// The model's clock only moves when the driver waits, delays, stalls or asks
/// for the time (TimeArea), so a worker that sleeps a second per round costs no
/// wall-clock time per round — and, looping forever, would only be ended by the
/// run's wall-clock timeout or kernel-call limit, both far slower and the
/// latter shared by the whole run. Two budgets end such a routine early; the
/// routine is *parked*: its entry point ends with `KernelStop.parked` (when it
/// runs inside a wait, only the routine ends and the waiter goes on).
public struct VirtualTimeBudget: Sendable, Equatable {
    /// Emulated time a queued routine (system thread, work item, DPC, timer, callback) may
    /// let pass, in seconds; 0 turns the rule off. DriverEntry and the requests the run sends
    /// are not subject to it: a long wait there is the driver's own business.
    public var seconds: Double
    /// Kernel calls in a row that repeat one the routine already made (same function, call
    /// site, first four arguments and result) before any routine is parked; 0 turns it off.
    /// A loop that makes progress changes its arguments or results and is not counted.
    public var repeatedCalls: Int

    public init(seconds: Double = 60, repeatedCalls: Int = 20_000) {
        self.seconds = seconds
        self.repeatedCalls = repeatedCalls
    }

    /// The time budget in 100 ns units (nil when off), saturating.
    var ticks: UInt64? {
        guard seconds > 0, seconds.isFinite else { return nil }
        let ticks = seconds * 10_000_000
        return ticks >= Double(UInt64(Int64.max)) ? UInt64(Int64.max) : UInt64(ticks)
    }
}

/// What one running routine has used: the emulated time that passed in its own kernel calls
/// (not in routines it waited for) and its run of repeated calls.
final class RoutineWatch {
    /// Whether the time budget applies (queued routines only).
    let timed: Bool
    var consumed: UInt64 = 0
    var repeated = 0
    var seen: Set<Int> = []
    static let maxSeen = 1 << 16

    init(timed: Bool) { self.timed = timed }

    /// Counts one call; true when it repeats an earlier one.
    func record(_ signature: Int) -> Bool {
        if seen.contains(signature) {
            repeated += 1
            return true
        }
        if seen.count < Self.maxSeen { seen.insert(signature) }
        repeated = 0
        return false
    }
}

extension Kernel {
    final class VirtualTimeState {
        /// The entry point's own routine (nil before the first entry point).
        var entry: RoutineWatch?
        /// Why routines run inside waits were parked during this entry point, for its notes.
        var parkedNotes: [String] = []
    }

    var virtualTime: VirtualTimeState { state(VirtualTimeState.self) { VirtualTimeState() } }

    /// The routine the CPU runs: the innermost one run inside a wait, else the entry point's.
    var currentWatch: RoutineWatch? {
        SynchronizationArea.scheduler(self).frames.last?.watch ?? virtualTime.entry
    }

    /// Notes on routines parked inside waits since the entry point began (taken once).
    public func takeParkedNotes() -> [String] {
        defer { virtualTime.parkedNotes = [] }
        return virtualTime.parkedNotes
    }

    /// After each kernel call: charges the time that passed in it to the current routine and
    /// parks the routine when it is over a budget. `elapsed` is the clock's advance in the call.
    func checkBudget(_ call: KernelCall, result: UInt64, elapsed: UInt64) {
        guard stopReason == nil, let watch = currentWatch else { return }
        let budget = configuration.virtualTime
        let (sum, overflow) = watch.consumed.addingReportingOverflow(elapsed)
        watch.consumed = overflow ? .max : sum
        var hasher = Hasher()
        hasher.combine(call.function)
        hasher.combine(call.returnAddress)
        for index in 0..<4 { hasher.combine((try? call.arg(index)) ?? 0) }
        hasher.combine(result)
        _ = watch.record(hasher.finalize())
        let reason: String
        if watch.timed, let limit = budget.ticks, watch.consumed > limit {
            reason = "it let \(Self.seconds(watch.consumed)) of emulated time pass, over the virtual-time budget of "
                + "\(Self.seconds(limit)) (--virtual-time-budget)"
        } else if budget.repeatedCalls > 0, watch.repeated >= budget.repeatedCalls {
            reason = "\(watch.repeated) kernel calls in a row repeated earlier ones (same function, call site, arguments "
                + "and result): a loop without effect (--repeated-call-limit)"
        } else {
            return
        }
        park(call, reason: reason)
    }

    /// "60 s", "1.5 s".
    static func seconds(_ ticks: UInt64) -> String {
        let whole = ticks / 10_000_000, tenths = ticks % 10_000_000 / 1_000_000
        return tenths == 0 ? "\(whole) s" : "\(whole).\(tenths) s"
    }

    /// Ends the current routine: one run inside a wait returns to its waiter (as if it had
    /// blocked for good), the entry point's own routine ends the entry point.
    private func park(_ call: KernelCall, reason: String) {
        let scheduler = SynchronizationArea.scheduler(self)
        if let frame = scheduler.frames.last, frame.resumeStack != 0 {
            let what = "\(frame.routine.kind) \(symbolize(frame.routine.routine))"
            call.note("parked \(what): \(reason); back to the waiting caller")
            virtualTime.parkedNotes.append("parked \(what), run inside a wait: \(reason)")
            frame.parked = true
            try? engine.write(.rsp, frame.resumeStack &- 8)
            return
        }
        call.note("parked: \(reason)")
        stop(.parked(reason))
    }
}
