/// How bad a finding is. `error` makes an image incompatible with HVCI.
public enum Severity: String, Sendable, Comparable, CaseIterable {
    case note, warning, error

    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
    private var rank: Int { self == .note ? 0 : self == .warning ? 1 : 2 }
}

/// When a finding was made: from the file alone, or while the driver ran.
public enum Phase: String, Sendable {
    case `static`, runtime
}

/// The Driver Verifier bug check a finding corresponds to: bug check 0xC4
/// with p1 = the code-integrity subcode (0x2000–0x2005), or a hardware-level
/// bug check such as 0xBE or 0xFC. Parameters are kept as display strings
/// because DV puts names (image file name, section name) in some of them.
public struct BugCheck: Sendable, Equatable {
    public var code: UInt32
    public var parameters: [String]

    public init(code: UInt32, parameters: [String]) {
        self.code = code
        self.parameters = parameters
    }

    /// DRIVER_VERIFIER_DETECTED_VIOLATION.
    public static let driverVerifierViolation: UInt32 = 0xC4
}

/// A place in guest code, symbolised for people: `drv.sys!.text+0x1a2 (DriverEntry+0x32)`.
public struct CodeSite: Sendable, Equatable {
    public var address: UInt64
    public var symbol: String

    public init(address: UInt64, symbol: String) {
        self.address = address
        self.symbol = symbol
    }
}

/// One thing the tool found about a driver, with what to do about it.
public struct Finding: Sendable, Equatable {
    /// "0x2003" for checks with a Driver Verifier code, otherwise a stable
    /// upper-case name such as "NX_COMPAT_MISSING".
    public var code: String
    public var title: String
    public var severity: Severity
    public var phase: Phase
    /// Image section the finding is about, if any.
    public var section: String?
    /// One-line fix, in the terms of the Windows toolchain.
    public var fix: String
    public var bugCheck: BugCheck?
    /// Extra facts, in a fixed order, for text and JSON output.
    public var details: [(key: String, value: String)]
    /// Run time only: where in the driver it happened (the call site of a DDI,
    /// the faulting instruction of a trap).
    public var site: CodeSite?
    /// Run time only: the disassembled faulting instruction.
    public var instruction: String?
    /// Run time only: the faulting instruction's bytes, kept so that its text
    /// can be disassembled after the run (see DriverRunner) rather than while
    /// the emulator's memory is still in use.
    public var instructionBytes: [UInt8]
    /// Run time only: the call stack, innermost first, after `site`.
    public var stack: [CodeSite]

    public init(code: String, title: String, severity: Severity, phase: Phase, section: String? = nil,
                fix: String, bugCheck: BugCheck? = nil, details: [(key: String, value: String)] = [],
                site: CodeSite? = nil, instruction: String? = nil, instructionBytes: [UInt8] = [],
                stack: [CodeSite] = []) {
        self.code = code
        self.title = title
        self.severity = severity
        self.phase = phase
        self.section = section
        self.fix = fix
        self.bugCheck = bugCheck
        self.details = details
        self.site = site
        self.instruction = instruction
        self.instructionBytes = instructionBytes
        self.stack = stack
    }

    public static func == (a: Finding, b: Finding) -> Bool {
        a.code == b.code && a.title == b.title && a.severity == b.severity && a.phase == b.phase
            && a.section == b.section && a.fix == b.fix && a.bugCheck == b.bugCheck
            && a.details.map(\.key) == b.details.map(\.key) && a.details.map(\.value) == b.details.map(\.value)
            && a.site == b.site && a.instruction == b.instruction && a.stack == b.stack
    }
}

