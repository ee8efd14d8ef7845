import DriverMutation
import Foundation

/// Mutated drivers through the real `hvcisim run` command line, one process per driver, as a
/// user's CI job would run them. Each execution must end with exit status 0–3 (never a signal,
/// never past the watchdog); a status other than 2 must come with a JSON report whose verdict
/// matches it, and status 2 with a one-line error. Failing inputs are kept with what went wrong.
///
/// usage: CLIFuzz --hvcisim PATH --count N [--jobs J] [--seed S] [--artifacts DIR] SEED...
/// (SEED: .sys files or directories of them). The last line is "executions: N".
struct Configuration {
    var hvcisim = ""
    var count = 1_000
    var jobs = 2
    var seed: UInt64 = 1
    var artifacts = "artifacts"
    var seedPaths: [String] = []
    /// Wall-clock seconds after which a process counts as hung and is killed.
    var watchdogSeconds = 300.0

    init(arguments: [String]) {
        var rest = arguments.dropFirst()
        while let argument = rest.popFirst() {
            switch argument {
            case "--hvcisim": hvcisim = rest.popFirst() ?? ""
            case "--count": count = Int(rest.popFirst() ?? "") ?? count
            case "--jobs": jobs = max(1, Int(rest.popFirst() ?? "") ?? jobs)
            case "--seed": seed = UInt64(rest.popFirst() ?? "") ?? seed
            case "--artifacts": artifacts = rest.popFirst() ?? artifacts
            case "--watchdog": watchdogSeconds = Double(rest.popFirst() ?? "") ?? watchdogSeconds
            default: seedPaths.append(argument)
            }
        }
    }
}

/// Command lines each mutated driver is run under (chosen per execution). Limits are lowered
/// from the defaults so that a hundred thousand runs fit in an hour on two cores; the paths
/// through the tool (supervisor, child, report) are the same as with the defaults.
let optionSets: [[String]] = [
    ["--format", "json"],
    ["--format", "json", "--hvci", "both"],
    ["--format", "json", "--mode", "enforce"],
    ["--format", "json", "--verifier", "off", "--hvci", "off"],
    ["--format", "json", "--ioctl", "0x222004:41414141", "--output-size", "64"],
]
let limitOptions = ["--timeout", "2", "--max-instructions", "5000000", "--memory-limit", "128"]

/// Byte-level edits, for when the structure-aware mutator declines or by chance: bit flips,
/// "interesting" values, chunk copies, truncation. Offsets favour the headers.
func mutateBytes(_ bytes: inout [UInt8], _ rng: inout SplitMix) {
    guard !bytes.isEmpty else { return }
    func offset() -> Int {
        let span = rng.next() % 3 == 0 ? min(bytes.count, 1024) : bytes.count
        return Int(rng.next() % UInt64(span))
    }
    switch rng.next() % 8 {
    case 0, 1, 2:
        for _ in 0..<(1 + rng.next() % 8) { bytes[offset()] ^= UInt8(1) << (rng.next() % 8) }
    case 3, 4:
        let values: [[UInt8]] = [[0], [0xFF], [0x7F], [0x80], [0xFF, 0xFF, 0xFF, 0xFF], [0, 0, 0, 0x80],
                                 [0xFF, 0xFF, 0xFF, 0x7F], [0x00, 0x10, 0x00, 0x00]]
        let value = values[Int(rng.next() % UInt64(values.count))]
        let at = offset()
        for (index, byte) in value.enumerated() where at + index < bytes.count { bytes[at + index] = byte }
    case 5, 6:
        let length = Int(1 + rng.next() % 64)
        let from = offset(), to = offset()
        guard from + length <= bytes.count, to + length <= bytes.count else { return }
        bytes.replaceSubrange(to..<(to + length), with: bytes[from..<(from + length)])
    case 7 where rng.next() % 4 == 0:
        bytes.removeLast(Int(rng.next() % UInt64(max(1, bytes.count / 4))))
    default:
        bytes[offset()] = UInt8(truncatingIfNeeded: rng.next())
    }
}

/// What one execution showed.
enum Result {
    case ok(status: Int32, toolFault: Bool)
    case failure(String)
}

func runOnce(_ config: Configuration, input: URL, options: [String], work: URL) -> (Result, Double) {
    let report = work.appendingPathComponent("report.json")
    let errors = work.appendingPathComponent("stderr.txt")
    try? FileManager.default.removeItem(at: report)
    FileManager.default.createFile(atPath: errors.path, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: config.hvcisim)
    process.arguments = ["run", input.path] + options + limitOptions + ["-o", report.path]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = try? FileHandle(forWritingTo: errors)
    let started = Date()
    do { try process.run() } catch { return (.failure("could not start: \(error)"), 0) }
    let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
    DispatchQueue.global().asyncAfter(deadline: .now() + config.watchdogSeconds, execute: watchdog)
    process.waitUntilExit()
    watchdog.cancel()
    let seconds = Date().timeIntervalSince(started)
    if seconds >= config.watchdogSeconds { return (.failure("hung: killed after \(Int(seconds)) s"), seconds) }
    let status = process.terminationStatus
    if process.terminationReason == .uncaughtSignal { return (.failure("process died: signal \(status)"), seconds) }
    let stderrText = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
    guard (0...3).contains(status) else { return (.failure("exit status \(status): \(stderrText)"), seconds) }
    if status == 2 {
        let lines = stderrText.split(separator: "\n")
        guard lines.count == 1 else { return (.failure("exit 2 with \(lines.count) lines on stderr: \(stderrText)"), seconds) }
        return (.ok(status: 2, toolFault: false), seconds)
    }
    guard let data = try? Data(contentsOf: report),
          let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
          let verdict = object["verdict"] as? String
    else { return (.failure("exit \(status) without a JSON report with a verdict"), seconds) }
    let expected: [String: Int32] = ["compatible": 0, "compatible-with-notes": 0, "incompatible": 1, "inconclusive": 3]
    guard expected[verdict] == status else { return (.failure("verdict \(verdict) with exit \(status)"), seconds) }
    let toolFault = String(decoding: data, as: UTF8.self).contains("\"tool-fault\"")
    return (.ok(status: status, toolFault: toolFault), seconds)
}

func seedFiles(_ paths: [String]) -> [[UInt8]] {
    var files: [String] = []
    for path in paths {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
        if isDirectory.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            files += names.filter { $0.lowercased().hasSuffix(".sys") }.sorted().map { path + "/" + $0 }
        } else {
            files.append(path)
        }
    }
    return files.compactMap { FileManager.default.contents(atPath: $0).map { [UInt8]($0) } }
        .filter { $0.count < 1 << 20 }
}

let config = Configuration(arguments: CommandLine.arguments)
guard !config.hvcisim.isEmpty else {
    FileHandle.standardError.write(Data("usage: CLIFuzz --hvcisim PATH --count N [--jobs J] [--seed S] [--artifacts DIR] SEED...\n".utf8))
    exit(2)
}
let seeds = seedFiles(config.seedPaths)
guard !seeds.isEmpty else {
    FileHandle.standardError.write(Data("CLIFuzz: no seed drivers (.sys under 1 MiB) in \(config.seedPaths)\n".utf8))
    exit(2)
}
try? FileManager.default.createDirectory(atPath: config.artifacts, withIntermediateDirectories: true)

/// The shared state of one campaign: the workers pull the next index under the lock and
/// tally what each execution showed.
final class Campaign: @unchecked Sendable {
    let config: Configuration
    let seeds: [[UInt8]]
    let scratch: URL
    let lock = NSLock()
    let started = Date()
    var next = 0
    var statusCounts: [Int32: Int] = [:]
    var toolFaults = 0
    var failures = 0
    var slowest = 0.0

    init(config: Configuration, seeds: [[UInt8]], scratch: URL) {
        self.config = config
        self.seeds = seeds
        self.scratch = scratch
    }

    func worker(_ job: Int) {
        let work = scratch.appendingPathComponent("\(job)")
        try? FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let input = work.appendingPathComponent("driver.sys")
        while true {
            lock.lock()
            let index = next
            next += 1
            lock.unlock()
            guard index < config.count else { return }
            var rng = SplitMix(seed: config.seed &* 1_000_003 &+ UInt64(index))
            var bytes = seeds[Int(rng.next() % UInt64(seeds.count))]
            for _ in 0..<(1 + rng.next() % 4) {
                if rng.next() % 3 == 0 || !DriverMutator.mutate(&bytes, seed: UInt32(truncatingIfNeeded: rng.next())) {
                    mutateBytes(&bytes, &rng)
                }
            }
            let options = optionSets[Int(rng.next() % UInt64(optionSets.count))]
            FileManager.default.createFile(atPath: input.path, contents: Data(bytes))
            let (result, seconds) = runOnce(config, input: input, options: options, work: work)
            lock.lock()
            record(result, seconds: seconds, index: index, bytes: bytes, options: options)
            lock.unlock()
        }
    }

    /// Called with the lock held.
    private func record(_ result: Result, seconds: Double, index: Int, bytes: [UInt8], options: [String]) {
        slowest = max(slowest, seconds)
        switch result {
        case let .ok(status, toolFault):
            statusCounts[status, default: 0] += 1
            if toolFault {
                // Contained (the report says so), but a model defect all the same: keep it.
                toolFaults += 1
                let name = "\(config.artifacts)/tool-fault-\(config.seed)-\(index)"
                FileManager.default.createFile(atPath: name + ".sys", contents: Data(bytes))
                FileManager.default.createFile(atPath: name + ".txt", contents: Data((options + limitOptions).joined(separator: " ").utf8))
            }
        case let .failure(message):
            failures += 1
            let name = "\(config.artifacts)/cli-\(config.seed)-\(index)"
            FileManager.default.createFile(atPath: name + ".sys", contents: Data(bytes))
            let detail = "options: \((options + limitOptions).joined(separator: " "))\n\(message)\n"
            FileManager.default.createFile(atPath: name + ".txt", contents: Data(detail.utf8))
            FileHandle.standardError.write(Data("failure \(index): \(message.prefix(200))\n".utf8))
        }
        let done = statusCounts.values.reduce(0, +) + failures
        if done % 1_000 == 0 {
            let rate = Double(done) / Date().timeIntervalSince(started)
            FileHandle.standardError.write(Data("\(done) executions, \(failures) failures, \(String(format: "%.1f", rate))/s\n".utf8))
        }
    }
}

let campaign = Campaign(config: config, seeds: seeds,
                        scratch: FileManager.default.temporaryDirectory.appendingPathComponent("clifuzz-\(getpid())"))
let group = DispatchGroup()
for job in 0..<config.jobs {
    group.enter()
    Thread.detachNewThread { campaign.worker(job); group.leave() }
}
group.wait()
try? FileManager.default.removeItem(at: campaign.scratch)

let counts = campaign.statusCounts
print("exit statuses: " + counts.keys.sorted().map { "\($0): \(counts[$0]!)" }.joined(separator: ", "))
print("reports with a tool-fault outcome (contained): \(campaign.toolFaults)")
print("slowest process: \(String(format: "%.2f", campaign.slowest)) s")
print("failures (process deaths, hangs, missing or invalid reports): \(campaign.failures)")
print("executions: \(counts.values.reduce(0, +) + campaign.failures)")
exit(campaign.failures == 0 ? 0 : 1)
