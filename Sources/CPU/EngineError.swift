import CUnicorn
import CUnicornShim  // unicorn.h is included by both C modules; its constants (UC_ERR_OK) resolve through either

/// A Unicorn error code (`uc_err`), mirrored so callers can match on it without importing C.
public enum UnicornError: UInt32, Sendable, Hashable, CaseIterable {
    case ok = 0, noMemory, arch, handle, mode, version
    case readUnmapped, writeUnmapped, fetchUnmapped
    case hook, invalidInstruction, map
    case writeProtected, readProtected, fetchProtected
    case argument, readUnaligned, writeUnaligned, fetchUnaligned
    case hookExists, resource, exception
    /// A code this wrapper does not know (newer Unicorn).
    case unknown = 0xFFFF_FFFF

    init(_ raw: uc_err) { self = UnicornError(rawValue: raw.rawValue) ?? .unknown }

    /// Unicorn's own text for the code (`uc_strerror`).
    public var message: String {
        guard self != .unknown else { return "unknown Unicorn error" }
        return String(cString: uc_strerror(uc_err(rawValue)))
    }
}

/// Errors of the CPU layer. Every Unicorn failure carries the operation, the code and its text.
public enum EngineError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A Unicorn call returned an error.
    case unicorn(operation: String, code: UnicornError, message: String)
    /// An argument the wrapper rejected before calling Unicorn (alignment, overflow, size).
    case invalidArgument(String)
    /// Capstone could not be opened or could not decode the bytes.
    case disassembly(String)

    public var description: String {
        switch self {
        case let .unicorn(operation, code, message): return "\(operation): \(message) (uc_err \(code.rawValue))"
        case let .invalidArgument(text): return "invalid argument: \(text)"
        case let .disassembly(text): return "disassembly: \(text)"
        }
    }

    /// The Unicorn code, if this is a Unicorn failure.
    public var unicornCode: UnicornError? {
        if case let .unicorn(_, code, _) = self { return code }
        return nil
    }
}

@inline(__always)
func check(_ status: uc_err, _ operation: @autoclosure () -> String) throws(EngineError) {
    guard status != UC_ERR_OK else { return }
    let code = UnicornError(status)
    throw .unicorn(operation: operation(), code: code, message: code.message)
}
