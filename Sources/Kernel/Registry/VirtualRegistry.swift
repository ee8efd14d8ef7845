/// One key of the virtual registry: subkeys by upper-cased name (the registry
/// compares names case-insensitively but keeps their spelling), values in
/// the order they were first set.
final class RegistryKey {
    let name: String
    private(set) weak var parent: RegistryKey?
    private(set) var subkeys: [String: RegistryKey] = [:]
    private(set) var values: [(name: String, value: RegistryValue)] = []
    var className = ""
    var volatile = false
    var lastWriteTime: UInt64
    /// Set by ZwDeleteKey: handles still open on it fail with STATUS_KEY_DELETED.
    fileprivate(set) var deleted = false
    private var sortedCache: [RegistryKey]?

    init(name: String, parent: RegistryKey?, time: UInt64) {
        self.name = name
        self.parent = parent
        lastWriteTime = time
    }

    /// "\REGISTRY\MACHINE\SYSTEM\…", as KeyNameInformation reports it.
    var path: String {
        var parts: [String] = []
        var key: RegistryKey? = self
        while let k = key, parts.count < VirtualRegistry.maxDepth + 2 { parts.append(k.name); key = k.parent }
        return "\\" + parts.reversed().joined(separator: "\\")
    }

    /// Subkeys in the registry's enumeration order (by upper-cased name).
    var sortedSubkeys: [RegistryKey] {
        if let sortedCache { return sortedCache }
        let sorted = subkeys.sorted { Array($0.key.utf16).lexicographicallyPrecedes(Array($1.key.utf16)) }.map(\.value)
        sortedCache = sorted
        return sorted
    }

    func subkey(_ name: String) -> RegistryKey? { subkeys[VirtualRegistry.fold(name)] }

    fileprivate func add(_ key: RegistryKey) {
        subkeys[VirtualRegistry.fold(key.name)] = key
        sortedCache = nil
    }

    fileprivate func remove(_ key: RegistryKey) {
        subkeys[VirtualRegistry.fold(key.name)] = nil
        sortedCache = nil
    }

    func valueIndex(_ name: String) -> Int? {
        let folded = VirtualRegistry.fold(name)
        return values.firstIndex { VirtualRegistry.fold($0.name) == folded }
    }

    func value(_ name: String) -> RegistryValue? { valueIndex(name).map { values[$0].value } }

    fileprivate func set(_ name: String, _ value: RegistryValue) -> Int {
        if let index = valueIndex(name) {
            let old = values[index].value.data.count
            values[index].value = value
            return old
        }
        values.append((name, value))
        return 0
    }

    fileprivate func removeValue(at index: Int) -> RegistryValue { values.remove(at: index).value }
}

/// The in-memory registry the registry DDIs work on: `\REGISTRY` with
/// `MACHINE` and `USER`, the model's default keys and the configured seed.
/// Nothing is read from or written to the host.
final class VirtualRegistry {
    static let maxKeys = 100_000
    static let maxDepth = 512
    static let maxNameLength = 255
    static let maxValueNameLength = 16383
    static let maxValueSize = 4 << 20
    static let maxTotalBytes = 64 << 20
    /// 2024-01-01T00:00:00Z as a FILETIME; every change advances the clock by one tick.
    static let baseTime: UInt64 = 133_485_408_000_000_000

    let root: RegistryKey
    private(set) var keyCount = 1
    private(set) var totalBytes = 0
    private var clock = VirtualRegistry.baseTime

    var machine: RegistryKey { root.subkey("MACHINE")! }

    init(configuration: KernelConfiguration) {
        root = RegistryKey(name: "REGISTRY", parent: nil, time: Self.baseTime)
        for top in ["MACHINE", "USER"] { _ = createPath([top]) }
        for hive in ["SYSTEM", "SOFTWARE", "HARDWARE", "SAM", "SECURITY"] { _ = createPath(["MACHINE", hive]) }
        if configuration.registry.includeDefaults { seedDefaults(configuration) }
        for (path, values) in configuration.registry.keys.sorted(by: { $0.key.count < $1.key.count }) {
            guard let components = Self.components(ofAbsolute: path), let key = createPath(components) else { continue }
            for (name, value) in values.sorted(by: { $0.key < $1.key }) { _ = setValue(key, name: name, value) }
        }
    }

    static func fold(_ name: String) -> String { name.uppercased() }

    func tick() -> UInt64 {
        clock &+= 1
        return clock
    }

    // MARK: Paths

    /// `\Registry\…` split into components after `\Registry` (nil when the path is elsewhere
    /// in the object namespace or malformed).
    static func components(ofAbsolute path: String) -> [String]? {
        let parts = path.split(separator: "\\", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, parts[0].isEmpty, fold(parts[1]) == "REGISTRY" else { return nil }
        return components(ofRelative: parts.dropFirst(2).joined(separator: "\\"))
    }

    /// A relative path split into components; empty components (doubled or trailing
    /// backslashes) are tolerated as the object manager does for a trailing one.
    static func components(ofRelative path: String) -> [String]? {
        guard !path.hasPrefix("\\") else { return nil }
        let parts = path.split(separator: "\\").map(String.init)
        guard parts.count <= maxDepth else { return nil }
        return parts
    }

    /// Seed-file spelling (`HKLM\…`, `HKEY_USERS\…`, `\Registry\…`) → `\Registry\…`, nil if neither.
    static func normalizeSeedPath(_ path: String) -> String? {
        let trimmed = path.hasSuffix("\\") ? String(path.dropLast()) : path
        let prefixes = [("HKLM", "\\Registry\\Machine"), ("HKEY_LOCAL_MACHINE", "\\Registry\\Machine"),
                        ("HKU", "\\Registry\\User"), ("HKEY_USERS", "\\Registry\\User")]
        for (short, long) in prefixes {
            let folded = fold(trimmed)
            if folded == short { return long }
            if folded.hasPrefix(short + "\\") { return long + trimmed.dropFirst(short.count) }
        }
        guard let parts = components(ofAbsolute: trimmed), let first = parts.first,
              ["MACHINE", "USER"].contains(fold(first)) else { return nil }
        return trimmed
    }

    /// The component under `parent` that `name` designates (ControlSet001 is CurrentControlSet).
    private func canonical(_ name: String, under parent: RegistryKey) -> String {
        if fold(name: name) == "CONTROLSET001", parent.parent === machine, fold(name: parent.name) == "SYSTEM" {
            return "CurrentControlSet"
        }
        return name
    }

    private func fold(name: String) -> String { Self.fold(name) }

    func find(_ components: [String], from base: RegistryKey? = nil) -> RegistryKey? {
        var key = base ?? root
        for component in components {
            guard let next = key.subkey(canonical(component, under: key)) else { return nil }
            key = next
        }
        return key.deleted ? nil : key
    }

    enum CreateOutcome {
        case opened(RegistryKey)
        case created(RegistryKey)
        case failed(UInt32)
    }

    /// ZwCreateKey: every component but the last must exist.
    func create(_ components: [String], from base: RegistryKey? = nil, volatile: Bool = false) -> CreateOutcome {
        guard let last = components.last else {
            guard let base, !base.deleted else { return .failed(NTStatus.objectNameInvalid) }
            return .opened(base)
        }
        guard let parent = find(Array(components.dropLast()), from: base) else { return .failed(NTStatus.objectNameNotFound) }
        if let existing = parent.subkey(canonical(last, under: parent)) { return .opened(existing) }
        guard last.count <= Self.maxNameLength, !last.isEmpty else { return .failed(NTStatus.objectNameInvalid) }
        guard keyCount < Self.maxKeys else { return .failed(NTStatus.insufficientResources) }
        if parent.volatile && !volatile { return .failed(0xC000_0181) } // STATUS_CHILD_MUST_BE_VOLATILE
        let key = RegistryKey(name: last, parent: parent, time: tick())
        key.volatile = volatile
        parent.add(key)
        parent.lastWriteTime = key.lastWriteTime
        keyCount += 1
        return .created(key)
    }

    /// Creates every missing component (seeding and defaults).
    @discardableResult
    func createPath(_ components: [String]) -> RegistryKey? {
        var key = root
        for component in components {
            switch create([component], from: key) {
            case .opened(let k), .created(let k): key = k
            case .failed: return nil
            }
        }
        return key
    }

    // MARK: Values

    func setValue(_ key: RegistryKey, name: String, _ value: RegistryValue) -> UInt32 {
        guard !key.deleted else { return AreaStatus.keyDeleted }
        guard name.utf16.count <= Self.maxValueNameLength else { return NTStatus.invalidParameter }
        guard value.data.count <= Self.maxValueSize else { return NTStatus.insufficientResources }
        let existing = key.value(name)?.data.count ?? 0
        guard totalBytes - existing + value.data.count <= Self.maxTotalBytes else { return NTStatus.insufficientResources }
        _ = key.set(name, value)
        totalBytes += value.data.count - existing
        key.lastWriteTime = tick()
        return NTStatus.success
    }

    func deleteValue(_ key: RegistryKey, name: String) -> UInt32 {
        guard !key.deleted else { return AreaStatus.keyDeleted }
        guard let index = key.valueIndex(name) else { return NTStatus.objectNameNotFound }
        totalBytes -= key.removeValue(at: index).data.count
        key.lastWriteTime = tick()
        return NTStatus.success
    }

    /// ZwDeleteKey: a key with subkeys cannot be deleted; neither can the roots.
    func deleteKey(_ key: RegistryKey) -> UInt32 {
        guard !key.deleted else { return AreaStatus.keyDeleted }
        guard let parent = key.parent, parent !== root, !(parent === machine) else { return AreaStatus.cannotDelete }
        guard key.subkeys.isEmpty else { return AreaStatus.cannotDelete }
        for value in key.values { totalBytes -= value.value.data.count }
        parent.remove(key)
        parent.lastWriteTime = tick()
        key.deleted = true
        keyCount -= 1
        return NTStatus.success
    }

    // MARK: Defaults

    private func seedDefaults(_ configuration: KernelConfiguration) {
        func key(_ path: String, _ values: [(String, RegistryValue)]) {
            guard let components = Self.components(ofAbsolute: path), let k = createPath(components) else { return }
            for (name, value) in values { _ = setValue(k, name: name, value) }
        }
        let image = configuration.driverName
        let service = configuration.registryPath
        let serviceName = service.split(separator: "\\").last.map(String.init) ?? image
        key(service, [
            ("Type", .dword(1)), ("Start", .dword(3)), ("ErrorControl", .dword(1)),
            ("ImagePath", .string("\\SystemRoot\\System32\\drivers\\" + image, type: RegistryType.expandSz)),
            ("DisplayName", .string(serviceName)),
        ])
        key(service + "\\Parameters", [])
        let ccs = "\\Registry\\Machine\\SYSTEM\\CurrentControlSet"
        key(ccs + "\\Control", [
            ("SystemStartOptions", .string(" NOEXECUTE=OPTIN")),
            ("SystemBootDevice", .string("multi(0)disk(0)rdisk(0)partition(3)")),
            ("CurrentUser", .string("USERNAME")),
        ])
        key(ccs + "\\Control\\ProductOptions", [("ProductType", .string("WinNT")), ("ProductSuite", .multiString(["Terminal Server"]))])
        key(ccs + "\\Control\\Session Manager", [])
        key(ccs + "\\Control\\Session Manager\\Environment", [
            ("windir", .string("%SystemRoot%", type: RegistryType.expandSz)),
            ("PROCESSOR_ARCHITECTURE", .string("AMD64")), ("NUMBER_OF_PROCESSORS", .string("1")),
        ])
        key(ccs + "\\Control\\Session Manager\\Memory Management", [("FeatureSettings", .dword(0))])
        key(ccs + "\\Control\\DeviceGuard", [("EnableVirtualizationBasedSecurity", .dword(configuration.hvci ? 1 : 0))])
        key(ccs + "\\Control\\DeviceGuard\\Scenarios\\HypervisorEnforcedCodeIntegrity", [
            ("Enabled", .dword(configuration.hvci ? 1 : 0)),
        ])
        key(ccs + "\\Control\\CI\\Config", [])
        key(ccs + "\\Control\\Class", [])
        key(ccs + "\\Enum\\Root", [])
        key(ccs + "\\Hardware Profiles\\Current", [])
        key("\\Registry\\Machine\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion", [
            ("CurrentBuild", .string("19045")), ("CurrentBuildNumber", .string("19045")),
            ("CurrentVersion", .string("6.3")), ("CurrentMajorVersionNumber", .dword(10)),
            ("CurrentMinorVersionNumber", .dword(0)), ("DisplayVersion", .string("22H2")),
            ("ReleaseId", .string("2009")), ("UBR", .dword(3803)),
            ("ProductName", .string("Windows 10 Pro")), ("EditionID", .string("Professional")),
            ("InstallationType", .string("Client")), ("CurrentType", .string("Multiprocessor Free")),
            ("SystemRoot", .string("C:\\Windows")), ("PathName", .string("C:\\Windows")),
            ("BuildLab", .string("19041.vb_release.191206-1406")),
        ])
        key("\\Registry\\Machine\\HARDWARE\\DESCRIPTION\\System\\CentralProcessor\\0", [
            ("ProcessorNameString", .string("Virtual x64 Processor (hvcisim)")), ("Identifier", .string("Intel64 Family 6 Model 158 Stepping 10")),
            ("VendorIdentifier", .string("GenuineIntel")), ("~MHz", .dword(3000)),
        ])
        key("\\Registry\\Machine\\HARDWARE\\DESCRIPTION\\System\\BIOS", [
            ("SystemManufacturer", .string("hvcisim")), ("SystemProductName", .string("Virtual Machine")),
            ("BIOSVendor", .string("hvcisim")), ("BIOSVersion", .string("1.0")),
        ])
        key("\\Registry\\Machine\\HARDWARE\\DEVICEMAP", [])
        key("\\Registry\\User\\.DEFAULT", [])
    }
}
