#if canImport(Glibc)
import Glibc
#endif
import Report

/// Runs drivers under one RunSettings, each in its own supervised emulator process, at most
/// `jobs` at a time, from this single-threaded process: one driver that crashes QEMU, traps in
/// the model or loops forever ends with a report of its own and never stops the others. With
/// isolation off (HVCISIM_NO_ISOLATION=1) the drivers run here, one after another.
public struct DriverBatch {
    /// What one driver gave: the rendered report, its exit status, and the wall time.
    public struct Outcome: Sendable {
        public var path: String
        public var text: String
        public var status: Int32
        public var seconds: Double

        public init(path: String, text: String, status: Int32, seconds: Double) {
            self.path = path
            self.text = text
            self.status = status
            self.seconds = seconds
        }
    }

    public var settings: RunSettings
    public var jobs: Int
    /// Pass the emulators' stderr (trace, warnings) through; off for scans, whose progress
    /// bar owns the terminal.
    public var relayStderr: Bool

    public init(settings: RunSettings, jobs: Int, relayStderr: Bool) {
        self.settings = settings
        self.jobs = max(1, jobs)
        self.relayStderr = relayStderr
    }

    /// Runs `images` (loaded one at a time, when a slot frees, so that only `jobs` files are
    /// held at once; a load that fails is the caller's to report and is skipped); `render`
    /// turns a report into the text to keep and its exit status, in the child or, when the
    /// child died, here from what it recorded. `finished` is called here, in completion order.
    public func run(count: Int, image load: (Int) -> (image: ImageReport, name: String)?,
                    render: @escaping (RunReport) -> (text: String, status: Int32),
                    finished: (Int, Outcome) -> Void) {
        let settings = self.settings
        guard Supervisor.enabled else {
            for index in 0..<count {
                guard let (image, name) = load(index) else { continue }
                let started = Supervisor.monotonicSeconds()
                let (text, status) = render(settings.report(for: image, name: name, observer: nil))
                finished(index, Outcome(path: image.path, text: text, status: status,
                                        seconds: Supervisor.monotonicSeconds() - started))
            }
            return
        }
        struct Running {
            var index: Int
            var image: ImageReport
            var process: SupervisedProcess
            var channel: ProgressChannel
            var started: Double
        }
        var running: [Running] = []
        var spareChannels: [ProgressChannel] = []
        var next = 0
        while next < count || !running.isEmpty {
            while running.count < jobs, next < count {
                let index = next
                next += 1
                guard let (image, name) = load(index) else { continue }
                let started = Supervisor.monotonicSeconds()
                guard let channel = spareChannels.popLast() ?? ProgressChannel() else {
                    // No shared memory for a channel: run it here rather than not at all.
                    let (text, status) = render(settings.report(for: image, name: name, observer: nil))
                    finished(index, Outcome(path: image.path, text: text, status: status,
                                            seconds: Supervisor.monotonicSeconds() - started))
                    continue
                }
                channel.reset()
                let work = { () -> (text: String, status: Int32) in
                    render(settings.report(for: image, name: name, observer: channel))
                }
                guard let process = SupervisedProcess(channel: channel, stallSeconds: settings.stallSeconds,
                                                      relayStderr: relayStderr, work: work) else {
                    let report = settings.reportAfterDeath(of: image, channel: channel,
                                                           reason: "could not start the emulator's process: \(String(cString: strerror(errno)))")
                    let (text, status) = render(report)
                    finished(index, Outcome(path: image.path, text: text, status: status, seconds: 0))
                    spareChannels.append(channel)
                    continue
                }
                running.append(Running(index: index, image: image, process: process, channel: channel, started: started))
            }
            let done = Supervisor.pump(running.map(\.process))
            for position in done.sorted(by: >) {
                let entry = running.remove(at: position)
                let seconds = Supervisor.monotonicSeconds() - entry.started
                switch entry.process.finish() {
                case let .completed(text, status):
                    finished(entry.index, Outcome(path: entry.image.path, text: text, status: status, seconds: seconds))
                case .died(let reason):
                    let (text, status) = render(settings.reportAfterDeath(of: entry.image, channel: entry.channel, reason: reason))
                    finished(entry.index, Outcome(path: entry.image.path, text: text, status: status, seconds: seconds))
                }
                spareChannels.append(entry.channel)
            }
        }
    }
}
