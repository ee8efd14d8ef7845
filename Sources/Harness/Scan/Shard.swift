/// `--shard K/N`: the K-th of N deterministic slices of a scan's driver list, so that any job
/// engine (a Kubernetes Indexed Job, a CI matrix) can spread a corpus over machines and
/// `merge` can join the slices into what one scan gives. Drivers are dealt round-robin over
/// the list sorted by path (sizes and run times even out better than with contiguous ranges).
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// 1-based.
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// "K/N" with 1 ≤ K ≤ N ≤ 10,000; nil otherwise.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, n <= 10_000, k >= 1, k <= n else {
            return nil
        }
        self.init(index: k, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    /// This shard's part of `paths`, which the caller has sorted.
    public func select<T>(_ items: [T]) -> [T] {
        items.enumerated().filter { $0.offset % count == index - 1 }.map(\.element)
    }
}
