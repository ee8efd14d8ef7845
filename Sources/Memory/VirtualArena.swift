/// Hands out page-aligned virtual ranges from [lower, upper), first fit, with one unmapped
/// guard page after each range so that overruns fault instead of corrupting a neighbour.
struct VirtualArena {
    let lower: UInt64
    let upper: UInt64
    private var next: UInt64
    /// Freed ranges (base, pages including the guard page), reused first-fit.
    private var holes: [(base: UInt64, pages: Int)] = []

    init(lower: UInt64, upper: UInt64) {
        self.lower = PageGeometry.pageBase(lower)
        self.upper = PageGeometry.pageBase(upper)
        next = self.lower
    }

    func contains(_ va: UInt64) -> Bool { va >= lower && va < upper }

    /// A range of `pages` pages (plus its guard page); `isFree` rejects candidates that
    /// overlap fixed allocations.
    mutating func take(_ pages: Int, isFree: (UInt64, Int) -> Bool) -> UInt64? {
        guard pages > 0 else { return nil }
        let span = pages + 1
        if let index = holes.firstIndex(where: { $0.pages >= span && isFree($0.base, pages) }) {
            let hole = holes[index]
            if hole.pages == span {
                holes.remove(at: index)
            } else if let rest = PageGeometry.advance(hole.base, pages: span) {
                holes[index] = (rest, hole.pages - span)
            }
            return hole.base
        }
        var candidate = next
        while let end = PageGeometry.advance(candidate, pages: span), end <= upper {
            if isFree(candidate, pages) {
                next = end
                return candidate
            }
            candidate = end
        }
        return nil
    }

    /// Returns a range taken with `take` (ignored for addresses outside the arena).
    mutating func give(_ base: UInt64, pages: Int) {
        guard contains(base), pages > 0 else { return }
        holes.append((base, pages + 1))
    }
}
