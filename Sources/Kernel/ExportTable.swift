/// `module → export → handler`: the kernel model's registration table, like a
/// wasm runtime's host functions. Each area of the kernel (pool, memory
/// manager, I/O, …) contributes its `KernelExport`s from its own file; this
/// table is their union, keyed by module and name.
///
/// Binding an import (`binding(module:function:)`) follows Windows' loader:
/// the import names a module and the function must be an export of that
/// module. One forwarding rule applies: since Windows 10 2004 the HAL is part
/// of ntoskrnl.exe, so ntoskrnl.exe also exports every hal.dll function (and
/// hal.dll's own exports forward to it). Everything else that does not match
/// is an import Windows would refuse to load (STATUS_PROCEDURE_NOT_FOUND); the
/// model still loads the driver and gives the import the logged fallback,
/// under the name the driver used, so the run goes on and the report lists it
/// among the unmodeled calls.
public enum ExportTable {
    struct Key: Hashable {
        var module: KernelModule
        var name: String
    }

    /// One list per area file (Areas/*.swift, WDF/*.swift).
    static let areas: [[KernelExport]] = [
        PoolArea.handlers, MemoryManagerArea.handlers, SystemInformationArea.handlers, IoManagerArea.handlers,
        RtlArea.handlers, DebugArea.handlers, CRTArea.handlers, ExecutiveArea.handlers,
        ObjectsArea.handlers, ProcessArea.handlers, SecurityArea.handlers, CallbacksArea.handlers,
        SynchronizationArea.handlers, TimeArea.handlers, DeferredArea.handlers,
        RegistryArea.handlers, FileArea.handlers, StringsArea.handlers, FormatArea.handlers,
        ExceptionsArea.handlers, HalArea.handlers, IrpArea.handlers, WdfLoaderArea.handlers,
        NetworkMinimalArea.handlers, ConfigurationArea.handlers, WmiArea.handlers, FirmwareTablesArea.handlers,
        DdiVersionArea.handlers,
        IoDriversArea.handlers, FilterManagerArea.handlers, RtlMiscArea.handlers,
        PagesForMdlArea.handlers, GenericTableArea.handlers, PlugPlayNotificationArea.handlers,
        WdfFunctions.handlers,
    ]

    /// Every registration, in area order.
    public static let all: [KernelExport] = areas.flatMap { $0 }

    /// The table. A second registration of the same module and name would be
    /// dead code; `duplicates(in:)` finds them and a test requires there are none.
    static let table: [Key: KernelExport] = {
        var table: [Key: KernelExport] = [:]
        for export in all where table[Key(module: export.module, name: export.name)] == nil {
            table[Key(module: export.module, name: export.name)] = export
        }
        return table
    }()

    /// Qualified names registered more than once, sorted.
    static func duplicates(in exports: [KernelExport]) -> [String] {
        var seen = Set<String>(), repeated = Set<String>()
        for export in exports where !seen.insert(export.qualifiedName).inserted {
            repeated.insert(export.qualifiedName)
        }
        return repeated.sorted()
    }

    /// The registration of exactly `module!name`.
    static func lookup(_ module: KernelModule, _ name: String) -> KernelExport? {
        table[Key(module: module, name: name)]
    }

    /// What an import of `module!function` binds to (see the type's comment), or
    /// nil when Windows would not resolve it or the model has no handler.
    static func binding(module: String, function: String) -> KernelExport? {
        let module = KernelModule(module)
        guard module != .kmdf else { return nil }
        if let export = lookup(module, function) { return export }
        if module == .ntoskrnl { return lookup(.hal, function) }
        return nil
    }

    /// The registrations named `name` in any module, the KMDF table last
    /// (for `Kernel.invoke`, which takes a bare name).
    static func registrations(named name: String) -> [KernelExport] {
        all.filter { $0.name == name }.sorted { ($0.module == .kmdf ? 1 : 0) < ($1.module == .kmdf ? 1 : 0) }
    }

    /// "ntoskrnl.exe!ExAllocatePoolWithTag"
    static func qualified(module: String, function: String) -> String { "\(module.lowercased())!\(function)" }
}

/// What `hvcisim apis` lists: one line per export the model implements itself.
public struct ModelledAPI: Sendable {
    /// "ntoskrnl.exe!ExAllocatePoolWithTag", "wdf01000.sys!WdfDriverCreate".
    public var qualifiedName: String
    /// nil for a model; the one-line reason for a stub.
    public var stubReason: String?
    /// The source file that implements it ("Sources/Kernel/Areas/Pool.swift").
    public var file: String

    public var isStub: Bool { stubReason != nil }
    public var name: String { String(qualifiedName.split(separator: "!").last ?? "") }
}

extension Kernel {
    /// Every function with a handler of its own (registrations, stubs marked) and
    /// every data export backed by a real object, sorted by qualified name.
    public static var modelledAPIs: [ModelledAPI] {
        let functions = ExportTable.all.map {
            ModelledAPI(qualifiedName: $0.qualifiedName, stubReason: $0.stubReason, file: $0.file)
        }
        let data = DataExports.names.map {
            ModelledAPI(qualifiedName: KernelModule.ntoskrnl.name + "!" + $0, stubReason: nil, file: DataExports.file)
        }
        return (functions + data).sorted { $0.qualifiedName < $1.qualifiedName }
    }
}
