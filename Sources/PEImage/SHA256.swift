/// SHA-256 (FIPS 180-4), so that reports can name a file by its hash without a
/// crypto dependency. Not constant-time; hashes public files only.
///
/// Pure Swift, over raw buffers: the eight working variables and the sixteen
/// live words of the message schedule are locals (registers), and the 64
/// rounds are written out, so a block costs no allocation, bounds check or
/// uniqueness check. (The round lines are generated; each is FIPS 180-4
/// section 6.2.2 step 3 with the variables renamed instead of shifted.)
public enum SHA256 {
    /// The digest of `bytes` as 64 lower-case hex digits.
    public static func hexDigest(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { hexDigest($0) }
    }

    /// The digest of `bytes` as 64 lower-case hex digits.
    public static func hexDigest(_ bytes: UnsafeRawBufferPointer) -> String {
        let state = hash(bytes)
        return String(unsafeUninitializedCapacity: 64) { out in
            let digits: StaticString = "0123456789abcdef"
            let hexDigits = digits.utf8Start
            var i = 0
            for word in state.words {
                for shift in stride(from: 28, through: 0, by: -4) {
                    out[i] = hexDigits[Int((word >> UInt32(shift)) & 0xf)]
                    i += 1
                }
            }
            return 64
        }
    }

    public static func digest(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { digest($0) }
    }

    public static func digest(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        hash(bytes).words.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> UInt32(24 - 8 * $0)) } }
    }

    private static func hash(_ bytes: UnsafeRawBufferPointer) -> State {
        var state = State()
        let fullBlocks = bytes.count / 64
        if fullBlocks > 0, let base = bytes.baseAddress {
            state.compress(base, blocks: fullBlocks)
        }
        // The rest of the message, 0x80, zeros, then the length in bits (big-endian):
        // one or two more blocks.
        let rest = bytes.count - fullBlocks * 64
        let tailBlocks = rest < 56 ? 1 : 2
        withUnsafeTemporaryAllocation(byteCount: 128, alignment: 8) { tail in
            tail.initializeMemory(as: UInt8.self, repeating: 0)
            if rest > 0 {
                tail.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[(fullBlocks * 64)...]))
            }
            tail[rest] = 0x80
            let bitLength = UInt64(bytes.count) &* 8
            tail.storeBytes(of: bitLength.bigEndian, toByteOffset: tailBlocks * 64 - 8, as: UInt64.self)
            state.compress(UnsafeRawPointer(tail.baseAddress!), blocks: tailBlocks)
        }
        return state
    }

    private struct State {
        var a: UInt32 = 0x6a09e667, b: UInt32 = 0xbb67ae85, c: UInt32 = 0x3c6ef372, d: UInt32 = 0xa54ff53a
        var e: UInt32 = 0x510e527f, f: UInt32 = 0x9b05688c, g: UInt32 = 0x1f83d9ab, h: UInt32 = 0x5be0cd19

        var words: [UInt32] { [a, b, c, d, e, f, g, h] }

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
