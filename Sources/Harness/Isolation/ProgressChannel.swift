#if canImport(Glibc)
import Glibc
#endif
import Events
import Kernel
import Memory
import Scenario

/// What the emulator's process tells the supervising process while it runs,
/// through memory both share (no system call per record, so a kernel call
/// costs two stores): a heartbeat, the last address known to be in the
/// driver, and one line per run, load failure, entry start, entry end and
/// finding. When the emulator's process dies, the supervisor rebuilds the
/// runs from these lines and reports them with a `tool-fault` outcome for the
/// entry point that was running.
///
/// Layout: [0] bytes of records used, [8] heartbeat, [16] last driver address,
/// then records: fields separated by 0x1F, ended by 0x0A.
public final class ProgressChannel: RunObserver, @unchecked Sendable {
    static let capacity = 8 << 20
    private static let header = 24
    private let base: UnsafeMutableRawPointer

    /// Maps the shared region (before fork: the child inherits the mapping).
    public init?() {
        let pointer = mmap(nil, Self.capacity, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)
        guard let pointer, pointer != MAP_FAILED else { return nil }
        base = pointer
    }

    deinit { munmap(base, Self.capacity) }

    /// Forgets the records, for the next driver a reused channel watches.
    public func reset() {
        base.storeBytes(of: UInt64(0), as: UInt64.self)
        base.storeBytes(of: UInt64(0), toByteOffset: 16, as: UInt64.self)
    }

    var heartbeat: UInt64 { base.load(fromByteOffset: 8, as: UInt64.self) }
    var lastDriverAddress: UInt64 { base.load(fromByteOffset: 16, as: UInt64.self) }

    private func beat() {
        base.storeBytes(of: heartbeat &+ 1, toByteOffset: 8, as: UInt64.self)
    }

    /// Appends one record; records that no longer fit are dropped (the rebuilt report says so).
    private func append(_ fields: [String]) {
        beat()
        var bytes: [UInt8] = []
        for (index, field) in fields.enumerated() {
            if index > 0 { bytes.append(0x1F) }
            bytes += field.utf8.prefix(4096).map { $0 == 0x1F || $0 == 0x0A ? 0x20 : $0 }
        }
        bytes.append(0x0A)
        let used = Int(base.load(as: UInt64.self))
        guard used + bytes.count <= Self.capacity - Self.header else { return }
        bytes.withUnsafeBytes { (base + Self.header + used).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        base.storeBytes(of: UInt64(used + bytes.count), as: UInt64.self)
    }

    // MARK: RunObserver (the emulator's side)

    public func runStarted(hvci: Bool, verifier: Bool) { append(["R", hvci ? "1" : "0", verifier ? "1" : "0"]) }

    public func loadFailed(kind: LoadFailureKind, reason: String) { append(["X", kind.rawValue, reason]) }

    public func entryStarted(_ name: String, address: UInt64) {
        base.storeBytes(of: address, toByteOffset: 16, as: UInt64.self)
        append(["S", name, String(address)])
    }

    public func entryFinished(_ result: EntryPointResult) {
        append(["E", result.name, String(result.address), String(result.kernelCalls), String(result.instructions ?? -1)]
               + Self.encode(result.outcome))
        for finding in result.findings.prefix(256) {
            append(["F", finding.code, finding.severity.rawValue, finding.title, finding.fix,
                    String(finding.site?.address ?? 0), finding.site?.symbol ?? "",
                    finding.bugCheck.map { String($0.code) } ?? "", finding.bugCheck?.parameters.joined(separator: ",") ?? "",
                    finding.details.map { "\($0.key)=\($0.value)" }.joined(separator: "\u{1E}")])
        }
    }

    public func kernelCall(site: UInt64) {
        base.storeBytes(of: site, toByteOffset: 16, as: UInt64.self)
        beat()
    }

    private static func encode(_ outcome: Outcome) -> [String] {
        switch outcome {
        case .returned(let value): return ["returned", String(value)]
        case let .bugCheck(code, parameters): return ["bug-check", String(code)] + parameters.map { String($0) }
        case .instructionLimit(let n): return ["instruction-limit", String(n)]
        case .timeout(let seconds): return ["timeout", String(seconds)]
        case .kernelCallLimit(let n): return ["kernel-call-limit", String(n)]
        case .unsatisfiableWait(let text): return ["unsatisfiable-wait", text]
        case .parked(let text): return ["parked", text]
        case .emulationError(let text): return ["emulation-error", text]
        case .toolFault(let text): return ["tool-fault", text]
        }
    }

    private static func decode(_ fields: ArraySlice<String>) -> Outcome {
        let values = fields.dropFirst()
        let number = { (index: Int) -> UInt64 in values.count > index ? UInt64(values[values.startIndex + index]) ?? 0 : 0 }
        let text = values.first ?? ""
        switch fields.first ?? "" {
        case "returned": return .returned(number(0))
        case "bug-check": return .bugCheck(code: UInt32(truncatingIfNeeded: number(0)), parameters: (1...4).map(number))
        case "instruction-limit": return .instructionLimit(Int(truncatingIfNeeded: number(0)))
        case "timeout": return .timeout(Double(text) ?? 0)
        case "kernel-call-limit": return .kernelCallLimit(Int(truncatingIfNeeded: number(0)))
        case "unsatisfiable-wait": return .unsatisfiableWait(text)
        case "parked": return .parked(text)
        case "emulation-error": return .emulationError(text)
        default: return .toolFault(text)
        }
    }

    // MARK: The supervisor's side

    /// The runs as far as the records tell, the running entry point ended by `fault`, and every
    /// configuration that never started marked as not run. `configurations` are the (hvci,
    /// verifier) pairs the command asked for, in order.
    public func rebuildRuns(configurations: [(hvci: Bool, verifier: Bool)], enforcement: Enforcement, fault: String) -> [RunResult] {
        let used = min(Int(base.load(as: UInt64.self)), Self.capacity - Self.header)
        let text = String(decoding: UnsafeRawBufferPointer(start: base + Self.header, count: used), as: UTF8.self)
        var runs: [RunResult] = []
        var pending: (name: String, address: UInt64)?
        func finishPending() {
            guard let started = pending, !runs.isEmpty else { return }
            let place = lastDriverAddress == 0 ? "" : " (last known address in the driver: 0x\(String(lastDriverAddress, radix: 16)))"
            runs[runs.count - 1].entryPoints.append(EntryPointResult(
                name: started.name, address: started.address, outcome: .toolFault(fault + place),
                instructions: nil, kernelCalls: 0, calls: [], findings: []))
            pending = nil
        }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
            switch fields.first {
            case "R" where fields.count >= 3:
                runs.append(RunResult(hvci: fields[1] == "1", verifier: fields[2] == "1", enforcement: enforcement,
                                      loadFailure: nil, imageBase: nil, entryPoints: [], debugOutput: [], fallbacks: [:]))
            case "X" where fields.count >= 3 && !runs.isEmpty:
                runs[runs.count - 1].loadFailureKind = LoadFailureKind(rawValue: fields[1])
                runs[runs.count - 1].loadFailure = fields[2]
            case "S" where fields.count >= 3:
                pending = (fields[1], UInt64(fields[2]) ?? 0)
            case "E" where fields.count >= 6 && !runs.isEmpty:
                pending = nil
                let instructions = Int(fields[4]) ?? -1
                runs[runs.count - 1].entryPoints.append(EntryPointResult(
                    name: fields[1], address: UInt64(fields[2]) ?? 0, outcome: Self.decode(fields[5...]),
                    instructions: instructions < 0 ? nil : instructions, kernelCalls: Int(fields[3]) ?? 0, calls: [], findings: []))
            case "F" where fields.count >= 10 && !runs.isEmpty && !(runs[runs.count - 1].entryPoints.isEmpty):
                let details = fields[9].split(separator: "\u{1E}").map { pair -> (key: String, value: String) in
                    let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                    return (key: parts.first ?? "", value: parts.count > 1 ? parts[1] : "")
                }
                let finding = Finding(
                    code: fields[1], title: fields[3], severity: Severity(rawValue: fields[2]) ?? .error, phase: .runtime,
                    fix: fields[4],
                    bugCheck: UInt32(fields[7]).map { BugCheck(code: $0, parameters: fields[8].split(separator: ",").map(String.init)) },
                    details: details,
                    site: fields[6].isEmpty ? nil : CodeSite(address: UInt64(fields[5]) ?? 0, symbol: fields[6]))
                let last = runs[runs.count - 1].entryPoints.count - 1
                runs[runs.count - 1].entryPoints[last].findings.append(finding)
            default:
                continue
            }
        }
        if pending != nil {
            finishPending()
        } else if let last = runs.indices.last, runs[last].loadFailure == nil {
            // Died between entry points (or while loading): say so on the run it was in.
            runs[last].entryPoints.append(EntryPointResult(
                name: runs[last].entryPoints.isEmpty ? "DriverEntry" : "(between entry points)", address: 0,
                outcome: .toolFault(fault), instructions: nil, kernelCalls: 0, calls: [], findings: []))
        }
        for index in runs.indices {
            runs[index].coverage = Coverage(results: runs[index].entryPoints, available: [], unmodeledCalls: 0)
        }
        for configuration in configurations.dropFirst(runs.count) {
            var run = RunResult(hvci: configuration.hvci, verifier: configuration.verifier, enforcement: enforcement,
                                loadFailure: "not run: the emulator's process died in an earlier run", imageBase: nil,
                                entryPoints: [], debugOutput: [], fallbacks: [:])
            run.loadFailureKind = .tool
            runs.append(run)
        }
        return runs
    }
}
