/// FsRtlIsNameInExpression's matcher: `*`, `?` and the DOS wildcards `<`
/// (DOS_STAR), `>` (DOS_QM) and `"` (DOS_DOT), as a set of expression
/// positions advanced one name character at a time (no backtracking).
enum Wildcard {
    static let star: UInt16 = 0x2A, question: UInt16 = 0x3F, dosStar: UInt16 = 0x3C, dosQM: UInt16 = 0x3E, dosDot: UInt16 = 0x22
    static let dot: UInt16 = 0x2E
    /// Work budget (expression positions × name characters).
    static let maxSteps = 64 << 20

    static func containsWildcards(_ units: [UInt16]) -> Bool {
        units.contains { [star, question, dosStar, dosQM, dosDot].contains($0) }
    }

    static func matches(expression: [UInt16], name: [UInt16]) -> Bool {
        let e = expression.count, n = name.count
        if e == 0 { return n == 0 }
        guard e.multipliedReportingOverflow(by: n + 1).partialValue <= maxSteps else { return false }
        let lastDot = name.lastIndex(of: dot)
        var states = [Bool](repeating: false, count: e + 1)
        states[0] = true
        for j in 0...n {
            // Moves that consume nothing (positions only ever move forward, so one pass closes them).
            for i in 0..<e where states[i] {
                let c = expression[i]
                switch c {
                case star, dosStar: states[i + 1] = true
                case dosQM: if j == n || name[j] == dot { states[i + 1] = true }
                case dosDot: if j == n { states[i + 1] = true }
                default: break
                }
            }
            if j == n { return states[e] }
            var next = [Bool](repeating: false, count: e + 1)
            var any = false
            let ch = name[j]
            for i in 0..<e where states[i] {
                let c = expression[i]
                switch c {
                case star: next[i] = true; any = true
                case dosStar:
                    if !(ch == dot && j == lastDot) { next[i] = true; any = true }
                case question: next[i + 1] = true; any = true
                case dosQM: if ch != dot { next[i + 1] = true; any = true }
                case dosDot: if ch == dot { next[i + 1] = true; any = true }
                default: if c == ch { next[i + 1] = true; any = true }
                }
            }
            guard any else { return false }
            states = next
        }
        return states[e]
    }
}
