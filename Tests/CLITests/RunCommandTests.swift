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
        // The verdict is the HVCI-on run's: there the driver asks for NX pool. The off run (a DV 0x2000
        // error) is a comparison, so the driver is not incompatible.
        #expect(result.status == 0)
        #expect(try json(result)["verdict"] as? String == "compatible-with-notes")
        #expect(try json(result)["decidedBy"] as? String == "hvci on, verifier on, audit")
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

    /// Issue 12.3: the JSON details and the trace block show both levels; for an MDL alias of
    /// code the PTE says writable and the SLAT does not.
    @Test func trapDetailsAndTraceShowThePTEAndTheSLAT() throws {
        let result = try runHVCISim(["run", "Samples/bin/mdl-alias-patch.sys", "--trace", "--format", "json"],
                                    currentDirectory: TestPaths.packageRoot)
        let runs = try #require(try json(result)["runs"] as? [[String: Any]])
        let findings = try #require((runs.first?["entryPoints"] as? [[String: Any]])?.first?["findings"] as? [[String: Any]])
        let write = try #require(findings.first { $0["code"] as? String == "CODE_PAGE_WRITE" })
        let details = try #require(write["details"] as? [String: String])
        #expect(details["pteBefore"] == "rw-" && details["pteAfter"] == "rw-" && details["slat"] == "r-x")
        #expect(details["frame"]?.hasPrefix("0x") == true && details["pteValue"]?.hasPrefix("0x8") == true)
        #expect(details["decision"]?.hasPrefix("denied by the SLAT:") == true)
        #expect(result.stderr.contains("[trap] CODE_PAGE_WRITE at 0xffffb"))
        #expect(result.stderr.contains("  PTE          rw- (NX set)   before = after"))
        #expect(result.stderr.contains("  SLAT         r-x   (CI verifier: verified code, never writable)"))
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
        // Its write into .text faults on any Windows (the PTE is read-only): a crash of its own, so inconclusive.
        #expect(result.status == 3)
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

/// Exit status 3 and the verdict's reason through the CLI, as scripts see them.
struct InconclusiveCommandTests {
    @Test func aLimitInDriverEntryExitsThreeWithTheReason() throws {
        let result = try runHVCISim(["run", "Samples/bin/compliant.sys", "--max-instructions", "5", "--format", "json"],
                                    currentDirectory: TestPaths.packageRoot)
        #expect(result.status == 3)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(report["verdict"] as? String == "inconclusive")
        #expect((report["verdictReason"] as? String)?.contains("instruction limit") == true)
        let run = try #require((report["runs"] as? [[String: Any]])?.first)
        #expect(run["verifier"] as? String == "on")
        let coverage = try #require(run["coverage"] as? [String: Any])
        #expect(coverage["found"] as? Int == 1)
        #expect(coverage["completed"] as? Int == 0)
        let text = try runHVCISim(["run", "Samples/bin/compliant.sys", "--max-instructions", "5"], currentDirectory: TestPaths.packageRoot)
        #expect(text.status == 3)
        #expect(text.stdout.contains("overall verdict: inconclusive — DriverEntry stopped: instruction limit (5)"))
        #expect(text.stdout.contains("run with HVCI on, Driver Verifier on (audit mode)"))
    }

    @Test func theVerifierSwitchDecidesWhetherDVCodesAppear() throws {
        let on = try runHVCISim(["run", "Samples/bin/pool2-execute.sys"], currentDirectory: TestPaths.packageRoot)
        #expect(on.status == 1)
        #expect(on.stdout.contains("0xc4/0x2000"))
        #expect(on.stdout.contains("bug check 0xc4 DRIVER_VERIFIER_DETECTED_VIOLATION (0x2000, 0x"))
        let off = try runHVCISim(["run", "Samples/bin/pool2-execute.sys", "--verifier", "off"], currentDirectory: TestPaths.packageRoot)
        #expect(off.status == 0)
        #expect(!off.stdout.contains("0x2000"))
        #expect(off.stdout.contains("Driver Verifier off"))
    }

    @Test func ioctlInputFromAFileAndTheOutputSize() throws {
        let input = try temporaryFile([0x29, 0, 0, 0], name: "input.bin")
        let result = try runHVCISim(["run", "Samples/bin/compliant.sys", "--ioctl", "0x80002000:@\(input)", "--output-size", "8",
                                     "--no-discover-ioctls"], currentDirectory: TestPaths.packageRoot)
        #expect(result.status == 0)
        #expect(result.stdout.contains("IoControlCode 0x80002000, method 0, input 4 bytes, output 8 bytes"))
        #expect(result.stdout.contains("output 2a000000"))  // the sample answers n + 1
        for bad in ["", ":", ":00", "0x22:@", "0x22:@/no/such/file"] {
            let failed = try runHVCISim(["run", "Samples/bin/compliant.sys", "--ioctl", bad], currentDirectory: TestPaths.packageRoot)
            #expect(failed.status == 2, "\(bad)")
            #expect(failed.stderr.split(separator: "\n").count == 1, "\(bad)")
        }
    }

    @Test func virtualTimeBudgetsAreOptionsWithDocumentedDefaults() throws {
        let help = try runHVCISim(["run", "--help"])
        #expect(help.stdout.contains("--virtual-time-budget"))
        #expect(help.stdout.contains("--repeated-call-limit"))
        #expect(help.stdout.contains("docs/virtual-time.md"))
        for bad in [["--virtual-time-budget", "-1"], ["--virtual-time-budget", "x"], ["--repeated-call-limit", "-5"]] {
            let failed = try runHVCISim(["run", "Samples/bin/compliant.sys"] + bad, currentDirectory: TestPaths.packageRoot)
            #expect(failed.status == 2, "\(bad)")
            #expect(failed.stderr.split(separator: "\n").count == 1, "\(bad)")
        }
        // 0 turns both off; a clean driver is unaffected either way.
        let off = try runHVCISim(["run", "Samples/bin/compliant.sys", "--virtual-time-budget", "0", "--repeated-call-limit", "0"],
                                 currentDirectory: TestPaths.packageRoot)
        #expect(off.status == 0)
    }

    @Test func aDispatchRoutineWithNoKnownCodeIsStillRunOnce() throws {
        // With discovery off and no --ioctl, compliant's IRP_MJ_DEVICE_CONTROL still runs with the neutral code.
        let result = try runHVCISim(["run", "Samples/bin/compliant.sys", "--no-discover-ioctls"], currentDirectory: TestPaths.packageRoot)
        #expect(result.stdout.contains("IRP_MJ_DEVICE_CONTROL 0x222000: returned"))
        #expect(result.stdout.contains("no IOCTL code was given or found in the dispatch routine: sent 0x222000"))
    }

    @Test func anEmptyFolderIsNotAnalysable() throws {
        let folder = testScratchFolder.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let result = try runHVCISim(["check", folder.path])
        #expect(result.status == 2)
        #expect(result.stderr == "hvcisim: \(folder.path): no .sys files below this folder\n")
    }
}
