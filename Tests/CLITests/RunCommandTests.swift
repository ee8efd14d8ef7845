import Foundation
import Testing

/// `hvcisim run` as scripts use it: exit statuses, JSON shape, --hvci both.
struct RunCommandTests {
    func json(_ result: CommandResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    @Test func hvciBothShowsTheDifferenceOfAnHVCIAwareDriver() throws {
        let result = try runHVCISim(["run", "Samples/bin/hvci-aware.sys", "--hvci", "both", "--format", "json"],
                                    currentDirectory: TestPaths.packageRoot)
        #expect(result.status == 1) // HVCI off: the executable pool request is a DV 0x2000 error
        let report = try json(result)
        let runs = try #require(report["runs"] as? [[String: Any]])
        #expect(runs.compactMap { $0["hvci"] as? String } == ["on", "off"])
        let differences = try #require(report["differences"] as? [[String: Any]])
        #expect(differences.count == 1)
        #expect(differences.first?["entryPoint"] as? String == "DriverEntry")
        #expect(differences.first?["aspect"] as? String == "findings")
        #expect(differences.first?["hvciOn"] as? String == "none")
        #expect(differences.first?["hvciOff"] as? String == "0x2000")
        let output = runs.map { ($0["debugOutput"] as? [String])?.joined() ?? "" }
        #expect(output[0].contains("HVCI on") && output[1].contains("HVCI off"))
    }

    @Test func compliantDriverExitsZeroAndReportsEveryEntryPoint() throws {
        let result = try runHVCISim(["run", "Samples/bin/compliant.sys", "--format", "json"], currentDirectory: TestPaths.packageRoot)
        #expect(result.status == 0)
        let runs = try #require(try json(result)["runs"] as? [[String: Any]])
        let entries = try #require(runs.first?["entryPoints"] as? [[String: Any]])
        #expect(entries.compactMap { $0["name"] as? String }.first == "DriverEntry")
        #expect(entries.compactMap { $0["name"] as? String }.last == "DriverUnload")
        for entry in entries {
            let outcome = try #require(entry["outcome"] as? [String: Any])
            #expect(outcome["kind"] as? String == "returned")
            #expect(outcome["statusName"] as? String == "STATUS_SUCCESS")
        }
    }

    @Test func refusedImageIsReportedNotAToolError() throws {
        let result = try runHVCISim(["run", "Samples/bin/rwx-section.sys", "--format", "json"], currentDirectory: TestPaths.packageRoot)
        #expect(result.status == 1)
        let runs = try #require(try json(result)["runs"] as? [[String: Any]])
        #expect(runs.first?["loaded"] as? Bool == false)
        #expect((runs.first?["loadFailure"] as? String)?.contains("Code Integrity refused") == true)
    }

    @Test func badArgumentsAndFilesGiveStatusTwoWithOneLine() throws {
        let missing = try runHVCISim(["run", "no-such.sys"], currentDirectory: TestPaths.packageRoot)
        #expect(missing.status == 2)
        #expect(missing.stderr.split(separator: "\n").count == 1)
        let badIoctl = try runHVCISim(["run", "Samples/bin/compliant.sys", "--ioctl", "0x22:zz"], currentDirectory: TestPaths.packageRoot)
        #expect(badIoctl.status == 2)
        #expect(badIoctl.stderr.contains("--ioctl"))
    }

    @Test func registrySeedIsReadAndABadOneIsAOneLineError() throws {
        let good = try temporaryFile(Array(#"{"keys": {"HKLM\\SOFTWARE\\Vendor": {"On": 1}}}"#.utf8), name: "reg.json")
        let ok = try runHVCISim(["run", "Samples/bin/compliant.sys", "--registry", good], currentDirectory: TestPaths.packageRoot)
        #expect(ok.status == 0)
        let bad = try temporaryFile(Array(#"{"keys": "#.utf8), name: "bad.json")
        let failed = try runHVCISim(["run", "Samples/bin/compliant.sys", "--registry", bad], currentDirectory: TestPaths.packageRoot)
        #expect(failed.status == 2)
        #expect(failed.stderr.split(separator: "\n").count == 1)
        #expect(failed.stderr.contains("not valid JSON"))
    }

    @Test func traceShowsKernelCallsAndTrapsWithDisassembly() throws {
        let result = try runHVCISim(["run", "Samples/bin/code-write.sys", "--trace"], currentDirectory: TestPaths.packageRoot)
        #expect(result.stderr.contains("[kcall] ntoskrnl.exe!DbgPrint("))
        #expect(result.stderr.contains("[trap] CODE_PAGE_WRITE"))
        #expect(result.stderr.contains("mov byte ptr [rip - 0x30], 2"))
    }

    /// The PTE edit is a warning on the way (the page tables are the kernel's); enforce stops at
    /// the first violation, the execution of the tampered page (0xFC), as Windows does.
    @Test func enforceModeStopsAtTheFirstViolation() throws {
        let result = try runHVCISim(["run", "Samples/bin/pte-nx-clear.sys", "--mode", "enforce", "--format", "json"],
                                    currentDirectory: TestPaths.packageRoot)
        let runs = try #require(try json(result)["runs"] as? [[String: Any]])
        let entry = try #require((runs.first?["entryPoints"] as? [[String: Any]])?.first)
        let outcome = try #require(entry["outcome"] as? [String: Any])
        #expect(outcome["kind"] as? String == "bug-check")
        #expect((outcome["bugCheck"] as? [String: Any])?["code"] as? String == "0xfc")
        let findings = try #require(entry["findings"] as? [[String: Any]])
        #expect(findings.map { $0["code"] as? String } == ["PTE_TAMPER", "DATA_EXECUTION"])
        #expect(findings.map { $0["severity"] as? String } == ["warning", "error"])
    }
}

/// JSON run-time findings carry where they happened, as docs/report-schema.md documents.
@Suite struct RunFindingLocationTests {
    @Test func runtimeFindingsCarrySiteInstructionAndStack() throws {
        let result = try runHVCISim(["run", "Samples/bin/code-write.sys", "--format", "json"],
                                    currentDirectory: TestPaths.packageRoot)
        #expect(result.status == 1)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let runs = try #require(report["runs"] as? [[String: Any]])
        let entries = try #require(runs.first?["entryPoints"] as? [[String: Any]])
        let findings = entries.flatMap { ($0["findings"] as? [[String: Any]]) ?? [] }
        let write = try #require(findings.first { $0["code"] as? String == "CODE_PAGE_WRITE" })
        let site = try #require(write["site"] as? [String: Any])
        #expect((site["symbol"] as? String)?.hasPrefix("code-write.sys!.text+") == true, "\(site)")
        #expect((site["symbol"] as? String)?.contains("(DriverEntry+") == true, "\(site)")
        #expect((site["address"] as? String)?.hasPrefix("0x") == true)
        let instruction = try #require(write["instruction"] as? String)
        #expect(instruction.hasPrefix("mov"), "\(instruction)")
        // The store is in DriverEntry itself: nothing of the driver's above it on the stack.
        let stack = try #require(write["stack"] as? [[String: Any]])
        #expect(stack.allSatisfy { $0["address"] is String && $0["symbol"] is String })
    }
}
