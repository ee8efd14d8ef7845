/// Finds the `SpecialInstruction`s of an image's code by recursive descent: decoding starts at
/// addresses known to be instruction starts (the entry point, exports, .pdata function starts)
/// and follows fall-through and direct branches (call/jmp/jcc rel8/rel32), never indirect ones.
///
/// Why not a linear sweep of the code sections: data inside code (jump tables, literal pools,
/// padding) and a desynchronised sweep would turn a byte pair such as `FF D8` inside an
/// immediate into a "far call" and patch the driver's bytes where no CPU would ever decode
/// that instruction. Recursive descent only reports instructions at boundaries a CPU reaches
/// along the paths it sees; what it cannot see (code reached only through a pointer it does
/// not know, code written at run time) is not patched, and if that code makes QEMU abort the
/// supervisor still reports the run (tool-fault). See docs/cpu-behaviour.md.
public struct CodeSweep {
    /// A found instruction: its address, length and kind.
    public struct Site: Sendable, Hashable {
        public var address: UInt64
        public var length: Int
        public var kind: SpecialInstruction
        /// The instruction's bytes as the image has them (before any patch).
        public var bytes: [UInt8]
    }

    /// One contiguous range of code (an executable section) and its bytes.
    public struct Region: Sendable {
        public var start: UInt64
        public var bytes: [UInt8]
        public init(start: UInt64, bytes: [UInt8]) {
            self.start = start
            self.bytes = bytes
        }
    }

    private let regions: [Region]
    /// Decoding stops after this many instructions (a bound on hostile images).
    private let budget: Int

    public init(regions: [Region], budget: Int = 4_000_000) {
        self.regions = regions
        self.budget = budget
    }

    /// The special instructions reachable from `roots`, in address order.
    public func sites(from roots: [UInt64]) -> [Site] {
        var visited = regions.map { [Bool](repeating: false, count: $0.bytes.count) }
        var work = roots
        var found: [Site] = []
        var decoded = 0
        while let start = work.popLast() {
            var address = start
            while decoded < budget, let (region, offset) = locate(address).map({ ($0.region, $0.offset) }),
                  !visited[region][offset] {
                visited[region][offset] = true
                decoded += 1
                let bytes = regions[region].bytes
                let end = min(bytes.count, offset + 15)
                guard let step = bytes[offset..<end].withUnsafeBytes({ Self.step($0, at: address) }) else { break }
                if let kind = step.special {
                    found.append(Site(address: address, length: step.length, kind: kind,
                                      bytes: Array(bytes[offset..<(offset + step.length)])))
                }
                if let target = step.target { work.append(target) }
                guard step.fallsThrough else { break }
                address = address &+ UInt64(step.length)
            }
        }
        return found.sorted { $0.address < $1.address }
    }

    private func locate(_ address: UInt64) -> (region: Int, offset: Int)? {
        for (index, region) in regions.enumerated() where address >= region.start {
            let offset = address - region.start
            if offset < UInt64(region.bytes.count) { return (index, Int(offset)) }
        }
        return nil
    }

    struct Step {
        var length: Int
        var special: SpecialInstruction?
        var target: UInt64?
        var fallsThrough: Bool
    }

    /// One instruction: its length, kind, direct branch target and whether the next one follows.
    static func step(_ bytes: UnsafeRawBufferPointer, at address: UInt64) -> Step? {
        guard let instruction = InstructionDecoder.decode(bytes) else { return nil }
        let length = instruction.length
        let special = SpecialInstruction.classify(bytes, length: length)
        // A #UD instruction ends the path: what follows it is not reached through it.
        if special?.abortsEmulator == true { return Step(length: length, special: special, target: nil, fallsThrough: false) }
        var opcodeIndex = 0
        while opcodeIndex < length, isPrefix(bytes[opcodeIndex]) { opcodeIndex += 1 }
        guard opcodeIndex < length else { return nil }
        let opcode = bytes[opcodeIndex]
        let twoByte = opcode == 0x0F && opcodeIndex + 1 < length ? bytes[opcodeIndex + 1] : nil
        let isRelativeBranch = (0x70...0x7F).contains(opcode) || (0xE0...0xE3).contains(opcode)
            || opcode == 0xE8 || opcode == 0xE9 || opcode == 0xEB || (twoByte.map { (0x80...0x8F).contains($0) } ?? false)
        var target: UInt64?
        if isRelativeBranch, let raw = instruction.immediate {
            let displacement = instruction.immediateSize == 1 ? Int64(Int8(truncatingIfNeeded: raw))
                : Int64(Int32(truncatingIfNeeded: raw))
            target = address &+ UInt64(length) &+ UInt64(bitPattern: displacement)
        }
        let ends: Bool
        switch instruction.kind {
        case .ret, .jump: ends = true
        default:
            // int3, int n (__fastfail never returns), ud2: the path stops there.
            ends = opcode == 0xCC || opcode == 0xCD || twoByte == 0x0B
        }
        return Step(length: length, special: special, target: target, fallsThrough: !ends)
    }

    private static func isPrefix(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x66, 0x67, 0xF0, 0xF2, 0xF3, 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x40...0x4F: return true
        default: return false
        }
    }
}

extension CodeSweep {
    /// Every byte offset of `region` where an instruction QEMU aborts on would start, were a
    /// CPU to begin decoding there — not only at the boundaries recursive descent reaches.
    /// `region.bytes` is updated as if each site were replaced by `ud2` (0F 0B), so a site is
    /// judged on the bytes left after the earlier replacements (a replacement never creates a
    /// new site: 0F 0B is not a prefix, FF, or a locked opcode).
    ///
    /// This changes bytes no CPU may ever decode as those instructions (an `FF D8` inside an
    /// immediate, say), so it is not for reports: the in-process fuzz target uses it, where no
    /// supervisor contains QEMU's abort and any byte pair can be reached by a computed jump.
    public static func abortingSitesAtEveryOffset(in region: inout Region) -> [Site] {
        var found: [Site] = []
        var offset = 0
        while offset + 1 < region.bytes.count {
            let end = min(region.bytes.count, offset + 15)
            let kind = region.bytes[offset..<end].withUnsafeBytes { SpecialInstruction.classify($0, length: $0.count) }
            if let kind, kind.abortsEmulator {
                found.append(Site(address: region.start &+ UInt64(offset), length: 2, kind: kind,
                                  bytes: Array(region.bytes[offset..<(offset + 2)])))
                region.bytes[offset] = 0x0F
                region.bytes[offset + 1] = 0x0B
            }
            offset += 1
        }
        return found
    }
}
