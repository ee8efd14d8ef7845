/// x64 virtual unwinding from .pdata / UNWIND_INFO, as Windows' RtlVirtualUnwind does it.
///
/// Pure Swift: guest memory is reached only through a read closure, so the same
/// core serves the loader (call stacks of a `LoadedImage`) and the kernel model
/// (exception dispatch, the exported RtlVirtualUnwind). Every value read from
/// the guest is hostile: reads are bounds-checked by the closure, every loop is
/// capped, all arithmetic wraps (`&+`) instead of trapping.
///
/// Reference: "x64 exception handling" (learn.microsoft.com, UNWIND_INFO /
/// UNWIND_CODE / chained unwind info) and the behaviour of RtlVirtualUnwind:
/// - codes whose prologue offset is beyond the current offset are skipped
///   (only when RIP is inside the prologue of the *primary* function);
/// - chained unwind info (UNW_FLAG_CHAININFO) continues with all the codes of
///   the parent entry;
/// - inside an epilogue (`add rsp,n` / `lea rsp,[fp+n]`, pops, `ret`/tail `jmp`)
///   the epilogue is emulated instead of the codes, and no handler is reported;
/// - without a .pdata entry the function is a leaf: the return address is at [RSP].

/// The 16 integer registers (x64 numbering: RAX, RCX, RDX, RBX, RSP, RBP, RSI,
/// RDI, R8–R15, the order of CONTEXT and of UNWIND_CODE.OpInfo) and RIP.
public struct X64Context: Sendable, Equatable {
    public var gpr: [UInt64]
    public var rip: UInt64

    public init(gpr: [UInt64] = [UInt64](repeating: 0, count: 16), rip: UInt64 = 0) {
        var registers = Array(gpr.prefix(16))
        while registers.count < 16 { registers.append(0) }
        self.gpr = registers
        self.rip = rip
    }

    public static let rax = 0, rcx = 1, rdx = 2, rbx = 3, rsp = 4, rbp = 5, rsi = 6, rdi = 7
    public static let names = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                               "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]

    public subscript(_ index: Int) -> UInt64 {
        get { gpr[index & 15] }
        set { gpr[index & 15] = newValue }
    }

    public var rsp: UInt64 {
        get { gpr[4] }
        set { gpr[4] = newValue }
    }

    public var rax: UInt64 {
        get { gpr[0] }
        set { gpr[0] = newValue }
    }
}

/// One RUNTIME_FUNCTION found for an address: the image it belongs to and
/// where the entry itself lives (RtlLookupFunctionEntry returns that pointer).
public struct X64FunctionEntry: Sendable, Equatable {
    public var imageBase: UInt64
    public var imageSize: UInt64
    public var beginAddress: UInt32
    public var endAddress: UInt32
    public var unwindInfoAddress: UInt32
    /// Guest address of the 12-byte RUNTIME_FUNCTION in the image's .pdata (0 if unknown).
    public var entryAddress: UInt64

    public init(imageBase: UInt64, imageSize: UInt64, beginAddress: UInt32, endAddress: UInt32,
                unwindInfoAddress: UInt32, entryAddress: UInt64 = 0) {
        self.imageBase = imageBase
        self.imageSize = imageSize
        self.beginAddress = beginAddress
        self.endAddress = endAddress
        self.unwindInfoAddress = unwindInfoAddress
        self.entryAddress = entryAddress
    }
}

/// The language-specific handler of a frame (UNW_FLAG_EHANDLER / UNW_FLAG_UHANDLER).
public struct X64HandlerInfo: Sendable, Equatable {
    /// The UNWIND_INFO flags of the primary entry (1 = EHANDLER, 2 = UHANDLER).
    public var flags: UInt8
    /// RVA of the handler (often a `jmp [__imp___C_specific_handler]` stub in the image).
    public var handlerRVA: UInt32
    /// RVA of the handler data that follows the handler RVA (for __C_specific_handler: the SCOPE_TABLE).
    public var handlerDataRVA: UInt32

    public init(flags: UInt8, handlerRVA: UInt32, handlerDataRVA: UInt32) {
        self.flags = flags
        self.handlerRVA = handlerRVA
        self.handlerDataRVA = handlerDataRVA
    }
}

/// What one step of virtual unwinding produced.
public struct X64UnwindStep: Sendable, Equatable {
    /// The caller's context (RIP = return address, RSP above it, restored nonvolatiles).
    public var caller: X64Context
    /// The frame's establisher frame (RSP after the prologue, or frame register − offset).
    public var establisherFrame: UInt64
    /// The function entry used; nil for a leaf (no .pdata: return address at [RSP]).
    public var function: X64FunctionEntry?
    /// The handler asked for (by `handlerType`), when RIP is past the prologue and not in an epilogue.
    public var handler: X64HandlerInfo?
    /// Where each integer register was restored from (KNONVOLATILE_CONTEXT_POINTERS.IntegerContext).
    public var integerSavedAt: [Int: UInt64] = [:]
    /// Where each XMM register was saved (FloatingContext).
    public var xmmSavedAt: [Int: UInt64] = [:]
    /// The step emulated an epilogue instead of the unwind codes.
    public var inEpilogue = false
}

public enum X64UnwindError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(UInt64)
    case badUnwindInfo(rva: UInt32, reason: String)
    case chainTooDeep(rva: UInt32)

    public var description: String {
        switch self {
        case .unreadable(let address): return "unwind: cannot read guest memory at 0x\(String(address, radix: 16))"
        case let .badUnwindInfo(rva, reason): return "unwind: bad UNWIND_INFO at RVA 0x\(String(rva, radix: 16)): \(reason)"
        case .chainTooDeep(let rva): return "unwind: chained unwind info too deep at RVA 0x\(String(rva, radix: 16))"
        }
    }
}

public enum X64Unwind {
    /// Reads `count` bytes of guest memory (throws or returns nil when not readable).
    public typealias Reader = (_ address: UInt64, _ count: Int) throws -> [UInt8]
    /// The RUNTIME_FUNCTION holding an address, with its image (nil: leaf / not in an image).
    public typealias Lookup = (_ address: UInt64) -> X64FunctionEntry?

    public static let flagEHandler: UInt8 = 1
    public static let flagUHandler: UInt8 = 2
    public static let flagChainInfo: UInt8 = 4

    public static let uwopPushNonvol: UInt8 = 0, uwopAllocLarge: UInt8 = 1, uwopAllocSmall: UInt8 = 2,
                      uwopSetFPReg: UInt8 = 3, uwopSaveNonvol: UInt8 = 4, uwopSaveNonvolFar: UInt8 = 5,
                      uwopEpilog: UInt8 = 6, uwopSpareCode: UInt8 = 7, uwopSaveXMM128: UInt8 = 8,
                      uwopSaveXMM128Far: UInt8 = 9, uwopPushMachframe: UInt8 = 10

    /// Windows accepts at most 32 chained entries in practice; a loop in hostile data stops here.
    public static let maxChain = 32
    /// The longest epilogue the decoder follows (instructions).
    static let maxEpilogueInstructions = 32

    // MARK: Guest reads

    static func bytes(_ read: Reader, _ address: UInt64, _ count: Int) throws -> [UInt8] {
        let data: [UInt8]
        do { data = try read(address, count) } catch { throw X64UnwindError.unreadable(address) }
        guard data.count == count else { throw X64UnwindError.unreadable(address) }
        return data
    }

    static func u64(_ read: Reader, _ address: UInt64) throws -> UInt64 {
        let b = try bytes(read, address, 8)
        return b.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    static func le(_ b: [UInt8], _ at: Int, _ size: Int) -> UInt64 {
        guard at >= 0, size >= 0, at <= b.count, size <= b.count - at else { return 0 }
        var value: UInt64 = 0
        for i in (0..<size).reversed() { value = value << 8 | UInt64(b[at + i]) }
        return value
    }

    // MARK: UNWIND_INFO

    /// A decoded UNWIND_INFO header and its code slots.
    public struct UnwindInfo: Sendable, Equatable {
        public var version: UInt8
        public var flags: UInt8
        public var sizeOfProlog: UInt8
        public var countOfCodes: UInt8
        public var frameRegister: UInt8
        public var frameOffset: UInt8
        /// The raw 16-bit code slots.
        public var codes: [UInt16]
        /// RVA of the field after the (even-padded) codes: handler RVA or chained RUNTIME_FUNCTION.
        public var trailerRVA: UInt32
    }

    public static func readUnwindInfo(imageBase: UInt64, imageSize: UInt64, rva: UInt32, read: Reader) throws -> UnwindInfo {
        guard UInt64(rva) &+ 4 <= imageSize else { throw X64UnwindError.badUnwindInfo(rva: rva, reason: "outside the image") }
        let header = try bytes(read, imageBase &+ UInt64(rva), 4)
        let version = header[0] & 7
        guard version == 1 || version == 2 else {
            throw X64UnwindError.badUnwindInfo(rva: rva, reason: "version \(version) (only 1 and 2 exist)")
        }
        let count = Int(header[2])
        let slots = (count + 1) & ~1
        let codesSize = 2 * slots
        guard UInt64(rva) &+ 4 &+ UInt64(codesSize) <= imageSize else {
            throw X64UnwindError.badUnwindInfo(rva: rva, reason: "\(count) unwind codes run past the image")
        }
        let raw = count > 0 ? try bytes(read, imageBase &+ UInt64(rva) &+ 4, 2 * count) : []
        let codes = (0..<count).map { UInt16(raw[2 * $0]) | UInt16(raw[2 * $0 + 1]) << 8 }
        return UnwindInfo(version: version, flags: header[0] >> 3, sizeOfProlog: header[1], countOfCodes: header[2],
                          frameRegister: header[3] & 0xF, frameOffset: header[3] >> 4, codes: codes,
                          trailerRVA: rva &+ 4 &+ UInt32(codesSize))
    }

    /// Slots used by the code in `slot` (1, 2 or 3).
    static func slotCount(op: UInt8, info: UInt8) -> Int {
        switch op {
        case uwopAllocLarge: return info == 0 ? 2 : 3
        case uwopSaveNonvol, uwopSaveXMM128, uwopEpilog: return 2
        case uwopSaveNonvolFar, uwopSaveXMM128Far, uwopSpareCode: return 3
        default: return 1
        }
    }

    // MARK: Virtual unwind

    /// One step of RtlVirtualUnwind: from `context` (RIP inside `function`, or a leaf
    /// when `function` is nil) to the caller's context. `handlerType` selects which
    /// handler is reported (EHANDLER for dispatch, UHANDLER for unwind, 0 for none).
    public static func virtualUnwind(function entry: X64FunctionEntry?, context: X64Context, handlerType: UInt8 = 0,
                                     read: Reader) throws -> X64UnwindStep {
        guard var function = entry else {
            // Leaf: no prologue, no saved registers; the return address is at [RSP].
            var caller = context
            caller.rip = try u64(read, context.rsp)
            caller.rsp = context.rsp &+ 8
            return X64UnwindStep(caller: caller, establisherFrame: context.rsp, function: nil, handler: nil)
        }
        let base = function.imageBase
        if function.unwindInfoAddress & 1 != 0 {
            // RUNTIME_FUNCTION_INDIRECT: the entry names another RUNTIME_FUNCTION (one level).
            let at = function.unwindInfoAddress & ~1
            guard UInt64(at) &+ 12 <= function.imageSize else {
                throw X64UnwindError.badUnwindInfo(rva: at, reason: "indirect RUNTIME_FUNCTION outside the image")
            }
            let raw = try bytes(read, base &+ UInt64(at), 12)
            function.beginAddress = UInt32(le(raw, 0, 4))
            function.endAddress = UInt32(le(raw, 4, 4))
            function.unwindInfoAddress = UInt32(le(raw, 8, 4)) & ~1
            function.entryAddress = base &+ UInt64(at)
        }
        let controlRVA = UInt32(truncatingIfNeeded: context.rip &- base)
        var info = try readUnwindInfo(imageBase: base, imageSize: function.imageSize, rva: function.unwindInfoAddress,
                                      read: read)
        // Offset into the prologue of the function RIP is in; "past the prologue" applies all codes.
        let offsetInFunction = controlRVA &- function.beginAddress
        let inProlog = controlRVA >= function.beginAddress && offsetInFunction < UInt32(info.sizeOfProlog)
        let prologOffset: UInt32 = inProlog ? offsetInFunction : .max

        // Establisher frame (as Windows computes it before applying any code).
        var frame = context.rsp
        if info.frameRegister != 0 {
            let framed = context[Int(info.frameRegister)] &- UInt64(info.frameOffset) &* 16
            if !inProlog || info.flags & flagChainInfo != 0 {
                frame = framed
            } else if let setFP = setFPRegOffset(info), prologOffset >= UInt32(setFP) {
                frame = framed
            }
        }

        var step = X64UnwindStep(caller: context, establisherFrame: frame, function: function, handler: nil)

        if !inProlog, let epilogue = try unwindEpilogue(function: function, context: context, read: read) {
            step.caller = epilogue.context
            step.integerSavedAt = epilogue.savedAt
            step.inEpilogue = true
            return step
        }

        var ctx = context
        var machineFrame = false
        var entry = function
        var offset = prologOffset
        var chain = 0
        while true {
            var i = 0
            var guardCount = 0
            while i < info.codes.count {
                guardCount += 1
                if guardCount > 256 { break }
                let slot = info.codes[i]
                let codeOffset = UInt32(slot & 0xFF)
                let op = UInt8((slot >> 8) & 0xF)
                let opInfo = UInt8(slot >> 12)
                let size = slotCount(op: op, info: opInfo)
                guard i + size <= info.codes.count else {
                    throw X64UnwindError.badUnwindInfo(rva: entry.unwindInfoAddress, reason: "unwind code \(i) is truncated")
                }
                defer { i += size }
                if codeOffset > offset { continue } // not executed yet in the prologue
                let arg16 = UInt64(size > 1 ? info.codes[i + 1] : 0)
                let arg32 = size > 2 ? arg16 | UInt64(info.codes[i + 2]) << 16 : arg16
                switch op {
                case uwopPushNonvol:
                    let at = ctx.rsp
                    ctx[Int(opInfo)] = try u64(read, at)
                    step.integerSavedAt[Int(opInfo)] = at
                    ctx.rsp = at &+ 8
                case uwopAllocLarge:
                    ctx.rsp = ctx.rsp &+ (opInfo == 0 ? arg16 &* 8 : arg32)
                case uwopAllocSmall:
                    ctx.rsp = ctx.rsp &+ (UInt64(opInfo) &+ 1) &* 8
                case uwopSetFPReg:
                    guard info.frameRegister != 0 else {
                        throw X64UnwindError.badUnwindInfo(rva: entry.unwindInfoAddress, reason: "UWOP_SET_FPREG without a frame register")
                    }
                    ctx.rsp = ctx[Int(info.frameRegister)] &- UInt64(info.frameOffset) &* 16
                case uwopSaveNonvol:
                    let at = frame &+ arg16 &* 8
                    ctx[Int(opInfo)] = try u64(read, at)
                    step.integerSavedAt[Int(opInfo)] = at
                case uwopSaveNonvolFar:
                    let at = frame &+ arg32
                    ctx[Int(opInfo)] = try u64(read, at)
                    step.integerSavedAt[Int(opInfo)] = at
                case uwopSaveXMM128:
                    step.xmmSavedAt[Int(opInfo)] = frame &+ arg16 &* 16
                case uwopSaveXMM128Far:
                    step.xmmSavedAt[Int(opInfo)] = frame &+ arg32
                case uwopEpilog:
                    // Version 2 epilogue descriptors: they describe epilogues, not the prologue.
                    if info.version != 2 {
                        throw X64UnwindError.badUnwindInfo(rva: entry.unwindInfoAddress, reason: "UWOP_EPILOG in version 1")
                    }
                case uwopPushMachframe:
                    // The CPU pushed SS, RSP, RFLAGS, CS, RIP (and an error code when OpInfo = 1).
                    let at = ctx.rsp &+ (opInfo == 1 ? 8 : 0)
                    ctx.rip = try u64(read, at)
                    ctx.rsp = try u64(read, at &+ 24)
                    machineFrame = true
                default:
                    throw X64UnwindError.badUnwindInfo(rva: entry.unwindInfoAddress, reason: "unknown unwind code \(op)")
                }
            }
            guard info.flags & flagChainInfo != 0 else { break }
            chain += 1
            guard chain <= maxChain else { throw X64UnwindError.chainTooDeep(rva: entry.unwindInfoAddress) }
            // The chained RUNTIME_FUNCTION follows the codes; all of its codes apply.
            let raw = try bytes(read, base &+ UInt64(info.trailerRVA), 12)
            entry = X64FunctionEntry(imageBase: base, imageSize: function.imageSize,
                                     beginAddress: UInt32(le(raw, 0, 4)), endAddress: UInt32(le(raw, 4, 4)),
                                     unwindInfoAddress: UInt32(le(raw, 8, 4)), entryAddress: base &+ UInt64(info.trailerRVA))
            info = try readUnwindInfo(imageBase: base, imageSize: function.imageSize, rva: entry.unwindInfoAddress, read: read)
            offset = .max
        }
        if !machineFrame {
            ctx.rip = try u64(read, ctx.rsp)
            ctx.rsp = ctx.rsp &+ 8
        }
        step.caller = ctx

        // The handler belongs to the primary entry (the end of the chain); none inside the prologue.
        if handlerType != 0, !inProlog, info.flags & handlerType != 0, info.flags & flagChainInfo == 0 {
            let raw = try bytes(read, base &+ UInt64(info.trailerRVA), 4)
            step.handler = X64HandlerInfo(flags: info.flags, handlerRVA: UInt32(le(raw, 0, 4)),
                                          handlerDataRVA: info.trailerRVA &+ 4)
        }
        return step
    }

    static func setFPRegOffset(_ info: UnwindInfo) -> UInt8? {
        var i = 0
        while i < info.codes.count {
            let slot = info.codes[i]
            let op = UInt8((slot >> 8) & 0xF)
            if op == uwopSetFPReg { return UInt8(slot & 0xFF) }
            i += slotCount(op: op, info: UInt8(slot >> 12))
        }
        return nil
    }

    // MARK: Epilogue

    /// Whether RIP is in an epilogue of `function`, and if so the caller's context
    /// obtained by emulating it (the x64 epilogue rules: optional `add rsp,imm` or
    /// `lea rsp,[reg+disp]` with REX.W, then `pop r64`s, then `ret`, `rep ret`, or a
    /// `jmp` leaving the function / `jmp [rip+disp]` tail call).
    static func unwindEpilogue(function: X64FunctionEntry, context: X64Context, read: Reader) throws
        -> (context: X64Context, savedAt: [Int: UInt64])?
    {
        // 64 bytes cover `lea` (8) + 16 pops (≤ 32) + `ret`/`jmp` (≤ 6); near the end of mapped
        // memory fewer are there (the decoder stops at the end of what it has).
        var fetched: [UInt8]?
        for size in [64, 32, 16, 8, 4, 2, 1] {
            if let bytes = try? read(context.rip, size), bytes.count == size {
                fetched = bytes
                break
            }
        }
        guard let code = fetched else { return nil }
        var pc = 0
        var ctx = context
        var savedAt: [Int: UInt64] = [:]
        let rex = code[0]
        if code.count >= 8, rex & 0xF8 == 0x48 {
            switch code[1] {
            case 0x81 where rex == 0x48 && code[2] == 0xC4: // add rsp, imm32
                ctx.rsp = ctx.rsp &+ UInt64(bitPattern: Int64(Int32(bitPattern: UInt32(le(code, 3, 4)))))
                pc = 7
            case 0x83 where rex == 0x48 && code[2] == 0xC4: // add rsp, imm8
                ctx.rsp = ctx.rsp &+ UInt64(bitPattern: Int64(Int8(bitPattern: code[3])))
                pc = 4
            case 0x8D: // lea rsp, [reg + disp]
                let modrm = code[2]
                guard rex & 0x06 == 0, (modrm >> 3) & 7 == 4, modrm & 7 != 4 else { return nil }
                let reg = Int(modrm & 7) | Int(rex & 1) << 3
                if modrm >> 6 == 1 {
                    ctx.rsp = context[reg] &+ UInt64(bitPattern: Int64(Int8(bitPattern: code[3])))
                    pc = 4
                } else if modrm >> 6 == 2 {
                    ctx.rsp = context[reg] &+ UInt64(bitPattern: Int64(Int32(bitPattern: UInt32(le(code, 3, 4)))))
                    pc = 7
                } else {
                    return nil
                }
            default:
                break
            }
        }
        var instructions = 0
        while pc < code.count, instructions < maxEpilogueInstructions {
            instructions += 1
            var prefix: UInt8 = 0
            if code[pc] & 0xF0 == 0x40 {
                prefix = code[pc]
                pc += 1
                guard pc < code.count else { return nil }
            }
            let op = code[pc]
            switch op {
            case 0x58...0x5F:
                let reg = Int(op - 0x58) | Int(prefix & 1) << 3
                savedAt[reg] = ctx.rsp
                ctx[reg] = try u64(read, ctx.rsp)
                ctx.rsp = ctx.rsp &+ 8
                pc += 1
            case 0xC3:
                return (try ret(ctx, read: read, extra: 0), savedAt)
            case 0xC2:
                return (try ret(ctx, read: read, extra: le(code, pc + 1, 2)), savedAt)
            case 0xF3 where pc + 1 < code.count && code[pc + 1] == 0xC3:
                return (try ret(ctx, read: read, extra: 0), savedAt)
            case 0xE9, 0xEB:
                // A jump leaving the function ends the epilogue (tail call); a jump inside it is not an epilogue.
                let length = op == 0xE9 ? 5 : 2
                let displacement = op == 0xE9 ? Int64(Int32(bitPattern: UInt32(le(code, pc + 1, 4))))
                                              : Int64(Int8(bitPattern: pc + 1 < code.count ? code[pc + 1] : 0))
                let target = context.rip &+ UInt64(pc + length) &+ UInt64(bitPattern: displacement)
                let rva = target &- function.imageBase
                if rva >= UInt64(function.beginAddress), rva < UInt64(function.endAddress) { return nil }
                return (try ret(ctx, read: read, extra: 0), savedAt)
            case 0xFF where pc + 1 < code.count && code[pc + 1] == 0x25: // jmp [rip+disp32]
                return (try ret(ctx, read: read, extra: 0), savedAt)
            default:
                return nil
            }
        }
        return nil
    }

    private static func ret(_ context: X64Context, read: Reader, extra: UInt64) throws -> X64Context {
        var ctx = context
        ctx.rip = try u64(read, ctx.rsp)
        ctx.rsp = ctx.rsp &+ 8 &+ extra
        return ctx
    }

    // MARK: Call stacks

    /// The return addresses of a stack, innermost first, starting with `context.rip`:
    /// at most `maxFrames`, stopping at the first address no `lookup` knows that is
    /// not a leaf in `isCode`, when RSP stops growing, or on an unwind error (then
    /// `failed` is true and the caller may fall back to a stack scan).
    public static func callStack(from context: X64Context, maxFrames: Int = 32, lookup: Lookup,
                                 isCode: (UInt64) -> Bool, read: Reader) -> (frames: [UInt64], last: X64Context, failed: Bool) {
        var frames: [UInt64] = []
        var ctx = context
        while frames.count < max(0, maxFrames) {
            guard isCode(ctx.rip) else { return (frames, ctx, false) }
            frames.append(ctx.rip)
            let step: X64UnwindStep
            do {
                step = try virtualUnwind(function: lookup(ctx.rip), context: ctx, read: read)
            } catch {
                return (frames, ctx, true)
            }
            // A real caller's frame is above ours; anything else is a corrupt or looping stack.
            guard step.caller.rsp > ctx.rsp else { return (frames, ctx, true) }
            ctx = step.caller
        }
        return (frames, ctx, false)
    }
}
