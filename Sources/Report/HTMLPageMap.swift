import Events
import PEImage
import Scenario

/// The inline SVG of one run's address space: a lane per region kind, a row per region in
/// address order (taller for bigger regions), two stripes per row — the guest PTE's rights and
/// the SLAT's — and each violation a numbered marker linking to its finding. The address space
/// is far too sparse (image, pool arena, user half) for a linear scale, so rows carry labels.
enum HTMLPageMap {
    static let lanes: [(kind: String, title: String)] = [
        ("image", "Image sections"), ("pool", "Pool allocations"), ("mdl", "MDL mappings"),
        ("stack", "Stack"), ("user", "User-mode memory"), ("kernel", "Kernel structures"),
    ]
    /// Rows drawn per lane; regions holding a violation are always drawn.
    static let rowLimit = 80
    static let width = 600
    static let addressX = 8, pteX = 172, slatX = 214, stripe = 40, markerX = 266, labelX = 352

    struct Marker {
        var finding: HTMLReport.Numbered
        /// nil: a finding about the whole image (Driver Verifier at load) with no section in the map.
        var address: UInt64?
    }

    /// Where a finding happened: the address it touched, else its call site.
    static func address(of finding: Finding) -> UInt64? {
        for key in ["target", "page"] {
            if let text = finding.details.first(where: { $0.key == key })?.value, let value = parseHex(text) { return value }
        }
        return finding.site?.address
    }

    static func parseHex(_ text: String) -> UInt64? {
        guard text.hasPrefix("0x") else { return nil }
        return UInt64(text.dropFirst(2), radix: 16)
    }

    /// Findings drawn as markers: run-time ones that are warnings or errors. One without an
    /// address (Driver Verifier's load-time checks) goes on the image section it names.
    static func markers(_ findings: [HTMLReport.Numbered], map: PageMap) -> [Marker] {
        findings.compactMap { n in
            guard n.finding.phase == .runtime, n.finding.severity >= .warning else { return nil }
            let section = n.finding.section.flatMap { name in map.regions.first { $0.kind == "image" && $0.name == name }?.start }
            return Marker(finding: n, address: address(of: n.finding) ?? section)
        }
    }

    static func render(run: RunResult, runIndex: Int, findings: [HTMLReport.Numbered]) -> String {
        let title = "Run \(runIndex + 1): HVCI \(run.hvci ? "on" : "off")"
        guard let map = run.pageMap else {
            return "<div class=\"map\"><h3>\(title.html)</h3><p class=\"note\">Not loaded: no address space.</p></div>\n"
        }
        var placed: [Int: [Marker]] = [:]   // region index → markers
        var unplaced: [Marker] = []
        for marker in markers(findings, map: map) {
            if let address = marker.address, let index = map.regions.firstIndex(where: { $0.contains(address) }) {
                placed[index, default: []].append(marker)
            } else {
                unplaced.append(marker)
            }
        }
        var svg = ""
        var y = 8
        for lane in lanes {
            let indices = map.regions.indices.filter { map.regions[$0].kind == lane.kind }
            guard !indices.isEmpty else { continue }
            svg += "<text class=\"lane-title\" x=\"\(addressX)\" y=\"\(y + 12)\">\(lane.title.html) (\(indices.count))</text>\n"
            svg += "<text x=\"\(pteX)\" y=\"\(y + 12)\">PTE</text><text x=\"\(slatX)\" y=\"\(y + 12)\">SLAT</text>\n"
            y += 18
            let shown = indices.enumerated().filter { $0.offset < rowLimit || placed[$0.element] != nil }.map(\.element)
            for index in shown {
                let (text, height) = row(map.regions[index], markers: placed[index] ?? [], y: y)
                svg += text
                y += height + 2
            }
            if shown.count < indices.count {
                svg += "<text x=\"\(addressX)\" y=\"\(y + 11)\" class=\"note\">… \(indices.count - shown.count) more regions not drawn</text>\n"
                y += 16
            }
            y += 10
        }
        if !unplaced.isEmpty {
            svg += "<text class=\"lane-title\" x=\"\(addressX)\" y=\"\(y + 12)\">Outside the mapped regions</text>\n"
            y += 18
            for marker in unplaced {
                svg += markerSVG(marker, x: markerX + 8, y: y + 8)
                svg += "<text x=\"\(addressX)\" y=\"\(y + 12)\">\(marker.address.map { hex($0) } ?? "the image")</text>"
                    + "<text x=\"\(labelX)\" y=\"\(y + 12)\">\(marker.finding.finding.code.html) "
                    + "\(marker.address == nil ? "(no address)" : "(nothing mapped)")</text>\n"
                y += 20
            }
        }
        if map.omitted > 0 {
            svg += "<text x=\"\(addressX)\" y=\"\(y + 11)\">\(map.omitted) regions past the cap of \(PageMap.limit) left out</text>\n"
            y += 16
        }
        let note = run.hvci ? "" : " <small class=\"note\">(the SLAT grants everything: only the PTEs apply)</small>"
        return "<div class=\"map\"><h3>\(title.html)\(note)</h3>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(y)\" "
            + "viewBox=\"0 0 \(width) \(y)\" role=\"img\" aria-label=\"\(title.html) page map\">\n\(svg)</svg></div>\n"
    }

    /// One region: address, the two rights stripes, its markers, and its name.
    static func row(_ region: PageMapRegion, markers: [Marker], y: Int) -> (String, Int) {
        let pages = max(1, region.size / 4096)
        let height = min(48, 14 + 4 * (63 - pages.leadingZeroBitCount))
        let dash = region.freedBeforeEnd ? " stroke-dasharray=\"3 2\"" : ""
        let tip = "\(region.owner) \(hex(region.start))–\(hex(region.end)) (\(pages) page\(pages == 1 ? "" : "s")); "
            + "PTE \(region.pte), SLAT \(region.slat)" + (region.alias ? "; alias of another allocation's frames" : "")
            + (region.freedBeforeEnd ? "; freed before the run ended (as it was at the violation)" : "")
        var out = "<g class=\"region\" data-kind=\"\(HTMLEscape.token(region.kind))\"><title>\(tip.html)</title>"
        out += "<text x=\"\(addressX)\" y=\"\(y + 11)\">\(hex(region.start))</text>"
        out += "<rect x=\"\(pteX)\" y=\"\(y)\" width=\"\(stripe)\" height=\"\(height)\" fill=\"\(colour(region.pte))\" stroke=\"#555\"\(dash)/>"
        out += "<rect x=\"\(slatX)\" y=\"\(y)\" width=\"\(stripe)\" height=\"\(height)\" fill=\"\(colour(region.slat))\" stroke=\"#555\"\(dash)/>"
        out += "<text x=\"\(pteX + 8)\" y=\"\(y + 11)\" fill=\"\(ink(region.pte))\">\(region.pte)</text>"
        out += "<text x=\"\(slatX + 8)\" y=\"\(y + 11)\" fill=\"\(ink(region.slat))\">\(region.slat)</text>"
        let name = [region.name.isEmpty ? region.owner : region.kind == "image" ? region.owner : "\(region.kind) \(region.name)",
                    region.alias ? "(alias)" : "", region.freedBeforeEnd ? "(freed)" : ""].filter { !$0.isEmpty }.joined(separator: " ")
        out += "<text x=\"\(labelX)\" y=\"\(y + 11)\">\(String(name.prefix(40)).html)</text></g>\n"
        for (position, marker) in markers.prefix(6).enumerated() {
            let fraction = Double((marker.address ?? region.start) &- region.start) / Double(max(region.size, 1))
            out += markerSVG(marker, x: markerX + 8 + position * 15, y: y + 6 + Int(fraction * Double(max(height - 12, 0))))
        }
        return (out, height)
    }

    static func markerSVG(_ marker: Marker, x: Int, y: Int) -> String {
        let f = marker.finding.finding
        let tip = "#\(marker.finding.id) \(f.code)" + (marker.address.map { " at \(hex($0))" } ?? "") + ": \(f.title)"
        return "<g class=\"violation\" data-code=\"\(f.code.html)\"><a href=\"#\(marker.finding.anchor)\"><title>\(tip.html)</title>"
            + "<circle cx=\"\(x)\" cy=\"\(y)\" r=\"7\" fill=\"\(f.severity == .error ? "#c62828" : "#ef8f00")\"/>"
            + "<text x=\"\(x)\" y=\"\(y + 3)\" text-anchor=\"middle\" fill=\"#fff\" font-size=\"8\">\(marker.finding.id)</text></a></g>\n"
    }

    /// A colour per rights set: what the page may do at that level.
    static func colour(_ rights: String) -> String {
        switch rights {
        case "rwx": return "#c62828"
        case "rw-": return "#1e6fd0"
        case "r-x": return "#2e8b3e"
        case "r--": return "#8a8f98"
        case "---": return "#d9dce2"
        default: return "#7b3fa0"
        }
    }

    static let legend: String = {
        let items: [(String, String)] = [("rwx", "read, write, execute"), ("rw-", "read, write (data)"), ("r-x", "read, execute (code)"),
                                        ("r--", "read only"), ("---", "not present / none")]
        var svg = ""
        for (index, item) in items.enumerated() {
            let x = 8 + index * 200
            svg += "<rect x=\"\(x)\" y=\"6\" width=\"30\" height=\"14\" fill=\"\(colour(item.0))\" stroke=\"#555\"/>"
                + "<text x=\"\(x + 36)\" y=\"17\">\(item.0) \(item.1)</text>"
        }
        svg += "<circle cx=\"15\" cy=\"36\" r=\"7\" fill=\"#c62828\"/><text x=\"30\" y=\"40\">violation (number = finding; click to jump)</text>"
            + "<rect x=\"400\" y=\"29\" width=\"30\" height=\"14\" fill=\"#d9dce2\" stroke=\"#555\" stroke-dasharray=\"3 2\"/>"
            + "<text x=\"436\" y=\"40\">freed before the run ended</text>"
        return "<p class=\"note\">Each region shows two stripes: the rights of the guest's PTE (left) and the rights the "
            + "Code Integrity verifier's SLAT grants its frames (right). A page can do only what both allow.</p>\n"
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1000\" height=\"50\" viewBox=\"0 0 1000 50\">\(svg)</svg>\n"
    }()
}

extension HTMLPageMap {
    /// Text colour readable on `colour(rights)`.
    static func ink(_ rights: String) -> String { rights == "---" ? "#333" : "#fff" }
}
