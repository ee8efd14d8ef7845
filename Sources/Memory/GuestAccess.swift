import CPU

/// How the kernel model's own accesses to guest memory are checked.
public enum AccessMode: Sendable, Hashable {
    /// As kernel code running on the guest CPU: effective rights (PTE ∧ SLAT, CR0.WP) apply.
    case kernel
    /// As the loader / hypervisor: rights are ignored, the page must only be mapped
    /// (writes to page tables must go through `setPTE`).
    case privileged
}

/// Bounds-checked accessors for guest memory. Every failure is a `MemoryError`; no guest value
/// can make them trap (all address arithmetic is overflow-checked, lengths are capped).
extension MemoryModel {
    /// Largest single read or write, to keep a hostile length from exhausting host memory.
    public static let maximumTransfer = 64 << 20

    public func read(_ va: UInt64, count: Int, mode: AccessMode = .kernel) throws(MemoryError) -> [UInt8] {
        var bytes = [UInt8]()
        try forEachChunk(va, count: count, write: false, mode: mode) { host, length in
            bytes.append(contentsOf: UnsafeRawBufferPointer(start: host, count: length))
        }
        return bytes
    }

    public func write(_ va: UInt64, _ bytes: [UInt8], mode: AccessMode = .kernel) throws(MemoryError) {
        var done = 0
        try forEachChunk(va, count: bytes.count, write: true, mode: mode) { host, length in
            bytes.withUnsafeBytes { source in
                guard let start = source.baseAddress else { return }
                host.copyMemory(from: start + done, byteCount: length)
            }
            done += length
        }
    }

    public func readU8(_ va: UInt64, mode: AccessMode = .kernel) throws(MemoryError) -> UInt8 {
        UInt8(try readInteger(va, size: 1, mode: mode))
    }

    public func readU16(_ va: UInt64, mode: AccessMode = .kernel) throws(MemoryError) -> UInt16 {
        UInt16(try readInteger(va, size: 2, mode: mode))
    }

    public func readU32(_ va: UInt64, mode: AccessMode = .kernel) throws(MemoryError) -> UInt32 {
        UInt32(try readInteger(va, size: 4, mode: mode))
    }

    public func readU64(_ va: UInt64, mode: AccessMode = .kernel) throws(MemoryError) -> UInt64 {
        try readInteger(va, size: 8, mode: mode)
    }

    public func writeU8(_ va: UInt64, _ value: UInt8, mode: AccessMode = .kernel) throws(MemoryError) {
        try write(va, [value], mode: mode)
    }

    public func writeU16(_ va: UInt64, _ value: UInt16, mode: AccessMode = .kernel) throws(MemoryError) {
        try writeInteger(va, UInt64(value), size: 2, mode: mode)
    }

    public func writeU32(_ va: UInt64, _ value: UInt32, mode: AccessMode = .kernel) throws(MemoryError) {
        try writeInteger(va, UInt64(value), size: 4, mode: mode)
    }

    public func writeU64(_ va: UInt64, _ value: UInt64, mode: AccessMode = .kernel) throws(MemoryError) {
        try writeInteger(va, value, size: 8, mode: mode)
    }

    /// A NUL-terminated 8-bit string (decoded as UTF-8, invalid bytes replaced), at most
    /// `maxLength` bytes before the terminator.
    public func readCString(_ va: UInt64, maxLength: Int, mode: AccessMode = .kernel) throws(MemoryError) -> String {
        var bytes: [UInt8] = []
        var address = va
        while true {
            let byte = try readU8(address, mode: mode)
            if byte == 0 { break }
            guard bytes.count < maxLength else { throw .unterminatedString(address: va, maxLength: maxLength) }
            bytes.append(byte)
            let (next, overflow) = address.addingReportingOverflow(1)
            guard !overflow else { throw .addressOverflow(address: va, count: bytes.count) }
            address = next
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A NUL-terminated UTF-16LE string of at most `maxCharacters` code units.
    public func readUTF16CString(_ va: UInt64, maxCharacters: Int,
                                 mode: AccessMode = .kernel) throws(MemoryError) -> String {
        var units: [UInt16] = []
        var address = va
        while true {
            let unit = try readU16(address, mode: mode)
            if unit == 0 { break }
            guard units.count < maxCharacters else { throw .unterminatedString(address: va, maxLength: maxCharacters) }
            units.append(unit)
            let (next, overflow) = address.addingReportingOverflow(2)
            guard !overflow else { throw .addressOverflow(address: va, count: units.count * 2) }
            address = next
        }
        return String(decoding: units, as: UTF16.self)
    }

    /// `byteCount` bytes of UTF-16LE (a UNICODE_STRING's Buffer and Length); an odd count
    /// drops the last byte.
    public func readUTF16(_ va: UInt64, byteCount: Int, mode: AccessMode = .kernel) throws(MemoryError) -> String {
        let bytes = try read(va, count: byteCount, mode: mode)
        let units = stride(from: 0, to: bytes.count - 1, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 }
        return String(decoding: units, as: UTF16.self)
    }

    // MARK: Internals

    private func readInteger(_ va: UInt64, size: Int, mode: AccessMode) throws(MemoryError) -> UInt64 {
        let bytes = try read(va, count: size, mode: mode)
        return bytes.enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }

    private func writeInteger(_ va: UInt64, _ value: UInt64, size: Int, mode: AccessMode) throws(MemoryError) {
        try write(va, (0..<size).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }, mode: mode)
    }

    /// Walks [va, va + count) page by page, checking each page, and hands out host memory.
    private func forEachChunk(_ va: UInt64, count: Int, write: Bool, mode: AccessMode,
                              _ body: (UnsafeMutableRawPointer, Int) -> Void) throws(MemoryError) {
        guard count >= 0, count <= Self.maximumTransfer else { throw .invalidArgument("transfer of \(count) bytes") }
        guard count > 0 else { return }
        guard !va.addingReportingOverflow(UInt64(count - 1)).overflow else {
            throw .addressOverflow(address: va, count: count)
        }
        // Check every page first so that a failing write changes nothing.
        var chunks: [(UnsafeMutableRawPointer, Int, UInt64)] = []
        var address = va
        var remaining = count
        while remaining > 0 {
            let offset = PageGeometry.pageOffset(address)
            let length = min(remaining, Int(PageGeometry.pageSize) - offset)
            let host = try hostPage(address, write: write, mode: mode)
            chunks.append((host + offset, length, address))
            remaining -= length
            address = address &+ UInt64(length)
        }
        for (host, length, chunkAddress) in chunks {
            body(host, length)
            if write { invalidateIfExecutable(chunkAddress) }
        }
    }

    private func hostPage(_ va: UInt64, write: Bool, mode: AccessMode) throws(MemoryError) -> UnsafeMutableRawPointer {
        if let pfn = pageTablePage(containing: va), let host = frames.host(pfn) {
            guard !write else { throw .accessDenied(address: va, write: true, effective: .read) }
            return host
        }
        guard let page = mapped[PageGeometry.pageNumber(va)], let host = frames.host(page.pfn) else {
            throw .notMapped(va)
        }
        if mode == .kernel {
            let rights = PageRights(rawValue: UInt8(page.protection.rawValue))
            let entry = readPTE(va)
            let bypass = write && !currentWriteProtect() && entry.present
                && verifier.slatRights(of: page.pfn).contains(.write)
            guard rights.contains(write ? .write : .read) || bypass else {
                throw .accessDenied(address: va, write: write, effective: rights)
            }
        }
        return host
    }

    /// Host-side writes bypass Unicorn's self-modifying-code tracking: drop translations of
    /// every executable mapping of the frame.
    private func invalidateIfExecutable(_ va: UInt64) {
        guard let pfn = mapped[PageGeometry.pageNumber(va)]?.pfn else { return }
        for vpn in mappingsOfFrame[pfn] ?? [] where mapped[vpn]?.protection.contains(.execute) == true {
            try? engine.invalidateTranslations(from: vpn << 12, to: (vpn << 12) &+ PageGeometry.pageSize)
        }
    }
}
