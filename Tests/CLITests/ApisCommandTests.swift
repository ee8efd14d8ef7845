import Foundation
import Testing

/// `hvcisim apis` as scripts use it: one `module!Name<TAB>status` line per
/// export, `--no-stubs`, `--where`, and stub calls marked in a run's JSON.
struct ApisCommandTests {
    func lines(_ arguments: [String]) throws -> [[Substring]] {
        let result = try runHVCISim(["apis"] + arguments)
        #expect(result.status == 0)
        return result.stdout.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
    }

    @Test func everyLineIsMarkedModelledOrStubWithAReason() throws {
        let all = try lines([])
        #expect(all.count > 1000)
        #expect(all.allSatisfy { $0.first?.contains("!") == true })
        #expect(all.allSatisfy { ($0.count == 2 && $0[1] == "modelled") || ($0.count == 3 && $0[1] == "stub" && !$0[2].isEmpty) })
        #expect(all.contains { $0.first == "ntoskrnl.exe!EtwWrite" && $0[1] == "stub" })
        #expect(all.contains { $0.first == "hal.dll!HalGetBusDataByOffset" && $0[1] == "modelled" })
        #expect(all.contains { $0.first == "wdf01000.sys!WdfDriverCreate" && $0[1] == "modelled" })
    }

    @Test func noStubsLeavesTheStubsOut() throws {
        let all = try lines([]), models = try lines(["--no-stubs"])
        #expect(models.allSatisfy { $0.count == 2 && $0[1] == "modelled" })
        #expect(models.count == all.filter { $0[1] == "modelled" }.count)
        #expect(models.count < all.count)
    }

    @Test func whereNamesTheImplementingFile() throws {
        let pool = try runHVCISim(["apis", "--where", "ExAllocatePoolWithTag"])
        #expect(pool.status == 0)
        #expect(pool.stdout == "Sources/Kernel/Areas/Pool.swift\n")
        #expect(FileManager.default.fileExists(atPath: TestPaths.packageRoot.appendingPathComponent("Sources/Kernel/Areas/Pool.swift").path))
        let qualified = try runHVCISim(["apis", "--where", "fltmgr.sys!FltRegisterFilter"])
        #expect(qualified.stdout == "Sources/Kernel/Areas/FilterManager.swift\n")
        let missing = try runHVCISim(["apis", "--where", "NoSuchRoutine"])
        #expect(missing.status == 1)
        #expect(missing.stdout.isEmpty && missing.stderr.contains("NoSuchRoutine"))
    }

    @Test func helpTeachesTheOptions() throws {
        let help = try runHVCISim(["apis", "--help"])
        #expect(help.status == 0)
        for text in ["--no-stubs", "--where <name>", "modelled", "stub", "grep -c modelled"] {
            #expect(help.stdout.contains(text), "\(text)")
        }
    }

    @Test func aCallToAStubIsMarkedInTheRunJSON() throws {
        let result = try runHVCISim(["run", "Samples/bin/lookaside-exec.sys", "--format", "json"], currentDirectory: TestPaths.packageRoot)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let run = try #require((report["runs"] as? [[String: Any]])?.first)
        let calls = (run["entryPoints"] as? [[String: Any]] ?? []).flatMap { $0["calls"] as? [[String: Any]] ?? [] }
        let stubbed = calls.filter { $0["stub"] as? Bool == true }.compactMap { $0["function"] as? String }
        #expect(stubbed == ["ntoskrnl.exe!ExDeleteNPagedLookasideList"])
        #expect(calls.contains { $0["function"] as? String == "ntoskrnl.exe!ExInitializeNPagedLookasideList" && $0["stub"] as? Bool == false })
        let stubCalls = try #require(run["stubCalls"] as? [[String: Any]])
        #expect(stubCalls.count == 1)
        #expect(stubCalls.first?["function"] as? String == "ntoskrnl.exe!ExDeleteNPagedLookasideList")
        #expect(stubCalls.first?["count"] as? Int == 1)
    }
}
