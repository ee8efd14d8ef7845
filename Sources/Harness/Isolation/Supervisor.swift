#if canImport(Glibc)
import Glibc
#endif

/// Runs the emulator in a child process so that nothing a driver does can take
/// `hvcisim` down: QEMU aborts the whole process on some encodings, a trap in
/// the model kills it, a runaway may exhaust memory. The child computes the
/// report and hands back its rendered text and exit status; if it dies or
/// stops making progress, the supervisor says how, and the caller builds the
/// report from what the ProgressChannel recorded. Invisible to users: same
/// output, same exit statuses, stderr (the trace) passed through as it comes.
public enum Supervisor {
    public enum Result {
        /// The child finished: its report and exit status.
        case completed(text: String, status: Int32)
        /// The child died or was killed; `reason` says how (signal, stall, last words on stderr).
        case died(reason: String)
    }

    /// Set HVCISIM_NO_ISOLATION=1 to run in this process (debuggers, profilers).
    public static var enabled: Bool { getenv("HVCISIM_NO_ISOLATION") == nil }

    /// Runs `work` in one supervised child and waits for it (see `SupervisedProcess`).
    public static func run(channel: ProgressChannel, stallSeconds: Double, work: () -> (text: String, status: Int32)) -> Result {
        guard let child = SupervisedProcess(channel: channel, stallSeconds: stallSeconds, relayStderr: true, work: work) else {
            let outcome = work()
            return .completed(text: outcome.text, status: outcome.status)
        }
        while !child.pump(waitMilliseconds: 200) {}
        return child.finish()
    }

    /// Waits until at least one of `children` may have finished (or 200 ms pass), then pumps
    /// them all; returns the indices of those that are done (call `finish()` on each).
    public static func pump(_ children: [SupervisedProcess]) -> [Int] {
        var fds: [pollfd] = []
        for child in children { fds += child.openDescriptors.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) } }
        if !fds.isEmpty { _ = poll(&fds, nfds_t(fds.count), 200) }
        return children.indices.filter { children[$0].pump(waitMilliseconds: 0) }
    }

    public static func monotonicSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGABRT: return "SIGABRT"
        case SIGSEGV: return "SIGSEGV"
        case SIGILL: return "SIGILL, a trap in hvcisim"
        case SIGBUS: return "SIGBUS"
        case SIGFPE: return "SIGFPE"
        case SIGKILL: return "SIGKILL, out of memory?"
        case SIGTRAP: return "SIGTRAP, a trap in hvcisim"
        default: return "signal \(signal)"
        }
    }

    /// Writes all of `text` to `fd`; nil when done, else the errno.
    public static func writeAll(_ text: String, to fd: Int32) -> Int32? {
        var text = text
        return text.withUTF8 { buffer in
            var done = 0
            while done < buffer.count {
                let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
                if n > 0 { done += n } else if n < 0, errno == EINTR { continue } else { return n < 0 ? errno : EIO }
            }
            return nil
        }
    }
}

/// One emulator process: forked to run `work` (which returns the rendered report and the exit
/// status), its report and stderr read through pipes, killed when `channel`'s heartbeat has not
/// moved for `stallSeconds`. Several can be pumped together (`Supervisor.pump`), which is how
/// `scan --jobs N` keeps N drivers running from one single-threaded parent (fork from a
/// process with other threads running could copy a held lock into the child).
public final class SupervisedProcess {
    let pid: pid_t
    let channel: ProgressChannel
    let stallSeconds: Double
    let relayStderr: Bool
    private let reportFd: Int32, errorFd: Int32
    private(set) var openDescriptors: [Int32]
    private var report: [UInt8] = []
    private var relay: StderrRelay
    private var lastBeat: UInt64
    private var quietSince: Double
    private var stalled = false
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)

    /// Forks; nil when no pipe or process could be made (the caller then runs `work` itself,
    /// or reports the driver as not run).
    public init?(channel: ProgressChannel, stallSeconds: Double, relayStderr: Bool, work: () -> (text: String, status: Int32)) {
        var reportPipe: [Int32] = [0, 0], errorPipe: [Int32] = [0, 0]
        guard pipe(&reportPipe) == 0 else { return nil }
        guard pipe(&errorPipe) == 0 else { close(reportPipe[0]); close(reportPipe[1]); return nil }
        let child = fork()
        if child == 0 {
            close(reportPipe[0]); close(errorPipe[0])
            dup2(errorPipe[1], 2)
            close(errorPipe[1])
            let outcome = work()
            let failed = Supervisor.writeAll(outcome.text, to: reportPipe[1]) != nil
            _exit(failed ? 2 : outcome.status)
        }
        close(reportPipe[1]); close(errorPipe[1])
        guard child > 0 else { close(reportPipe[0]); close(errorPipe[0]); return nil }
        pid = child
        self.channel = channel
        self.stallSeconds = stallSeconds
        self.relayStderr = relayStderr
        reportFd = reportPipe[0]
        errorFd = errorPipe[0]
        openDescriptors = [reportFd, errorFd]
        relay = StderrRelay()
        relay.passThrough = relayStderr
        lastBeat = channel.heartbeat
        quietSince = Supervisor.monotonicSeconds()
    }

    deinit {
        close(reportFd); close(errorFd)
    }

    /// Reads what is there (waiting up to `waitMilliseconds` for something) and checks the
    /// heartbeat; true when the child has closed both pipes or was killed for stalling.
    func pump(waitMilliseconds: Int32) -> Bool {
        if openDescriptors.isEmpty || stalled { return true }
        var fds = openDescriptors.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let ready = poll(&fds, nfds_t(fds.count), waitMilliseconds)
        if ready < 0, errno != EINTR { openDescriptors = []; return true }
        for entry in fds where entry.revents != 0 {
            let n = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress!, $0.count) }
            if n <= 0 {
                if n == 0 || errno != EINTR { openDescriptors.removeAll { $0 == entry.fd } }
                continue
            }
            if entry.fd == reportFd { report += buffer[..<n] } else { relay.take(buffer[..<n]) }
        }
        let beat = channel.heartbeat
        if beat != lastBeat {
            lastBeat = beat
            quietSince = Supervisor.monotonicSeconds()
        } else if Supervisor.monotonicSeconds() - quietSince > stallSeconds {
            stalled = true
            kill(pid, SIGKILL)
            return true
        }
        return openDescriptors.isEmpty
    }

    /// Reaps the child (after `pump` said it is done) and says how it ended.
    public func finish() -> Supervisor.Result {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7F
        if !stalled, signal == 0 {
            return .completed(text: String(decoding: report, as: UTF8.self), status: (status >> 8) & 0xFF)
        }
        relay.finish()
        let words = relay.lastWords.map { ": \($0)" } ?? ""
        if stalled {
            return .died(reason: "no progress for \(Int(stallSeconds)) s (the emulator's process was stopped)")
        }
        return .died(reason: "the emulator's process ended by signal \(signal) (\(Supervisor.signalName(signal)))\(words)")
    }
}

/// Passes the child's standard error through (the trace, warnings) line by line, until the
/// child crashes: the crash report of the Swift runtime's backtracer that follows is held
/// back, and the line before it (QEMU's "tcg fatal error", Swift's "Fatal error: …") is kept
/// as the child's last words for the report.
struct StderrRelay {
    /// False for `scan`: the lines are kept for the last words, not printed.
    var passThrough = true
    private var partial: [UInt8] = []
    private var crashing = false
    private(set) var lastWords: String?

    mutating func take(_ bytes: ArraySlice<UInt8>) {
        partial += bytes
        while let newline = partial.firstIndex(of: 0x0A) {
            let line = Array(partial[...newline])
            partial.removeSubrange(...newline)
            handle(line)
        }
        if partial.count > 1 << 16 { handle(partial); partial = [] }  // an endless line: pass it on in pieces
    }

    mutating func finish() {
        if !partial.isEmpty { handle(partial) }
        partial = []
    }

    private mutating func handle(_ line: [UInt8]) {
        let text = String(decoding: line, as: UTF8.self).trimmingTrailingNewline()
        if text.hasPrefix("*** Signal") || text.hasPrefix("*** Program crashed") || text.hasPrefix("Current stack trace") {
            crashing = true
        }
        // The backtracer's own notes ("swift-runtime: failed to suspend thread …") are not the child's last words.
        if crashing || text.hasPrefix("swift-runtime:") { return }
        if !text.isEmpty { lastWords = String(text.prefix(300)) }
        // QEMU's abort message ("./qemu/tcg/tcg.c:3073: tcg fatal error") is the crash itself:
        // the report carries it as the tool fault, so it is not also printed as stray output.
        if text.contains("qemu/") && text.contains("fatal error") { crashing = true; return }
        if passThrough { _ = line.withUnsafeBytes { write(2, $0.baseAddress!, $0.count) } }
    }
}

private extension String {
    func trimmingTrailingNewline() -> String {
        var text = self
        while text.last == "\n" || text.last == "\r" { text.removeLast() }
        return text
    }
}
