import CUnicorn
import Foundation

/// Stops an emulation that runs longer than a deadline, from a thread that
/// sleeps until then. Unicorn's own timeout (uc_emu_start's `timeout`) polls
/// every 2 µs on a second thread, which costs a sixth of a core for the whole
/// run; this costs nothing until it fires. `uc_emu_stop` from another thread
/// is what Unicorn's own timer does.
public final class Watchdog: @unchecked Sendable {
    private let handle: OpaquePointer
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var fired = false
    private var running = true

    /// Starts watching: after `seconds`, stops the engine unless `finish()` came first.
    public init(engine: Engine, seconds: Double) {
        handle = engine.handle
        let deadline = DispatchTime.now() + .nanoseconds(Int(min(max(seconds, 0), 86_400) * 1e9))
        let thread = Thread { [self] in
            guard finished.wait(timeout: deadline) == .timedOut else { return }
            lock.lock()
            defer { lock.unlock() }
            guard running else { return }
            fired = true
            _ = uc_emu_stop(handle)
        }
        thread.stackSize = 1 << 16
        thread.start()
    }

    /// Ends the watch; returns whether the deadline had passed and stopped the engine.
    @discardableResult
    public func finish() -> Bool {
        lock.lock()
        running = false
        let result = fired
        lock.unlock()
        finished.signal()
        return result
    }
}
