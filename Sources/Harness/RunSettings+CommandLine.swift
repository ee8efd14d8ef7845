import Scenario

extension RunSettings {
    /// The same run as an `hvcisim run` command line, for a failed scenario's report: only the
    /// options that differ from `run`'s defaults, plus the IOCTLs as the manifest gave them.
    public func commandLine(driver: String, ioctls: [IoctlSpec]) -> String {
        var words = ["hvcisim", "run", driver, "--hvci", hvci.count == 2 ? "both" : (hvci.first == false ? "off" : "on"),
                     "--verifier", verifier ? "on" : "off", "--mode", enforcement == .enforce ? "enforce" : "audit"]
        let defaults = Limits()
        if limits.maxInstructions != defaults.maxInstructions { words += ["--max-instructions", "\(limits.maxInstructions)"] }
        if limits.timeoutSeconds != defaults.timeoutSeconds { words += ["--timeout", "\(limits.timeoutSeconds)"] }
        if limits.guestMemoryBytes != defaults.guestMemoryBytes { words += ["--memory-limit", "\(limits.guestMemoryBytes >> 20)"] }
        if limits.kernelCalls != defaults.kernelCalls { words += ["--kernel-call-limit", "\(limits.kernelCalls)"] }
        if outputLength != IoctlRequest(code: 0).outputLength { words += ["--output-size", "\(outputLength)"] }
        for ioctl in ioctls {
            let code = "0x" + String(ioctl.code, radix: 16)
            if let file = ioctl.inputFile {
                words += ["--ioctl", "\(code):@\(file)"]
            } else {
                words += ["--ioctl", ioctl.input.isEmpty ? code : code + ":" + ioctl.input.map(Self.hexByte).joined()]
            }
        }
        if !discoverIoctls { words.append("--no-discover-ioctls") }
        return words.joined(separator: " ")
    }

    static func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xf)]])
    }
}
