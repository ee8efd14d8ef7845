import JSON
import Memory
import Scenario

/// Decoding the manifest's structure: drivers, scenarios (with `defaults:` under them), IOCTLs,
/// limits and expectations.
extension ManifestDecoder {
    mutating func manifest(_ root: JSONValue) throws(ManifestError) -> Manifest {
        let top = try members(root, "", "the manifest", allowed: ["drivers", "defaults"])
        var defaults: [(String, JSONValue)] = []
        if let value = root["defaults"] {
            defaults = try members(value, "defaults", "defaults",
                                   allowed: Self.scenarioKeys.filter { $0 != "name" && $0 != "expect" })
        }
        guard let list = root["drivers"]?.arrayValue, !list.isEmpty else {
            throw fail(top.contains { $0.0 == "drivers" } ? "drivers" : "", "the manifest needs a non-empty 'drivers:' list")
        }
        var drivers: [DriverSpec] = []
        for (index, item) in list.enumerated() {
            drivers.append(try driver(item, SourceLines.item("drivers", index), defaults: defaults))
        }
        return Manifest(file: file, drivers: drivers)
    }

    func driver(_ value: JSONValue, _ path: String, defaults: [(String, JSONValue)]) throws(ManifestError) -> DriverSpec {
        _ = try members(value, path, "driver", allowed: ["path", "name", "scenarios"])
        guard let pathValue = value["path"] else { throw fail(path, "driver has no 'path'") }
        let written = try string(pathValue, SourceLines.member(path, "path"), "driver path")
        var name = String(written.split(separator: "/").last ?? Substring(written))
        if let given = value["name"] { name = try string(given, SourceLines.member(path, "name"), "driver name") }
        guard let list = value["scenarios"]?.arrayValue, !list.isEmpty else {
            throw fail(SourceLines.member(path, "scenarios"), "driver '\(name)' needs a non-empty 'scenarios:' list")
        }
        var scenarios: [ScenarioSpec] = []
        for (index, item) in list.enumerated() {
            let scenario = try self.scenario(item, SourceLines.item(SourceLines.member(path, "scenarios"), index), defaults: defaults)
            if scenarios.contains(where: { $0.name == scenario.name }) {
                throw fail(SourceLines.item(SourceLines.member(path, "scenarios"), index),
                           "driver '\(name)' has two scenarios named '\(scenario.name)'")
            }
            scenarios.append(scenario)
        }
        return DriverSpec(path: resolve(written), name: name, line: lines[SourceLines.member(path, "path")], scenarios: scenarios)
    }

    func scenario(_ value: JSONValue, _ path: String, defaults: [(String, JSONValue)]) throws(ManifestError) -> ScenarioSpec {
        let own = try members(value, path, "scenario", allowed: Self.scenarioKeys)
        guard let nameValue = value["name"] else { throw fail(path, "scenario has no 'name'") }
        let name = try string(nameValue, SourceLines.member(path, "name"), "scenario name")
        let what = "scenario '\(name)'"
        // The scenario's own members win; defaults fill the rest (limits merge key by key).
        var fields: [(key: String, value: JSONValue, path: String)] = defaults.map { ($0.0, $0.1, SourceLines.member("defaults", $0.0)) }
        for (key, field) in own {
            if key == "limits", let index = fields.firstIndex(where: { $0.key == "limits" }) {
                let merged = try mergedLimits(fields[index].value, field, own: SourceLines.member(path, "limits"))
                fields[index] = (key, merged, SourceLines.member(path, "limits"))
                continue
            }
            fields.removeAll { $0.key == key }
            fields.append((key, field, SourceLines.member(path, key)))
        }
        var settings = RunSettings()
        var ioctls: [IoctlSpec] = []
        var registry: (String, Int)?
        var expect = ExpectationSet()
        for (key, field, fieldPath) in fields {
            switch key {
            case "hvci": settings.hvci = [try choice(field, fieldPath, "\(what): hvci", ["on", "off"]) == "on"]
            case "verifier": settings.verifier = try choice(field, fieldPath, "\(what): verifier", ["on", "off"]) == "on"
            case "mode": settings.enforcement = try choice(field, fieldPath, "\(what): mode", ["audit", "enforce"]) == "enforce" ? .enforce : .audit
            case "outputSize": settings.outputLength = Int(try integer(field, fieldPath, "\(what): outputSize", 0...(16 << 20)))
            case "discoverIoctls": settings.discoverIoctls = try bool(field, fieldPath, "\(what): discoverIoctls")
            case "registry": registry = (resolve(try string(field, fieldPath, "\(what): registry")), lines[fieldPath])
            case "limits": settings.limits = try limits(field, fieldPath, what)
            case "ioctls": ioctls = try self.ioctls(field, fieldPath, what)
            case "expect": expect = try expectations(field, fieldPath, what)
            default: break
            }
        }
        return ScenarioSpec(name: name, line: lines[path], settings: settings, ioctls: ioctls, registry: registry, expect: expect)
    }

    func mergedLimits(_ base: JSONValue, _ own: JSONValue, own path: String) throws(ManifestError) -> JSONValue {
        guard var merged = base.members, let overrides = own.members else { return own }
        for (key, value) in overrides {
            merged.removeAll { $0.0 == key }
            merged.append((key, value))
        }
        return .object(merged)
    }

    func limits(_ value: JSONValue, _ path: String, _ what: String) throws(ManifestError) -> Limits {
        var limits = Limits()
        for (key, field) in try members(value, path, "\(what): limits", allowed: ["maxInstructions", "timeout", "memoryLimit", "kernelCalls"]) {
            let fieldPath = SourceLines.member(path, key)
            switch key {
            case "maxInstructions": limits.maxInstructions = Int(try integer(field, fieldPath, "limits.maxInstructions", 0...Int64.max))
            case "timeout": limits.timeoutSeconds = try seconds(field, fieldPath)
            case "memoryLimit": limits.guestMemoryBytes = Int(try integer(field, fieldPath, "limits.memoryLimit (MiB)", 1...16384)) << 20
            case "kernelCalls": limits.kernelCalls = Int(try integer(field, fieldPath, "limits.kernelCalls", 1...Int64(Int32.max)))
            default: break
            }
        }
        return limits
    }

    func ioctls(_ value: JSONValue, _ path: String, _ what: String) throws(ManifestError) -> [IoctlSpec] {
        guard let list = value.arrayValue else { throw fail(path, "\(what): ioctls must be a list") }
        var result: [IoctlSpec] = []
        for (index, item) in list.enumerated() {
            let itemPath = SourceLines.item(path, index)
            // A bare code, or {code, input | inputFile}.
            let codeValue: JSONValue
            var spec = IoctlSpec(code: 0, input: [], inputFile: nil, line: lines[itemPath])
            if item.members != nil {
                _ = try members(item, itemPath, "\(what): ioctl", allowed: ["code", "input", "inputFile"])
                guard let code = item["code"] else { throw fail(itemPath, "\(what): ioctl has no 'code'") }
                codeValue = code
                if item["input"] != nil, item["inputFile"] != nil {
                    throw fail(itemPath, "\(what): ioctl has both 'input' and 'inputFile' (give one)")
                }
                if let input = item["input"] {
                    spec.input = try hex(input, SourceLines.member(itemPath, "input"), what)
                }
                if let file = item["inputFile"] {
                    spec.inputFile = resolve(try string(file, SourceLines.member(itemPath, "inputFile"), "\(what): inputFile"))
                }
            } else {
                codeValue = item
            }
            spec.code = UInt32(try integer(codeValue, itemPath, "\(what): ioctl code", 0...Int64(UInt32.max)))
            result.append(spec)
        }
        return result
    }

    func hex(_ value: JSONValue, _ path: String, _ what: String) throws(ManifestError) -> [UInt8] {
        guard let text = value.stringValue else { throw fail(path, "\(what): ioctl input must be a quoted string of hex digits (unquoted, 01000000 reads as a number)") }
        guard let bytes = HexBytes.decode(text), bytes.count <= 1 << 20 else {
            throw fail(path, "\(what): ioctl input must be \(HexBytes.rule), at most 1 MiB")
        }
        return bytes
    }
}
