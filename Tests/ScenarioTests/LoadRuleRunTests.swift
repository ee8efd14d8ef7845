import Foundation
import Loader
@testable import Memory
import PEImage
import Testing
@testable import Scenario

/// The run side of Windows' load rules (docs/load-rules.md).
struct LoadRuleRunTests {
    func run(_ name: String, hvci: Bool) throws -> RunResult {
        let bytes = [UInt8](try Data(contentsOf: SampleRunTests.samples.appendingPathComponent("\(name).sys")))
        return DriverRunner.run(try PEFile(bytes: bytes), name: "\(name).sys", options: RunOptions(hvci: hvci))
    }

    @Test func iatInAnExecutableSectionIsRefusedWithHVCIAndRunsWithout() throws {
        let on = try run("iat-in-exec-section", hvci: true)
        #expect(on.loadFailure?.contains("0x2005") == true)
        #expect(on.loadStatus == 0xC000_0428)
        #expect(on.entryPoints.isEmpty && on.imageBase == nil)
        let off = try run("iat-in-exec-section", hvci: false)
        #expect(off.loadFailure == nil && off.loadStatus == nil)
        #expect(off.imageBase == ImageLoader.systemImageBase)
        #expect(off.entryPoints.first?.status == 0)
    }

    @Test func aSMEPFaultIsReportedAsBugCheck0xFC() throws {
        let violation = Violation(kind: .smepViolation, access: .execute, address: 0x200_0000_0000, rip: 0x200_0000_0000,
                                  size: 1, pteRights: .all, slatRights: .all, pfn: 5, owner: .userMemory(protection: 0x40),
                                  frameOwner: .userMemory(protection: 0x40), deniedBy: .pageTable, hvci: false,
                                  bugCheckCode: Violation.bugCheck(for: .smepViolation), pteBefore: nil, pteAfter: nil,
                                  continued: false)
        #expect(violation.kind.isFetch)
        let (code, title, _) = ViolationFindings.describe(violation)
        #expect(code == "SMEP_VIOLATION")
        #expect(title.contains("user-mode page"))
        #expect(violation.bugCheckCode == 0xFC)
    }
}
