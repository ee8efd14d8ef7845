import CPU
import Memory
import PEImage

/// An instruction of the image the run treats specially (docs/cpu-behaviour.md): one QEMU
/// cannot translate, replaced by `ud2` so that it raises #UD at its own address as a CPU
/// does, or a privileged instruction watched at its address.
public struct InstructionSite: Sendable, Hashable {
    public var address: UInt64
    public var kind: SpecialInstruction
    /// The instruction's bytes in the image.
    public var original: [UInt8]
    /// True when the loader replaced its first two bytes by `0F 0B` (ud2).
    public var patched: Bool
}

/// Which bytes of the image's code the loader examines for encodings QEMU aborts on.
public enum CodePatching: Sendable, Hashable {
    /// Instructions along the image's known code paths (`CodeSweep`): what a CPU decodes, so
    /// reports stay faithful; code reached otherwise is contained by the supervisor.
    case reachablePaths
    /// Also every byte offset of the executable sections (`CodeSweep.abortingSitesAtEveryOffset`):
    /// for running in a process with no supervisor (the in-process fuzz target). May change
    /// bytes inside other instructions' immediates, so behaviour can differ from Windows.
    case everyOffset
}

extension ImageLoader {
    /// `ud2`: #UD at the same address, which QEMU translates without trouble.
    static let ud2: [UInt8] = [0x0F, 0x0B]

    /// Finds the special instructions along the image's known code paths (`CodeSweep`) and
    /// replaces the ones QEMU aborts on by `ud2`. Runs on the final bytes (relocated), before
    /// Code Integrity grants execute, so nothing has been translated yet. With `.everyOffset`
    /// it also patches every other offset where such an encoding would start.
    static func sweepCode(_ file: PEFile, base: UInt64, memory: MemoryModel,
                          patching: CodePatching) -> [InstructionSite] {
        var regions: [CodeSweep.Region] = []
        for section in file.sections where section.isExecutable && section.mappedSize > 0 {
            let start = base &+ UInt64(section.virtualAddress)
            guard let bytes = try? memory.read(start, count: Int(section.mappedSize), mode: .privileged) else { continue }
            regions.append(CodeSweep.Region(start: start, bytes: bytes))
        }
        guard !regions.isEmpty else { return [] }
        var roots = [base &+ UInt64(file.optionalHeader.addressOfEntryPoint)]
        roots += file.runtimeFunctions.map { base &+ UInt64($0.beginAddress) }
        roots += (file.exports?.functions ?? []).filter { $0.forwarder == nil }.map { base &+ UInt64($0.rva) }
        var sites = CodeSweep(regions: regions).sites(from: roots).map { site in
            var patched = false
            if site.kind.abortsEmulator, site.length >= ud2.count {
                patched = (try? memory.write(site.address, ud2, mode: .privileged)) != nil
            }
            return InstructionSite(address: site.address, kind: site.kind, original: site.bytes, patched: patched)
        }
        guard patching == .everyOffset else { return sites }
        let known = Set(sites.map(\.address))
        for var region in regions {
            for site in CodeSweep.abortingSitesAtEveryOffset(in: &region) where !known.contains(site.address) {
                let patched = (try? memory.write(site.address, ud2, mode: .privileged)) != nil
                sites.append(InstructionSite(address: site.address, kind: site.kind, original: site.bytes, patched: patched))
            }
        }
        return sites.sorted { $0.address < $1.address }
    }
}
