import JSON
import Report

/// Reports read back from files: a `run` or `check` report, a several-drivers wrapper
/// (`{"reports": [...], "failures": [...]}`) or a scan document (the wrapper plus `timings`
/// and `summary`). What `diff` and `merge` take, whichever command wrote the file.
public struct ReportSet: Sendable {
    public var documents: [ReportDocument] = []
    /// Files the command that wrote the report could not analyse.
    public var failures: [(path: String, error: String)] = []
    /// Wall seconds per driver path, when the file recorded them (scans).
    public var timings: [String: Double] = [:]
    /// The scan's `--shard`, if the file is one shard's result.
    public var shard: String?

    public init() {}

    public struct Malformed: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads one report file's bytes; `name` is used in errors.
    public init(bytes: [UInt8], name: String) throws(Malformed) {
        let json: JSONValue
        do { json = try JSONValue.parse(bytes) } catch { throw Malformed(description: "\(name): not JSON: \(error.description)") }
        do {
            if let reports = json["reports"]?.arrayValue {
                documents = try reports.map { (report: JSONValue) throws(ReportDocument.Malformed) in try ReportDocument(json: report) }
                for failure in json["failures"]?.arrayValue ?? [] {
                    failures.append((failure["path"]?.stringValue ?? "?", failure["error"]?.stringValue ?? ""))
                }
                for timing in json["timings"]?.arrayValue ?? [] {
                    if let path = timing["path"]?.stringValue, let seconds = timing["seconds"] { timings[path] = Self.seconds(seconds) }
                }
                shard = json["shard"]?.stringValue
            } else {
                documents = [try ReportDocument(json: json)]
            }
        } catch {
            throw Malformed(description: "\(name): \(error.description)")
        }
    }

    static func seconds(_ value: JSONValue) -> Double {
        switch value {
        case .int(let n): return Double(n)
        case .fraction(let text): return Double(text) ?? 0
        case .string(let text): return Double(text) ?? 0
        default: return 0
        }
    }
}
