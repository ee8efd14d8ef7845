#if arch(x86_64) && canImport(_Builtin_intrinsics)
import _Builtin_intrinsics.intel
#endif

/// SHA-256 (FIPS 180-4), so that reports can name a file by its hash without a
/// crypto dependency. Not constant-time; hashes public files only.
///
/// Pure Swift, over raw buffers. The eight working variables and the sixteen
/// live words of the message schedule are locals (registers), and the 64
/// rounds are written out, so a block costs no allocation, bounds check or
/// uniqueness check. The round lines are generated: each is FIPS 180-4
/// section 6.2.2 step 3 with the variables renamed instead of shifted.
///
/// `hexDigests(_:)` hashes several messages at once. On x86-64 it runs four
/// messages side by side in the four 32-bit lanes of SSE2 registers (SSE2 is
/// part of every x86-64 CPU), which is about twice the single-message speed.
public enum SHA256 {
    /// The digest of `bytes` as 64 lower-case hex digits.
    public static func hexDigest(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { hexDigest($0) }
    }

    /// The digest of `bytes` as 64 lower-case hex digits.
    public static func hexDigest(_ bytes: UnsafeRawBufferPointer) -> String {
        var state = State()
        state.absorb(bytes)
        return state.hexDigest
    }

    public static func digest(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { digest($0) }
    }

    public static func digest(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var state = State()
        state.absorb(bytes)
        return state.words.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> UInt32(24 - 8 * $0)) } }
    }

    /// The digests of `messages`, in order, each as 64 lower-case hex digits:
    /// the same as `messages.map(hexDigest)`, faster when there are several.
    public static func hexDigests(_ messages: [[UInt8]]) -> [String] {
        var digests: [String] = []
        digests.reserveCapacity(messages.count)
        // 64 at a time: each message's storage is pinned by a nested withUnsafeBytes.
        var start = 0
        while start < messages.count {
            let end = min(start + 64, messages.count)
            var buffers: [UnsafeRawBufferPointer] = []
            buffers.reserveCapacity(end - start)
            func withBuffers(from index: Int) -> [String] {
                guard index < end else { return hexDigests(buffers) }
                return messages[index].withUnsafeBytes { bytes in
                    buffers.append(bytes)
                    return withBuffers(from: index + 1)
                }
            }
            digests += withBuffers(from: start)
            start = end
        }
        return digests
    }

    /// The digests of `messages`, in order, each as 64 lower-case hex digits:
    /// the same as `messages.map(hexDigest)`, faster when there are several.
    public static func hexDigests(_ messages: [UnsafeRawBufferPointer]) -> [String] {
#if arch(x86_64) && canImport(_Builtin_intrinsics)
        var scheduler = LaneScheduler(messages)
        return scheduler.run()
#else
        return messages.map { hexDigest($0) }
#endif
    }

    /// The state after some whole blocks of a message.
    fileprivate struct State {
        var a: UInt32 = 0x6a09e667, b: UInt32 = 0xbb67ae85, c: UInt32 = 0x3c6ef372, d: UInt32 = 0xa54ff53a
        var e: UInt32 = 0x510e527f, f: UInt32 = 0x9b05688c, g: UInt32 = 0x1f83d9ab, h: UInt32 = 0x5be0cd19

        var words: [UInt32] { [a, b, c, d, e, f, g, h] }

        var hexDigest: String {
            let words = [a, b, c, d, e, f, g, h]
            return String(unsafeUninitializedCapacity: 64) { out in
                let digits: StaticString = "0123456789abcdef"
                let hexDigits = digits.utf8Start
                var i = 0
                for word in words {
                    for shift in stride(from: 28, through: 0, by: -4) {
                        out[i] = hexDigits[Int((word >> UInt32(shift)) & 0xf)]
                        i += 1
                    }
                }
                return 64
            }
        }

        /// The whole message, from the initial state.
        mutating func absorb(_ bytes: UnsafeRawBufferPointer) {
            let fullBlocks = bytes.count / 64
            if fullBlocks > 0, let base = bytes.baseAddress {
                compress(base, blocks: fullBlocks)
            }
            finish(bytes)
        }

        /// The last one or two blocks: what follows the whole blocks of
        /// `message` (already compressed), 0x80, zeros, and the length in bits
        /// (big-endian).
        mutating func finish(_ message: UnsafeRawBufferPointer) {
            let fullBlocks = message.count / 64
            let rest = message.count - fullBlocks * 64
            let tailBlocks = rest < 56 ? 1 : 2
            withUnsafeTemporaryAllocation(byteCount: 128, alignment: 8) { tail in
                tail.initializeMemory(as: UInt8.self, repeating: 0)
                if rest > 0 {
                    tail.copyMemory(from: UnsafeRawBufferPointer(rebasing: message[(fullBlocks * 64)...]))
                }
                tail[rest] = 0x80
                let bitLength = UInt64(message.count) &* 8
                tail.storeBytes(of: bitLength.bigEndian, toByteOffset: tailBlocks * 64 - 8, as: UInt64.self)
                compress(UnsafeRawPointer(tail.baseAddress!), blocks: tailBlocks)
            }
        }

        /// Runs the compression function over `blocks` 64-byte blocks at `start`.
        mutating func compress(_ start: UnsafeRawPointer, blocks: Int) {
            var (h0, h1, h2, h3, h4, h5, h6, h7) = (self.a, self.b, self.c, self.d, self.e, self.f, self.g, self.h)
            var p = start
            for _ in 0..<blocks {
                @inline(__always) func load(_ i: Int) -> UInt32 {
                    UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
                }
                var (a, b, c, d, e, f, g, h) = (h0, h1, h2, h3, h4, h5, h6, h7)
                var bc = b ^ c
                var w0: UInt32, w1: UInt32, w2: UInt32, w3: UInt32, w4: UInt32, w5: UInt32, w6: UInt32, w7: UInt32
                var w8: UInt32, w9: UInt32, w10: UInt32, w11: UInt32, w12: UInt32, w13: UInt32, w14: UInt32, w15: UInt32
                w0 = load(0)
                round(a, b, c, &d, e, f, g, &h, 0x428a2f98 &+ w0, &bc)
                w1 = load(1)
                round(h, a, b, &c, d, e, f, &g, 0x71374491 &+ w1, &bc)
                w2 = load(2)
                round(g, h, a, &b, c, d, e, &f, 0xb5c0fbcf &+ w2, &bc)
                w3 = load(3)
                round(f, g, h, &a, b, c, d, &e, 0xe9b5dba5 &+ w3, &bc)
                w4 = load(4)
                round(e, f, g, &h, a, b, c, &d, 0x3956c25b &+ w4, &bc)
                w5 = load(5)
                round(d, e, f, &g, h, a, b, &c, 0x59f111f1 &+ w5, &bc)
                w6 = load(6)
                round(c, d, e, &f, g, h, a, &b, 0x923f82a4 &+ w6, &bc)
                w7 = load(7)
                round(b, c, d, &e, f, g, h, &a, 0xab1c5ed5 &+ w7, &bc)
                w8 = load(8)
                round(a, b, c, &d, e, f, g, &h, 0xd807aa98 &+ w8, &bc)
                w9 = load(9)
                round(h, a, b, &c, d, e, f, &g, 0x12835b01 &+ w9, &bc)
                w10 = load(10)
                round(g, h, a, &b, c, d, e, &f, 0x243185be &+ w10, &bc)
                w11 = load(11)
                round(f, g, h, &a, b, c, d, &e, 0x550c7dc3 &+ w11, &bc)
                w12 = load(12)
                round(e, f, g, &h, a, b, c, &d, 0x72be5d74 &+ w12, &bc)
                w13 = load(13)
                round(d, e, f, &g, h, a, b, &c, 0x80deb1fe &+ w13, &bc)
                w14 = load(14)
                round(c, d, e, &f, g, h, a, &b, 0x9bdc06a7 &+ w14, &bc)
                w15 = load(15)
                round(b, c, d, &e, f, g, h, &a, 0xc19bf174 &+ w15, &bc)
                w0 = schedule(w0, w1, w9, w14)
                round(a, b, c, &d, e, f, g, &h, 0xe49b69c1 &+ w0, &bc)
                w1 = schedule(w1, w2, w10, w15)
                round(h, a, b, &c, d, e, f, &g, 0xefbe4786 &+ w1, &bc)
                w2 = schedule(w2, w3, w11, w0)
                round(g, h, a, &b, c, d, e, &f, 0x0fc19dc6 &+ w2, &bc)
                w3 = schedule(w3, w4, w12, w1)
                round(f, g, h, &a, b, c, d, &e, 0x240ca1cc &+ w3, &bc)
                w4 = schedule(w4, w5, w13, w2)
                round(e, f, g, &h, a, b, c, &d, 0x2de92c6f &+ w4, &bc)
                w5 = schedule(w5, w6, w14, w3)
                round(d, e, f, &g, h, a, b, &c, 0x4a7484aa &+ w5, &bc)
                w6 = schedule(w6, w7, w15, w4)
                round(c, d, e, &f, g, h, a, &b, 0x5cb0a9dc &+ w6, &bc)
                w7 = schedule(w7, w8, w0, w5)
                round(b, c, d, &e, f, g, h, &a, 0x76f988da &+ w7, &bc)
                w8 = schedule(w8, w9, w1, w6)
                round(a, b, c, &d, e, f, g, &h, 0x983e5152 &+ w8, &bc)
                w9 = schedule(w9, w10, w2, w7)
                round(h, a, b, &c, d, e, f, &g, 0xa831c66d &+ w9, &bc)
                w10 = schedule(w10, w11, w3, w8)
                round(g, h, a, &b, c, d, e, &f, 0xb00327c8 &+ w10, &bc)
                w11 = schedule(w11, w12, w4, w9)
                round(f, g, h, &a, b, c, d, &e, 0xbf597fc7 &+ w11, &bc)
                w12 = schedule(w12, w13, w5, w10)
                round(e, f, g, &h, a, b, c, &d, 0xc6e00bf3 &+ w12, &bc)
                w13 = schedule(w13, w14, w6, w11)
                round(d, e, f, &g, h, a, b, &c, 0xd5a79147 &+ w13, &bc)
                w14 = schedule(w14, w15, w7, w12)
                round(c, d, e, &f, g, h, a, &b, 0x06ca6351 &+ w14, &bc)
                w15 = schedule(w15, w0, w8, w13)
                round(b, c, d, &e, f, g, h, &a, 0x14292967 &+ w15, &bc)
                w0 = schedule(w0, w1, w9, w14)
                round(a, b, c, &d, e, f, g, &h, 0x27b70a85 &+ w0, &bc)
                w1 = schedule(w1, w2, w10, w15)
                round(h, a, b, &c, d, e, f, &g, 0x2e1b2138 &+ w1, &bc)
                w2 = schedule(w2, w3, w11, w0)
                round(g, h, a, &b, c, d, e, &f, 0x4d2c6dfc &+ w2, &bc)
                w3 = schedule(w3, w4, w12, w1)
                round(f, g, h, &a, b, c, d, &e, 0x53380d13 &+ w3, &bc)
                w4 = schedule(w4, w5, w13, w2)
                round(e, f, g, &h, a, b, c, &d, 0x650a7354 &+ w4, &bc)
                w5 = schedule(w5, w6, w14, w3)
                round(d, e, f, &g, h, a, b, &c, 0x766a0abb &+ w5, &bc)
                w6 = schedule(w6, w7, w15, w4)
                round(c, d, e, &f, g, h, a, &b, 0x81c2c92e &+ w6, &bc)
                w7 = schedule(w7, w8, w0, w5)
                round(b, c, d, &e, f, g, h, &a, 0x92722c85 &+ w7, &bc)
                w8 = schedule(w8, w9, w1, w6)
                round(a, b, c, &d, e, f, g, &h, 0xa2bfe8a1 &+ w8, &bc)
                w9 = schedule(w9, w10, w2, w7)
                round(h, a, b, &c, d, e, f, &g, 0xa81a664b &+ w9, &bc)
                w10 = schedule(w10, w11, w3, w8)
                round(g, h, a, &b, c, d, e, &f, 0xc24b8b70 &+ w10, &bc)
                w11 = schedule(w11, w12, w4, w9)
                round(f, g, h, &a, b, c, d, &e, 0xc76c51a3 &+ w11, &bc)
                w12 = schedule(w12, w13, w5, w10)
                round(e, f, g, &h, a, b, c, &d, 0xd192e819 &+ w12, &bc)
                w13 = schedule(w13, w14, w6, w11)
                round(d, e, f, &g, h, a, b, &c, 0xd6990624 &+ w13, &bc)
                w14 = schedule(w14, w15, w7, w12)
                round(c, d, e, &f, g, h, a, &b, 0xf40e3585 &+ w14, &bc)
                w15 = schedule(w15, w0, w8, w13)
                round(b, c, d, &e, f, g, h, &a, 0x106aa070 &+ w15, &bc)
                w0 = schedule(w0, w1, w9, w14)
                round(a, b, c, &d, e, f, g, &h, 0x19a4c116 &+ w0, &bc)
                w1 = schedule(w1, w2, w10, w15)
                round(h, a, b, &c, d, e, f, &g, 0x1e376c08 &+ w1, &bc)
                w2 = schedule(w2, w3, w11, w0)
                round(g, h, a, &b, c, d, e, &f, 0x2748774c &+ w2, &bc)
                w3 = schedule(w3, w4, w12, w1)
                round(f, g, h, &a, b, c, d, &e, 0x34b0bcb5 &+ w3, &bc)
                w4 = schedule(w4, w5, w13, w2)
                round(e, f, g, &h, a, b, c, &d, 0x391c0cb3 &+ w4, &bc)
                w5 = schedule(w5, w6, w14, w3)
                round(d, e, f, &g, h, a, b, &c, 0x4ed8aa4a &+ w5, &bc)
                w6 = schedule(w6, w7, w15, w4)
                round(c, d, e, &f, g, h, a, &b, 0x5b9cca4f &+ w6, &bc)
                w7 = schedule(w7, w8, w0, w5)
                round(b, c, d, &e, f, g, h, &a, 0x682e6ff3 &+ w7, &bc)
                w8 = schedule(w8, w9, w1, w6)
                round(a, b, c, &d, e, f, g, &h, 0x748f82ee &+ w8, &bc)
                w9 = schedule(w9, w10, w2, w7)
                round(h, a, b, &c, d, e, f, &g, 0x78a5636f &+ w9, &bc)
                w10 = schedule(w10, w11, w3, w8)
                round(g, h, a, &b, c, d, e, &f, 0x84c87814 &+ w10, &bc)
                w11 = schedule(w11, w12, w4, w9)
                round(f, g, h, &a, b, c, d, &e, 0x8cc70208 &+ w11, &bc)
                w12 = schedule(w12, w13, w5, w10)
                round(e, f, g, &h, a, b, c, &d, 0x90befffa &+ w12, &bc)
                w13 = schedule(w13, w14, w6, w11)
                round(d, e, f, &g, h, a, b, &c, 0xa4506ceb &+ w13, &bc)
                w14 = schedule(w14, w15, w7, w12)
                round(c, d, e, &f, g, h, a, &b, 0xbef9a3f7 &+ w14, &bc)
                w15 = schedule(w15, w0, w8, w13)
                round(b, c, d, &e, f, g, h, &a, 0xc67178f2 &+ w15, &bc)
                h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d; h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
                p += 64
            }
            (self.a, self.b, self.c, self.d, self.e, self.f, self.g, self.h) = (h0, h1, h2, h3, h4, h5, h6, h7)
        }
    }
}

/// One round: `kw` is K[t] + W[t]; updates d and h (the caller renames the rest).
/// Maj(a, b, c) is computed as b ^ ((a ^ b) & (b ^ c)); `bc` carries b ^ c in,
/// and a ^ b out, which is the next round's b ^ c.
@inline(__always)
private func round(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
                   _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ kw: UInt32, _ bc: inout UInt32) {
    let ab = a ^ b
    let t1 = h &+ (e.rotatedRight(6) ^ e.rotatedRight(11) ^ e.rotatedRight(25)) &+ (g ^ (e & (f ^ g))) &+ kw
    let t2 = (a.rotatedRight(2) ^ a.rotatedRight(13) ^ a.rotatedRight(22)) &+ (b ^ (ab & bc))
    d &+= t1
    h = t1 &+ t2
    bc = ab
}

/// W[t] from W[t-16], W[t-15], W[t-7] and W[t-2].
@inline(__always)
private func schedule(_ w16: UInt32, _ w15: UInt32, _ w7: UInt32, _ w2: UInt32) -> UInt32 {
    let s0 = w15.rotatedRight(7) ^ w15.rotatedRight(18) ^ (w15 >> 3)
    let s1 = w2.rotatedRight(17) ^ w2.rotatedRight(19) ^ (w2 >> 10)
    return w16 &+ s0 &+ w7 &+ s1
}

extension UInt32 {
    @inline(__always) fileprivate func rotatedRight(_ n: UInt32) -> UInt32 { (self >> n) | (self << (32 - n)) }
}

#if arch(x86_64) && canImport(_Builtin_intrinsics)
private typealias V = SIMD4<UInt32>

/// Feeds messages to the four lanes: each lane takes the next message when
/// its own runs out of whole blocks, so lanes stay busy whatever the lengths.
/// A message's last one or two (padding) blocks, and the whole blocks of the
/// last message left running alone, go through the one-lane code.
private struct LaneScheduler {
    let messages: [UnsafeRawBufferPointer]
    var digests: [String]
    var lanes = Lanes()
    var message = [Int](repeating: -1, count: 4)          // -1: the lane is idle
    var next = [UnsafeRawPointer?](repeating: nil, count: 4)
    var blocksLeft = [Int](repeating: 0, count: 4)
    var queued = 0

    init(_ messages: [UnsafeRawBufferPointer]) {
        self.messages = messages
        self.digests = [String](repeating: "", count: messages.count)
    }

    mutating func run() -> [String] {
        withUnsafeTemporaryAllocation(byteCount: 64, alignment: 16) { idle in
            idle.initializeMemory(as: UInt8.self, repeating: 0)
            let idleBlock = UnsafeRawPointer(idle.baseAddress!)
            while true {
                for lane in 0..<4 where message[lane] < 0 { fill(lane) }
                let busy = (0..<4).filter { message[$0] >= 0 }
                if busy.isEmpty { break }
                if busy.count == 1 && queued == messages.count {
                    let lane = busy[0]
                    var state = lanes[lane]
                    state.compress(next[lane]!, blocks: blocksLeft[lane])
                    complete(lane, state)
                    continue
                }
                let blocks = busy.map { blocksLeft[$0] }.min()!
                var stride = SIMD4<Int>(repeating: 0)
                for lane in busy { stride[lane] = 64 }
                lanes.compress(next[0] ?? idleBlock, next[1] ?? idleBlock, next[2] ?? idleBlock, next[3] ?? idleBlock,
                               stride: stride, blocks: blocks)
                for lane in busy {
                    blocksLeft[lane] -= blocks
                    next[lane] = next[lane]! + 64 * blocks
                    if blocksLeft[lane] == 0 { complete(lane, lanes[lane]) }
                }
            }
        }
        return digests
    }

    /// Starts the next message with whole blocks in `lane` (shorter ones are hashed at once).
    mutating func fill(_ lane: Int) {
        while queued < messages.count {
            let index = queued
            queued += 1
            let bytes = messages[index]
            if bytes.count < 64 {
                var state = SHA256.State()
                state.finish(bytes)
                digests[index] = state.hexDigest
                continue
            }
            message[lane] = index
            next[lane] = bytes.baseAddress!
            blocksLeft[lane] = bytes.count / 64
            lanes[lane] = SHA256.State()
            return
        }
    }

    /// `state` is after all the whole blocks of the lane's message: pads it and frees the lane.
    mutating func complete(_ lane: Int, _ state: SHA256.State) {
        var state = state
        state.finish(messages[message[lane]])
        digests[message[lane]] = state.hexDigest
        message[lane] = -1
        next[lane] = nil
        blocksLeft[lane] = 0
    }
}

/// Four SHA-256 states, one per lane.
private struct Lanes {
    var a = V(), b = V(), c = V(), d = V(), e = V(), f = V(), g = V(), h = V()

    subscript(lane: Int) -> SHA256.State {
        get {
            SHA256.State(a: a[lane], b: b[lane], c: c[lane], d: d[lane], e: e[lane], f: f[lane], g: g[lane], h: h[lane])
        }
        set {
            a[lane] = newValue.a; b[lane] = newValue.b; c[lane] = newValue.c; d[lane] = newValue.d
            e[lane] = newValue.e; f[lane] = newValue.f; g[lane] = newValue.g; h[lane] = newValue.h
        }
    }

    /// `blocks` blocks of each lane's message; lane i reads at `p_i`, then
    /// moves on by `stride[i]` bytes per block (0 for an idle lane).
    mutating func compress(_ p0: UnsafeRawPointer, _ p1: UnsafeRawPointer, _ p2: UnsafeRawPointer, _ p3: UnsafeRawPointer,
                           stride: SIMD4<Int>, blocks: Int) {
        var (h0, h1, h2, h3, h4, h5, h6, h7) = (self.a, self.b, self.c, self.d, self.e, self.f, self.g, self.h)
        var (q0, q1, q2, q3) = (p0, p1, p2, p3)
        for _ in 0..<blocks {
            @inline(__always) func load(_ i: Int) -> V {
                V(UInt32(bigEndian: q0.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)),
                  UInt32(bigEndian: q1.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)),
                  UInt32(bigEndian: q2.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)),
                  UInt32(bigEndian: q3.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
            var (a, b, c, d, e, f, g, h) = (h0, h1, h2, h3, h4, h5, h6, h7)
            var bc = b ^ c
            var w0: V, w1: V, w2: V, w3: V, w4: V, w5: V, w6: V, w7: V
            var w8: V, w9: V, w10: V, w11: V, w12: V, w13: V, w14: V, w15: V
            w0 = load(0)
            vround(a, b, c, &d, e, f, g, &h, w0 &+ V(repeating: 0x428a2f98), &bc)
            w1 = load(1)
            vround(h, a, b, &c, d, e, f, &g, w1 &+ V(repeating: 0x71374491), &bc)
            w2 = load(2)
            vround(g, h, a, &b, c, d, e, &f, w2 &+ V(repeating: 0xb5c0fbcf), &bc)
            w3 = load(3)
            vround(f, g, h, &a, b, c, d, &e, w3 &+ V(repeating: 0xe9b5dba5), &bc)
            w4 = load(4)
            vround(e, f, g, &h, a, b, c, &d, w4 &+ V(repeating: 0x3956c25b), &bc)
            w5 = load(5)
            vround(d, e, f, &g, h, a, b, &c, w5 &+ V(repeating: 0x59f111f1), &bc)
            w6 = load(6)
            vround(c, d, e, &f, g, h, a, &b, w6 &+ V(repeating: 0x923f82a4), &bc)
            w7 = load(7)
            vround(b, c, d, &e, f, g, h, &a, w7 &+ V(repeating: 0xab1c5ed5), &bc)
            w8 = load(8)
            vround(a, b, c, &d, e, f, g, &h, w8 &+ V(repeating: 0xd807aa98), &bc)
            w9 = load(9)
            vround(h, a, b, &c, d, e, f, &g, w9 &+ V(repeating: 0x12835b01), &bc)
            w10 = load(10)
            vround(g, h, a, &b, c, d, e, &f, w10 &+ V(repeating: 0x243185be), &bc)
            w11 = load(11)
            vround(f, g, h, &a, b, c, d, &e, w11 &+ V(repeating: 0x550c7dc3), &bc)
            w12 = load(12)
            vround(e, f, g, &h, a, b, c, &d, w12 &+ V(repeating: 0x72be5d74), &bc)
            w13 = load(13)
            vround(d, e, f, &g, h, a, b, &c, w13 &+ V(repeating: 0x80deb1fe), &bc)
            w14 = load(14)
            vround(c, d, e, &f, g, h, a, &b, w14 &+ V(repeating: 0x9bdc06a7), &bc)
            w15 = load(15)
            vround(b, c, d, &e, f, g, h, &a, w15 &+ V(repeating: 0xc19bf174), &bc)
            w0 = vschedule(w0, w1, w9, w14)
            vround(a, b, c, &d, e, f, g, &h, w0 &+ V(repeating: 0xe49b69c1), &bc)
            w1 = vschedule(w1, w2, w10, w15)
            vround(h, a, b, &c, d, e, f, &g, w1 &+ V(repeating: 0xefbe4786), &bc)
            w2 = vschedule(w2, w3, w11, w0)
            vround(g, h, a, &b, c, d, e, &f, w2 &+ V(repeating: 0x0fc19dc6), &bc)
            w3 = vschedule(w3, w4, w12, w1)
            vround(f, g, h, &a, b, c, d, &e, w3 &+ V(repeating: 0x240ca1cc), &bc)
            w4 = vschedule(w4, w5, w13, w2)
            vround(e, f, g, &h, a, b, c, &d, w4 &+ V(repeating: 0x2de92c6f), &bc)
            w5 = vschedule(w5, w6, w14, w3)
            vround(d, e, f, &g, h, a, b, &c, w5 &+ V(repeating: 0x4a7484aa), &bc)
            w6 = vschedule(w6, w7, w15, w4)
            vround(c, d, e, &f, g, h, a, &b, w6 &+ V(repeating: 0x5cb0a9dc), &bc)
            w7 = vschedule(w7, w8, w0, w5)
            vround(b, c, d, &e, f, g, h, &a, w7 &+ V(repeating: 0x76f988da), &bc)
            w8 = vschedule(w8, w9, w1, w6)
            vround(a, b, c, &d, e, f, g, &h, w8 &+ V(repeating: 0x983e5152), &bc)
            w9 = vschedule(w9, w10, w2, w7)
            vround(h, a, b, &c, d, e, f, &g, w9 &+ V(repeating: 0xa831c66d), &bc)
            w10 = vschedule(w10, w11, w3, w8)
            vround(g, h, a, &b, c, d, e, &f, w10 &+ V(repeating: 0xb00327c8), &bc)
            w11 = vschedule(w11, w12, w4, w9)
            vround(f, g, h, &a, b, c, d, &e, w11 &+ V(repeating: 0xbf597fc7), &bc)
            w12 = vschedule(w12, w13, w5, w10)
            vround(e, f, g, &h, a, b, c, &d, w12 &+ V(repeating: 0xc6e00bf3), &bc)
            w13 = vschedule(w13, w14, w6, w11)
            vround(d, e, f, &g, h, a, b, &c, w13 &+ V(repeating: 0xd5a79147), &bc)
            w14 = vschedule(w14, w15, w7, w12)
            vround(c, d, e, &f, g, h, a, &b, w14 &+ V(repeating: 0x06ca6351), &bc)
            w15 = vschedule(w15, w0, w8, w13)
            vround(b, c, d, &e, f, g, h, &a, w15 &+ V(repeating: 0x14292967), &bc)
            w0 = vschedule(w0, w1, w9, w14)
            vround(a, b, c, &d, e, f, g, &h, w0 &+ V(repeating: 0x27b70a85), &bc)
            w1 = vschedule(w1, w2, w10, w15)
            vround(h, a, b, &c, d, e, f, &g, w1 &+ V(repeating: 0x2e1b2138), &bc)
            w2 = vschedule(w2, w3, w11, w0)
            vround(g, h, a, &b, c, d, e, &f, w2 &+ V(repeating: 0x4d2c6dfc), &bc)
            w3 = vschedule(w3, w4, w12, w1)
            vround(f, g, h, &a, b, c, d, &e, w3 &+ V(repeating: 0x53380d13), &bc)
            w4 = vschedule(w4, w5, w13, w2)
            vround(e, f, g, &h, a, b, c, &d, w4 &+ V(repeating: 0x650a7354), &bc)
            w5 = vschedule(w5, w6, w14, w3)
            vround(d, e, f, &g, h, a, b, &c, w5 &+ V(repeating: 0x766a0abb), &bc)
            w6 = vschedule(w6, w7, w15, w4)
            vround(c, d, e, &f, g, h, a, &b, w6 &+ V(repeating: 0x81c2c92e), &bc)
            w7 = vschedule(w7, w8, w0, w5)
            vround(b, c, d, &e, f, g, h, &a, w7 &+ V(repeating: 0x92722c85), &bc)
            w8 = vschedule(w8, w9, w1, w6)
            vround(a, b, c, &d, e, f, g, &h, w8 &+ V(repeating: 0xa2bfe8a1), &bc)
            w9 = vschedule(w9, w10, w2, w7)
            vround(h, a, b, &c, d, e, f, &g, w9 &+ V(repeating: 0xa81a664b), &bc)
            w10 = vschedule(w10, w11, w3, w8)
            vround(g, h, a, &b, c, d, e, &f, w10 &+ V(repeating: 0xc24b8b70), &bc)
            w11 = vschedule(w11, w12, w4, w9)
            vround(f, g, h, &a, b, c, d, &e, w11 &+ V(repeating: 0xc76c51a3), &bc)
            w12 = vschedule(w12, w13, w5, w10)
            vround(e, f, g, &h, a, b, c, &d, w12 &+ V(repeating: 0xd192e819), &bc)
            w13 = vschedule(w13, w14, w6, w11)
            vround(d, e, f, &g, h, a, b, &c, w13 &+ V(repeating: 0xd6990624), &bc)
            w14 = vschedule(w14, w15, w7, w12)
            vround(c, d, e, &f, g, h, a, &b, w14 &+ V(repeating: 0xf40e3585), &bc)
            w15 = vschedule(w15, w0, w8, w13)
            vround(b, c, d, &e, f, g, h, &a, w15 &+ V(repeating: 0x106aa070), &bc)
            w0 = vschedule(w0, w1, w9, w14)
            vround(a, b, c, &d, e, f, g, &h, w0 &+ V(repeating: 0x19a4c116), &bc)
            w1 = vschedule(w1, w2, w10, w15)
            vround(h, a, b, &c, d, e, f, &g, w1 &+ V(repeating: 0x1e376c08), &bc)
            w2 = vschedule(w2, w3, w11, w0)
            vround(g, h, a, &b, c, d, e, &f, w2 &+ V(repeating: 0x2748774c), &bc)
            w3 = vschedule(w3, w4, w12, w1)
            vround(f, g, h, &a, b, c, d, &e, w3 &+ V(repeating: 0x34b0bcb5), &bc)
            w4 = vschedule(w4, w5, w13, w2)
            vround(e, f, g, &h, a, b, c, &d, w4 &+ V(repeating: 0x391c0cb3), &bc)
            w5 = vschedule(w5, w6, w14, w3)
            vround(d, e, f, &g, h, a, b, &c, w5 &+ V(repeating: 0x4ed8aa4a), &bc)
            w6 = vschedule(w6, w7, w15, w4)
            vround(c, d, e, &f, g, h, a, &b, w6 &+ V(repeating: 0x5b9cca4f), &bc)
            w7 = vschedule(w7, w8, w0, w5)
            vround(b, c, d, &e, f, g, h, &a, w7 &+ V(repeating: 0x682e6ff3), &bc)
            w8 = vschedule(w8, w9, w1, w6)
            vround(a, b, c, &d, e, f, g, &h, w8 &+ V(repeating: 0x748f82ee), &bc)
            w9 = vschedule(w9, w10, w2, w7)
            vround(h, a, b, &c, d, e, f, &g, w9 &+ V(repeating: 0x78a5636f), &bc)
            w10 = vschedule(w10, w11, w3, w8)
            vround(g, h, a, &b, c, d, e, &f, w10 &+ V(repeating: 0x84c87814), &bc)
            w11 = vschedule(w11, w12, w4, w9)
            vround(f, g, h, &a, b, c, d, &e, w11 &+ V(repeating: 0x8cc70208), &bc)
            w12 = vschedule(w12, w13, w5, w10)
            vround(e, f, g, &h, a, b, c, &d, w12 &+ V(repeating: 0x90befffa), &bc)
            w13 = vschedule(w13, w14, w6, w11)
            vround(d, e, f, &g, h, a, b, &c, w13 &+ V(repeating: 0xa4506ceb), &bc)
            w14 = vschedule(w14, w15, w7, w12)
            vround(c, d, e, &f, g, h, a, &b, w14 &+ V(repeating: 0xbef9a3f7), &bc)
            w15 = vschedule(w15, w0, w8, w13)
            vround(b, c, d, &e, f, g, h, &a, w15 &+ V(repeating: 0xc67178f2), &bc)
            h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d; h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
            q0 += stride[0]; q1 += stride[1]; q2 += stride[2]; q3 += stride[3]
        }
        (self.a, self.b, self.c, self.d, self.e, self.f, self.g, self.h) = (h0, h1, h2, h3, h4, h5, h6, h7)
    }
}

/// `round` on four lanes.
@inline(__always)
private func vround(_ a: V, _ b: V, _ c: V, _ d: inout V, _ e: V, _ f: V, _ g: V, _ h: inout V, _ kw: V, _ bc: inout V) {
    let ab = a ^ b
    let t1 = h &+ bigSigma(e, 6, 11, 25) &+ (g ^ (e & (f ^ g))) &+ kw
    let t2 = bigSigma(a, 2, 13, 22) &+ (b ^ (ab & bc))
    d &+= t1
    h = t1 &+ t2
    bc = ab
}

/// `schedule` on four lanes.
@inline(__always)
private func vschedule(_ w16: V, _ w15: V, _ w7: V, _ w2: V) -> V {
    w16 &+ smallSigma(w15, 7, 18, 3) &+ w7 &+ smallSigma(w2, 17, 19, 10)
}

// The rotations are written with the SSE2 shift intrinsics: written as Swift
// `(x &>> n) | (x &<< (32 - n))`, LLVM turns them into vector rotates, which
// SSE2 lacks, and then does them one lane at a time.
@inline(__always) private func srl(_ x: V, _ n: Int32) -> __m128i { _mm_srli_epi32(unsafeBitCast(x, to: __m128i.self), n) }
@inline(__always) private func sll(_ x: V, _ n: Int32) -> __m128i { _mm_slli_epi32(unsafeBitCast(x, to: __m128i.self), n) }

/// ROTR^r1(x) ^ ROTR^r2(x) ^ ROTR^r3(x) (Σ0, Σ1).
@inline(__always)
private func bigSigma(_ x: V, _ r1: Int32, _ r2: Int32, _ r3: Int32) -> V {
    let right = _mm_xor_si128(_mm_xor_si128(srl(x, r1), srl(x, r2)), srl(x, r3))
    let left = _mm_xor_si128(_mm_xor_si128(sll(x, 32 - r1), sll(x, 32 - r2)), sll(x, 32 - r3))
    return unsafeBitCast(_mm_xor_si128(right, left), to: V.self)
}

/// ROTR^r1(x) ^ ROTR^r2(x) ^ SHR^s(x) (σ0, σ1).
@inline(__always)
private func smallSigma(_ x: V, _ r1: Int32, _ r2: Int32, _ s: Int32) -> V {
    let right = _mm_xor_si128(_mm_xor_si128(srl(x, r1), srl(x, r2)), srl(x, s))
    let left = _mm_xor_si128(sll(x, 32 - r1), sll(x, 32 - r2))
    return unsafeBitCast(_mm_xor_si128(right, left), to: V.self)
}
#endif
