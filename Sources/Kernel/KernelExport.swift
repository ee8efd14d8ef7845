/// A kernel-mode module a driver imports from, by its lower-case file name.
public struct KernelModule: Hashable, Sendable, CustomStringConvertible {
    public let name: String

    public init(_ name: String) { self.name = name.lowercased() }

    public var description: String { name }

    public static let ntoskrnl = KernelModule("ntoskrnl.exe")
    /// Since Windows 10 2004 the HAL lives in ntoskrnl.exe and hal.dll forwards
    /// to it; functions the WDK declares NTHALAPI (hal.lib) are registered here.
    public static let hal = KernelModule("hal.dll")
    public static let fltmgr = KernelModule("fltmgr.sys")
    public static let ndis = KernelModule("ndis.sys")
    public static let fwpkclnt = KernelModule("fwpkclnt.sys")
    public static let wdfldr = KernelModule("wdfldr.sys")
    public static let ksecdd = KernelModule("ksecdd.sys")
    public static let cng = KernelModule("cng.sys")
    /// Not an import module: the KMDF function table that WdfVersionBind hands
    /// out (the framework is Wdf01000.sys). Its entries are reached through the
    /// table, never by import, so `ExportTable.binding` never returns them.
    public static let kmdf = KernelModule("wdf01000.sys")
}

/// One registration of the kernel model: which module exports the function,
/// its name, the Swift handler, and whether the handler is a model or a stub.
///
/// Areas declare these in array literals, one line per export, so that
/// `grep -rn '"ExAllocatePool"' Sources/Kernel` finds the module and handler:
///
///     .ntoskrnl("ExFreePool") { try free($0, $0.arg(0)) },
///     .ntoskrnl("EtwWrite") { _ in 0 }.stub("ETW events are not recorded"),
public struct KernelExport: Sendable {
    /// Modelled: the handler reads its arguments and does what the DDI documents
    /// (or the function takes no arguments and returns the model's own state).
    /// Stub: the handler ignores its arguments and returns a fixed value; the
    /// reason says why that is enough. Calls to stubs are counted apart.
    public enum Status: Sendable, Equatable {
        case modelled
        case stub(String)
    }

    public let module: KernelModule
    public let name: String
    public let status: Status
    /// The source file that registers the export, relative to the package
    /// ("Sources/Kernel/Areas/Pool.swift"), for `hvcisim apis --where`.
    public let file: String
    let handler: KernelHandler

    init(_ module: KernelModule, _ name: String, _ status: Status, file: String, _ handler: @escaping KernelHandler) {
        self.module = module
        self.name = name
        self.status = status
        self.file = Self.packageRelative(file)
        self.handler = handler
    }

    /// A model registered from `file` (`#filePath` of the area).
    init(_ module: KernelModule, _ name: String, _ file: String, _ handler: @escaping KernelHandler) {
        self.init(module, name, .modelled, file: file, handler)
    }

    /// "ntoskrnl.exe!ExAllocatePoolWithTag"
    public var qualifiedName: String { module.name + "!" + name }

    public var isStub: Bool {
        if case .stub = status { return true }
        return false
    }

    /// The stub's one-line reason, nil for a model.
    public var stubReason: String? {
        if case .stub(let reason) = status { return reason }
        return nil
    }

    /// `#filePath` is absolute on the build machine; keep the part from `Sources/` on.
    static func packageRelative(_ path: String) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard let index = parts.lastIndex(of: "Sources") else { return path }
        return parts[index...].joined(separator: "/")
    }
}

/// One factory per module: `.ntoskrnl("Name") { … }` registers a model; `.stub("why")`
/// after the handler turns it into a stub with its reason.
extension KernelExport {
    static func ntoskrnl(_ name: String, file: String = #filePath, _ handler: @escaping KernelHandler) -> Self { Self(.ntoskrnl, name, file, handler) }
    static func hal(_ name: String, file: String = #filePath, _ handler: @escaping KernelHandler) -> Self { Self(.hal, name, file, handler) }
    static func fltmgr(_ name: String, file: String = #filePath, _ handler: @escaping KernelHandler) -> Self { Self(.fltmgr, name, file, handler) }
    static func ndis(_ name: String, file: String = #filePath, _ handler: @escaping KernelHandler) -> Self { Self(.ndis, name, file, handler) }
    static func fwpkclnt(_ name: String, file: String = #filePath, _ handler: @escaping KernelHandler) -> Self { Self(.fwpkclnt, name, file, handler) }
    static func wdfldr(_ name: String, file: String = #filePath, _ handler: @escaping KernelHandler) -> Self { Self(.wdfldr, name, file, handler) }
    static func ksecdd(_ name: String, file: String = #filePath, _ handler: @escaping KernelHandler) -> Self { Self(.ksecdd, name, file, handler) }
    static func cng(_ name: String, file: String = #filePath, _ handler: @escaping KernelHandler) -> Self { Self(.cng, name, file, handler) }
    /// An entry of the KMDF function table (WDFFUNCENUM name).
    static func kmdf(_ name: String, file: String = #filePath, _ handler: @escaping KernelHandler) -> Self { Self(.kmdf, name, file, handler) }

    /// The same registration, marked as a stub: its handler ignores the arguments
    /// and returns a fixed value, for the one-line `reason` given.
    func stub(_ reason: String) -> KernelExport {
        KernelExport(module, name, .stub(reason), file: file, handler)
    }
}

/// Collects registrations in areas that build their list in code, in the same
/// spelling as the array-literal form: `list.ntoskrnl("memcpy") { try copy($0) }`.
struct ExportList {
    private(set) var exports: [KernelExport] = []

    mutating func ntoskrnl(_ name: String, file: String = #filePath, _ handler: @escaping KernelHandler) {
        exports.append(.ntoskrnl(name, file: file, handler))
    }
}
