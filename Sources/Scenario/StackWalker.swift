import Kernel
import Loader

/// Finds the driver's return addresses on the stack: each 8-byte slot above
/// RSP that points into the image's code just after a `call` instruction.
/// A scan, not an unwind: it may show a stale frame, never a made-up one.
struct StackWalker {
    unowned let kernel: Kernel
    let image: LoadedImage
    static let slots = 512
    static let maxFrames = 16

    func returnAddresses(from rsp: UInt64) -> [UInt64] {
        guard let words = try? kernel.readBytes(rsp, count: 8 * Self.slots) else { return scanShort(rsp) }
        return collect(words)
    }

    /// Near the top of the stack a full window may cross the end: read what is there.
    private func scanShort(_ rsp: UInt64) -> [UInt64] {
        let available = Int(0x1000 - rsp % 0x1000)
        guard let words = try? kernel.readBytes(rsp, count: available & ~7) else { return [] }
        return collect(words)
    }

    private func collect(_ words: [UInt8]) -> [UInt64] {
        var frames: [UInt64] = []
        for slot in 0..<(words.count / 8) where frames.count < Self.maxFrames {
            var value: UInt64 = 0
            for byte in (0..<8).reversed() { value = value << 8 | UInt64(words[slot * 8 + byte]) }
            if image.isCode(value), followsCall(value) { frames.append(value) }
        }
        return frames
    }

    /// Whether the bytes before `address` end with a call (E8 rel32, FF /2 forms).
    private func followsCall(_ address: UInt64) -> Bool {
        guard address >= 7, let bytes = try? kernel.readBytes(address - 7, count: 7) else { return false }
        if bytes[2] == 0xE8 { return true }                     // call rel32
        if bytes[5] == 0xFF, bytes[6] & 0x38 == 0x10 { return true } // call r/m (register)
        if bytes[1] == 0xFF, bytes[2] & 0x38 == 0x10 { return true } // call [rip+disp32]
        if bytes[4] == 0xFF, bytes[5] & 0x38 == 0x10 { return true } // call [reg+disp8]
        return false
    }
}
