import JSON
import Events
import Kernel
import PEImage
import Scenario

extension JSONReport {
    /// The JSON form of a `run` report (docs/report-schema.md, "run").
    public static func document(for report: RunReport) -> JSONValue {
        .object(header() + [
            ("image", image(report.image)),
            ("findings", .array(report.image.findings.map { finding($0, entryPoint: nil, baseline: report.baseline) })),
            ("runs", .array(report.runs.map { run($0, baseline: report.baseline, callLog: report.callLog) })),
            ("differences", report.runs.count == 2 ? .array(report.differences.map { d in
                .object([("entryPoint", .string(d.entryPoint)), ("aspect", .string(d.aspect)),
                         ("hvciOn", .string(d.hvciOn)), ("hvciOff", .string(d.hvciOff))])
            }) : .null),
            ("verdict", .string(report.verdict.rawValue)),
            ("verdictReason", .optional(report.inconclusiveReason)),
            ("decidedBy", .optional(report.decidingRun.map(configurationName))),
        ])
    }

    /// "hvci on, verifier on, audit": the configuration a run stands for.
    static func configurationName(_ run: RunResult) -> String {
        "hvci \(run.hvci ? "on" : "off"), verifier \(run.verifier ? "on" : "off"), \(run.enforcement == .audit ? "audit" : "enforce")"
    }

    static func coverage(_ coverage: Coverage) -> JSONValue {
        .object([
            ("found", .int(coverage.found)), ("run", .int(coverage.run)), ("completed", .int(coverage.completed)),
            ("unmodeledCalls", .int(coverage.unmodeledCalls)), ("stubCalls", .int(coverage.stubCalls)),
            ("entryPoints", .array(coverage.entries.map { entry in
                .object([("name", .string(entry.name)), ("state", .string(entry.state.rawValue)),
                         ("reason", .optional(entry.reason))])
            })),
        ])
    }

    static func run(_ run: RunResult, baseline: Set<String> = [], callLog: Bool = true) -> JSONValue {
        var fields = runFields(run, baseline: baseline, callLog: callLog)
        // Only when there are any: reports of ordinary drivers keep their shape.
        if !run.codePatches.isEmpty {
            fields.insert(("codePatches", .array(run.codePatches.map { patch in
                .object([("address", .string(hex(patch.address))), ("symbol", .string(patch.symbol)),
                         ("kind", .string(patch.kind)), ("title", .string(patch.title)),
                         ("original", .string(patch.original.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " "))),
                         ("replacement", .string("0f 0b"))])
            })), at: 5)
        }
        return .object(fields)
    }

    static func runFields(_ run: RunResult, baseline: Set<String> = [], callLog: Bool = true) -> [(String, JSONValue)] {
        [
            ("hvci", .string(run.hvci ? "on" : "off")),
            ("verifier", .string(run.verifier ? "on" : "off")),
            ("mode", .string(run.enforcement == .audit ? "audit" : "enforce")),
            ("loaded", .bool(run.loadFailure == nil)),
            ("loadFailure", .optional(run.loadFailure)),
            ("loadFailureKind", .optional(run.loadFailureKind?.rawValue)),
            ("loadStatus", run.loadStatus.map { .object([("status", .string(hex($0))), ("statusName", .string(NTStatus.name($0)))]) } ?? .null),
            ("loadFindings", .array(run.loadFindings.map { finding($0, entryPoint: "load", baseline: baseline) })),
            ("imageBase", .optional(run.imageBase.map { hex($0) })),
            ("entryPoints", .array(run.entryPoints.map { entryPoint($0, baseline: baseline, callLog: callLog) })),
            ("debugOutput", .array(run.debugOutput.map(JSONValue.string))),
            ("unmodeledCalls", .array(run.fallbacks.sorted { $0.key < $1.key }.map {
                .object([("function", .string($0.key)), ("count", .int($0.value))])
            })),
            ("stubCalls", .array(run.stubCalls.sorted { $0.key < $1.key }.map {
                .object([("function", .string($0.key)), ("count", .int($0.value))])
            })),
            ("coverage", coverage(run.coverage)),
            ("verdict", .string(run.verdict.rawValue)),
            ("verdictReason", .optional(run.verdict == .inconclusive ? run.inconclusiveReason : nil)),
        ]
    }

    /// `callLog` false (scans) leaves `calls` empty: the log is most of a report's size and a
    /// summary does not read it; `kernelCalls` still counts them.
    static func entryPoint(_ entry: EntryPointResult, baseline: Set<String> = [], callLog: Bool = true) -> JSONValue {
        var outcome: [(String, JSONValue)] = [("kind", .string(entry.outcome.kind)), ("summary", .string(entry.outcome.summary))]
        switch entry.outcome {
        case .returned(let value):
            outcome.append(("status", .string(hex(UInt32(truncatingIfNeeded: value)))))
            outcome.append(("statusName", .string(NTStatus.name(UInt32(truncatingIfNeeded: value)))))
        case let .bugCheck(code, parameters):
            outcome.append(("bugCheck", .object([("code", .string(hex(code))), ("name", .optional(BugCheck.names[code])),
                                                 ("parameters", .array(parameters.map { .string(hex($0)) }))])))
        default: break
        }
        return .object([
            ("name", .string(entry.name)),
            ("address", .string(hex(entry.address))),
            ("outcome", .object(outcome)),
            ("instructions", entry.instructions.map { .int($0) } ?? .null),
            ("kernelCalls", .int(entry.kernelCalls)),
            ("calls", .array((callLog ? entry.calls : []).map { call in
                .object([("function", .string(call.function)),
                         ("arguments", .array(call.arguments.map { .string(hex($0)) })),
                         ("returnValue", .string(hex(call.returnValue))),
                         ("site", .string(hex(call.site))),
                         ("modeled", .bool(call.modeled)),
                         ("stub", .bool(call.stub)),
                         ("notes", .array(call.notes.map(JSONValue.string)))])
            })),
            ("findings", .array(entry.findings.map { finding($0, entryPoint: entry.name, baseline: baseline) })),
            ("notes", .array(entry.notes.map(JSONValue.string))),
        ])
    }
}
