import FaultlineSim

/// A sorted list of string pairs: labels, annotations, node selectors.
///
/// Invariant: keys are unique and kept in ascending order, so iteration, equality and digests never
/// depend on `Hasher` (which Swift seeds per process).
public struct StringPairs: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var pairs: [(key: String, value: String)] = []

    public init() {}
    public init(dictionaryLiteral elements: (String, String)...) {
        for (key, value) in elements { self[key] = value }
    }

    public subscript(key: String) -> String? {
        get { pairs.first(where: { $0.key == key })?.value }
        set {
            let index = pairs.firstIndex(where: { $0.key >= key }) ?? pairs.endIndex
            let exists = index < pairs.endIndex && pairs[index].key == key
            switch (newValue, exists) {
            case (let value?, true): pairs[index].value = value
            case (let value?, false): pairs.insert((key, value), at: index)
            case (nil, true): pairs.remove(at: index)
            case (nil, false): break
            }
        }
    }

    public var isEmpty: Bool { pairs.isEmpty }
    public var count: Int { pairs.count }
    public func makeIterator() -> IndexingIterator<[(key: String, value: String)]> { pairs.makeIterator() }

    /// True when every pair of `selector` is present here (a `matchLabels` selector; empty matches all).
    public func matches(_ selector: StringPairs) -> Bool {
        selector.pairs.allSatisfy { self[$0.key] == $0.value }
    }

    public static func == (lhs: StringPairs, rhs: StringPairs) -> Bool {
        lhs.pairs.count == rhs.pairs.count && zip(lhs.pairs, rhs.pairs).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for pair in pairs {
            hasher.combine(pair.key)
            hasher.combine(pair.value)
        }
    }

    public var traceDigest: UInt64 {
        pairs.reduce(0x5f) { mixHash($0, stableHash($1.key) ^ (stableHash($1.value) &* 3)) }
    }
}

/// `metadata.ownerReferences[]`: who owns an object (the garbage collector deletes orphans).
public struct OwnerReference: Sendable, Hashable {
    public var kind: ResourceKind
    public var name: String
    public var uid: UInt64
    /// `controller: true`: the managing controller (at most one per object).
    public var controller: Bool

    public init(kind: ResourceKind, name: String, uid: UInt64, controller: Bool = true) {
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
    }
}

/// `metadata` of every object (the fields the model uses).
///
/// Invariants: `resourceVersion` is the etcd `mod_revision` of the stored object (0 before it is stored;
/// set by the apiserver, never by clients); `uid` is assigned once at create and never changes;
/// `generation` increases by one on every change of `spec`.
public struct ObjectMeta: Sendable, Hashable {
    public var name: String
    /// Empty for cluster-scoped objects (nodes, namespaces, cluster roles).
    public var namespace: String
    public var uid: UInt64 = 0
    public var resourceVersion: Int64 = 0
    public var generation: Int64 = 0
    public var labels = StringPairs()
    public var annotations = StringPairs()
    public var ownerReferences: [OwnerReference] = []
    /// Global simulated time of creation (the apiserver sets it).
    public var creationTimestamp: SimInstant = .start
    /// Set when a graceful delete started; the object goes away when finalizers are done.
    public var deletionTimestamp: SimInstant?

    public init(name: String, namespace: String = "") {
        self.name = name
        self.namespace = namespace
    }

    /// The owner reference marked `controller: true`, if any.
    public var controllerRef: OwnerReference? { ownerReferences.first(where: \.controller) }
}
