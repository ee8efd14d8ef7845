import CPU
import Memory
import Testing
@testable import Kernel

/// Every registered handler, called with hostile arguments, ends in a value or a thrown error
/// (which the run turns into a report) — never a Swift trap, which would kill the tool. The
/// values are the ones an attacker or a confused driver passes: 0, 1, all-ones, the top page
/// of the address space, an odd address inside a buffer, the guard page after a buffer, and
/// lengths that wrap when added to a pointer.
struct EveryHandlerHostileArgumentTests {
    static let argumentCount = 12

    /// One argument vector per hostile shape; `buffer` is a mapped, writable page with an
    /// unmapped page after it.
    static func vectors(buffer: UInt64) -> [[UInt64]] {
        let guardPage = buffer + 0x1000
        let values: [UInt64] = [0, 1, .max, 0xFFFF_FFFF_FFFF_F000, buffer + 1, guardPage - 2, guardPage,
                                0x8000_0000_0000_0000, 0xFFFF_FFFF, 0x7FFF_FFFF_FFFF_FFFF]
        var vectors = values.map { [UInt64](repeating: $0, count: argumentCount) }
        // A valid pointer beside lengths that wrap, and the reverse.
        for length: UInt64 in [.max, 0xFFFF_FFFF, 0x8000_0000_0000_0000, 0x1001] {
            vectors.append((0..<argumentCount).map { $0 % 2 == 0 ? buffer : length })
            vectors.append((0..<argumentCount).map { $0 % 2 == 0 ? length : buffer })
        }
        return vectors
    }

    @Test(arguments: [true, false])
    func everyHandlerSurvivesHostileArguments(hvci: Bool) throws {
        var called = 0
        for export in ExportTable.all {
            // A fresh machine per function: one handler's damage must not hide another's trap.
            let h = try KernelHarness(hvci: hvci)
            let buffer = try h.memory.allocate(pages: 1, owner: .kernelStructure("hostile buffer")).base
            for vector in Self.vectors(buffer: buffer) {
                // A few handlers must run guest code (callbacks, init routines): bound them.
                try h.engine.write(.rsp, h.stack.end - 0x1000)
                _ = try? h.kernel.invoke(export.name, arguments: vector)
                called += 1
            }
        }
        #expect(called >= ExportTable.all.count * 10)
    }
}
