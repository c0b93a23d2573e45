/// Pods by `spec.nodeName`, kept from a pod informer's events: client-go's indexer with the
/// `spec.nodeName` index function, which the node lifecycle and taint eviction controllers use to
/// find the pods of one node without scanning every pod.
///
/// Invariants: each node's list holds the registry keys of exactly the informer's pods bound to that
/// node, sorted and without duplicates (the dictionary is used for lookups only, never iterated).
public struct PodNodeIndex: Sendable {
    private var keysByNode: [String: [String]] = [:]

    public init() {}

    /// Follows one event of the pod informer (other events are ignored).
    public mutating func apply(_ event: InformerEvent) {
        switch event {
        case .added(let object):
            insert(object)
        case .updated(let old, let new):
            if Self.node(of: old) != Self.node(of: new) {
                remove(old)
                insert(new)
            }
        case .deleted(let object):
            remove(object)
        case .synced, .observedResourceVersion:
            return
        }
    }

    /// Rebuilds the index from the informer's store (after a start or a relist).
    public mutating func rebuild(from informer: Informer) {
        keysByNode = [:]
        for object in informer.objects { insert(object) }  // the store is in key order: lists stay sorted
    }

    /// The registry keys of the pods bound to `node`, in key order.
    public func podKeys(on node: String) -> [String] { keysByNode[node] ?? [] }

    /// The pods bound to `node` as `informer` holds them now, in key order.
    public func pods(on node: String, in informer: Informer) -> [Pod] {
        podKeys(on: node).compactMap { key in
            if case .pod(let pod)? = informer.object(forKey: key) { return pod } else { return nil }
        }
    }

    static func node(of object: KubeObject) -> String? {
        if case .pod(let pod) = object { return pod.spec.nodeName } else { return nil }
    }

    private mutating func insert(_ object: KubeObject) {
        guard let node = Self.node(of: object) else { return }
        let key = object.registryKey
        var keys = keysByNode[node] ?? []
        let position = Informer.binarySearch(keys, key)
        if position == keys.count || keys[position] != key { keys.insert(key, at: position) }
        keysByNode[node] = keys
    }

    private mutating func remove(_ object: KubeObject) {
        guard let node = Self.node(of: object), var keys = keysByNode[node] else { return }
        let key = object.registryKey
        let position = Informer.binarySearch(keys, key)
        guard position < keys.count, keys[position] == key else { return }
        keys.remove(at: position)
        keysByNode[node] = keys.isEmpty ? nil : keys
    }
}
