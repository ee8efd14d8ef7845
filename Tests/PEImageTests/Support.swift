import PEImage
import Testing

/// The case of a `PEError`, without its payload, so tests can say which one they expect.
enum PEErrorKind: String, Sendable {
    case truncated, badMagic, invalidValue, badRVA, inconsistent, unreadable
}

extension PEError {
    var kind: PEErrorKind {
        switch self {
        case .truncated: .truncated
        case .badMagic: .badMagic
        case .invalidValue: .invalidValue
        case .badRVA: .badRVA
        case .inconsistent: .inconsistent
        case .unreadable: .unreadable
        }
    }

    /// The structure or field the error names.
    var field: String {
        switch self {
        case let .truncated(field, _, _, _), let .badMagic(field, _, _, _), let .invalidValue(field, _, _, _),
             let .badRVA(field, _, _, _), let .inconsistent(field, _, _):
            field
        case let .unreadable(path, _): path
        }
    }

    /// The file offset the error points at (nil for `unreadable`).
    var offset: Int? {
        switch self {
        case let .truncated(_, offset, _, _), let .badMagic(_, offset, _, _), let .invalidValue(_, offset, _, _),
             let .badRVA(_, offset, _, _), let .inconsistent(_, offset, _):
            offset
        case .unreadable: nil
        }
    }
}

/// Parses `bytes` expecting a `PEError` of `kind` whose field contains `field`
/// and whose message names it too; returns the error for further checks.
@discardableResult
func expectPEError(_ bytes: [UInt8], _ kind: PEErrorKind, field: String,
                   sourceLocation: SourceLocation = #_sourceLocation) -> PEError? {
    do {
        _ = try PEFile(bytes: bytes)
        Issue.record("parsed without error; expected \(kind) naming \(field)", sourceLocation: sourceLocation)
        return nil
    } catch let error as PEError {
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        #expect(error.field.contains(field), "field \"\(error.field)\" does not name \(field)", sourceLocation: sourceLocation)
        #expect(error.description.contains(field), "message does not name \(field): \(error)", sourceLocation: sourceLocation)
        #expect(!error.description.contains("\n"), "message is not one line: \(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("threw a non-PEError: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Deterministic pseudo-random numbers (SplitMix64) for reproducible mutations.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
