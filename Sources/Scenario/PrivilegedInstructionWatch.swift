import CPU
import Loader

/// Gives `rdmsr`, `wrmsr` and `rdpmc` their ring-0 behaviour on a Windows machine where QEMU
/// differs (docs/cpu-behaviour.md): QEMU returns 0 for an MSR it does not know and ignores
/// the write, where a processor raises #GP(0); QEMU raises #UD for every `rdpmc`, where a
/// processor reads the counter (or raises #GP(0) for a counter that does not exist).
///
/// Unicorn 2.0.1 cannot hook these instructions by kind, so the loader's code sweep lists
/// their addresses and one code hook is bound to each: code elsewhere pays nothing.
///
/// Port I/O (`in`/`out`, `ins`/`outs`) is legal at ring 0; the model has no devices, so a read
/// gives all ones, as an ISA/LPC bus does where nothing answers, and a write goes nowhere
/// (Unicorn alone would read 0). Each port is counted for the report.
final class PrivilegedInstructionWatch {
    /// A #GP the hook stopped at: Windows raises STATUS_PRIVILEGED_INSTRUCTION for it.
    struct Fault: Equatable {
        var rip: UInt64
        var kind: SpecialInstruction
        var index: UInt32
    }

    private(set) var pending: Fault?
    private var hooks: [HookHandle] = []
    /// Port accesses of the current entry point: "in 0x70" → count.
    private(set) var ports: [String: Int] = [:]

    init(engine: Engine, sites: [InstructionSite]) throws {
        hooks.append(try engine.addPortInHook { [unowned self] _, port, size in
            count("in", port)
            return size >= 4 ? 0xFFFF_FFFF : size == 2 ? 0xFFFF : 0xFF
        })
        hooks.append(try engine.addPortOutHook { [unowned self] _, port, _, _ in count("out", port) })
        for site in sites where !site.patched {
            switch site.kind {
            case .rdmsr, .wrmsr, .rdpmc:
                let kind = site.kind
                hooks.append(try engine.addCodeHook(range: site.address...site.address) { [unowned self] engine, address, _ in
                    check(kind, at: address, engine: engine)
                })
            default: continue
            }
        }
    }

    private func count(_ direction: String, _ port: UInt16) {
        let key = "\(direction) 0x\(String(port, radix: 16))"
        if ports[key] != nil || ports.count < 64 { ports[key, default: 0] += 1 }
    }

    /// One line for the report on the ports used since the last call, or nil; clears the counts.
    func takePortSummary() -> String? {
        defer { ports = [:] }
        guard !ports.isEmpty else { return nil }
        return "port I/O (no device answers: reads give all ones): "
            + ports.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
    }

    /// The pending #GP, cleared.
    func take() -> Fault? {
        defer { pending = nil }
        return pending
    }

    private func check(_ kind: SpecialInstruction, at address: UInt64, engine: Engine) {
        let index = UInt32(truncatingIfNeeded: (try? engine.read(.rcx)) ?? 0)
        switch kind {
        case .rdmsr where ModelSpecificRegisters.readable(index),
             .wrmsr where ModelSpecificRegisters.writable(index):
            return  // QEMU executes it (its value, 0 for an MSR it does not model)
        case .rdpmc where PerformanceCounters.exists(index):
            // A counter that is not counting reads 0; QEMU would raise #UD, so do it here.
            do {
                try engine.write(.rax, 0)
                try engine.write(.rdx, 0)
                try engine.write(.rip, address &+ 2)
            } catch { break }
            return
        default: break
        }
        pending = Fault(rip: address, kind: kind, index: index)
        engine.stop()  // from a code hook: before the instruction executes
    }
}

/// Counters `rdpmc` accepts on a current Intel processor (SDM Vol. 3, 19.2): general-purpose
/// counters 0–3 (four per logical processor with Hyper-Threading) and, with ECX bit 30 set,
/// fixed-function counters 0–2.
enum PerformanceCounters {
    static func exists(_ index: UInt32) -> Bool {
        index & 0x4000_0000 != 0 ? (index & 0x3FFF_FFFF) < 3 : index < 4
    }
}
