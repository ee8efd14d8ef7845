import Report
/// JUnit XML for `hvcisim test --format junit`: a testsuite per driver, a testcase per
/// scenario, a failure per failed expectation — the shape CI systems (GitLab, Jenkins, Azure)
/// read. (JUnitReport in Sources/Report writes run reports; this one writes scenario results,
/// with the same XML escaping.)
public enum JUnitResults {
    public static func render(_ results: [ScenarioResult]) -> String {
        var drivers: [String] = []
        for result in results where !drivers.contains(result.driver) { drivers.append(result.driver) }
        let failed = results.filter { !$0.passed }.count
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"hvcisim\" tests=\"\(results.count)\" failures=\"\(failed)\" time=\"\(TestResults.seconds(results.reduce(0) { $0 + $1.seconds }))\">\n"
        for driver in drivers {
            let cases = results.filter { $0.driver == driver }
            xml += "  <testsuite name=\"\(escape(driver))\" tests=\"\(cases.count)\" failures=\"\(cases.filter { !$0.passed }.count)\" "
                + "errors=\"0\" time=\"\(TestResults.seconds(cases.reduce(0) { $0 + $1.seconds }))\">\n"
            for result in cases {
                xml += "    <testcase classname=\"\(escape(driver))\" name=\"\(escape(result.scenario))\" time=\"\(TestResults.seconds(result.seconds))\""
                guard !result.passed else { xml += "/>\n"; continue }
                xml += ">\n"
                for failure in result.failures {
                    xml += "      <failure message=\"\(escape(failure))\" type=\"expectation\">\(escape(result.commandLine))</failure>\n"
                }
                xml += "    </testcase>\n"
            }
            xml += "  </testsuite>\n"
        }
        return xml + "</testsuites>\n"
    }

    /// JUnitReport's escaping (XMLText): markup characters as entities, tab and line breaks as
    /// character references, characters XML 1.0 cannot hold replaced by U+FFFD.
    static func escape(_ text: String) -> String { XMLText.escaped(text, attribute: true) }
}
