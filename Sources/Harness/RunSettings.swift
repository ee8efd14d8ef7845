import Kernel
import Scenario

/// The settings of one run, as `hvcisim run`'s options give them: a manifest scenario maps to
/// the RunOptions `run` would build from the same switches (Run.swift builds the same fields
/// from its command line), so a scenario reproduces with
/// `hvcisim run DRIVER --hvci … --verifier … --mode … --ioctl …`.
public struct RunSettings: Sendable {
    public var hvci = true
    public var verifier = true
    public var enforce = false
    public var limits = Limits()
    /// Output buffer size of every IOCTL sent (`--output-size`).
    public var outputSize = IoctlRequest(code: 0).outputLength
    /// Also send the codes a scan of the dispatch routine finds (`--no-discover-ioctls` clears it).
    public var discoverIoctls = true

    public init() {}

    /// The options for DriverRunner.run, as Run.swift's work closure sets them.
    public func runOptions(ioctls: [IoctlRequest], registry: RegistrySeed,
                           trace: (@Sendable (String) -> Void)? = nil) -> RunOptions {
        var options = RunOptions(hvci: hvci, enforcement: enforce ? .enforce : .audit, limits: limits,
                                 preferredBase: false, trace: trace)
        options.verifier = verifier
        options.outputLength = outputSize
        options.ioctls = ioctls
        options.discoverIoctls = discoverIoctls
        options.registry = registry
        return options
    }

    /// The same run as an `hvcisim run` command line (for a failing scenario's report).
    public func commandLine(driver: String, ioctls: [IoctlSpec]) -> String {
        var words = ["hvcisim", "run", driver, "--hvci", hvci ? "on" : "off", "--verifier", verifier ? "on" : "off",
                     "--mode", enforce ? "enforce" : "audit"]
        let defaults = Limits()
        if limits.maxInstructions != defaults.maxInstructions { words += ["--max-instructions", "\(limits.maxInstructions)"] }
        if limits.timeoutSeconds != defaults.timeoutSeconds { words += ["--timeout", "\(limits.timeoutSeconds)"] }
        if limits.guestMemoryBytes != defaults.guestMemoryBytes { words += ["--memory-limit", "\(limits.guestMemoryBytes >> 20)"] }
        if limits.kernelCalls != defaults.kernelCalls { words += ["--kernel-call-limit", "\(limits.kernelCalls)"] }
        if outputSize != IoctlRequest(code: 0).outputLength { words += ["--output-size", "\(outputSize)"] }
        for ioctl in ioctls {
            let code = "0x" + String(ioctl.code, radix: 16)
            if let file = ioctl.inputFile {
                words += ["--ioctl", "\(code):@\(file)"]
            } else {
                words += ["--ioctl", ioctl.input.isEmpty ? code : code + ":" + ioctl.input.map(HexText.byte).joined()]
            }
        }
        if !discoverIoctls { words.append("--no-discover-ioctls") }
        return words.joined(separator: " ")
    }
}

enum HexText {
    static func byte(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xf)]])
    }
}
