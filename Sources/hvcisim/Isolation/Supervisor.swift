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
enum Supervisor {
    enum Result {
        /// The child finished: its report and exit status.
        case completed(text: String, status: Int32)
        /// The child died or was killed; `reason` says how (signal, stall, last words on stderr).
        case died(reason: String)
    }

    /// Set HVCISIM_NO_ISOLATION=1 to run in this process (debuggers, profilers).
    static var enabled: Bool { getenv("HVCISIM_NO_ISOLATION") == nil }

    /// Forks; the child runs `work` (which returns the rendered report and the exit status)
    /// and exits; the parent relays the child's stderr, collects the report, and kills the
    /// child when `channel`'s heartbeat has not moved for `stallSeconds`.
    static func run(channel: ProgressChannel, stallSeconds: Double, work: () -> (text: String, status: Int32)) -> Result {
        var reportPipe: [Int32] = [0, 0], errorPipe: [Int32] = [0, 0]
        guard pipe(&reportPipe) == 0, pipe(&errorPipe) == 0 else {
            let outcome = work()
            return .completed(text: outcome.text, status: outcome.status)
        }
        let child = fork()
        if child == 0 {
            close(reportPipe[0]); close(errorPipe[0])
            dup2(errorPipe[1], 2)
            close(errorPipe[1])
            let outcome = work()
            let failed = SystemIO.writeAll(outcome.text, to: reportPipe[1]) != nil
            _exit(failed ? 2 : outcome.status)
        }
        close(reportPipe[1]); close(errorPipe[1])
        defer { close(reportPipe[0]); close(errorPipe[0]) }
        guard child > 0 else {
            return .died(reason: "could not start the emulator's process: \(String(cString: strerror(errno)))")
        }
        var report: [UInt8] = []
        var relay = StderrRelay()
        var open = [reportPipe[0], errorPipe[0]]
        var lastBeat = channel.heartbeat, quietSince = monotonicSeconds()
        var stalled = false
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while !open.isEmpty {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), 200)
            if ready < 0, errno != EINTR { break }
            for entry in fds where entry.revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress!, $0.count) }
                if n <= 0 {
                    if n == 0 || errno != EINTR { open.removeAll { $0 == entry.fd } }
                    continue
                }
                if entry.fd == reportPipe[0] {
                    report += buffer[..<n]
                } else {
                    relay.take(buffer[..<n])
                }
            }
            let beat = channel.heartbeat
            if beat != lastBeat {
                lastBeat = beat
                quietSince = monotonicSeconds()
            } else if monotonicSeconds() - quietSince > stallSeconds {
                stalled = true
                kill(child, SIGKILL)
                break
            }
        }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7F
        if !stalled, signal == 0 {
            return .completed(text: String(decoding: report, as: UTF8.self), status: (status >> 8) & 0xFF)
        }
        relay.finish()
        let words = relay.lastWords.map { ": \($0)" } ?? ""
        if stalled {
            return .died(reason: "no progress for \(Int(stallSeconds)) s (the emulator's process was stopped)")
        }
        return .died(reason: "the emulator's process ended by signal \(signal) (\(signalName(signal)))\(words)")
    }

    static func monotonicSeconds() -> Double {
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
}

/// Passes the child's standard error through (the trace, warnings) line by line, until the
/// child crashes: the crash report of the Swift runtime's backtracer that follows is held
/// back, and the line before it (QEMU's "tcg fatal error", Swift's "Fatal error: …") is kept
/// as the child's last words for the report.
struct StderrRelay {
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
        _ = line.withUnsafeBytes { write(2, $0.baseAddress!, $0.count) }
    }
}

private extension String {
    func trimmingTrailingNewline() -> String {
        var text = self
        while text.last == "\n" || text.last == "\r" { text.removeLast() }
        return text
    }
}
