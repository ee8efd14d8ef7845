import CUnicorn
#if canImport(Glibc)
import Glibc
#endif

/// Stops an emulation that runs longer than a deadline, from a thread that
/// sleeps until then. Unicorn's own timeout (uc_emu_start's `timeout`) polls
/// every 2 µs on a second thread, which costs a sixth of a core for the whole
/// run; this costs nothing until it fires. `uc_emu_stop` from another thread
/// is what Unicorn's own timer does. Plain POSIX threads (no Foundation: it
/// would cost more resident memory than the rest of a run).
public final class Watchdog: @unchecked Sendable {
    private let handle: OpaquePointer
    // Heap cells: a pthread object must not move, and `&property` of a class gives no such promise.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var deadline = timespec()
    private var fired = false
    private var running = true
    private var thread: pthread_t?

    /// Starts watching: after `seconds`, stops the engine unless `finish()` came first.
    public init(engine: Engine, seconds: Double) {
        handle = engine.handle
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        condition.initialize(to: pthread_cond_t())
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)

        let span = min(max(seconds.isFinite ? seconds : 0, 0), 86_400)
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let nanoseconds = Int(deadline.tv_nsec) + Int((span - span.rounded(.down)) * 1e9)
        deadline.tv_sec += Int(span) + nanoseconds / 1_000_000_000
        deadline.tv_nsec = nanoseconds % 1_000_000_000

        var threadAttributes = pthread_attr_t()
        pthread_attr_init(&threadAttributes)
        pthread_attr_setstacksize(&threadAttributes, 1 << 16)
        let context = Unmanaged.passRetained(self).toOpaque()
        var created = pthread_t()
        if pthread_create(&created, &threadAttributes, { context in
            let watchdog = Unmanaged<Watchdog>.fromOpaque(context!).takeRetainedValue()
            watchdog.watch()
            return nil
        }, context) == 0 {
            thread = created
        } else {
            Unmanaged<Watchdog>.fromOpaque(context).release()
        }
        pthread_attr_destroy(&threadAttributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// The watching thread: sleeps until the deadline or `finish()`.
    private func watch() {
        pthread_mutex_lock(mutex)
        while running {
            if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT {
                if running {
                    fired = true
                    _ = uc_emu_stop(handle)
                }
                break
            }
        }
        pthread_mutex_unlock(mutex)
    }

    /// Ends the watch; returns whether the deadline had passed and stopped the engine.
    /// Waits for the watching thread, so no stop can reach the engine afterwards.
    @discardableResult
    public func finish() -> Bool {
        pthread_mutex_lock(mutex)
        running = false
        let result = fired
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
        if let thread {
            pthread_join(thread, nil)
            self.thread = nil
        }
        return result
    }
}
