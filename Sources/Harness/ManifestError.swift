/// What is wrong with a manifest, and where: printed as one line,
/// "manifest.yaml:12: scenario 'ioctl' has unknown key 'hvcii'".
public struct ManifestError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The manifest's path as given on the command line.
    public var file: String
    /// 1-based; 0 when no line applies (the file could not be read at all).
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
}

/// Where each value of a manifest was written: the line of a mapping member's key or of a
/// sequence item, by its path ("drivers[0].scenarios[1].expect"). Both readers fill it, so a
/// decoding error names a line whether the manifest is YAML or JSON.
public struct SourceLines: Sendable {
    var lines: [String: Int] = [:]

    public init() {}

    public subscript(path: String) -> Int {
        get {
            // A value not recorded (it is absent) is reported at its nearest recorded parent.
            var path = Substring(path)
            while !path.isEmpty {
                if let line = lines[String(path)] { return line }
                guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
                path = path[..<cut]
            }
            return lines[""] ?? 1
        }
        set { lines[path] = newValue }
    }

    static func member(_ parent: String, _ key: String) -> String { parent.isEmpty ? key : parent + "." + key }
    static func item(_ parent: String, _ index: Int) -> String { parent + "[\(index)]" }
}
