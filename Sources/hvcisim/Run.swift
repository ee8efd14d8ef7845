import ArgumentParser
import Events
import Foundation
import Kernel
import Memory
import PEImage
import Report
import Scenario

enum HVCISetting: String, ExpressibleByArgument, CaseIterable {
    case on, off, both
}

enum ModeSetting: String, ExpressibleByArgument, CaseIterable {
    case audit, enforce
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a driver's DriverEntry (and DriverUnload) in an emulated x64 CPU under HVCI.",
        discussion: """
        The image is checked and loaded as Windows would (with HVCI on, Code Integrity refuses an image \
        with a writable+executable section), DriverEntry is called with a DRIVER_OBJECT and registry \
        path, and every violation is trapped and reported with its call site, instruction, target and fix:
          CODE_PAGE_WRITE   write to a code page (0xBE)        DATA_EXECUTION  run non-verified memory (0xFC)
          PTE_TAMPER        PTE edit making data executable    CR0_WP_BYPASS   write with CR0.WP cleared
          0x2000/0x2001/0x2002  Driver Verifier: executable pool / protection / MDL mapping (bug check 0xC4)
        --mode audit (default) logs, denies and goes on, so one run finds every violation; \
        --mode enforce stops at the first, as Windows would. Limits end an entry point with that outcome.

        Exit status: 0 no error finding; 1 at least one error finding (static or run time); 2 the file \
        could not be analysed or the command line is wrong.

        Examples:
          hvcisim run driver.sys
          hvcisim run driver.sys --hvci both --format json -o run.json
          hvcisim run driver.sys --mode enforce --trace
        """)

    @Argument(help: ArgumentHelp("The driver image (.sys, x64).", valueName: "driver"))
    var driver: String

    @Option(help: "HVCI on, off, or both (two runs, side by side).")
    var hvci: HVCISetting = .on

    @Option(help: "audit: log, deny, continue; enforce: stop at the first violation.")
    var mode: ModeSetting = .audit

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Option(name: [.short, .long], help: ArgumentHelp("Write the report to this file.", valueName: "file"))
    var output: String?

    @Flag(help: "Print each kernel call and each trap (with its disassembly) to stderr as it happens.")
    var trace = false

    @Option(help: "Instructions per entry point (0: do not count; fastest).")
    var maxInstructions: Int = Limits().maxInstructions

    @Option(help: "Wall-clock seconds per entry point.")
    var timeout: Double = Limits().timeoutSeconds

    @Option(help: "Guest memory cap in MiB.")
    var memoryLimit: Int = Limits().guestMemoryBytes >> 20

    @Option(help: "Calls into the kernel model per run.")
    var kernelCallLimit: Int = Limits().kernelCalls

    @Option(help: "Kernel stack size in bytes (bounds call depth).")
    var stackSize: Int = Limits().stackBytes

    @Flag(help: "Load at a kernel address and apply base relocations instead of the preferred base.")
    var relocate = false

    @Option(name: .customLong("ioctl"), help: ArgumentHelp(
        "Send IRP_MJ_DEVICE_CONTROL with this code (hex or decimal) and optional input bytes in hex; repeatable.",
        valueName: "code[:hex]"))
    var ioctls: [String] = []

    @Flag(help: "Do not send the IOCTL codes found by scanning the dispatch routine.")
    var noDiscoverIoctls = false

    @Option(help: ArgumentHelp("Registry keys and values the driver sees (JSON; see docs/registry.md).",
                               valueName: "file"))
    var registry: String?

    func validate() throws {
        guard maxInstructions >= 0 else { throw ValidationError("--max-instructions must be 0 or more") }
        guard timeout > 0, timeout <= 3600 else { throw ValidationError("--timeout must be between 0 and 3600 seconds") }
        guard (1...16384).contains(memoryLimit) else { throw ValidationError("--memory-limit must be 1 to 16384 MiB") }
        guard kernelCallLimit > 0 else { throw ValidationError("--kernel-call-limit must be positive") }
        guard (0x2000...(64 << 20)).contains(stackSize) else { throw ValidationError("--stack-size must be 8 KiB to 64 MiB") }
        _ = try parsedIoctls()
    }

    /// `--ioctl 0x222004:01020304` → code and input bytes.
    func parsedIoctls() throws -> [IoctlRequest] {
        try ioctls.map { text in
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            let codeText = parts[0].lowercased()
            let code = codeText.hasPrefix("0x") ? UInt32(codeText.dropFirst(2), radix: 16) : UInt32(codeText)
            guard let code else { throw ValidationError("--ioctl \(text): the code must be a 32-bit number (0x… or decimal)") }
            var input: [UInt8] = []
            if parts.count == 2 {
                let hex = Array(parts[1].filter { !$0.isWhitespace })
                guard hex.count % 2 == 0, hex.count <= 2 << 20 else {
                    throw ValidationError("--ioctl \(text): the input must be an even number of hex digits (at most 1 MiB)")
                }
                for index in stride(from: 0, to: hex.count, by: 2) {
                    guard let byte = UInt8(String(hex[index...index + 1]), radix: 16) else {
                        throw ValidationError("--ioctl \(text): '\(String(hex[index...index + 1]))' is not a hex byte")
                    }
                    input.append(byte)
                }
            }
            return IoctlRequest(code: code, input: input)
        }
    }

    @Sendable static func writeTrace(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    func run() throws {
        var seed = RegistrySeed()
        if let registry {
            do {
                seed = try RegistrySeed.load(path: registry)
            } catch {
                FileHandle.standardError.write(Data("hvcisim: \(registry): \(error)\n".utf8))
                throw ExitCode(2)
            }
        }
        let image: ImageReport
        do {
            image = try ImageReport(path: driver, bytes: try InputFiles.read(driver))
        } catch {
            FileHandle.standardError.write("hvcisim: \(driver): \(error)\n")
            throw ExitCode(2)
        }
        var limits = Limits()
        limits.maxInstructions = maxInstructions
        limits.timeoutSeconds = timeout
        limits.guestMemoryBytes = memoryLimit << 20
        limits.kernelCalls = kernelCallLimit
        limits.stackBytes = stackSize
        let tracer: (@Sendable (String) -> Void)? = trace ? Run.writeTrace : nil
        let settings: [Bool] = hvci == .both ? [true, false] : [hvci == .on]
        let name = URL(fileURLWithPath: driver).lastPathComponent
        let runs = settings.map { on in
            tracer?("== run with HVCI \(on ? "on" : "off") ==")
            var options = RunOptions(hvci: on, enforcement: mode == .audit ? .audit : .enforce,
                                     limits: limits, relocate: relocate, trace: tracer)
            options.ioctls = (try? parsedIoctls()) ?? []
            options.discoverIoctls = !noDiscoverIoctls
            options.registry = seed
            return DriverRunner.run(image.image, name: name, options: options)
        }
        let report = RunReport(image: image, runs: runs)
        let rendered = format == .json ? JSONReport.document(for: report).rendered() : TextReport.render(report)
        try OutputSink.write(rendered, to: output)
        if report.verdict == .incompatible { throw ExitCode(1) }
    }
}
