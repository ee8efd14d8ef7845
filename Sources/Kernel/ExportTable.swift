/// `module → export → handler`: the kernel model's import table, like a wasm
/// runtime's host functions. Each area of the kernel (pool, memory manager,
/// I/O, …) contributes its handlers from its own file.
public enum ExportTable {
    /// Every modeled export, by function name (names are unique across the
    /// kernel modules drivers import from: ntoskrnl.exe, hal.dll, …).
    static let handlers: [String: KernelHandler] = {
        var table: [String: KernelHandler] = [:]
        for area in areas {
            table.merge(area) { first, _ in first }
        }
        return table
    }()

    /// One dictionary per area file (Areas/*.swift). An export is defined in exactly one area.
    static let areas: [[String: KernelHandler]] = [
        PoolArea.handlers, MemoryManagerArea.handlers, SystemInformationArea.handlers, IoManagerArea.handlers,
        RtlArea.handlers, DebugArea.handlers, CRTArea.handlers, ExecutiveArea.handlers,
        ObjectsArea.handlers, ProcessArea.handlers, SecurityArea.handlers, CallbacksArea.handlers,
        SynchronizationArea.handlers, TimeArea.handlers, DeferredArea.handlers,
        RegistryArea.handlers, FileArea.handlers, StringsArea.handlers, FormatArea.handlers,
        ExceptionsArea.handlers, HalArea.handlers, IrpArea.handlers, WdfLoaderArea.handlers,
        ConfigurationArea.handlers, WmiArea.handlers, FirmwareTablesArea.handlers,
        DdiVersionArea.handlers,
        IoDriversArea.handlers, FilterManagerArea.handlers, RtlMiscArea.handlers,
        PagesForMdlArea.handlers, GenericTableArea.handlers, PlugPlayNotificationArea.handlers,
    ]

    /// The names of every export with a handler of its own, sorted (`hvcisim apis`).
    public static var modeledNames: [String] { handlers.keys.sorted() }

    static func handler(module: String, function: String) -> KernelHandler? { handlers[function] }

    /// "ntoskrnl.exe!ExAllocatePoolWithTag"
    static func qualified(module: String, function: String) -> String { "\(module.lowercased())!\(function)" }
}

extension Kernel {
    /// Every export the model implements itself — functions with a handler of
    /// their own and data exports backed by real objects — sorted, one name each.
    public static var modeledAPIs: [String] {
        (ExportTable.modeledNames + DataExports.names).sorted()
    }
}
