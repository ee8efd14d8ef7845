import Events
import JSON
@testable import Report
import Testing

struct FingerprintTests {
    func execution(at address: UInt64, caller: String) -> Finding {
        Finding(code: "DATA_EXECUTION", title: "execution of memory Code Integrity did not verify", severity: .error,
                phase: .runtime, fix: "…",
                site: CodeSite(address: address, symbol: "pool 'Hvci' (type 0x200) block 0x\(String(address, radix: 16))+0x0"),
                stack: [CodeSite(address: 0xFFFF_F806_4000_1035, symbol: caller)])
    }

    @Test func aRebuildThatMovesCodeKeepsTheFingerprint() {
        let before = execution(at: 0xFFFF_B000_0002_1000, caller: "drv.sys!.text+0x35 (DriverEntry+0x35)")
        let after = execution(at: 0xFFFF_B000_0004_3000, caller: "drv.sys!.text+0x91 (DriverEntry+0x51)")
        #expect(Fingerprint.of(before, entryPoint: "DriverEntry") == Fingerprint.of(after, entryPoint: "DriverEntry"))
        #expect(Fingerprint.place(of: before) == "DriverEntry")
    }

    @Test func anotherFunctionEntryPointOrCodeChangesIt() {
        let base = execution(at: 0x1000, caller: "drv.sys!.text+0x35 (DriverEntry+0x35)")
        let print = Fingerprint.of(base, entryPoint: "DriverEntry")
        #expect(print.count == 32)
        #expect(Fingerprint.of(execution(at: 0x1000, caller: "drv.sys!.text+0x35 (Helper+0x5)"), entryPoint: "DriverEntry") != print)
        #expect(Fingerprint.of(base, entryPoint: "DriverUnload") != print)
        var other = base
        other.code = "CODE_PAGE_WRITE"
        #expect(Fingerprint.of(other, entryPoint: "DriverEntry") != print)
    }

    @Test func aDDICheckIsPlacedByItsFunctionAndAddressesAreDropped() {
        let dv = Finding(code: "0x2000", title: "executable pool", severity: .error, phase: .runtime, fix: "…",
                         details: [(key: "function", value: "ExAllocatePoolWithTag")])
        #expect(Fingerprint.place(of: dv) == "ExAllocatePoolWithTag")
        #expect(Fingerprint.normalized("thread 0xfffff80640001234 IOCTL 0x222004") == "thread 0x… IOCTL 0x222004")
        #expect(Fingerprint.functionName("drv.sys!.text+0x10") == nil)
        #expect(Fingerprint.functionName("drv.sys!Helper+0x10") == "drv.sys!Helper")
    }
}
