/// The client watches of one apiserver, in creation order, with the dispatch index of upstream's
/// cacher: a watch is a candidate for an event only if it watches that resource, and a pod watch
/// with `fieldSelector=spec.nodeName=X` (every kubelet's) only for events of pods on node X (the
/// cacher's "indexed triggers" on `spec.nodeName`). Without the index every cache event visits every
/// watch, which at 5,000 kubelets is most of the apiserver's work.
///
/// Invariants: `byResource` and `byNode` hold exactly the positions of `all`, each once, in ascending
/// order (a watch with a node selector only in `byNode`); `candidates` therefore visits watches in
/// creation order, so dispatch order is the same as visiting `all` in order.
struct ClientWatches: Sendable {
    private(set) var all: [ClientWatch] = []
    private var byResource: [ResourceKind: [Int]] = [:]
    private var byNode: [String: [Int]] = [:]

    var count: Int { all.count }
    var isEmpty: Bool { all.isEmpty }

    subscript(position: Int) -> ClientWatch { all[position] }

    /// The sequence number of the next message to the watch at `position`, which this consumes.
    mutating func takeSequence(at position: Int) -> UInt32 {
        defer { all[position].sequence += 1 }
        return all[position].sequence
    }

    mutating func append(_ watch: ClientWatch) {
        index(watch, at: all.count)
        all.append(watch)
    }

    /// Removes the watches of one connection (it closed). Rare: the index is rebuilt.
    mutating func removeAll(on key: ConnectionKey) {
        guard all.contains(where: { $0.key == key }) else { return }
        all.removeAll { $0.key == key }
        byResource = [:]
        byNode = [:]
        for (position, watch) in all.enumerated() { index(watch, at: position) }
    }

    mutating func removeAll() {
        all = []
        byResource = [:]
        byNode = [:]
    }

    /// The positions of the watches that may see some event of `batch`, ascending.
    func candidates(for batch: [(ResourceKind, CachedEvent)]) -> [Int] {
        var positions: [Int] = []
        var resourcesSeen: [ResourceKind] = []
        for (resource, event) in batch {
            if !resourcesSeen.contains(resource) {
                resourcesSeen.append(resource)
                positions.append(contentsOf: byResource[resource] ?? [])
            }
            guard resource == .pods else { continue }
            if case .pod(let pod) = event.object, let node = pod.spec.nodeName { positions.append(contentsOf: byNode[node] ?? []) }
            if case .pod(let pod)? = event.previous, let node = pod.spec.nodeName { positions.append(contentsOf: byNode[node] ?? []) }
        }
        guard batch.count > 1 || resourcesSeen.count > 1 || positions.count > 1 else { return positions }
        positions.sort()
        var unique: [Int] = []
        unique.reserveCapacity(positions.count)
        for position in positions where unique.last != position { unique.append(position) }
        return unique
    }

    private mutating func index(_ watch: ClientWatch, at position: Int) {
        if watch.request.resource == .pods, let node = watch.request.nodeNameSelector {
            byNode[node, default: []].append(position)
        } else {
            byResource[watch.request.resource, default: []].append(position)
        }
    }
}
