import Events
import PEImage
import StaticChecks

/// Name and version written into every report.
public enum Tool {
    public static let name = "hvcisim"
    public static let version = "0.1.0"
}

/// The version of the JSON report layout (docs/report-schema.md). Bump the
/// major part when a field is removed or changes meaning.
public enum ReportSchema {
    public static let version = "1.0"
}

/// Everything `check` knows about one image file.
public struct ImageReport: Sendable {
    public var path: String
    public var sha256: String
    public var image: PEFile
    public var findings: [Finding]
    public var verdict: Verdict { Verdict(findings: findings) }

    /// Parses `bytes`, runs the static checks and hashes the file.
    public init(path: String, bytes: [UInt8]) throws {
        try self.init(path: path, bytes: bytes, sha256: nil)
    }

    /// As `init(path:bytes:)`, with the file's SHA-256 (64 lower-case hex
    /// digits) already computed, for callers that hash several files at once
    /// (`SHA256.hexDigests`). nil: hash `bytes` here.
    public init(path: String, bytes: [UInt8], sha256: String?) throws {
        let image = try PEFile(bytes: bytes)
        self.path = path
        self.image = image
        self.sha256 = sha256 ?? SHA256.hexDigest(bytes)
        self.findings = CodeIntegrityChecks.run(on: image, fileName: Self.fileName(of: path))
    }

    static func fileName(of path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
