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
                    requests.append(IoctlRequest(code: ioctl.code, input: input, outputLength: scenario.settings.outputLength))
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
        var settings = scenario.spec.settings
        settings.ioctls = scenario.ioctls
        settings.registry = scenario.registry
        // As `run` does: the emulator runs in a child process, so a QEMU abort ends one scenario
        // (with a tool-fault outcome rebuilt from its progress) rather than the whole test.
        var outcome = DriverBatch.Outcome(path: driver.spec.path, text: "", status: 2, seconds: 0)
        DriverBatch(settings: settings, jobs: 1, relayStderr: true).run(
            count: 1, image: { _ in (driver.image, SystemIO.lastComponent(driver.spec.path)) },
            render: { report in (JSONReport.document(for: report).rendered(), report.verdict.exitStatus) },
            finished: { _, finished in outcome = finished })
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
        return ScenarioResult(driver: driver.spec.name, scenario: scenario.spec.name, verdict: verdict, seconds: outcome.seconds,
                              failures: failures, commandLine: commandLine)
    }
}
