import CUnicorn

/// Unicorn region permissions (`uc_prot`): what the emulated CPU may do with a mapped page.
public struct Protection: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue & 7 }

    public static let read = Protection(rawValue: UC_PROT_READ.rawValue)
    public static let write = Protection(rawValue: UC_PROT_WRITE.rawValue)
    public static let execute = Protection(rawValue: UC_PROT_EXEC.rawValue)
    public static let none: Protection = []
    public static let all: Protection = [.read, .write, .execute]

    /// "rwx" style, with "-" for a missing right.
    public var description: String {
        (contains(.read) ? "r" : "-") + (contains(.write) ? "w" : "-") + (contains(.execute) ? "x" : "-")
    }
}
