import Events
import Scenario

/// What changes between a run with HVCI on and one with HVCI off: the
/// question a driver that checks CodeIntegrityOptions raises. Entry points
/// are matched by name; for each, outcomes, the sequence of kernel calls and
/// the findings are compared.
public struct RunDifference: Sendable, Equatable {
    public var entryPoint: String
    /// "outcome", "kernelCalls", "findings", or "presence" (ran in one run only).
    public var aspect: String
    public var hvciOn: String
    public var hvciOff: String
}

public enum RunComparison {
    public static func differences(on: RunResult, off: RunResult) -> [RunDifference] {
        var result: [RunDifference] = []
        if (on.loadFailure == nil) != (off.loadFailure == nil) {
            result.append(RunDifference(entryPoint: "(load)", aspect: "outcome", hvciOn: on.loadFailure ?? "loaded",
                                        hvciOff: off.loadFailure ?? "loaded"))
        }
        let offByName = Dictionary(off.entryPoints.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let onNames = Set(on.entryPoints.map(\.name))
        for entry in on.entryPoints {
            guard let other = offByName[entry.name] else {
                result.append(RunDifference(entryPoint: entry.name, aspect: "presence", hvciOn: "ran", hvciOff: "did not run"))
                continue
            }
            if entry.outcome != other.outcome {
                result.append(RunDifference(entryPoint: entry.name, aspect: "outcome", hvciOn: entry.outcome.summary,
                                            hvciOff: other.outcome.summary))
            }
            let onCalls = entry.calls.map(\.function), offCalls = other.calls.map(\.function)
            if onCalls != offCalls {
                let common = zip(onCalls, offCalls).prefix { $0 == $1 }.count
                func describe(_ calls: [String]) -> String {
                    "\(calls.count) calls; from call \(common + 1): " + calls.dropFirst(common).prefix(4).joined(separator: ", ")
                }
                result.append(RunDifference(entryPoint: entry.name, aspect: "kernelCalls", hvciOn: describe(onCalls),
                                            hvciOff: describe(offCalls)))
            }
            let onCodes = entry.findings.map(\.code), offCodes = other.findings.map(\.code)
            if onCodes != offCodes {
                result.append(RunDifference(entryPoint: entry.name, aspect: "findings",
                                            hvciOn: onCodes.isEmpty ? "none" : onCodes.joined(separator: ", "),
                                            hvciOff: offCodes.isEmpty ? "none" : offCodes.joined(separator: ", ")))
            }
        }
        for entry in off.entryPoints where !onNames.contains(entry.name) {
            result.append(RunDifference(entryPoint: entry.name, aspect: "presence", hvciOn: "did not run", hvciOff: "ran"))
        }
        return result
    }
}

extension RunReport {
    /// Differences between the HVCI-on and HVCI-off runs (empty unless both ran).
    public var differences: [RunDifference] {
        guard let on = runs.first(where: { $0.hvci }), let off = runs.first(where: { !$0.hvci }) else { return [] }
        return RunComparison.differences(on: on, off: off)
    }
}
