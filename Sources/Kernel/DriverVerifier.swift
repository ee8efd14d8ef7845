import Events

/// Driver Verifier's code-integrity checks at run time (DESIGN.md §2.3):
/// each DDI model asks these whether its arguments request executable memory
/// and reports a 0xC4 finding with DV's own parameters.
enum DriverVerifier {
    static let nonPagedPoolNx: UInt64 = 0x200
    static let poolFlagNonPagedExecute: UInt64 = 0x80
    static let mdlMappingNoExecute: UInt64 = 0x4000_0000
    static let executeProtections: UInt32 = 0xF0

    /// A POOL_TYPE is executable when it is non-paged (even base type) without the Nx bit.
    static func isExecutable(poolType: UInt64) -> Bool {
        poolType & nonPagedPoolNx == 0 && poolType & 1 == 0
    }

    static func isExecutable(protection: UInt32) -> Bool { protection & executeProtections != 0 }

    static func poolTypeName(_ type: UInt64) -> String {
        let names: [UInt64: String] = [
            0: "NonPagedPool", 1: "PagedPool", 2: "NonPagedPoolMustSucceed", 4: "NonPagedPoolCacheAligned",
            5: "PagedPoolCacheAligned", 6: "NonPagedPoolCacheAlignedMustS", 32: "NonPagedPoolSession",
            33: "PagedPoolSession", 34: "NonPagedPoolMustSucceedSession", 36: "NonPagedPoolCacheAlignedSession",
            38: "NonPagedPoolCacheAlignedMustSSession", 512: "NonPagedPoolNx", 516: "NonPagedPoolNxCacheAligned",
            544: "NonPagedPoolSessionNx",
        ]
        return names[type] ?? "pool type 0x" + String(type, radix: 16)
    }

    static func protectionName(_ protection: UInt32) -> String {
        let names: [UInt32: String] = [
            0x01: "PAGE_NOACCESS", 0x02: "PAGE_READONLY", 0x04: "PAGE_READWRITE", 0x08: "PAGE_WRITECOPY",
            0x10: "PAGE_EXECUTE", 0x20: "PAGE_EXECUTE_READ", 0x40: "PAGE_EXECUTE_READWRITE", 0x80: "PAGE_EXECUTE_WRITECOPY",
        ]
        let base = protection & 0xFF
        let rest = protection & ~0xFF
        return (names[base] ?? "0x" + String(base, radix: 16)) + (rest == 0 ? "" : " | 0x" + String(rest, radix: 16))
    }
}

extension Kernel {
    /// Records a DV code-integrity violation (0xC4 / `subcode`) at the call's site;
    /// in enforce mode the entry point stops there, as the bug check would stop Windows.
    func verifierViolation(_ call: KernelCall, subcode: UInt32, title: String, p3: UInt64, p4: UInt64?,
                           fix: String, details: [(key: String, value: String)]) throws {
        // Without Driver Verifier's code-integrity option nothing checks the arguments: the DDI
        // does what it was asked (DESIGN.md §2.5); with HVCI on the SLAT still keeps the memory
        // non-executable, and the driver stops only if it executes it.
        guard configuration.verifier else {
            call.note("Driver Verifier off: no 0xC4/0x\(String(subcode, radix: 16)) check")
            return
        }
        let site = call.site
        let parameters: [UInt64] = [UInt64(subcode), site.address, p3, p4 ?? 0]
        let finding = Finding(
            code: "0x" + String(subcode, radix: 16), title: title, severity: .error, phase: .runtime,
            fix: fix,
            bugCheck: BugCheck(code: BugCheck.driverVerifierViolation, parameters: parameters.map { "0x" + String($0, radix: 16) }),
            details: [(key: "function", value: call.function.split(separator: "!").last.map(String.init) ?? call.function)] + details,
            site: site,
            stack: callStack(call.returnAddress, call.stackPointer + 8).dropFirst().map {
                CodeSite(address: $0, symbol: symbolize($0))
            })
        record(finding)
        call.note("Driver Verifier 0xC4/0x\(String(subcode, radix: 16))")
        if configuration.enforcement == .enforce {
            throw KernelStop.verifierViolation(code: finding.code, site: site.address, parameters: parameters)
        }
    }
}
