import JSON

/// The location parts of a SARIF result (docs/formats.md): where in the driver a finding is.
/// Addresses are never written as SARIF's integer `absoluteAddress`: kernel addresses
/// (0xfffff806…) exceed the integers JSON readers hold exactly (2^53). The address goes into
/// `name` as hex text, and the offset from the image base (an RVA, always small) into
/// `relativeAddress`, relative to the run's `addresses` entry for the image (`parentIndex`).
enum SarifLocations {
    /// A path as an RFC 3986 URI reference: every byte outside the unreserved set and "/" is
    /// percent-encoded (spaces, ":" that would read as a scheme, "%", non-ASCII, backslashes).
    static func uri(_ path: String) -> String {
        let hexDigits = Array("0123456789ABCDEF")
        var out = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(hexDigits[Int(byte >> 4)]) + String(hexDigits[Int(byte & 0xF)])
            }
        }
        return out
    }

    /// "0x1a2b" → 0x1a2b; nil for anything else (reports are read back from files).
    static func parseHex(_ text: String?) -> UInt64? {
        guard let text, text.hasPrefix("0x") || text.hasPrefix("0X") else { return nil }
        return UInt64(text.dropFirst(2), radix: 16)
    }

    /// A hex RVA as a JSON integer; nil when absent or not one.
    static func offset(_ text: String?) -> JSONValue? {
        guard let value = parseHex(text), let signed = Int64(exactly: value) else { return nil }
        return JSONValue.int(signed)
    }

    /// The image a document describes, as run-time addresses are placed in it.
    struct ImageSpan {
        var base: UInt64
        var size: UInt64
        /// Index of the image's entry in the run's `addresses`.
        var addressIndex: Int

        /// The RVA of `address` when it lies inside the image.
        func rva(_ address: UInt64) -> Int64? {
            guard address >= base, address - base < size else { return nil }
            return Int64(address - base)
        }
    }

    /// The driver function a symbol names ("drv.sys!.text+0x35 (DriverEntry+0x35)" →
    /// "DriverEntry"), nil for places without a name (pool blocks, bare addresses).
    static func function(in symbol: String) -> String? {
        Fingerprint.functionName(symbol)
    }

    /// A location in the driver file: the artifact, an address when known, and the logical
    /// locations (function, section) that name it.
    static func location(artifactIndex: Int, uri: String, address: JSONValue?, logical: [JSONValue],
                         message: String? = nil) -> JSONValue {
        var physical: [(String, JSONValue)] = [("artifactLocation", .object([("uri", .string(uri)), ("index", .int(artifactIndex))]))]
        if let address { physical.append(("address", address)) }
        var members: [(String, JSONValue)] = [("physicalLocation", .object(physical))]
        if !logical.isEmpty { members.append(("logicalLocations", .array(logical))) }
        if let message { members.append(("message", .object([("text", .string(message))]))) }
        return .object(members)
    }

    /// A run-time code site: the address as hex text, its RVA when inside the image.
    static func codeAddress(_ address: String, symbol: String, image: ImageSpan?) -> JSONValue {
        var members: [(String, JSONValue)] = [("kind", .string("instruction")), ("name", .string(address))]
        if !symbol.isEmpty { members.append(("fullyQualifiedName", .string(symbol))) }
        if let image, let value = parseHex(address), let rva = image.rva(value) {
            members.append(("relativeAddress", .int(rva)))
            members.append(("offsetFromParent", .int(rva)))
            members.append(("parentIndex", .int(image.addressIndex)))
        }
        return .object(members)
    }

    static func codeLogical(symbol: String) -> [JSONValue] {
        guard let function = function(in: symbol) else { return [] }
        return [.object([("name", .string(function)), ("fullyQualifiedName", .string(symbol)), ("kind", .string("function"))])]
    }

    /// A static finding's place: the section (by its RVA from the image's section table), or the
    /// IAT for 0x2005, as RVAs — a static finding has no load address.
    static func staticAddress(_ finding: ReportedFinding, document: ReportDocument) -> JSONValue? {
        if let iat = offset(finding.detail("iatRva")) {
            let members: [(String, JSONValue)] = [("kind", .string("data")), ("name", .string("import address table")),
                                                  ("relativeAddress", iat)]
            return .object(members)
        }
        guard let section = finding.section else { return nil }
        var members: [(String, JSONValue)] = [("kind", .string("section")), ("name", .string(section))]
        let sections = document.json["image"]?["sections"]?.arrayValue ?? []
        if let entry = sections.first(where: { $0["name"]?.stringValue == section }),
           let rva = offset(entry["rva"]?.stringValue) {
            members.append(("relativeAddress", rva))
        }
        return .object(members)
    }

    static func staticLogical(_ finding: ReportedFinding) -> [JSONValue] {
        var logical: [JSONValue] = []
        if let section = finding.section { logical.append(.object([("name", .string(section)), ("kind", .string("section"))])) }
        if let function = finding.detail("function") {
            logical.append(.object([("name", .string(function)), ("kind", .string("function"))]))
        }
        return logical
    }
}
