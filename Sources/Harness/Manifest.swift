import JSON
import Scenario

/// A regression-test manifest (docs/manifest.md): drivers, the scenarios each runs under, and
/// what each scenario expects. Paths are resolved against the manifest's folder; the files are
/// read by the CLI, which reports a missing one at the line that names it.
public struct Manifest: Sendable {
    /// The manifest's path as given (errors name it).
    public var file: String
    public var drivers: [DriverSpec]

    /// Decodes YAML (anything not starting with `{`) or JSON bytes.
    public static func parse(_ bytes: [UInt8], file: String) throws(ManifestError) -> Manifest {
        let (value, lines) = try ManifestSyntax.read(bytes, file: file)
        var decoder = ManifestDecoder(file: file, lines: lines)
        return try decoder.manifest(value)
    }
}

public struct DriverSpec: Sendable {
    /// Resolved against the manifest's folder.
    public var path: String
    /// `name`, else the file name.
    public var name: String
    /// The line of `path:` (a missing file is reported there).
    public var line: Int
    public var scenarios: [ScenarioSpec]
}

public struct ScenarioSpec: Sendable {
    public var name: String
    public var line: Int
    public var settings: RunSettings
    public var ioctls: [IoctlSpec]
    /// A registry seed file (resolved), and the line naming it.
    public var registry: (path: String, line: Int)?
    public var expect: ExpectationSet
}

/// One IOCTL to send: its input given inline (hex) or read from `inputFile`.
public struct IoctlSpec: Sendable {
    public var code: UInt32
    public var input: [UInt8]
    /// Resolved; read by the CLI in place of `input`.
    public var inputFile: String?
    public var line: Int
}

/// What a scenario must show. Empty lists and nil values are not checked.
public struct ExpectationSet: Sendable {
    public var verdict: String?
    public var exitStatus: Int?
    /// Finding codes that must appear somewhere in the report ("0x2000", "DATA_EXECUTION").
    public var codes: [String] = []
    /// Finding codes that must not appear.
    public var absentCodes: [String] = []
    public var entryPoints: [EntryPointExpectation] = []

    public init() {}
}

public struct EntryPointExpectation: Sendable {
    /// As the report names the entry point ("DriverEntry", "IRP_MJ_DEVICE_CONTROL 0x222004").
    public var name: String
    /// The outcome kind (returned, bug-check, timeout, …).
    public var outcome: String?
    /// "STATUS_SUCCESS" or a number ("0x0"): the value it returned.
    public var status: String?
    /// The bug check code ("0xfc").
    public var bugCheck: String?
    /// Finding codes that must appear in this entry point.
    public var codes: [String] = []
}

/// The two syntaxes, read into one value with the line of each member.
enum ManifestSyntax {
    static func read(_ bytes: [UInt8], file: String) throws(ManifestError) -> (JSONValue, SourceLines) {
        let start = bytes.firstIndex(where: { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) })
        if let start, bytes[start] == UInt8(ascii: "{") {
            do {
                let value = try JSONValue.parse(bytes)
                return (value, JSONLines.map(bytes))
            } catch {
                throw ManifestError(file: file, line: error.line, message: "not valid JSON: column \(error.column): \(error.message)")
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ManifestError(file: file, line: 0, message: "not UTF-8 text")
        }
        do {
            let (value, lines) = try YAMLSubset.parse(text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text)
            return (value, lines)
        } catch {
            throw ManifestError(file: file, line: error.line, message: error.message)
        }
    }
}
