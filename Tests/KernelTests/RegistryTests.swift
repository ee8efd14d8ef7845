import Testing
@testable import Kernel

/// OBJECT_ATTRIBUTES + UNICODE_STRING for `name` in guest memory.
func objectAttributes(_ h: KernelHarness, _ name: String, root: UInt64 = 0, attributes: UInt32 = 0x40) throws -> UInt64 {
    let oa = try h.buffer(0x30 + 0x10)
    let string = oa + 0x30
    try h.call("RtlInitUnicodeString", string, try h.wide(name))
    try h.kernel.writeU32(oa, 0x30)
    try h.kernel.writeU64(oa + 8, root)
    try h.kernel.writeU64(oa + 0x10, string)
    try h.kernel.writeU32(oa + 0x18, attributes)
    return oa
}

func unicodeString(_ h: KernelHarness, _ text: String) throws -> UInt64 {
    let string = try h.buffer(16)
    try h.call("RtlInitUnicodeString", string, try h.wide(text))
    return string
}

extension KernelHarness {
    func openKey(_ path: String, root: UInt64 = 0) throws -> (status: UInt32, handle: UInt64) {
        let out = try buffer(8)
        let status = UInt32(truncatingIfNeeded: try call("ZwOpenKey", out, 0xF003F, try objectAttributes(self, path, root: root)))
        return (status, try kernel.readU64(out))
    }
}

struct RegistryTests {
    let service = "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\test"

    @Test func serviceKeyHasTheDefaultValues() throws {
        let h = try KernelHarness()
        let (status, key) = try h.openKey(service.uppercased())
        #expect(status == 0)
        let info = try h.buffer(0x200), result = try h.buffer(4)
        #expect(try h.call("ZwQueryValueKey", key, try unicodeString(h, "start"), 2, info, 0x200, result) == 0)
        #expect(try h.kernel.readU32(info + 4) == RegistryType.dword)
        #expect(try h.kernel.readU32(info + 8) == 4)
        #expect(try h.kernel.readU32(info + 0xC) == 3)
        #expect(try h.kernel.readU32(result) == 0x10)
        #expect(try h.call("ZwQueryValueKey", key, try unicodeString(h, "ImagePath"), 2, info, 0x200, result) == 0)
        #expect(try h.kernel.readU32(info + 4) == RegistryType.expandSz)
        let length = Int(try h.kernel.readU32(info + 8))
        let text = GuestText.string(GuestText.units(try h.kernel.readBytes(info + 0xC, count: length - 2)))
        #expect(text == "\\SystemRoot\\System32\\drivers\\test.sys")
        #expect(try h.openKey(service + "\\Parameters").status == 0)
        #expect(try h.openKey("\\Registry\\Machine\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion").status == 0)
    }

    @Test func missingKeysAndValuesAreNotFound() throws {
        let h = try KernelHarness()
        #expect(try h.openKey(service + "\\Nope").status == NTStatus.objectNameNotFound)
        #expect(try h.openKey("\\Device\\Foo").status == NTStatus.objectPathNotFound)
        let (_, key) = try h.openKey(service)
        let info = try h.buffer(64), result = try h.buffer(4)
        #expect(UInt32(try h.call("ZwQueryValueKey", key, try unicodeString(h, "Missing"), 2, info, 64, result)) == NTStatus.objectNameNotFound)
        #expect(UInt32(try h.call("ZwQueryValueKey", 0x1234, try unicodeString(h, "Start"), 2, info, 64, result)) == NTStatus.invalidHandle)
    }

    @Test func shortBuffersReportTheRequiredLength() throws {
        let h = try KernelHarness()
        let (_, key) = try h.openKey(service)
        let name = try unicodeString(h, "DisplayName")
        let info = try h.buffer(0x100), result = try h.buffer(4)
        // Smaller than the fixed part: nothing written, STATUS_BUFFER_TOO_SMALL.
        try h.kernel.fill(info, count: 0x100, with: 0xCC)
        #expect(UInt32(try h.call("ZwQueryValueKey", key, name, 2, info, 8, result)) == NTStatus.bufferTooSmall)
        #expect(try h.kernel.readU32(result) == 0xC + 10)   // "test" + NUL in UTF-16
        #expect(try h.kernel.readU32(info) == 0xCCCC_CCCC)
        // The fixed part fits but not the data: STATUS_BUFFER_OVERFLOW with the header filled in.
        #expect(UInt32(try h.call("ZwQueryValueKey", key, name, 2, info, 0xE, result)) == NTStatus.bufferOverflow)
        #expect(try h.kernel.readU32(info + 8) == 10)
        #expect(try h.kernel.readU32(result) == 0x16)
        // Full information: data 8-aligned after the name.
        #expect(try h.call("ZwQueryValueKey", key, name, 1, info, 0x100, result) == 0)
        let dataOffset = try h.kernel.readU32(info + 8)
        #expect(dataOffset == UInt32((0x14 + 22 + 7) & ~7))
        #expect(try h.kernel.readU32(info + 0x10) == 22)
        // Basic information: just the name.
        #expect(try h.call("ZwQueryValueKey", key, name, 0, info, 0x100, result) == 0)
        #expect(try h.kernel.readU32(result) == 0xC + 22)
    }

    @Test func createSetEnumerateAndDelete() throws {
        let h = try KernelHarness()
        let out = try h.buffer(8), disposition = try h.buffer(4)
        let oa = try objectAttributes(h, service + "\\Parameters\\Sub")
        #expect(try h.call("ZwCreateKey", out, 0xF003F, oa, 0, 0, 0, disposition) == 0)
        #expect(try h.kernel.readU32(disposition) == 1)
        let key = try h.kernel.readU64(out)
        #expect(try h.call("ZwCreateKey", out, 0xF003F, oa, 0, 0, 0, disposition) == 0)
        #expect(try h.kernel.readU32(disposition) == 2)
        // Parent missing: not found.
        #expect(UInt32(try h.call("ZwCreateKey", out, 0xF003F, try objectAttributes(h, service + "\\A\\B"), 0, 0, 0, 0)) == NTStatus.objectNameNotFound)

        let data = try h.buffer(8)
        try h.kernel.writeU64(data, 0x1122_3344_5566_7788)
        #expect(try h.call("ZwSetValueKey", key, try unicodeString(h, "Big"), 0, UInt64(RegistryType.qword), data, 8) == 0)
        try h.kernel.writeU32(data, 7)
        #expect(try h.call("ZwSetValueKey", key, try unicodeString(h, "Small"), 0, UInt64(RegistryType.dword), data, 4) == 0)

        let info = try h.buffer(0x100), result = try h.buffer(4)
        #expect(try h.call("ZwEnumerateValueKey", key, 1, 2, info, 0x100, result) == 0)
        #expect(try h.kernel.readU32(info + 0xC) == 7)
        #expect(UInt32(try h.call("ZwEnumerateValueKey", key, 2, 2, info, 0x100, result)) == NTStatus.noMoreEntries)

        // Relative open through RootDirectory, then the parent lists the subkey.
        let (_, parameters) = try h.openKey(service + "\\Parameters")
        #expect(try h.openKey("sub", root: parameters).status == 0)
        #expect(try h.call("ZwEnumerateKey", parameters, 0, 0, info, 0x100, result) == 0)
        #expect(try h.kernel.readU32(info + 0xC) == 6)
        #expect(GuestText.string(GuestText.units(try h.kernel.readBytes(info + 0x10, count: 6))) == "Sub")
        #expect(try h.call("ZwQueryKey", parameters, 2, info, 0x100, result) == 0)
        #expect(try h.kernel.readU32(info + 0x14) == 1)  // SubKeys

        #expect(try h.call("ZwDeleteValueKey", key, try unicodeString(h, "small")) == 0)
        #expect(UInt32(try h.call("ZwDeleteValueKey", key, try unicodeString(h, "small"))) == NTStatus.objectNameNotFound)
        // A key with subkeys cannot be deleted; the leaf can, and its handle then fails.
        #expect(UInt32(try h.call("ZwDeleteKey", parameters)) == AreaStatus.cannotDelete)
        #expect(try h.call("ZwDeleteKey", key) == 0)
        #expect(UInt32(try h.call("ZwQueryKey", key, 0, info, 0x100, result)) == AreaStatus.keyDeleted)
        #expect(try h.openKey(service + "\\Parameters\\Sub").status == NTStatus.objectNameNotFound)
    }

    @Test func keyNameInformationIsTheFullPath() throws {
        let h = try KernelHarness()
        let (_, key) = try h.openKey("\\Registry\\Machine\\SYSTEM\\ControlSet001\\Control\\ProductOptions")
        let info = try h.buffer(0x200), result = try h.buffer(4)
        #expect(try h.call("ZwQueryKey", key, 3, info, 0x200, result) == 0)
        let length = Int(try h.kernel.readU32(info))
        let name = GuestText.string(GuestText.units(try h.kernel.readBytes(info + 4, count: length)))
        #expect(name == "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Control\\ProductOptions")
    }

    @Test func queryRegistryValuesDirect() throws {
        let h = try KernelHarness()
        let table = try h.buffer(0x38 * 4)
        let dword = try h.buffer(4), string = try h.buffer(16), fallback = try h.buffer(4)
        func entry(_ i: Int, flags: UInt32, name: String, context: UInt64, defaultType: UInt32 = 0, defaultData: UInt64 = 0, defaultLength: UInt32 = 0) throws {
            let e = table + UInt64(i * 0x38)
            try h.kernel.writeU32(e + 8, flags)
            try h.kernel.writeU64(e + 0x10, try h.wide(name))
            try h.kernel.writeU64(e + 0x18, context)
            try h.kernel.writeU32(e + 0x20, defaultType)
            try h.kernel.writeU64(e + 0x28, defaultData)
            try h.kernel.writeU32(e + 0x30, defaultLength)
        }
        let defaultValue = try h.buffer(4)
        try h.kernel.writeU32(defaultValue, 42)
        try entry(0, flags: 0x20, name: "Start", context: dword)
        try entry(1, flags: 0x20, name: "DisplayName", context: string)
        try entry(2, flags: 0x20, name: "Missing", context: fallback, defaultType: RegistryType.dword, defaultData: defaultValue, defaultLength: 4)
        #expect(try h.call("RtlQueryRegistryValues", 1, try h.wide("test"), table, 0, 0) == 0)
        #expect(try h.kernel.readU32(dword) == 3)
        #expect(try h.kernel.readUnicodeString(string) == "test")
        #expect(try h.kernel.readU32(fallback) == 42)
        // REQUIRED and missing: not found.
        try entry(0, flags: 0x24, name: "Absent", context: dword)
        #expect(UInt32(try h.call("RtlQueryRegistryValues", 1, try h.wide("test"), table, 0, 0)) == NTStatus.objectNameNotFound)
        // TYPECHECK mismatch.
        try entry(0, flags: 0x120, name: "Start", context: dword, defaultType: RegistryType.sz << 24)
        #expect(UInt32(try h.call("RtlQueryRegistryValues", 1, try h.wide("test"), table, 0, 0)) == NTStatus.objectTypeMismatch)
    }

    @Test func rtlWriteCheckAndDelete() throws {
        let h = try KernelHarness()
        let data = try h.buffer(4)
        try h.kernel.writeU32(data, 9)
        #expect(try h.call("RtlWriteRegistryValue", 1, try h.wide("test\\Parameters"), try h.wide("Level"), 4, data, 4) == 0)
        #expect(try h.call("RtlCheckRegistryKey", 1, try h.wide("test\\Parameters")) == 0)
        #expect(UInt32(try h.call("RtlCheckRegistryKey", 1, try h.wide("test\\Nope"))) == NTStatus.objectNameNotFound)
        #expect(try h.call("RtlDeleteRegistryValue", 1, try h.wide("test\\Parameters"), try h.wide("Level")) == 0)
        #expect(UInt32(try h.call("RtlDeleteRegistryValue", 1, try h.wide("test\\Parameters"), try h.wide("Level"))) == NTStatus.objectNameNotFound)
        #expect(try h.call("RtlCreateRegistryKey", 0, try h.wide("\\Registry\\Machine\\SOFTWARE\\Vendor")) == 0)
        #expect(try h.openKey("\\Registry\\Machine\\SOFTWARE\\Vendor").status == 0)
    }

    @Test func driverRegistryKeyIsUnderTheServiceKey() throws {
        let h = try KernelHarness()
        let out = try h.buffer(8)
        #expect(try h.call("IoOpenDriverRegistryKey", 0x1000, 0, 0xF003F, 0, out) == 0)
        let info = try h.buffer(0x200), result = try h.buffer(4)
        #expect(try h.call("ZwQueryKey", try h.kernel.readU64(out), 3, info, 0x200, result) == 0)
        let name = GuestText.string(GuestText.units(try h.kernel.readBytes(info + 4, count: Int(try h.kernel.readU32(info)))))
        #expect(name.uppercased().hasSuffix("\\SERVICES\\TEST\\PARAMETERS"))
    }

    @Test func seedParsesEveryTypeAndNamesErrors() throws {
        let json = """
        {"defaults": false, "keys": {
          "HKLM\\\\SOFTWARE\\\\Vendor": {
            "Mode": {"type": "REG_DWORD", "data": "0x10"},
            "Big": {"type": "REG_QWORD", "data": 5000000000},
            "Name": "plain",
            "List": ["a", "b"],
            "Blob": {"type": "REG_BINARY", "data": "01 02 ff"},
            "Path": {"type": "REG_EXPAND_SZ", "data": "%SystemRoot%\\\\x"}
          }}}
        """
        let seed = try RegistrySeed.parse(Array(json.utf8))
        #expect(!seed.includeDefaults)
        let values = try #require(seed.keys["\\Registry\\Machine\\SOFTWARE\\Vendor"])
        #expect(values["Mode"] == .dword(16))
        #expect(values["Big"] == .qword(5_000_000_000))
        #expect(values["Name"] == .string("plain"))
        #expect(values["List"] == .multiString(["a", "b"]))
        #expect(values["Blob"] == .binary([1, 2, 0xFF]))
        #expect(values["Path"]?.type == RegistryType.expandSz)

        #expect(throws: RegistrySeedError.self) { try RegistrySeed.parse(Array("{\"keys\": {\"\\\\Foo\": {}}}".utf8)) }
        do {
            _ = try RegistrySeed.parse(Array("{\"keys\": {\n  \"HKLM\\\\X\": {\"V\": {\"type\": \"REG_DWORD\", \"data\": \"nope\"}}}}".utf8), path: "seed.json")
            Issue.record("expected an error")
        } catch let error as RegistrySeedError {
            #expect(error.description.contains("seed.json"))
            #expect(error.description.contains("\"V\""))
        }
        do {
            _ = try RegistrySeed.parse(Array("{\"keys\": \n [}".utf8), path: "bad.json")
            Issue.record("expected an error")
        } catch let error as RegistrySeedError {
            guard case .syntax(_, let line, _, _) = error else { Issue.record("not a syntax error: \(error)"); return }
            #expect(line == 2)
        }
        #expect(throws: RegistrySeedError.self) { try RegistrySeed.load(path: "/nonexistent/seed.json") }
    }

    @Test func badHexDataIsQuotedShort() throws {
        // The error quotes the start of the data, not all of it (a value may be 8 MiB of hex).
        let long = String(repeating: "ab", count: 100_000) + "z"
        do {
            _ = try RegistrySeed.parse(Array("{\"keys\": {\"HKLM\\\\X\": {\"B\": {\"type\": \"REG_BINARY\", \"data\": \"\(long)\"}}}}".utf8))
            Issue.record("expected an error")
        } catch let error as RegistrySeedError {
            #expect(error.description.contains("is not whole hex bytes"))
            #expect(error.description.count < 400, "\(error.description.count) characters")
        }
    }

    @Test func seededKeysReachTheGuest() throws {
        let seed = RegistrySeed(keys: ["\\Registry\\Machine\\SOFTWARE\\Vendor\\Deep": ["Flag": .dword(5)]])
        let registry = VirtualRegistry(configuration: KernelConfiguration(hvci: true, driverName: "test.sys", registry: seed))
        let key = try #require(registry.find(["MACHINE", "software", "VENDOR", "deep"]))
        #expect(key.value("flag") == .dword(5))
    }
}
