#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress bar on standard error for `scan`: drivers done of all, the verdicts so
/// far and the driver that finished last, redrawn in place. Shown only when both standard
/// output and standard error are terminals, so that logs and pipes stay clean.
struct ProgressBar {
    let total: Int
    let enabled: Bool
    private var done = 0
    private var counts: [String: Int] = [:]

    init(total: Int) {
        self.total = total
        enabled = isatty(1) == 1 && isatty(2) == 1 && total > 0
    }

    mutating func finished(_ path: String, verdict: String) {
        done += 1
        counts[verdict, default: 0] += 1
        guard enabled else { return }
        let width = 30
        let filled = total == 0 ? width : width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let tally = ["incompatible", "inconclusive"].compactMap { key in counts[key].map { "\($0) \(key)" } }.joined(separator: ", ")
        let name = path.split(separator: "/").last.map(String.init) ?? path
        var line = "\r[\(bar)] \(done)/\(total)" + (tally.isEmpty ? "" : "  \(tally)") + "  \(name)"
        if line.count > 110 { line = String(line.prefix(110)) }
        SystemIO.write(line + "\u{1B}[K", to: 2)
    }

    /// Clears the line before the summary is printed.
    func close() {
        if enabled { SystemIO.write("\r\u{1B}[K", to: 2) }
    }
}
