import Kernel
import PEImage

/// Structure-aware mutations of a driver image, for libFuzzer's custom mutator: each keeps
/// the file a plausible PE so that the fuzzer reaches the loader and the emulator instead of
/// stopping at the parser. One of:
/// - a section header field changed (characteristics bits, sizes, addresses);
/// - an imported function renamed to another function the kernel model implements;
/// - a base-relocation entry rewritten (type and offset);
/// - an unwind-info byte changed (.pdata/.xdata: exception dispatch and stack walks);
/// - an instruction sequence from a list of awkward encodings spliced into executable code.
/// Anything else (or a file that does not parse) falls back to libFuzzer's own byte mutations.
public enum DriverMutator {
    /// Encodings that stress the emulator and the model: far call/jmp through a register (QEMU
    /// aborts on them), privileged and I/O instructions, traps, stack games, a return to 0.
    static let splices: [[UInt8]] = [
        [0xFF, 0xD8], [0x48, 0xFF, 0xD8], [0xFF, 0xE8], [0x66, 0xFF, 0xEF], [0x0F, 0x0B], [0xF4], [0xCC],
        [0xCD, 0x2C], [0xCD, 0x29], [0x0F, 0x30], [0x0F, 0x32], [0x0F, 0x33], [0xE4, 0x60], [0xE6, 0x80],
        [0xEC], [0xEE], [0x0F, 0x22, 0xD8], [0x0F, 0x22, 0xE0], [0x0F, 0x20, 0xC0], [0x0F, 0x01, 0x10],
        [0x31, 0xC9, 0xF7, 0xF1], [0x48, 0x31, 0xC0, 0x48, 0x8B, 0x00], [0x48, 0x31, 0xC0, 0x50, 0xC3],
        [0x48, 0x83, 0xEC, 0x03], [0xEB, 0xFE], [0xE8, 0xFB, 0xFF, 0xFF, 0xFF], [0x0F, 0x05], [0x0F, 0xA2],
        [0x48, 0xC7, 0xC0, 0x00, 0x00, 0x00, 0x80, 0xC6, 0x00, 0x01], [0x65, 0x48, 0x8B, 0x04, 0x25, 0x88, 0x01, 0x00, 0x00],
        [0xF0, 0x0F, 0xB1, 0x0A], [0x0F, 0xAE, 0x38], [0xC4, 0xE2, 0x79, 0x18, 0x00], [0x62], [0x8E, 0xD8],
    ]

    static let functionNames: [String] = Kernel.modelledAPIs.compactMap { $0.qualifiedName.split(separator: "!").last.map(String.init) }

    /// Mutates `bytes` in place, deterministically for `seed`; false when it chose (or had) to
    /// leave the mutation to libFuzzer's byte mutator (a file that does not parse, or by chance).
    public static func mutate(_ bytes: inout [UInt8], seed: UInt32) -> Bool {
        var rng = SplitMix(seed: UInt64(seed))
        let strategy = rng.next() % 6
        guard strategy < 5, let file = try? PEFile(bytes: bytes) else { return false }
        switch strategy {
        case 0: mutateSectionHeader(&bytes, file, &rng)
        case 1: renameImport(&bytes, file, &rng)
        case 2: mutateRelocation(&bytes, file, &rng)
        case 3: mutateUnwindData(&bytes, file, &rng)
        default: spliceInstructions(&bytes, file, &rng)
        }
        return true
    }

    static func mutateSectionHeader(_ bytes: inout [UInt8], _ file: PEFile, _ rng: inout SplitMix) {
        guard let section = file.sections.randomElement(using: &rng) else { return }
        let header = section.headerOffset
        // VirtualSize 8, VirtualAddress 12, SizeOfRawData 16, PointerToRawData 20, Characteristics 36.
        let field = [8, 12, 16, 20, 36].randomElement(using: &rng)!
        guard header + field + 4 <= bytes.count else { return }
        var value = UInt32(bytes[header + field]) | UInt32(bytes[header + field + 1]) << 8
            | UInt32(bytes[header + field + 2]) << 16 | UInt32(bytes[header + field + 3]) << 24
        switch rng.next() % 4 {
        case 0: value ^= 1 << UInt32(rng.next() % 32)
        case 1: value = value &+ UInt32(truncatingIfNeeded: rng.next() % 0x2000) &- 0x1000
        case 2: value ^= [SectionFlags.memWrite, SectionFlags.memExecute, SectionFlags.memDiscardable].randomElement(using: &rng)!
        default: value = [0, 0x1000, 0xFFFF_FFFF, 0x7FFF_FFFF, 0x200].randomElement(using: &rng)!
        }
        for index in 0..<4 { bytes[header + field + index] = UInt8(truncatingIfNeeded: value >> UInt32(8 * index)) }
    }

    static func renameImport(_ bytes: inout [UInt8], _ file: PEFile, _ rng: inout SplitMix) {
        let names = file.imports.flatMap { $0.functions.compactMap(\.name) }
        guard let old = names.randomElement(using: &rng), let offset = find(Array(old.utf8) + [0], in: bytes) else { return }
        let fitting = functionNames.filter { $0.utf8.count <= old.utf8.count }
        guard let new = fitting.randomElement(using: &rng) else { return }
        let replacement = Array(new.utf8) + [UInt8](repeating: 0, count: old.utf8.count - new.utf8.count + 1)
        bytes.replaceSubrange(offset..<(offset + replacement.count), with: replacement)
    }

    static func mutateRelocation(_ bytes: inout [UInt8], _ file: PEFile, _ rng: inout SplitMix) {
        guard let section = file.sections.first(where: { $0.name == ".reloc" }), section.sizeOfRawData > 8 else { return }
        let start = Int(section.pointerToRawData) + 8, end = min(bytes.count, Int(section.pointerToRawData + section.sizeOfRawData))
        guard start + 2 <= end else { return }
        let at = start + Int(rng.next() % UInt64((end - start) / 2)) * 2
        let entry = UInt16(truncatingIfNeeded: rng.next())
        bytes[at] = UInt8(truncatingIfNeeded: entry)
        bytes[at + 1] = UInt8(truncatingIfNeeded: entry >> 8)
    }

    static func mutateUnwindData(_ bytes: inout [UInt8], _ file: PEFile, _ rng: inout SplitMix) {
        let candidates = file.sections.filter { $0.name == ".pdata" || $0.name == ".xdata" || $0.name == ".rdata" }
        guard let section = candidates.randomElement(using: &rng), section.sizeOfRawData > 0 else { return }
        let at = Int(section.pointerToRawData) + Int(rng.next() % UInt64(section.sizeOfRawData))
        guard at < bytes.count else { return }
        bytes[at] = UInt8(truncatingIfNeeded: rng.next())
    }

    static func spliceInstructions(_ bytes: inout [UInt8], _ file: PEFile, _ rng: inout SplitMix) {
        guard let code = file.sections.filter(\.isExecutable).randomElement(using: &rng), code.sizeOfRawData > 16 else { return }
        let splice = splices.randomElement(using: &rng)!
        // Most often at the entry point or a function start, where the splice is sure to run.
        var at = Int(code.pointerToRawData) + Int(rng.next() % UInt64(code.sizeOfRawData - 16))
        if rng.next() % 2 == 0, let entry = fileOffset(rva: file.optionalHeader.addressOfEntryPoint, in: file) { at = entry }
        guard at >= 0, at + splice.count <= bytes.count else { return }
        bytes.replaceSubrange(at..<(at + splice.count), with: splice)
    }

    static func fileOffset(rva: UInt32, in file: PEFile) -> Int? {
        guard let section = file.sections.first(where: { $0.contains(rva: UInt64(rva)) }) else { return nil }
        return Int(section.pointerToRawData) + Int(rva - section.virtualAddress)
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
        var index = 0
        while index + needle.count <= haystack.count {
            if haystack[index] == needle[0], Array(haystack[index..<(index + needle.count)]) == needle { return index }
            index += 1
        }
        return nil
    }
}

/// A small deterministic generator (SplitMix64), so a seed reproduces a mutation.
public struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
