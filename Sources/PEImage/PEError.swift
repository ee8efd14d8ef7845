/// Why an image could not be parsed. Every case names the structure or field
/// that is wrong and, where one exists, the file offset it was read from, so a
/// one-line message is enough to find the problem in a hex editor.
public enum PEError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file ends before `field` (which starts at `offset` and needs `size` bytes).
    case truncated(field: String, offset: Int, size: Int, fileSize: Int)
    /// A magic number or signature is not what the format requires.
    case badMagic(field: String, offset: Int, found: UInt64, expected: UInt64)
    /// A value is outside what the format or the Windows loader accepts.
    case invalidValue(field: String, offset: Int, value: UInt64, reason: String)
    /// An RVA that points outside the image or into no section with file data.
    case badRVA(field: String, offset: Int, rva: UInt64, reason: String)
    /// A structure is inconsistent with another (overlap, loop, bad order).
    case inconsistent(field: String, offset: Int, reason: String)
    /// The file cannot be read at all.
    case unreadable(path: String, reason: String)

    /// One line, with control characters from the file escaped: names in a
    /// hostile file must not break the one-line error or drive the terminal.
    public var description: String { printable(rawDescription) }

    private var rawDescription: String {
        switch self {
        case let .truncated(field, offset, size, fileSize):
            return "truncated: \(field) at file offset \(hex(offset)) needs \(size) bytes but the file has \(fileSize)"
        case let .badMagic(field, offset, found, expected):
            return "bad \(field) at file offset \(hex(offset)): found \(hex(found)), expected \(hex(expected))"
        case let .invalidValue(field, offset, value, reason):
            return "invalid \(field) \(hex(value)) at file offset \(hex(offset)): \(reason)"
        case let .badRVA(field, offset, rva, reason):
            return "bad RVA in \(field) (\(hex(rva)), read at file offset \(hex(offset))): \(reason)"
        case let .inconsistent(field, offset, reason):
            return "inconsistent \(field) at file offset \(hex(offset)): \(reason)"
        case let .unreadable(path, reason):
            // The CLI puts the path in front of every message ("hvcisim: PATH: reason").
            _ = path
            return reason
        }
    }
}

/// `0x…` in lower-case hex; used for every number a user reads.
@inlinable
public func hex<T: BinaryInteger>(_ value: T) -> String {
    "0x" + String(value, radix: 16)
}

/// `text` with C0/C1 control characters written as `\u{1b}`: for anything read
/// from a file that ends up on a terminal or in a one-line message.
public func printable(_ text: String) -> String {
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
        if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
            out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16))}".unicodeScalars)
        } else {
            out.append(scalar)
        }
    }
    return String(out)
}
