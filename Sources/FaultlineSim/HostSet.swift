/// A dense identifier of a simulated host (an index into the engine's host table).
///
/// Invariant: assigned in registration order starting at 0, never reused within a run.
public struct HostID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let index: Int32
    @inlinable public init(_ index: Int32) { self.index = index }
    @inlinable public init(index: Int) { self.index = Int32(index) }
    @inlinable public static func < (lhs: HostID, rhs: HostID) -> Bool { lhs.index < rhs.index }
    public var description: String { "host#\(index)" }
}

/// A set of hosts as a bitset: O(1) membership, deterministic iteration in host order.
public struct HostSet: Hashable, Sendable, Sequence {
    @usableFromInline var words: [UInt64]

    public init() { words = [] }
    public init<S: Sequence>(_ hosts: S) where S.Element == HostID {
        words = []
        for host in hosts { insert(host) }
    }

    @inlinable public func contains(_ host: HostID) -> Bool {
        let word = Int(host.index) >> 6
        guard word < words.count else { return false }
        return words[word] & (1 << UInt64(host.index & 63)) != 0
    }

    public mutating func insert(_ host: HostID) {
        let word = Int(host.index) >> 6
        while words.count <= word { words.append(0) }
        words[word] |= 1 << UInt64(host.index & 63)
    }

    public mutating func remove(_ host: HostID) {
        let word = Int(host.index) >> 6
        guard word < words.count else { return }
        words[word] &= ~(1 << UInt64(host.index & 63))
    }

    public var isEmpty: Bool { words.allSatisfy { $0 == 0 } }
    public var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// Hosts in ascending index order.
    public func makeIterator() -> IndexingIterator<[HostID]> {
        var hosts: [HostID] = []
        for (wordIndex, word) in words.enumerated() where word != 0 {
            for bit in 0..<64 where word & (1 << UInt64(bit)) != 0 {
                hosts.append(HostID(index: wordIndex * 64 + bit))
            }
        }
        return hosts.makeIterator()
    }

    public func union(_ other: HostSet) -> HostSet {
        var result = self
        for host in other { result.insert(host) }
        return result
    }
}
