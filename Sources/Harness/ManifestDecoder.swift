import JSON
import Scenario

/// Turns the manifest's value into the model, checking every key and type; each error names
/// the line of the member at fault.
struct ManifestDecoder {
    let file: String
    let lines: SourceLines
    /// The manifest's folder with a trailing "/", or "" (relative paths are resolved against it).
    let folder: String

    init(file: String, lines: SourceLines) {
        self.file = file
        self.lines = lines
        folder = file.lastIndex(of: "/").map { String(file[...$0]) } ?? ""
    }

    static let scenarioKeys = ["name", "hvci", "verifier", "mode", "ioctls", "outputSize", "discoverIoctls", "registry", "limits", "expect"]

    func fail(_ path: String, _ message: String) -> ManifestError {
        ManifestError(file: file, line: lines[path], message: message)
    }

    func resolve(_ path: String) -> String { path.hasPrefix("/") ? path : folder + path }

    func members(_ value: JSONValue?, _ path: String, _ what: String, allowed: [String]) throws(ManifestError) -> [(String, JSONValue)] {
        guard let members = value?.members else { throw fail(path, "\(what) must be a mapping, not \(value?.kindName ?? "missing")") }
        for (key, _) in members where !allowed.contains(key) {
            throw fail(SourceLines.member(path, key), "\(what) has unknown key '\(key)' (known: \(allowed.joined(separator: ", ")))")
        }
        return members
    }

    func string(_ value: JSONValue, _ path: String, _ what: String) throws(ManifestError) -> String {
        guard let text = value.stringValue, !text.isEmpty else { throw fail(path, "\(what) must be a non-empty string") }
        return text
    }

    func choice(_ value: JSONValue, _ path: String, _ what: String, _ choices: [String]) throws(ManifestError) -> String {
        // YAML's `on`/`off` stay strings (YAMLSubset); a JSON manifest may write true/false.
        let text = value.boolValue.map { $0 ? "on" : "off" } ?? value.stringValue
        guard let text, choices.contains(text) else {
            throw fail(path, "\(what) must be one of \(choices.joined(separator: ", "))")
        }
        return text
    }

    func bool(_ value: JSONValue, _ path: String, _ what: String) throws(ManifestError) -> Bool {
        guard let flag = value.boolValue else { throw fail(path, "\(what) must be true or false") }
        return flag
    }

    /// A whole number written as a number, or as a string in decimal or 0x… hex.
    func integer(_ value: JSONValue, _ path: String, _ what: String, _ range: ClosedRange<Int64>) throws(ManifestError) -> Int64 {
        let number: Int64? = switch value {
        case .int(let n): n
        case .string(let text): Self.parseInteger(text)
        default: nil
        }
        guard let number, range.contains(number) else {
            throw fail(path, "\(what) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    static func parseInteger(_ text: String) -> Int64? {
        let lower = text.lowercased()
        if lower.hasPrefix("0x") { return UInt32(lower.dropFirst(2), radix: 16).map(Int64.init) ?? Int64(lower.dropFirst(2), radix: 16) }
        return Int64(lower)
    }

    func seconds(_ value: JSONValue, _ path: String) throws(ManifestError) -> Double {
        let number: Double? = switch value {
        case .int(let n): Double(n)
        case .fraction(let text): Double(text)
        default: nil
        }
        guard let number, number > 0, number <= 3600 else { throw fail(path, "limits.timeout must be between 0 and 3600 seconds") }
        return number
    }

    /// Codes as the report writes them: strings ("0x2000", "DATA_EXECUTION"); a number is taken as hex-written.
    func codes(_ value: JSONValue, _ path: String, _ what: String) throws(ManifestError) -> [String] {
        let items: [JSONValue] = value.arrayValue ?? [value]
        var result: [String] = []
        for (index, item) in items.enumerated() {
            switch item {
            case .string(let text) where !text.isEmpty: result.append(text)
            case .int(let n) where n >= 0: result.append("0x" + String(n, radix: 16))
            default: throw fail(SourceLines.item(path, index), "\(what) must list finding codes (strings such as \"0x2000\" or \"DATA_EXECUTION\")")
            }
        }
        return result
    }
}
