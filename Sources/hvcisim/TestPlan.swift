import Harness
import JSON
import Kernel
import Report
import Scenario

/// A driver of a manifest with its image and the inputs of its scenarios read.
struct PreparedDriver {
    var spec: DriverSpec
    var image: ImageReport
    var scenarios: [PreparedScenario]
}

struct PreparedScenario {
    var spec: ScenarioSpec
    var ioctls: [IoctlRequest]
    var registry: RegistrySeed
}

/// Reading what a manifest names (before anything runs, so a wrong path stops the whole test
/// with its line) and running one scenario in this process as `hvcisim run` does.
enum TestPlan {
    static func prepare(_ manifest: Manifest, filter: String?) throws(ManifestError) -> [PreparedDriver] {
        func fail(_ line: Int, _ message: String) -> ManifestError { ManifestError(file: manifest.file, line: line, message: message) }
        var drivers: [PreparedDriver] = []
        for driver in manifest.drivers {
            let chosen = driver.scenarios.filter { filter.map("\(driver.name) \($0.name)".contains) ?? true }
            let image: ImageReport
            do {
                image = try ImageReport(path: driver.path, bytes: try InputFiles.read(driver.path))
            } catch {
                throw fail(driver.line, "driver \(driver.path): \(error)")
            }
            var scenarios: [PreparedScenario] = []
            for scenario in chosen {
                var requests: [IoctlRequest] = []
                for ioctl in scenario.ioctls {
                    var input = ioctl.input
                    if let file = ioctl.inputFile {
                        do {
                            input = try InputFiles.read(file)
                        } catch {
                            throw fail(ioctl.line, "scenario '\(scenario.name)': inputFile \(file): \(error)")
                        }
                        guard input.count <= IoctlArgument.maxInput else {
                            throw fail(ioctl.line, "scenario '\(scenario.name)': inputFile \(file) is larger than 1 MiB")
                        }
                    }
                    requests.append(IoctlRequest(code: ioctl.code, input: input, outputLength: scenario.settings.outputSize))
                }
                var seed = RegistrySeed()
                if let registry = scenario.registry {
                    do {
                        seed = try RegistrySeed.load(path: registry.path)
                    } catch {
                        throw fail(registry.line, "scenario '\(scenario.name)': \(error)")
                    }
                }
                scenarios.append(PreparedScenario(spec: scenario, ioctls: requests, registry: seed))
            }
            if !scenarios.isEmpty { drivers.append(PreparedDriver(spec: driver, image: image, scenarios: scenarios)) }
        }
        return drivers
    }

    static func run(_ scenario: PreparedScenario, of driver: PreparedDriver) -> ScenarioResult {
        let clock = ContinuousClock()
        let start = clock.now
        let settings = scenario.spec.settings
        var options = settings.runOptions(ioctls: scenario.ioctls, registry: scenario.registry)
        let name = SystemIO.lastComponent(driver.spec.path)
        // As `run` does: the emulator runs in a child process, so a QEMU abort ends one scenario
        // (with a tool-fault outcome rebuilt from its progress) rather than the whole test.
        let channel = Supervisor.enabled ? ProgressChannel() : nil
        options.observer = channel
        let work = { () -> (text: String, status: Int32) in
            let report = RunReport(image: driver.image, runs: [DriverRunner.run(driver.image.image, name: name, options: options)])
            return (JSONReport.document(for: report).rendered(), report.verdict.exitStatus)
        }
        var outcome: (text: String, status: Int32)
        if let channel {
            switch Supervisor.run(channel: channel, stallSeconds: settings.limits.timeoutSeconds * 2 + 10, work: work) {
            case let .completed(text, status):
                outcome = (text, status)
            case .died(let reason):
                let runs = channel.rebuildRuns(configurations: [(settings.hvci, settings.verifier)],
                                               enforcement: options.enforcement, fault: reason)
                let report = RunReport(image: driver.image, runs: runs)
                outcome = (JSONReport.document(for: report).rendered(), report.verdict.exitStatus)
            }
        } else {
            outcome = work()
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let commandLine = settings.commandLine(driver: driver.spec.path, ioctls: scenario.spec.ioctls)
        let failures: [String]
        let verdict: String
        do {
            let document = try ReportDocument(json: try JSONValue.parse(Array(outcome.text.utf8)))
            verdict = document.verdict
            failures = Expectations.failures(of: scenario.spec.expect, in: document, exitStatus: outcome.status)
        } catch {
            verdict = "unknown"
            failures = ["the run's report could not be read back: \(error)"]
        }
        return ScenarioResult(driver: driver.spec.name, scenario: scenario.spec.name, verdict: verdict, seconds: seconds,
                              failures: failures, commandLine: commandLine)
    }
}
