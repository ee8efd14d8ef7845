import Testing
@testable import Kernel

/// Reports print NTSTATUS values by name whichever area's table defines them.
@Suite struct NTStatusTests {
    @Test func namesComeFromEveryAreaTable() {
        #expect(NTStatus.name(NTStatus.success) == "STATUS_SUCCESS")
        #expect(NTStatus.name(NTStatus.invalidSid) == "STATUS_INVALID_SID")          // NTStatus+More
        #expect(NTStatus.name(AreaStatus.endOfFile) == "STATUS_END_OF_FILE")          // AreaStatus
        #expect(NTStatus.name(0xC000_0295) == "STATUS_WMI_GUID_NOT_FOUND")
        #expect(NTStatus.name(0xDEAD_BEEF) == "0xdeadbeef")  // one hex style everywhere: lower case
    }

    @Test func tablesAgreeWhereTheyOverlap() {
        for (code, name) in NTStatus.moreNames {
            if let other = NTStatus.names[code] { #expect(other == name, "0x\(String(code, radix: 16))") }
            if let other = AreaStatus.names[code] { #expect(other == name, "0x\(String(code, radix: 16))") }
        }
        for (code, name) in AreaStatus.names {
            if let other = NTStatus.names[code] { #expect(other == name, "0x\(String(code, radix: 16))") }
        }
        for (code, name) in NTStatus.names.merging(NTStatus.moreNames, uniquingKeysWith: { a, _ in a }) {
            #expect(name.hasPrefix("STATUS_"), "0x\(String(code, radix: 16)) \(name)")
        }
    }
}
