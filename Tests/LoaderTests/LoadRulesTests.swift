import CPU
import Foundation
import Kernel
import Memory
import PEImage
import Testing
@testable import Loader

/// Windows' load rules (docs/load-rules.md): where a driver image is mapped, how its
/// relocations are applied, and which images are refused with which NTSTATUS.
struct LoadRulesTests {
    /// A fresh machine and kernel, then the loader on `bytes`.
    struct Loaded {
        let kernel: Kernel
        let image: LoadedImage
    }

    static func load(_ bytes: [UInt8], hvci: Bool, preferredBase: Bool = false) throws -> Loaded {
        let engine = try Engine()
        let memory = try MemoryModel(engine: engine, configuration: .init(hvci: hvci, enforcement: .audit))
        let kernel = try Kernel(engine: engine, memory: memory,
                                configuration: KernelConfiguration(hvci: hvci, driverName: "test.sys"))
        let image = try ImageLoader.load(try PEFile(bytes: bytes), name: "test.sys", kernel: kernel,
                                         preferredBase: preferredBase)
        return Loaded(kernel: kernel, image: image)
    }

    static func sample(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: SampleRig.samples.appendingPathComponent("\(name).sys")))
    }

    /// The LoadError `body` throws (nil if it does not throw one).
    static func loadError(_ body: () throws -> Loaded) -> LoadError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error as? LoadError
        }
    }

    /// FileHeader.Characteristics of a PE file's bytes, rewritten by `change`.
    static func withCharacteristics(_ bytes: [UInt8], _ change: (UInt16) -> UInt16) -> [UInt8] {
        var bytes = bytes
        let pe = Int(bytes[0x3C]) | Int(bytes[0x3D]) << 8
        let at = pe + 22
        let value = change(UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8)
        bytes[at] = UInt8(value & 0xFF)
        bytes[at + 1] = UInt8(value >> 8)
        return bytes
    }

    @Test func everySampleIsMappedInTheKernelHalf() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: SampleRig.samples.path)
            .filter { $0.hasSuffix(".sys") }.map { String($0.dropLast(4)) }.sorted()
        #expect(names.count >= 17)
        for name in names {
            let loaded = try Self.load(try Self.sample(name), hvci: false)
            #expect(loaded.image.base == ImageLoader.systemImageBase, "\(name)")
            #expect(loaded.image.base >= 0xFFFF_8000_0000_0000, "\(name)")
            #expect(loaded.image.relocated, "\(name)")
            #expect(loaded.kernel.memory.owner(of: loaded.image.entryPoint) != nil, "\(name)")
        }
    }

    @Test func baseRelocationsAreAppliedAtTheSystemAddress() throws {
        let bytes = try Self.sample("compliant")
        let file = try PEFile(bytes: bytes)
        let loaded = try Self.load(bytes, hvci: true)
        let delta = loaded.image.base &- file.optionalHeader.imageBase
        var checked = 0
        for block in file.relocations {
            for entry in block.entries where entry.type == Relocation.dir64 {
                let rva = UInt64(block.pageRVA) + UInt64(entry.offset)
                let offset = try file.fileOffset(ofRVA: rva, size: 8, field: "fixup", referencedAt: 0)
                let original = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
                let mapped = try loaded.kernel.readU64(loaded.image.base + rva)
                #expect(mapped == original &+ delta)
                // The slot held an address inside the image: it still does, at the new base.
                #expect(loaded.image.contains(mapped), "0x\(String(mapped, radix: 16))")
                checked += 1
            }
        }
        #expect(checked > 0)
    }

    @Test func preferredBaseMapsAtImageBaseWithoutRelocating() throws {
        let loaded = try Self.load(try Self.sample("compliant"), hvci: true, preferredBase: true)
        #expect(loaded.image.base == 0x1_4000_0000)
        #expect(!loaded.image.relocated)
    }

    @Test func imageWithoutRelocationsAndFlagClearLoads() throws {
        // code-write.sys has no relocation directory and IMAGE_FILE_RELOCS_STRIPPED clear.
        let bytes = try Self.sample("code-write")
        let file = try PEFile(bytes: bytes)
        #expect(file.relocations.isEmpty && !file.relocationsStripped)
        let loaded = try Self.load(bytes, hvci: true)
        #expect(loaded.image.base == ImageLoader.systemImageBase)
    }

    @Test func relocationsStrippedWithAUserHalfBaseIsRefused() throws {
        let bytes = Self.withCharacteristics(try Self.sample("code-write")) { $0 | PEFile.relocsStrippedFlag }
        #expect(try PEFile(bytes: bytes).optionalHeader.imageBase < 0x8000_0000_0000)
        for hvci in [true, false] {
            let error = try #require(Self.loadError { try Self.load(bytes, hvci: hvci) })
            guard case .relocationsStripped(let base) = error else {
                Issue.record("unexpected \(error)")
                continue
            }
            #expect(base == 0x1_4000_0000)
            #expect(error.status == 0xC000_0018)
            #expect(NTStatus.name(error.status ?? 0) == "STATUS_CONFLICTING_ADDRESSES")
        }
        // Asked to map at the preferred base, there is nothing to relocate.
        #expect(try Self.load(bytes, hvci: true, preferredBase: true).image.base == 0x1_4000_0000)
    }

    @Test(arguments: ["iat-in-exec-section", "rwx-section", "misaligned-sections"])
    func codeIntegrityRefusesUnderHVCIWithItsStatusAndLegacyLoads(_ name: String) throws {
        let bytes = try Self.sample(name)
        let error = try #require(Self.loadError { try Self.load(bytes, hvci: true) })
        guard case .refusedByCodeIntegrity(let reason) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        let rule = ["iat-in-exec-section": "0x2005", "rwx-section": "0x2003", "misaligned-sections": "0x2004"][name] ?? "?"
        #expect(reason.contains(rule), "\(reason)")
        #expect(error.status == 0xC000_0428)
        #expect(NTStatus.name(error.status ?? 0) == "STATUS_INVALID_IMAGE_HASH")
        #expect(try Self.load(bytes, hvci: false).image.base == ImageLoader.systemImageBase)
    }

    @Test func aFixupOutsideTheImageIsAnInvalidImage() throws {
        var bytes = try Self.sample("compliant")
        let file = try PEFile(bytes: bytes)
        let directory = file.optionalHeader.directory(.baseRelocation)
        let at = try file.fileOffset(ofRVA: UInt64(directory.rva), size: 8, field: "block", referencedAt: 0)
        for (i, byte) in [UInt8(0x00), 0xF0, 0xFF, 0x7F].enumerated() { bytes[at + i] = byte } // PageRVA 0x7FFFF000
        let error = try #require(Self.loadError { try Self.load(bytes, hvci: true) })
        guard case .relocation(let text) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(text.contains("outside the image"))
        #expect(error.status == 0xC000_007B)
    }
}
