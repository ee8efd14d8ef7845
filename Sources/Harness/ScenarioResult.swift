import JSON
import Report

/// One scenario's result, as `hvcisim test` reports it.
public struct ScenarioResult: Sendable {
    public var driver: String
    public var scenario: String
    public var verdict: String
    public var seconds: Double
    /// One line per failed expectation; empty when the scenario passed.
    public var failures: [String]
    /// The `hvcisim run` command line that reproduces the scenario.
    public var commandLine: String

    public init(driver: String, scenario: String, verdict: String, seconds: Double, failures: [String], commandLine: String) {
        self.driver = driver
        self.scenario = scenario
        self.verdict = verdict
        self.seconds = seconds
        self.failures = failures
        self.commandLine = commandLine
    }

    public var passed: Bool { failures.isEmpty }
}

/// The three formats of `hvcisim test`.
public enum TestResults {
    /// "PASS driver scenario (verdict, 0.12s)", failures indented below, then a summary line.
    public static func text(_ results: [ScenarioResult]) -> String {
        var lines: [String] = []
        for result in results {
            lines.append("\(result.passed ? "PASS" : "FAIL") \(result.driver) \(result.scenario) (\(result.verdict), \(seconds(result.seconds))s)")
            for failure in result.failures { lines.append("    \(failure)") }
            if !result.passed { lines.append("    reproduce: \(result.commandLine)") }
        }
        let failed = results.filter { !$0.passed }.count
        lines.append("\(results.count) scenario\(results.count == 1 ? "" : "s"): \(results.count - failed) passed, \(failed) failed")
        return lines.joined(separator: "\n") + "\n"
    }

    public static func json(_ results: [ScenarioResult]) -> String {
        let document = JSONValue.object([
            ("schemaVersion", .string("1")),
            ("tool", .object([("name", .string(Tool.name)), ("version", .string(Tool.version))])),
            ("results", .array(results.map { result in
                .object([("driver", .string(result.driver)), ("scenario", .string(result.scenario)),
                         ("passed", .bool(result.passed)), ("failures", .array(result.failures.map(JSONValue.string))),
                         ("verdict", .string(result.verdict)), ("seconds", .fraction(seconds(result.seconds))),
                         ("reproduce", .string(result.commandLine))])
            })),
        ])
        return document.rendered() + "\n"
    }

    /// Two decimals, without Foundation's formatting.
    static func seconds(_ value: Double) -> String {
        let hundredths = Int((max(0, value) * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
