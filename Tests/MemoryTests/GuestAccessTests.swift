import CPU
import Testing
@testable import Memory

@Suite struct GuestAccessTests {
    @Test func integersStringsAndPageCrossing() throws {
        let machine = try Machine(hvci: true)
        let memory = machine.memory
        let pool = try memory.allocate(pages: 2, owner: .pool(tag: 0, poolType: 512))
        let edge = pool.base + 0xFFE
        try memory.writeU64(edge, 0x0102_0304_0506_0708)
        #expect(try memory.readU64(edge) == 0x0102_0304_0506_0708)
        #expect(try memory.readU16(edge) == 0x0708)
        #expect(try memory.readU8(pool.base + 0x1005) == 0x01)
        try memory.write(pool.base + 0x100, Array("hello".utf8) + [0])
        #expect(try memory.readCString(pool.base + 0x100, maxLength: 16) == "hello")
        #expect(throws: MemoryError.unterminatedString(address: pool.base + 0x100, maxLength: 3)) {
            try memory.readCString(pool.base + 0x100, maxLength: 3)
        }
        let wide: [UInt8] = Array("Añ".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        try memory.write(pool.base + 0x200, wide + [0, 0])
        #expect(try memory.readUTF16CString(pool.base + 0x200, maxCharacters: 8) == "Añ")
        #expect(try memory.readUTF16(pool.base + 0x200, byteCount: 4) == "Añ")
    }

    @Test func errorsAreValues() throws {
        let machine = try Machine(hvci: true)
        let memory = machine.memory
        #expect(throws: MemoryError.self) { try memory.readU64(0x1000) }
        #expect(throws: MemoryError.self) { try memory.readU64(UInt64.max - 3) }
        #expect(throws: MemoryError.self) { try memory.read(machine.code, count: -1) }
        #expect(throws: MemoryError.self) { try memory.read(machine.code, count: Int.max) }
        #expect(throws: MemoryError.self) { try memory.writeU8(machine.code, 0) }   // code is read-only
        try memory.writeU8(machine.code, 0x90, mode: .privileged)
        #expect(try memory.readU8(machine.code) == 0x90)
        // A write that fails on its second page changes nothing.
        let pool = try memory.allocate(pages: 1, owner: .pool(tag: 0, poolType: 512))
        #expect(throws: MemoryError.self) { try memory.writeU32(pool.end - 2, 0xFFFF_FFFF) }
        #expect(try memory.readU16(pool.end - 2) == 0)
    }

    @Test func guestMemoryCapIsAnErrorValue() throws {
        let machine = try Machine(hvci: true, limit: 32 * 4096)
        let used = machine.memory.usedBytes
        #expect(throws: MemoryError.outOfGuestMemory(requestedPages: 64, limitBytes: 32 * 4096)) {
            try machine.memory.allocate(pages: 64, owner: .stack)
        }
        #expect(machine.memory.usedBytes == used)
        var allocated = 0
        while (try? machine.memory.allocate(pages: 1, owner: .stack)) != nil { allocated += 1 }
        #expect(allocated > 0 && machine.memory.usedBytes <= 32 * 4096)
        #expect(machine.memory.invariantViolations().isEmpty)
    }

    @Test func freeReturnsFramesAndUnmaps() throws {
        let machine = try Machine(hvci: true)
        let memory = machine.memory
        let used = memory.usedBytes
        let pool = try memory.allocate(pages: 3, owner: .pool(tag: 1, poolType: 512))
        let mdl = try memory.alias(va: pool.base, count: 3)
        try memory.free(pool.base)
        // The MDL mapping keeps the frames alive.
        try memory.writeU8(mdl.base, 9)
        #expect(memory.usedBytes > used)
        try memory.free(mdl.base)
        #expect(throws: MemoryError.self) { try memory.readU8(mdl.base) }
        #expect(throws: MemoryError.notAllocated(mdl.base)) { try memory.free(mdl.base) }
        #expect(memory.invariantViolations().isEmpty)
    }
}
