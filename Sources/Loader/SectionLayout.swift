import Memory
import PEImage

/// The page runs an image occupies and the PTE rights of each, as the
/// loader maps them: headers read-only, each section per its characteristics
/// with W stripped from INIT. An image whose sections are not page aligned
/// (legal with small SectionAlignment) is mapped as one run with the union
/// of the rights, as legacy Windows does.
struct SectionLayout {
    struct Region {
        var name: String
        var rva: UInt64
        var pages: Int
        var rights: PageRights
    }

    let regions: [Region]
    let isPageAligned: Bool

    init(file: PEFile) {
        let oh = file.optionalHeader
        let aligned = oh.sectionAlignment % 0x1000 == 0 && file.sections.allSatisfy { $0.virtualAddress % 0x1000 == 0 }
        isPageAligned = aligned
        func pages(_ bytes: UInt64) -> Int { Int((bytes + 0xFFF) / 0x1000) }
        guard aligned else {
            var union: PageRights = .read
            for section in file.sections { union.formUnion(Self.rights(of: section)) }
            regions = [Region(name: "image", rva: 0, pages: max(1, pages(UInt64(oh.sizeOfImage))), rights: union)]
            return
        }
        var list = [Region(name: "headers", rva: 0, pages: max(1, pages(UInt64(oh.sizeOfHeaders))), rights: .read)]
        for section in file.sections where section.mappedSize > 0 {
            let start = UInt64(section.virtualAddress)
            // Never overlap the previous run (headers larger than the first section's RVA).
            let previousEnd = list.last.map { $0.rva + UInt64($0.pages) * 0x1000 } ?? 0
            guard start >= previousEnd else { continue }
            list.append(Region(name: section.name, rva: start, pages: pages(UInt64(section.mappedSize)),
                               rights: Self.rights(of: section)))
        }
        regions = list
    }

    static func rights(of section: Section) -> PageRights {
        var rights: PageRights = .read
        if section.isWritable && !(section.isExecutable && section.name == "INIT") { rights.insert(.write) }
        if section.isExecutable { rights.insert(.execute) }
        return rights
    }
}
