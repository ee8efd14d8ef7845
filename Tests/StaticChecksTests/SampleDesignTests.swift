import Events
import Foundation
import PEImage
import Report
import StaticChecks
import Testing

/// Each sample's static findings and verdict are what `Samples/designed.json`
/// says they were designed to be (that file was written from the design and
/// checked against objdump, independently of this code).
struct SampleDesignTests {
    struct Designed: Decodable, CustomTestStringConvertible {
        var name: String
        var file: String
        var staticFindings: [String]
        var verdict: String
        var testDescription: String { name }
    }

    struct DesignFile: Decodable { var samples: [Designed] }

    static let samplesDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Samples")

    static let designed: [Designed] = {
        guard let data = try? Data(contentsOf: samplesDirectory.appendingPathComponent("designed.json")),
              let file = try? JSONDecoder().decode(DesignFile.self, from: data) else { return [] }
        return file.samples
    }()

    @Test func everySampleIsDesigned() {
        #expect(Self.designed.count == 22)
    }

    @Test(arguments: designed)
    func staticFindingsMatchDesign(_ sample: Designed) throws {
        let path = Self.samplesDirectory.appendingPathComponent(sample.file).path
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let report = try ImageReport(path: path, bytes: bytes)
        let codes = report.findings.map { finding -> String in
            if finding.code == "DDI_RUNTIME_CHECK",
               let function = finding.details.first(where: { $0.key == "function" })?.value {
                return "DDI_RUNTIME_CHECK:" + function
            }
            return finding.code
        }
        #expect(Set(codes) == Set(sample.staticFindings), "\(sample.name): \(codes)")
        #expect(report.verdict.rawValue == sample.verdict)
        #expect(report.findings.allSatisfy { $0.phase == .static })
    }

    @Test func misalignedSampleNamesTheAlignmentAndEachSection() throws {
        let path = Self.samplesDirectory.appendingPathComponent("bin/misaligned-sections.sys").path
        let report = try ImageReport(path: path, bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        let misaligned = report.findings.filter { $0.code == "0x2004" }
        #expect(misaligned.first?.section == nil)
        #expect(misaligned.first?.details.first?.value == "0x200")
        #expect(misaligned.dropFirst().allSatisfy { $0.section != nil && $0.bugCheck?.parameters[3] == $0.section })
        #expect(misaligned.count == 1 + report.image.sections.filter { $0.virtualAddress % 0x1000 != 0 }.count)
    }

    @Test func writableExecutableSectionCarriesDriverVerifierParameters() throws {
        let path = Self.samplesDirectory.appendingPathComponent("bin/rwx-section.sys").path
        let report = try ImageReport(path: path, bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        let finding = try #require(report.findings.first { $0.code == "0x2003" })
        let section = try #require(report.image.sections.first { $0.name == finding.section })
        #expect(section.isWritable && section.isExecutable)
        #expect(finding.bugCheck?.code == 0xC4)
        #expect(finding.bugCheck?.parameters == ["0x2003", "rwx-section.sys",
                                                 hex(report.image.optionalHeader.imageBase + UInt64(section.headerOffset)),
                                                 section.name])
    }

    @Test func initSectionIsANoteNotAnError() throws {
        let path = Self.samplesDirectory.appendingPathComponent("bin/init-rwx.sys").path
        let report = try ImageReport(path: path, bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(report.findings.map(\.code) == ["INIT_SECTION_WX"])
        #expect(report.findings.first?.severity == .note)
        #expect(report.verdict == .compatibleWithNotes)
    }
}
