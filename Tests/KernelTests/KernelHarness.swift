import CPU
import Memory
import Testing
@testable import Kernel

/// A kernel model on a fresh machine, with a stack, for calling exports
/// directly: `try harness.call("RtlInitUnicodeString", dst, src)`.
final class KernelHarness {
    let engine: Engine
    let memory: MemoryModel
    let kernel: Kernel
    let stack: Allocation

    init(hvci: Bool = true, enforcement: Enforcement = .audit, driverImage: [UInt8] = [],
         virtualTime: VirtualTimeBudget = VirtualTimeBudget()) throws {
        engine = try Engine()
        memory = try MemoryModel(engine: engine, configuration: .init(hvci: hvci, enforcement: enforcement))
        kernel = try Kernel(engine: engine, memory: memory,
                            configuration: KernelConfiguration(hvci: hvci, enforcement: enforcement, driverName: "test.sys",
                                                               driverImage: driverImage, virtualTime: virtualTime))
        stack = try memory.allocate(pages: 8, owner: .stack)
        try engine.write(.rsp, stack.end - 0x1000)
    }

    /// Calls `function` with `arguments`; returns RAX.
    @discardableResult
    func call(_ function: String, _ arguments: UInt64...) throws -> UInt64 {
        try kernel.invoke(function, arguments: arguments)
    }

    /// Zeroed guest memory for a test's buffers.
    func buffer(_ size: Int) throws -> UInt64 {
        try memory.allocate(pages: max(1, (size + 0xFFF) / 0x1000), owner: .kernelStructure("test buffer")).base
    }

    /// A NUL-terminated UTF-16 string in guest memory.
    func wide(_ text: String) throws -> UInt64 {
        let address = try buffer(text.utf16.count * 2 + 2)
        try kernel.writeBytes(address, text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } + [0, 0])
        return address
    }

    /// A loaded-module entry "test.sys" covering [0x1_4000_0000, +0x10000), where tests put the
    /// routines they register; `integrityForced` sets LDRP_IMAGE_INTEGRITY_FORCED (0x20) in its
    /// Flags, as the loader does for an image linked with /INTEGRITYCHECK. Returns the entry.
    @discardableResult
    func driverModule(integrityForced: Bool) throws -> UInt64 {
        let entry = try kernel.addLoadedModule(name: "test.sys", path: "\\SystemRoot\\System32\\drivers\\test.sys",
                                               base: 0x1_4000_0000, size: 0x10000, entryPoint: 0)
        let flags = entry + UInt64(Layout.KldrDataTableEntry.flags)
        let value = try kernel.readU32(flags)
        try kernel.writeU32(flags, integrityForced ? value | 0x20 : value & ~0x20)
        return entry
    }

    /// A NUL-terminated byte string in guest memory.
    func ansi(_ text: String) throws -> UInt64 {
        let address = try buffer(text.utf8.count + 1)
        try kernel.writeBytes(address, Array(text.utf8) + [0])
        return address
    }
}

struct KernelHarnessTests {
    @Test func unicodeStringRoundTrip() throws {
        let h = try KernelHarness()
        let destination = try h.buffer(16)
        try h.call("RtlInitUnicodeString", destination, try h.wide("\\Device\\Foo"))
        #expect(try h.kernel.readUnicodeString(destination) == "\\Device\\Foo")
        #expect(try h.kernel.readU16(destination) == 22)
        #expect(try h.kernel.readU16(destination + 2) == 24)
    }

    @Test func codeIntegrityOptionsFollowHVCI() throws {
        for hvci in [true, false] {
            let h = try KernelHarness(hvci: hvci)
            let info = try h.buffer(8)
            try h.kernel.writeU32(info, 8)
            #expect(try h.call("ZwQuerySystemInformation", 103, info, 8, 0) == 0)
            #expect(try h.kernel.readU32(info + 4) == (hvci ? 0x2401 : 0x1))
        }
    }

    @Test func executablePoolIsADriverVerifierFindingWithItsParameters() throws {
        let h = try KernelHarness()
        let pointer = try h.call("ExAllocatePoolWithTag", 0, 0x100, 0x6B6F_6F48)
        #expect(pointer != 0)
        let finding = try #require(h.kernel.findings.first)
        #expect(finding.code == "0x2000")
        #expect(finding.bugCheck?.parameters == ["0x2000", "0x0", "0x0", "0x6b6f6f48"])
        #expect(try h.call("ExAllocatePoolWithTag", 0x200, 0x100, 0x6B6F_6F48) != 0)
        #expect(h.kernel.findings.count == 1)
    }

    @Test func handlesAreMultiplesOfFourAndCloseOnce() throws {
        let h = try KernelHarness()
        let a = try #require(h.kernel.handles.insert(.init(kind: "Event")))
        let b = try #require(h.kernel.handles.insert(.init(kind: "Key")))
        #expect(a % 4 == 0 && b == a + 4)
        #expect(h.kernel.handles.close(a))
        #expect(!h.kernel.handles.close(a))
    }
}
