import JSON
import Scenario

/// `--ioctl CODE`, `--ioctl CODE:HEX`, `--ioctl CODE:@FILE`: the IOCTLs `run` sends.
/// CODE is a 32-bit number (0x… hex or decimal); HEX is the input buffer as hex digits
/// (`HexBytes`: spaces, ':' and ',' allowed between them); @FILE reads the input buffer
/// from a file. Input is capped at 1 MiB.
enum IoctlArgument {
    static let maxInput = 1 << 20

    static func parse(_ text: String, outputLength: Int) throws(UsageError) -> IoctlRequest {
        let colon = text.firstIndex(of: ":")
        let codeText = String(colon.map { text[..<$0] } ?? text[...]).lowercased()
        guard !codeText.isEmpty else {
            throw UsageError("--ioctl '\(text)': the IOCTL code is missing (expected CODE, CODE:HEX or CODE:@FILE)")
        }
        let code = codeText.hasPrefix("0x") ? UInt32(codeText.dropFirst(2), radix: 16) : UInt32(codeText)
        guard let code else { throw UsageError("--ioctl '\(text)': the code must be a 32-bit number (0x… or decimal)") }
        guard let colon else { return IoctlRequest(code: code, input: [], outputLength: outputLength) }
        let rest = text[text.index(after: colon)...]
        if rest.hasPrefix("@") {
            return IoctlRequest(code: code, input: try file(String(rest.dropFirst()), option: text), outputLength: outputLength)
        }
        return IoctlRequest(code: code, input: try hexBytes(rest, option: text), outputLength: outputLength)
    }

    private static func hexBytes(_ text: Substring, option: String) throws(UsageError) -> [UInt8] {
        guard let bytes = HexBytes.decode(text) else {
            throw UsageError("--ioctl '\(option)': the input must be \(HexBytes.rule)")
        }
        guard bytes.count <= maxInput else { throw UsageError("--ioctl '\(option)': the input is larger than 1 MiB") }
        return bytes
    }

    private static func file(_ path: String, option: String) throws(UsageError) -> [UInt8] {
        guard !path.isEmpty else { throw UsageError("--ioctl '\(option)': no file named after '@'") }
        let bytes: [UInt8]
        do {
            bytes = try InputFiles.read(path)
        } catch {
            throw UsageError("--ioctl '\(option)': \(error)")
        }
        guard bytes.count <= maxInput else { throw UsageError("--ioctl '\(option)': \(path) is larger than 1 MiB") }
        return bytes
    }
}
