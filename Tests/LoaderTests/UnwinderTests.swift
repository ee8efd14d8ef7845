import CPU
import Foundation
import Kernel
import Memory
import PEImage
import Testing
@testable import Loader

// MARK: - Hand-built UNWIND_INFO (no emulator: a sparse memory and the core)

/// Sparse guest memory for hand-built unwind data: reads of absent bytes throw.
final class SparseMemory: @unchecked Sendable {
    struct Missing: Error {}
    var bytes: [UInt64: UInt8] = [:]

    func write(_ address: UInt64, _ data: [UInt8]) {
        for (i, b) in data.enumerated() { bytes[address &+ UInt64(i)] = b }
    }

    func write64(_ address: UInt64, _ value: UInt64) {
        write(address, (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) })
    }

    func write32(_ address: UInt64, _ value: UInt32) {
        write(address, (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * UInt32($0))) })
    }

    var reader: X64Unwind.Reader {
        { address, count in
            try (0..<count).map { i in
                guard let b = self.bytes[address &+ UInt64(i)] else { throw Missing() }
                return b
            }
        }
    }
}

/// One UNWIND_CODE slot: prologue offset, operation, info.
private func code(_ offset: UInt8, _ op: UInt8, _ info: UInt8) -> [UInt8] { [offset, op | info << 4] }
private func u16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
private func u32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }

/// UNWIND_INFO bytes: header, the slots (padded to an even count), then `trailer`.
private func unwindInfo(version: UInt8 = 1, flags: UInt8 = 0, prolog: UInt8, frameRegister: UInt8 = 0,
                        frameOffset: UInt8 = 0, slots: [[UInt8]], trailer: [UInt8] = []) -> [UInt8] {
    let codes = slots.flatMap { $0 }
    let count = codes.count / 2
    var bytes: [UInt8] = [version | flags << 3, prolog, UInt8(count), frameRegister | frameOffset << 4] + codes
    if count % 2 == 1 { bytes += [0, 0] }
    return bytes + trailer
}

struct HandBuiltUnwindTests {
    static let base: UInt64 = 0x1_0000
    static let size: UInt64 = 0x1_0000
    static let S: UInt64 = 0x7000_1000   // RSP after the prologue
    static let returnAddress: UInt64 = 0xDEAD_BEEF

    /// F = [0x1000, 0x1200): push rbp (1); push r12 (3); sub rsp,0x2000 (10); lea rbp,[rsp+0x80] (15);
    /// mov [rsp+0x100],rbx (23); movaps [rsp+0x40],xmm6 (28). EHANDLER 0x1F00, scope data after it.
    func frameFunction() -> (SparseMemory, X64FunctionEntry) {
        let m = SparseMemory()
        m.write(Self.base + 0x3000, unwindInfo(
            flags: X64Unwind.flagEHandler, prolog: 28, frameRegister: 5, frameOffset: 8,
            slots: [code(28, 8, 6) + u16(4), code(23, 4, 3) + u16(0x20), code(15, 3, 0),
                    code(10, 1, 0) + u16(0x400), code(3, 0, 12), code(1, 0, 5)],
            trailer: u32(0x1F00) + u32(1)))
        let S = Self.S
        m.write64(S + 0x100, 0xBBBB)           // rbx
        m.write64(S + 0x2000, 0x1212)          // r12
        m.write64(S + 0x2008, 0xB0B0)          // caller's rbp
        m.write64(S + 0x2010, Self.returnAddress)
        let f = X64FunctionEntry(imageBase: Self.base, imageSize: Self.size, beginAddress: 0x1000, endAddress: 0x1200,
                                 unwindInfoAddress: 0x3000)
        return (m, f)
    }

    func context(rip: UInt64, rsp: UInt64, rbp: UInt64 = 0) -> X64Context {
        var c = X64Context(rip: rip)
        c.rsp = rsp
        c[X64Context.rbp] = rbp
        return c
    }

    @Test func bodyUnwindsEveryCodeThroughTheFramePointer() throws {
        let (m, f) = frameFunction()
        // RSP moved below the fixed frame (alloca): SET_FPREG recovers it from RBP.
        let start = context(rip: Self.base + 0x1040, rsp: Self.S - 0x40, rbp: Self.S + 0x80)
        let step = try X64Unwind.virtualUnwind(function: f, context: start, handlerType: X64Unwind.flagEHandler,
                                               read: m.reader)
        #expect(step.caller.rip == Self.returnAddress)
        #expect(step.caller.rsp == Self.S + 0x2018)
        #expect(step.caller[X64Context.rbp] == 0xB0B0)
        #expect(step.caller[12] == 0x1212)
        #expect(step.caller[X64Context.rbx] == 0xBBBB)
        #expect(step.establisherFrame == Self.S)
        #expect(step.xmmSavedAt[6] == Self.S + 0x40)
        #expect(step.integerSavedAt[X64Context.rbx] == Self.S + 0x100)
        #expect(step.handler == X64HandlerInfo(flags: 1, handlerRVA: 0x1F00, handlerDataRVA: 0x3000 + 4 + 20 + 4))
    }

    @Test func prologueOffsetsApplyOnlyExecutedCodes() throws {
        let (m, f) = frameFunction()
        // Offset 0: nothing pushed yet.
        m.write64(0x6000_0000, 0x4242)
        var step = try X64Unwind.virtualUnwind(function: f, context: context(rip: Self.base + 0x1000, rsp: 0x6000_0000),
                                               handlerType: 1, read: m.reader)
        #expect(step.caller.rip == 0x4242 && step.caller.rsp == 0x6000_0008)
        #expect(step.handler == nil)
        // Offset 3: both pushes done.
        let p = Self.S + 0x2000
        step = try X64Unwind.virtualUnwind(function: f, context: context(rip: Self.base + 0x1003, rsp: p, rbp: 0x5555),
                                           handlerType: 1, read: m.reader)
        #expect(step.caller.rip == Self.returnAddress && step.caller.rsp == Self.S + 0x2018)
        #expect(step.caller[12] == 0x1212 && step.caller[X64Context.rbp] == 0xB0B0)
        #expect(step.handler == nil, "no handler inside the prologue")
        // Offset 10: allocation done, RBP not yet the frame pointer (SET_FPREG skipped), RBX not saved.
        step = try X64Unwind.virtualUnwind(function: f, context: context(rip: Self.base + 0x100A, rsp: Self.S, rbp: 0x5555),
                                           read: m.reader)
        #expect(step.caller.rsp == Self.S + 0x2018 && step.establisherFrame == Self.S)
        #expect(step.integerSavedAt[X64Context.rbx] == nil)
        // Offset 15: SET_FPREG done: RSP comes from RBP even if RSP says otherwise.
        step = try X64Unwind.virtualUnwind(function: f, context: context(rip: Self.base + 0x100F, rsp: 0x1234,
                                                                         rbp: Self.S + 0x80), read: m.reader)
        #expect(step.caller.rsp == Self.S + 0x2018 && step.establisherFrame == Self.S)
    }

    @Test func epilogueIsEmulated() throws {
        let (m, f) = frameFunction()
        // lea rsp,[rbp+0x1F80]; pop r12; pop rbp; ret
        m.write(Self.base + 0x1100, [0x48, 0x8D, 0xA5, 0x80, 0x1F, 0x00, 0x00, 0x41, 0x5C, 0x5D, 0xC3]
                    + [UInt8](repeating: 0xCC, count: 60))
        let step = try X64Unwind.virtualUnwind(function: f, context: context(rip: Self.base + 0x1100, rsp: Self.S,
                                                                             rbp: Self.S + 0x80),
                                               handlerType: 1, read: m.reader)
        #expect(step.inEpilogue)
        #expect(step.caller.rip == Self.returnAddress && step.caller.rsp == Self.S + 0x2018)
        #expect(step.caller[12] == 0x1212 && step.caller[X64Context.rbp] == 0xB0B0)
        #expect(step.handler == nil)
        // From the second pop on.
        m.write64(Self.S + 0x2008, 0xB0B0)
        // (the code there is only a few bytes long before unmapped memory)
        let later = try X64Unwind.virtualUnwind(function: f, context: context(rip: Self.base + 0x1109, rsp: Self.S + 0x2008),
                                                read: m.reader)
        #expect(later.inEpilogue && later.caller.rsp == Self.S + 0x2018 && later.caller[X64Context.rbp] == 0xB0B0)
        // A jump back into the function is not an epilogue: the codes apply.
        m.write(Self.base + 0x1180, [0xEB, 0x80] + [UInt8](repeating: 0xCC, count: 62))
        let body = try X64Unwind.virtualUnwind(function: f, context: context(rip: Self.base + 0x1180, rsp: Self.S,
                                                                             rbp: Self.S + 0x80), read: m.reader)
        #expect(!body.inEpilogue && body.caller.rsp == Self.S + 0x2018)
        // add rsp,0x28; jmp [rip+x] (tail call) is an epilogue.
        m.write(Self.base + 0x11C0, [0x48, 0x83, 0xC4, 0x28, 0xFF, 0x25, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 54))
        m.write64(0x6100_0028, 0x7777)
        let tail = try X64Unwind.virtualUnwind(function: f, context: context(rip: Self.base + 0x11C0, rsp: 0x6100_0000),
                                               read: m.reader)
        #expect(tail.inEpilogue && tail.caller.rip == 0x7777 && tail.caller.rsp == 0x6100_0030)
    }

    @Test func largeAllocationsFarSavesAndSmallAllocations() throws {
        let m = SparseMemory()
        // sub rsp,0x12340 (ALLOC_LARGE info 1, 32-bit); mov [rsp+0x11000],rsi (SAVE_NONVOL_FAR);
        // movaps [rsp+0x10000],xmm7 (SAVE_XMM128_FAR); then sub rsp,0x18 (ALLOC_SMALL 2).
        m.write(Self.base + 0x3000, unwindInfo(prolog: 30, slots: [
            code(30, 2, 2), code(26, 9, 7) + u32(0x10000), code(20, 5, 6) + u32(0x11000),
            code(12, 1, 1) + u32(0x12340)]))
        let rsp: UInt64 = 0x6000_0000
        m.write64(rsp + 0x11000, 0x5151)
        m.write64(rsp + 0x18 + 0x12340, 0xCAFE)
        let f = X64FunctionEntry(imageBase: Self.base, imageSize: Self.size, beginAddress: 0x1000, endAddress: 0x1100,
                                 unwindInfoAddress: 0x3000)
        let step = try X64Unwind.virtualUnwind(function: f, context: context(rip: Self.base + 0x1050, rsp: rsp),
                                               read: m.reader)
        // SAVE_*_FAR offsets are from the establisher frame (RSP at the body, no frame register).
        #expect(step.caller.rip == 0xCAFE)
        #expect(step.caller.rsp == rsp + 0x18 + 0x12340 + 8)
        #expect(step.caller[X64Context.rsi] == 0x5151 && step.integerSavedAt[X64Context.rsi] == rsp + 0x11000)
        #expect(step.xmmSavedAt[7] == rsp + 0x10000)
    }

    @Test func saveOffsetsAreFromTheEstablisherFrame() throws {
        let m = SparseMemory()
        m.write(Self.base + 0x3000, unwindInfo(prolog: 8, slots: [code(8, 4, 6) + u16(2), code(4, 2, 3)]))
        let rsp: UInt64 = 0x6000_0000
        m.write64(rsp + 0x10, 0x5151)
        m.write64(rsp + 0x20, 0xCAFE)
        let f = X64FunctionEntry(imageBase: Self.base, imageSize: Self.size, beginAddress: 0x1000, endAddress: 0x1100,
                                 unwindInfoAddress: 0x3000)
        let step = try X64Unwind.virtualUnwind(function: f, context: context(rip: Self.base + 0x1050, rsp: rsp), read: m.reader)
        #expect(step.caller[X64Context.rsi] == 0x5151)
        #expect(step.caller.rip == 0xCAFE && step.caller.rsp == rsp + 0x28)
    }

    @Test func machineFrames() throws {
        for errorCode in [false, true] {
            let m = SparseMemory()
            m.write(Self.base + 0x3000, unwindInfo(prolog: 0, slots: [code(0, 10, errorCode ? 1 : 0)]))
            let rsp: UInt64 = 0x6000_0000
            let frame = rsp + (errorCode ? 8 : 0)
            m.write64(frame, 0x1111)           // RIP
            m.write64(frame + 24, 0x6200_0000) // RSP
            let f = X64FunctionEntry(imageBase: Self.base, imageSize: Self.size, beginAddress: 0x1000, endAddress: 0x1100,
                                     unwindInfoAddress: 0x3000)
            let step = try X64Unwind.virtualUnwind(function: f, context: context(rip: Self.base + 0x1010, rsp: rsp),
                                                   read: m.reader)
            #expect(step.caller.rip == 0x1111 && step.caller.rsp == 0x6200_0000, "error code \(errorCode)")
        }
    }

    @Test func chainedInfoAppliesTheParentAndItsHandler() throws {
        let (m, f) = frameFunction()
        // G = [0x1200, 0x1300): saves rdi at [frame+0x108] then chains to F's entry; version 2 with an epilog code.
        m.write(Self.base + 0x3100, unwindInfo(
            version: 2, flags: X64Unwind.flagChainInfo, prolog: 0, frameRegister: 5, frameOffset: 8,
            slots: [code(1, 6, 1) + u16(0), code(0, 4, 7) + u16(0x21)],
            trailer: u32(0x1000) + u32(0x1200) + u32(0x3000)))
        m.write64(Self.S + 0x108, 0xD1D1)
        let g = X64FunctionEntry(imageBase: Self.base, imageSize: Self.size, beginAddress: 0x1200, endAddress: 0x1300,
                                 unwindInfoAddress: 0x3100)
        let step = try X64Unwind.virtualUnwind(function: g, context: context(rip: Self.base + 0x1210, rsp: Self.S,
                                                                             rbp: Self.S + 0x80),
                                               handlerType: 1, read: m.reader)
        #expect(step.caller.rip == Self.returnAddress && step.caller.rsp == Self.S + 0x2018)
        #expect(step.caller[X64Context.rdi] == 0xD1D1 && step.caller[X64Context.rbx] == 0xBBBB)
        #expect(step.handler?.handlerRVA == 0x1F00)
    }

    @Test func hostileUnwindDataThrowsInsteadOfTrapping() throws {
        let m = SparseMemory()
        let f = X64FunctionEntry(imageBase: Self.base, imageSize: Self.size, beginAddress: 0x1000, endAddress: 0x1100,
                                 unwindInfoAddress: 0x3000)
        let start = context(rip: Self.base + 0x1050, rsp: 0x6000_0000)
        // Version 3.
        m.write(Self.base + 0x3000, [3, 0, 0, 0])
        #expect(throws: X64UnwindError.self) { try X64Unwind.virtualUnwind(function: f, context: start, read: m.reader) }
        // Unknown operation 11.
        m.write(Self.base + 0x3000, unwindInfo(prolog: 0, slots: [code(0, 11, 0)]))
        #expect(throws: X64UnwindError.self) { try X64Unwind.virtualUnwind(function: f, context: start, read: m.reader) }
        // ALLOC_LARGE whose operand slot is missing.
        m.write(Self.base + 0x3000, [1, 0, 1, 0, 0, 1, 0, 0])
        #expect(throws: X64UnwindError.self) { try X64Unwind.virtualUnwind(function: f, context: start, read: m.reader) }
        // A chain that points at itself.
        m.write(Self.base + 0x3000, unwindInfo(flags: X64Unwind.flagChainInfo, prolog: 0, slots: [],
                                               trailer: u32(0x1000) + u32(0x1100) + u32(0x3000)))
        #expect(throws: X64UnwindError.chainTooDeep(rva: 0x3000)) {
            try X64Unwind.virtualUnwind(function: f, context: start, read: m.reader)
        }
        // Unwind info past the image.
        let outside = X64FunctionEntry(imageBase: Self.base, imageSize: Self.size, beginAddress: 0x1000, endAddress: 0x1100,
                                       unwindInfoAddress: 0xFFFF_FFF0)
        #expect(throws: X64UnwindError.self) { try X64Unwind.virtualUnwind(function: outside, context: start, read: m.reader) }
        // Huge allocations and a stack at the top of the address space wrap, never trap.
        m.write(Self.base + 0x3000, unwindInfo(prolog: 0, slots: [code(0, 1, 1) + u32(0xFFFF_FFFF)]))
        let top = context(rip: Self.base + 0x1050, rsp: UInt64.max - 4)
        #expect(throws: X64UnwindError.self) { try X64Unwind.virtualUnwind(function: f, context: top, read: m.reader) }
        #expect(throws: X64UnwindError.self) { try X64Unwind.virtualUnwind(function: nil, context: top, read: m.reader) }
    }

    @Test func leafFunctionsReturnThroughRSP() throws {
        let m = SparseMemory()
        m.write64(0x6000_0000, 0xABCD)
        let step = try X64Unwind.virtualUnwind(function: nil, context: context(rip: 0x1234, rsp: 0x6000_0000), read: m.reader)
        #expect(step.caller.rip == 0xABCD && step.caller.rsp == 0x6000_0008 && step.function == nil)
    }
}

// MARK: - The real samples (mingw-w64 .pdata/.xdata), mapped by the loader

/// A machine with the kernel model and one sample driver loaded.
final class SampleRig {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Samples/bin")
    let engine: Engine
    let memory: MemoryModel
    let kernel: Kernel
    let image: LoadedImage
    let stack: Allocation

    init(_ name: String, hvci: Bool = true, attach: Bool = true) throws {
        engine = try Engine()
        memory = try MemoryModel(engine: engine, configuration: .init(hvci: hvci, enforcement: .audit))
        kernel = try Kernel(engine: engine, memory: memory,
                            configuration: KernelConfiguration(hvci: hvci, driverName: "\(name).sys"))
        stack = try memory.allocate(pages: 16, owner: .stack)
        let bytes = [UInt8](try Data(contentsOf: Self.samples.appendingPathComponent("\(name).sys")))
        image = try ImageLoader.load(try PEFile(bytes: bytes), name: "\(name).sys", kernel: kernel)
        kernel.symbolize = { [image] in image.symbolize($0) ?? "0x" + String($0, radix: 16) }
        if attach { Unwinder.attach(image, to: kernel, fallback: { _ in [] }) }
    }

    var unwinder: Unwinder { Unwinder(image: image, kernel: kernel) }

    func rva(_ address: UInt32) -> UInt64 { image.base + UInt64(address) }

    /// Calls `address` as EntryCaller does (return trap, shadow space, RSP ≡ 8 mod 16) and runs it.
    func call(_ address: UInt64, _ arguments: [UInt64] = []) throws -> UInt64 {
        var rsp = (stack.end - 0x100) & ~0xF
        rsp -= 0x28
        try kernel.writeU64(rsp, kernel.returnTrap)
        for (i, register) in Register.windowsArguments.enumerated() {
            try engine.write(register, i < arguments.count ? arguments[i] : 0)
        }
        try engine.write(.rsp, rsp)
        try memory.run(at: address, until: kernel.returnTrap, timeoutMicroseconds: 10_000_000)
        return try engine.read(.rax)
    }
}

struct SampleUnwindTests {
    // seh-probe.sys layout (objdump -x): SehProbeRead 0x1000-0x101C (sub rsp,0x28; EHANDLER, scope data at 0x400C),
    // SehOuter 0x103C-0x106F (push rbx; sub rsp,0x20), SehInner 0x1090-0x10A8 (push rbx; sub rsp,0x20),
    // DriverEntry 0x10B0-… (push rsi; push rbx; sub rsp,0x28).

    @Test func everySamplesPdataDecodes() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: SampleRig.samples.path)
            .filter { $0.hasSuffix(".sys") }.map { String($0.dropLast(4)) }.sorted()
        #expect(names.count >= 17)
        for name in names {
            let rig = try SampleRig(name, hvci: false, attach: false)
            #expect(!rig.image.file.runtimeFunctions.isEmpty, "\(name) has .pdata")
            for function in rig.image.file.runtimeFunctions {
                let info = try X64Unwind.readUnwindInfo(imageBase: rig.image.base, imageSize: rig.image.size,
                                                        rva: function.unwindInfoAddress,
                                                        read: { try rig.kernel.readBytes($0, count: $1) })
                #expect(info.version == 1, "\(name) at \(function.beginAddress)")
                // From the body of every function, one step lands on the return address we planted.
                let unwinder = rig.unwinder
                let rsp = rig.stack.end - 0x800
                for i in 0..<64 { try rig.kernel.writeU64(rsp + UInt64(8 * i), 0x5000 + UInt64(i)) }
                var context = X64Context(rip: rig.rva(function.beginAddress) + UInt64(info.sizeOfProlog))
                context.rsp = rsp
                if info.frameRegister != 0 { context[Int(info.frameRegister)] = rsp + UInt64(info.frameOffset) * 16 }
                let step = try unwinder.virtualUnwind(context)
                #expect(step.caller.rip >= 0x5000 && step.caller.rip < 0x5040, "\(name) \(function.beginAddress)")
            }
        }
    }

    @Test func sehProbeHandlerAndScopeTable() throws {
        let rig = try SampleRig("seh-probe")
        let unwinder = rig.unwinder
        let rsp = rig.stack.end - 0x800
        try rig.kernel.writeU64(rsp + 0x28, 0x4444)
        var context = X64Context(rip: rig.rva(0x1010))
        context.rsp = rsp
        let step = try unwinder.virtualUnwind(context, handlerType: X64Unwind.flagEHandler)
        #expect(step.caller.rip == 0x4444 && step.caller.rsp == rsp + 0x30)
        let handler = try #require(step.handler)
        #expect(handler.handlerDataRVA == 0x400C)
        #expect(try rig.kernel.readU32(rig.rva(handler.handlerDataRVA)) == 1)
        // The handler is the image's `jmp [__imp___C_specific_handler]` stub.
        let stub = try rig.kernel.readBytes(rig.rva(handler.handlerRVA), count: 2)
        #expect(stub == [0xFF, 0x25])
        // Inside the prologue there is no handler.
        context.rip = rig.rva(0x1000)
        #expect(try unwinder.virtualUnwind(context, handlerType: 1).handler == nil)
        // The RUNTIME_FUNCTION's own address (RtlLookupFunctionEntry's result) is in .pdata.
        let entry = try #require(unwinder.functionEntry(containing: rig.rva(0x1010)))
        #expect(entry.entryAddress == rig.rva(0x3000))
        #expect(unwinder.functionEntry(containing: rig.image.base + rig.image.size) == nil)
    }

    @Test func callStackThroughThreeFramesRestoresNonvolatiles() throws {
        let rig = try SampleRig("seh-probe")
        let k = rig.kernel
        // SehInner (at its ExRaiseStatus call) ← SehOuter ← DriverEntry ← return trap.
        let x = rig.stack.end - 0x1000
        try k.writeU64(x + 0x20, 0x1122_3344_5566_7788) // SehInner's push rbx: SehOuter's RBX
        try k.writeU64(x + 0x28, rig.rva(0x1050))      // into SehOuter
        try k.writeU64(x + 0x30 + 0x20, 0xAAAA)       // SehOuter's push rbx: DriverEntry's RBX
        try k.writeU64(x + 0x30 + 0x28, rig.rva(0x1181)) // into DriverEntry
        let d = x + 0x60
        try k.writeU64(d + 0x28, 0xBBBB)               // DriverEntry's rbx
        try k.writeU64(d + 0x30, 0xCCCC)               // DriverEntry's rsi
        try k.writeU64(d + 0x38, k.returnTrap)
        var registers = X64Context()
        registers[X64Context.rbx] = 0
        let frames = rig.unwinder.callStack(rip: rig.rva(0x10A7), rsp: x, registers: registers)
        #expect(frames == [rig.rva(0x10A7), rig.rva(0x1050), rig.rva(0x1181)])
        var context = registers
        context.rip = rig.rva(0x10A7)
        context.rsp = x
        let outer = try rig.unwinder.virtualUnwind(context)
        #expect(outer.caller[X64Context.rbx] == 0x1122_3344_5566_7788)
        let entry = try rig.unwinder.virtualUnwind(outer.caller)
        #expect(entry.caller[X64Context.rbx] == 0xAAAA)
        let top = try rig.unwinder.virtualUnwind(entry.caller)
        #expect(top.caller.rip == k.returnTrap && top.caller[X64Context.rbx] == 0xBBBB && top.caller[X64Context.rsi] == 0xCCCC)
        // The kernel's callStack (set by attach) gives the same, and a scan where unwinding fails.
        #expect(rig.unwinder.callStack(rip: rig.rva(0x10A7), rsp: 0xFFFF_FFFF_FFFF_FFF0, registers: registers,
                                       fallback: { _ in [0x99] }) == [rig.rva(0x10A7), 0x99])
    }

    // MARK: Structured exception handling, end to end

    @Test func sehProbeDriverEntryTakesEveryExceptPath() throws {
        for hvci in [true, false] {
            let rig = try SampleRig("seh-probe", hvci: hvci)
            let status = try rig.call(rig.image.entryPoint, [0, 0])
            #expect(rig.kernel.stopReason == nil, "\(String(describing: rig.kernel.stopReason))")
            #expect(status == 0, "DriverEntry returned 0x\(String(status, radix: 16)); output: \(rig.kernel.debugOutput)")
            #expect(rig.kernel.debugOutput == [
                "seh-probe: kernel address -> 0xC0000005\n",
                "seh-probe: user address -> 0x00000000\n",
                "seh-probe: filter -> 0xC0000005 (filter saw 0xC0000005)\n",
                "seh-probe: misaligned -> 0x90000002\n",
                "seh-probe: nested raise -> 0xC000009A\n",
            ])
        }
    }

    @Test func sehFinallyTerminationHandlersRunInTheUnwind() throws {
        for hvci in [true, false] {
            let rig = try SampleRig("seh-finally", hvci: hvci)
            let status = try rig.call(rig.image.entryPoint, [0, 0])
            #expect(rig.kernel.stopReason == nil, "\(String(describing: rig.kernel.stopReason))")
            #expect(status == 0, "DriverEntry returned 0x\(String(status, radix: 16)); output: \(rig.kernel.debugOutput)")
            // Innermost first, AbnormalTermination TRUE, each in its own frame (checked by the driver);
            // the record's flags: EXCEPTION_UNWINDING, | EXCEPTION_TARGET_UNWIND in the target frame.
            #expect(rig.kernel.debugOutput == [
                "seh-finally: raise -> 0xC000009A, 3 termination handlers\n",
                "seh-finally:   B1 abnormal=1 flags=0x2\n",
                "seh-finally:   B2 abnormal=1 flags=0x2\n",
                "seh-finally:   A1 abnormal=1 flags=0x22\n",
                "seh-finally: RtlUnwind -> 0x00001234, 2 termination handlers\n",
                "seh-finally:   D1 abnormal=1 flags=0x2\n",
                "seh-finally:   C1 abnormal=1 flags=0x22\n",
            ])
        }
    }

    @Test func withoutAHandlerARaiseIsKModeExceptionNotHandled() throws {
        let rig = try SampleRig("seh-probe")
        _ = try rig.call(rig.rva(0x1090)) // SehInner alone: ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES)
        #expect(rig.kernel.stopReason == .bugCheck(code: 0x1E, parameters: [0xC000_009A, rig.rva(0x10A7), 0, 0],
                                                   site: rig.rva(0x10A7)))
    }

    @Test func withoutTheImageLookupNothingIsHandled() throws {
        let rig = try SampleRig("seh-probe", attach: false)
        _ = try rig.call(rig.image.entryPoint, [0, 0])
        #expect(rig.kernel.stopReason == .bugCheck(code: 0x1E, parameters: [0xC000_0005, rig.rva(0x1010), 0, 0],
                                                   site: rig.rva(0x1010)))
    }

    @Test func hardwareFaultDispatchResumesInTheExceptBlock() throws {
        let rig = try SampleRig("seh-probe")
        // As if the instruction at SehProbeRead+0x10 (inside the __try) faulted reading a user address.
        let rsp = rig.stack.end - 0x800
        try rig.kernel.writeU64(rsp + 0x28, 0x4444)
        try rig.engine.write(.rsp, rsp)
        try rig.engine.write(.rip, rig.rva(0x1010))
        try rig.engine.write(.rbx, 0x5A5A)
        let resolution = try rig.kernel.dispatchException(code: 0xC000_0005, address: rig.rva(0x1010), parameters: [0, 0x10])
        guard case .resume(let target) = resolution else { Issue.record("unhandled"); return }
        #expect(target.rip == rig.rva(0x1017))
        #expect(target.rsp == rsp && target.rax == 0xC000_0005)
        #expect(try rig.engine.read(.rax) == 0xC000_0005 && rig.engine.read(.rsp) == rsp && rig.engine.read(.rbx) == 0x5A5A)
        // Outside any __try: unhandled, registers untouched.
        try rig.engine.write(.rsp, rsp)
        #expect(try rig.kernel.dispatchException(code: 0xC000_0005, address: rig.rva(0x1070)) == .unhandled ||
                rig.engine.read(.rip) == rig.rva(0x1010))
    }
}

// MARK: - Exported exception DDIs

struct ExceptionExportTests {
    /// Calls an export directly (no driver frames): a raise is unhandled → bug check 0x1E.
    func stop(_ rig: SampleRig, _ function: String, _ arguments: UInt64...) throws -> KernelStop? {
        try rig.engine.write(.rsp, rig.stack.end - 0x1000)
        try rig.kernel.writeU64(rig.stack.end - 0x1000, 0x1234)
        do {
            _ = try rig.kernel.invoke(function, arguments: arguments)
            return nil
        } catch let stop as KernelStop {
            return stop
        }
    }

    @Test func probeForReadRules() throws {
        let rig = try SampleRig("seh-probe")
        #expect(try stop(rig, "ProbeForRead", 0xFFFF_F800_0000_0000, 0, 4) == nil, "length 0 probes nothing")
        #expect(try stop(rig, "ProbeForRead", 0x10000, 0x100, 4) == nil)
        #expect(try stop(rig, "ProbeForRead", 0x7FFF_FFFE_FFF0, 0x10, 1) == nil, "ends exactly at MmUserProbeAddress")
        #expect(try stop(rig, "ProbeForRead", 0x7FFF_FFFE_FFF0, 0x11, 1)
                == .bugCheck(code: 0x1E, parameters: [0xC000_0005, 0x1234, 0, 0], site: 0x1234))
        #expect(try stop(rig, "ProbeForRead", 0x10000, UInt64.max, 1)
                == .bugCheck(code: 0x1E, parameters: [0xC000_0005, 0x1234, 0, 0], site: 0x1234), "wrapping range")
        #expect(try stop(rig, "ProbeForRead", 0x10002, 8, 4)
                == .bugCheck(code: 0x1E, parameters: [0x8000_0002, 0x1234, 0, 0], site: 0x1234))
        #expect(try stop(rig, "ProbeForWrite", 0xFFFF_F800_0000_0000, 8, 8)
                == .bugCheck(code: 0x1E, parameters: [0xC000_0005, 0x1234, 0, 0], site: 0x1234))
        // ProbeForWrite touches the pages: an unmapped user page faults.
        #expect(try stop(rig, "ProbeForWrite", 0x10000, 8, 8)
                == .bugCheck(code: 0x1E, parameters: [0xC000_0005, 0x1234, 0, 0], site: 0x1234))
        #expect(try stop(rig, "ExRaiseStatus", 0xC000_0017)
                == .bugCheck(code: 0x1E, parameters: [0xC000_0017, 0x1234, 0, 0], site: 0x1234))
    }

    @Test func captureContextLookupAndVirtualUnwind() throws {
        let rig = try SampleRig("seh-probe")
        let k = rig.kernel
        let buffer = try rig.memory.allocate(pages: 1, owner: .kernelStructure("test")).base
        let rsp = rig.stack.end - 0x1000
        try k.writeU64(rsp, rig.rva(0x1010))  // "return address" of the call
        try rig.engine.write(.rsp, rsp)
        try rig.engine.write(.rbx, 0x7777)
        _ = try k.invoke("RtlCaptureContext", arguments: [buffer])
        #expect(try k.readU64(buffer + 0xF8) == rig.rva(0x1010))
        #expect(try k.readU64(buffer + 0x98) == rsp + 8)
        #expect(try k.readU64(buffer + 0x90) == 0x7777)
        #expect(try k.readU32(buffer + 0x30) == 0x10_000F)

        let imageBaseOut = buffer + 0x800
        let entry = try k.invoke("RtlLookupFunctionEntry", arguments: [rig.rva(0x1010), imageBaseOut, 0])
        #expect(entry == rig.rva(0x3000))
        #expect(try k.readU64(imageBaseOut) == rig.image.base)
        #expect(try k.invoke("RtlLookupFunctionEntry", arguments: [0x1000, imageBaseOut, 0]) == 0)

        // RtlVirtualUnwind(UNW_FLAG_EHANDLER, base, pc, entry, context, &data, &frame, NULL) from SehProbeRead's body.
        try k.writeU64(rsp + 8 + 0x28, 0x4444)
        try rig.engine.write(.rsp, rsp - 0x200) // the call's own frame, below the unwound one
        let handler = try k.invoke("RtlVirtualUnwind", arguments: [1, rig.image.base, rig.rva(0x1010), entry, buffer,
                                                                    buffer + 0x808, buffer + 0x810, 0])
        #expect(try k.readU64(buffer + 0xF8) == 0x4444)
        #expect(try k.readU64(buffer + 0x98) == rsp + 8 + 0x30)
        #expect(try k.readU64(buffer + 0x810) == rsp + 8)
        #expect(try k.readU64(buffer + 0x808) == rig.rva(0x400C))
        #expect(try k.readBytes(handler, count: 2) == [0xFF, 0x25])
    }

    @Test func chkstkKeepsRAX() throws {
        let rig = try SampleRig("seh-probe")
        try rig.engine.write(.rsp, rig.stack.end - 0x1000)
        try rig.engine.write(.rax, 0x3000)
        #expect(try rig.kernel.invoke("__chkstk", arguments: []) == 0x3000)
    }
}
