import JSON
/// Registry value types (winnt.h).
public enum RegistryType {
    public static let none: UInt32 = 0, sz: UInt32 = 1, expandSz: UInt32 = 2, binary: UInt32 = 3
    public static let dword: UInt32 = 4, dwordBigEndian: UInt32 = 5, link: UInt32 = 6, multiSz: UInt32 = 7
    public static let resourceList: UInt32 = 8, fullResourceDescriptor: UInt32 = 9
    public static let resourceRequirementsList: UInt32 = 10, qword: UInt32 = 11

    static let names: [(String, UInt32)] = [
        ("REG_NONE", none), ("REG_SZ", sz), ("REG_EXPAND_SZ", expandSz), ("REG_BINARY", binary),
        ("REG_DWORD", dword), ("REG_DWORD_LITTLE_ENDIAN", dword), ("REG_DWORD_BIG_ENDIAN", dwordBigEndian),
        ("REG_LINK", link), ("REG_MULTI_SZ", multiSz), ("REG_RESOURCE_LIST", resourceList),
        ("REG_FULL_RESOURCE_DESCRIPTOR", fullResourceDescriptor),
        ("REG_RESOURCE_REQUIREMENTS_LIST", resourceRequirementsList), ("REG_QWORD", qword),
        ("REG_QWORD_LITTLE_ENDIAN", qword),
    ]

    /// "REG_DWORD", or the number for types without a name.
    public static func name(_ type: UInt32) -> String {
        names.first { $0.1 == type }?.0 ?? String(type)
    }
}

/// One registry value: its type and its raw data, as the registry stores it.
public struct RegistryValue: Sendable, Equatable {
    public var type: UInt32
    public var data: [UInt8]

    public init(type: UInt32, data: [UInt8]) {
        self.type = type
        self.data = data
    }

    /// REG_SZ (or REG_EXPAND_SZ with `type`), stored NUL-terminated in UTF-16LE.
    public static func string(_ text: String, type: UInt32 = RegistryType.sz) -> RegistryValue {
        RegistryValue(type: type, data: utf16le(text) + [0, 0])
    }

    public static func multiString(_ items: [String]) -> RegistryValue {
        RegistryValue(type: RegistryType.multiSz, data: items.flatMap { utf16le($0) + [0, 0] } + [0, 0])
    }

    public static func dword(_ value: UInt32) -> RegistryValue {
        RegistryValue(type: RegistryType.dword, data: (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) })
    }

    public static func qword(_ value: UInt64) -> RegistryValue {
        RegistryValue(type: RegistryType.qword, data: (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) })
    }

    public static func binary(_ bytes: [UInt8]) -> RegistryValue { RegistryValue(type: RegistryType.binary, data: bytes) }

    static func utf16le(_ text: String) -> [UInt8] {
        text.utf16.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }
    }
}

/// Why a registry seed file could not be used; each case names the place.
public enum RegistrySeedError: Error, Equatable, CustomStringConvertible {
    case cannotRead(path: String, reason: String)
    case syntax(path: String, line: Int, column: Int, message: String)
    case invalid(path: String, where: String, message: String)

    public var description: String {
        switch self {
        case let .cannotRead(path, reason): return "\(path): cannot read registry seed: \(reason)"
        case let .syntax(path, line, column, message): return "\(path):\(line):\(column): registry seed is not valid JSON: \(message)"
        case let .invalid(path, place, message): return "\(path): registry seed \(place): \(message)"
        }
    }
}

/// What the virtual registry starts with, on top of (or instead of) the
/// model's defaults. Load one from JSON with `RegistrySeed.load(path:)`;
/// the format is in docs/registry.md.
public struct RegistrySeed: Sendable, Equatable {
    /// Key path (absolute, `\Registry\Machine\…`; `HKLM\…` and `HKU\…` are accepted) →
    /// value name ("" is the default value) → value. A key with no values is created empty.
    public var keys: [String: [String: RegistryValue]]
    /// Whether the model's default keys (the driver's service key, ProductOptions,
    /// CurrentVersion, …) are created first.
    public var includeDefaults: Bool

    public init(keys: [String: [String: RegistryValue]] = [:], includeDefaults: Bool = true) {
        self.keys = keys
        self.includeDefaults = includeDefaults
    }

    /// Parses a seed file (JSON).
    public static func load(path: String) throws -> RegistrySeed {
        try parse(HostFile.read(path), path: path)
    }

    /// Parses seed JSON; `path` only names the source in errors.
    public static func parse(_ bytes: [UInt8], path: String = "<registry seed>") throws -> RegistrySeed {
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes)
        } catch {
            throw RegistrySeedError.syntax(path: path, line: error.line, column: error.column, message: error.message)
        }
        func invalid(_ place: String, _ message: String) -> RegistrySeedError { .invalid(path: path, where: place, message: message) }
        guard case let .object(top) = json else { throw invalid("top level", "expected an object with \"keys\", found \(json.kindName)") }
        var seed = RegistrySeed()
        for (name, member) in top {
            switch name {
            case "defaults":
                guard case let .bool(flag) = member else { throw invalid("\"defaults\"", "expected true or false, found \(member.kindName)") }
                seed.includeDefaults = flag
            case "keys":
                guard case let .object(keys) = member else { throw invalid("\"keys\"", "expected an object of key paths, found \(member.kindName)") }
                for (keyPath, values) in keys {
                    let place = "key \"\(keyPath)\""
                    guard let normalized = VirtualRegistry.normalizeSeedPath(keyPath) else {
                        throw invalid(place, "a key path must start with \\Registry\\Machine, \\Registry\\User, HKLM or HKU")
                    }
                    guard case let .object(members) = values else { throw invalid(place, "expected an object of values, found \(values.kindName)") }
                    var parsed = seed.keys[normalized] ?? [:]
                    for (valueName, spec) in members {
                        let parsedValue = try value(spec, place: "\(place) value \"\(valueName)\"", invalid: invalid)
                        guard parsedValue.data.count <= VirtualRegistry.maxValueSize else {
                            throw invalid("\(place) value \"\(valueName)\"", "larger than the registry's 4 MiB per value")
                        }
                        parsed[valueName] = parsedValue
                    }
                    seed.keys[normalized] = parsed
                    guard seed.keys.count <= VirtualRegistry.maxKeys else {
                        throw invalid("\"keys\"", "more than the registry's 100 000 keys")
                    }
                }
            case "$schema", "comment", "//":
                continue
            default:
                throw invalid("member \"\(name)\"", "unknown member (expected \"keys\" or \"defaults\")")
            }
        }
        return seed
    }

    private static func value(_ spec: JSONValue, place: String,
                              invalid: (String, String) -> RegistrySeedError) throws -> RegistryValue {
        switch spec {
        case let .string(text): return .string(text)
        case .int, .unsigned:
            let (signed, unsigned) = spec.integerParts
            if let u = unsigned, u <= UInt64(UInt32.max) { return .dword(UInt32(u)) }
            if unsigned == nil, signed >= Int64(Int32.min) { return .dword(UInt32(bitPattern: Int32(signed))) }
            throw invalid(place, "integer shorthand is REG_DWORD and must fit in 32 bits (use {\"type\": \"REG_QWORD\", …})")
        case let .array(items):
            return .multiString(try items.map {
                guard case let .string(s) = $0 else { throw invalid(place, "array shorthand is REG_MULTI_SZ: every item must be a string") }
                return s
            })
        case let .object(members):
            var typeSpec: JSONValue?, data: JSONValue?
            for (k, v) in members {
                switch k {
                case "type": typeSpec = v
                case "data": data = v
                default: throw invalid(place, "unknown member \"\(k)\" (expected \"type\" and \"data\")")
                }
            }
            let type: UInt32
            switch typeSpec {
            case let .string(name)?:
                guard let found = RegistryType.names.first(where: { $0.0 == name.uppercased() })?.1 else {
                    throw invalid(place, "unknown type \"\(name)\" (REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ, REG_DWORD, REG_QWORD, REG_BINARY, REG_NONE, …)")
                }
                type = found
            case let .int(n)?:
                guard n >= 0, n <= Int64(UInt32.max) else { throw invalid(place, "type number out of range") }
                type = UInt32(n)
            case nil: throw invalid(place, "missing \"type\"")
            case let other?: throw invalid(place, "\"type\" must be a name like \"REG_DWORD\", found \(other.kindName)")
            }
            return try typed(type, data ?? .null, place: place, invalid: invalid)
        default:
            throw invalid(place, "expected {\"type\": …, \"data\": …}, a string, an integer or an array of strings; found \(spec.kindName)")
        }
    }

    private static func typed(_ type: UInt32, _ data: JSONValue, place: String,
                              invalid: (String, String) -> RegistrySeedError) throws -> RegistryValue {
        func integer(bits: Int) throws -> UInt64 {
            let limit: UInt64 = bits == 64 ? .max : (1 << UInt64(bits)) - 1
            switch data {
            case .int, .unsigned:
                let (signed, unsigned) = data.integerParts
                if let u = unsigned, u <= limit { return u }
                if unsigned == nil, bits == 64 { return UInt64(bitPattern: signed) }
                if unsigned == nil, signed >= Int64(Int32.min) { return UInt64(UInt32(bitPattern: Int32(signed))) }
                throw invalid(place, "\(signed) does not fit in \(bits) bits")
            case let .string(text):
                let t = text.lowercased()
                let parsed = t.hasPrefix("0x") ? UInt64(t.dropFirst(2), radix: 16) : UInt64(t)
                guard let v = parsed, v <= limit else { throw invalid(place, "\"\(text)\" is not a \(bits)-bit number") }
                return v
            default: throw invalid(place, "data must be an integer (or a \"0x…\" string), found \(data.kindName)")
            }
        }
        switch type {
        case RegistryType.sz, RegistryType.expandSz, RegistryType.link:
            guard case let .string(text) = data else { throw invalid(place, "\(RegistryType.name(type)) data must be a string, found \(data.kindName)") }
            return .string(text, type: type)
        case RegistryType.multiSz:
            guard case let .array(items) = data else { throw invalid(place, "REG_MULTI_SZ data must be an array of strings, found \(data.kindName)") }
            return .multiString(try items.map {
                guard case let .string(s) = $0 else { throw invalid(place, "REG_MULTI_SZ items must be strings") }
                guard !s.isEmpty else { throw invalid(place, "REG_MULTI_SZ items cannot be empty (an empty string ends the list)") }
                return s
            })
        case RegistryType.dword:
            return .dword(UInt32(try integer(bits: 32)))
        case RegistryType.dwordBigEndian:
            let v = UInt32(try integer(bits: 32))
            return RegistryValue(type: type, data: (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * $0)) })
        case RegistryType.qword:
            return .qword(try integer(bits: 64))
        default:
            switch data {
            case .null: return RegistryValue(type: type, data: [])
            case let .array(items):
                return RegistryValue(type: type, data: try items.map {
                    guard case let .int(n) = $0, n >= 0, n <= 255 else { throw invalid(place, "binary data items must be bytes 0…255") }
                    return UInt8(n)
                })
            case let .string(hex):
                guard let bytes = HexBytes.decode(hex) else {
                    let shown = hex.prefix(40)  // a value may be megabytes of hex
                    throw invalid(place, "hex data \"\(shown)\(shown.endIndex < hex.endIndex ? "…" : "")\" is not whole hex bytes (\(HexBytes.rule))")
                }
                return RegistryValue(type: type, data: bytes)
            default:
                throw invalid(place, "\(RegistryType.name(type)) data must be a hex string or an array of bytes, found \(data.kindName)")
            }
        }
    }
}

private extension JSONValue {
    /// An integer as signed and, when not negative, unsigned (seed numbers may use either range).
    var integerParts: (signed: Int64, unsigned: UInt64?) {
        switch self {
        case let .int(n): return (n, n >= 0 ? UInt64(n) : nil)
        case let .unsigned(u): return (Int64(bitPattern: u), u)
        default: return (0, nil)
        }
    }
}
