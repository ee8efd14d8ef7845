import JSON
import Report

/// Known findings a team has accepted, by fingerprint (docs/baselines.md): `--baseline FILE`
/// shows them as suppressed and leaves them out of the verdict; `--update-baseline FILE` writes
/// the findings of a run. An entry names the driver file it came from, so that one baseline can
/// serve a whole scan; an entry without a driver applies to every driver.
public struct Baseline: Sendable {
    public struct Entry: Sendable, Equatable {
        public var driver: String?
        public var fingerprint: String
        public var code: String
        public var title: String
    }

    public var entries: [Entry]

    public init(entries: [Entry] = []) { self.entries = entries }

    /// The fingerprints that apply to the driver file `name` (a path's last component).
    public func fingerprints(for name: String) -> Set<String> {
        Set(entries.filter { $0.driver == nil || $0.driver == name }.map(\.fingerprint))
    }

    /// Every finding of `documents` (suppressed or not), one entry per driver and fingerprint.
    public init(documents: [ReportDocument]) {
        var seen: Set<String> = []
        var entries: [Entry] = []
        for document in documents {
            for finding in document.allFindings where !finding.fingerprint.isEmpty {
                guard seen.insert(document.fileName + "|" + finding.fingerprint).inserted else { continue }
                entries.append(Entry(driver: document.fileName, fingerprint: finding.fingerprint, code: finding.code, title: finding.title))
            }
        }
        self.entries = entries.sorted { ($0.driver ?? "", $0.code, $0.fingerprint) < ($1.driver ?? "", $1.code, $1.fingerprint) }
    }

    public func rendered() -> String {
        JSONValue.object([
            ("schemaVersion", .string("1")),
            ("tool", .string("hvcisim \(Tool.version)")),
            ("findings", .array(entries.map { entry in
                .object([("driver", .optional(entry.driver)), ("fingerprint", .string(entry.fingerprint)),
                         ("code", .string(entry.code)), ("title", .string(entry.title))])
            })),
        ]).rendered() + "\n"
    }

    public struct Malformed: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads a baseline file's bytes (as written by `rendered()`; `code` and `title` optional).
    public static func parse(_ bytes: [UInt8]) throws(Malformed) -> Baseline {
        let json: JSONValue
        do { json = try JSONValue.parse(bytes) } catch { throw Malformed(description: "not JSON: \(error.description)") }
        guard let findings = json["findings"]?.arrayValue else {
            throw Malformed(description: "not a baseline: expected an object with \"findings\": [...]")
        }
        var entries: [Entry] = []
        for (index, item) in findings.enumerated() {
            guard let fingerprint = item["fingerprint"]?.stringValue, !fingerprint.isEmpty else {
                throw Malformed(description: "findings[\(index)] has no \"fingerprint\"")
            }
            entries.append(Entry(driver: item["driver"]?.stringValue, fingerprint: fingerprint,
                                 code: item["code"]?.stringValue ?? "", title: item["title"]?.stringValue ?? ""))
        }
        return Baseline(entries: entries)
    }
}
