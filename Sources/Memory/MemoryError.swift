import CPU

/// Failures of the memory model. Values, never traps: guest-controlled input ends here.
public enum MemoryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Allocating would exceed the configured guest-memory cap.
    case outOfGuestMemory(requestedPages: Int, limitBytes: Int)
    /// No free virtual range of that size is left in the arena.
    case outOfAddressSpace(pages: Int)
    case invalidArgument(String)
    /// Address arithmetic on a guest value overflowed.
    case addressOverflow(address: UInt64, count: Int)
    /// The requested range overlaps an existing allocation or the self-map.
    case overlap(UInt64)
    /// No allocation starts at this address.
    case notAllocated(UInt64)
    /// A page in the range is not mapped (PTE not present or no frame).
    case notMapped(UInt64)
    /// The page's effective rights (PTE ∧ SLAT) forbid the access.
    case accessDenied(address: UInt64, write: Bool, effective: PageRights)
    /// No terminator within the maximum length.
    case unterminatedString(address: UInt64, maxLength: Int)
    /// The CI verifier refused (e.g. the frame is not image code).
    case verificationRefused(pfn: PFN, reason: String)
    case engine(EngineError)
    /// The mapping is too fragmented for the emulator (QEMU's section limit).
    case tooManyRegions(Int)
    /// A kernel routine's access for the driver was refused and the policy stops there
    /// (`MemoryModel.write(_:_:for:)`); the violation is already logged.
    case refused(Violation)

    public var description: String {
        func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }
        switch self {
        case let .outOfGuestMemory(pages, limit): return "guest memory cap of \(limit) bytes reached (asked \(pages) pages)"
        case let .outOfAddressSpace(pages): return "no free virtual range of \(pages) pages"
        case let .invalidArgument(text): return "invalid argument: \(text)"
        case let .addressOverflow(address, count): return "address overflow at \(hex(address)) + \(count)"
        case let .overlap(address): return "range at \(hex(address)) overlaps existing memory"
        case let .notAllocated(address): return "no allocation at \(hex(address))"
        case let .notMapped(address): return "\(hex(address)) is not mapped"
        case let .accessDenied(address, write, effective):
            return "\(write ? "write" : "read") at \(hex(address)) denied (effective \(effective))"
        case let .unterminatedString(address, max): return "no terminator within \(max) at \(hex(address))"
        case let .verificationRefused(pfn, reason): return "CI refused frame \(hex(pfn)): \(reason)"
        case let .engine(error): return error.description
        case let .tooManyRegions(limit): return "more than \(limit) separate memory regions (mapping too fragmented)"
        case let .refused(violation): return violation.description
        }
    }
}
