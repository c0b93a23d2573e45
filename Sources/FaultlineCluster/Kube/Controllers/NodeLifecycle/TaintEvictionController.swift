import FaultlineSim

/// kube-controller-manager's taint eviction controller (`pkg/controller/tainteviction`) as a pure state
/// machine: pods bound to nodes with NoExecute taints are deleted (gracefully, with the pod's own
/// grace period) once they stop tolerating them.
///
/// For one pod: a NoExecute taint no toleration matches means "delete now". Otherwise each taint is
/// tolerated until its `timeAdded` (or, without one, the time the eviction was first scheduled) plus
/// the smallest `tolerationSeconds` among the tolerations matching it (none set: forever); the pod
/// is deleted when the first of its taints stops being tolerated (upstream's `getMinTolerationTime`
/// over the tolerations in use). Taints removed, or tolerated forever: the eviction is cancelled.
///
/// Invariants: `schedule` is sorted by (time, pod key) and holds at most one entry per pod; a pod
/// whose delete was sent is not deleted again until the delete fails or the pod (that uid) is gone;
/// terminating pods are skipped; nothing depends on dictionary order.
public struct TaintEvictionController: Sendable {
    /// A pending deletion.
    public struct Eviction: Sendable, Hashable {
        /// `namespace/name`.
        public var pod: String
        public var namespace: String
        public var name: String
        public var uid: UInt64
        public var node: String
        public var at: SimInstant
        /// When the eviction was first scheduled (the start for taints without `timeAdded`).
        public var createdAt: SimInstant
    }

    public struct Output {
        public var actions: [ControllerAction] = []
        public var observations: [KubeObservation] = []
    }

    public private(set) var schedule: [Eviction] = []
    /// Deletes sent and not yet seen through: pod key → uid (lookups only).
    var requested: [String: UInt64] = [:]

    public init() {}

    /// The earliest pending deletion (when the caller's timer should fire).
    public var nextEvictionAt: SimInstant? { schedule.first?.at }

    /// Nothing scheduled and no delete awaiting its pod's disappearance: a `sync` over pods on nodes
    /// without NoExecute taints would change nothing.
    public var isIdle: Bool { schedule.isEmpty && requested.isEmpty }

    /// When `pod` would be evicted from under `taints` (NoExecute ones) at `now`: nil if it tolerates
    /// them forever; `now` if one is not tolerated at all.
    public static func evictionTime(_ pod: Pod, taints: [Taint], start: SimInstant, now: SimInstant) -> SimInstant? {
        var earliest: SimInstant?
        for taint in taints where taint.effect == .noExecute {
            let matching = pod.spec.tolerations.filter { $0.tolerates(taint) }
            if matching.isEmpty { return now }
            guard let seconds = matching.compactMap(\.tolerationSeconds).min() else { continue }
            let at = (taint.timeAdded ?? start) + .seconds(max(0, seconds))
            earliest = min(earliest ?? at, at)
        }
        return earliest
    }

    /// Recomputes every pod's eviction from the informers' nodes and pods, then deletes the pods
    /// whose time has come (`at <= now`), skipping pods in `busy` (registry keys with a write in
    /// flight; they stay scheduled).
    public mutating func sync(nodes: [Node], pods: [Pod], busy: Set<String> = [], now: SimInstant) -> Output {
        var output = Output()
        var taintsByNode: [String: [Taint]] = [:]  // lookups only
        for node in nodes {
            let taints = node.taints.filter { $0.effect == .noExecute }
            if !taints.isEmpty { taintsByNode[node.metadata.name] = taints }
        }
        var previous: [String: Eviction] = [:]  // lookups only
        for eviction in schedule { previous[eviction.pod] = eviction }
        var seen: Set<String> = []
        var next: [Eviction] = []
        for pod in pods {
            let key = pod.metadata.namespace + "/" + pod.metadata.name
            seen.insert(key)
            if let uid = requested[key] {
                if uid == pod.metadata.uid { continue }
                requested[key] = nil
            }
            guard pod.metadata.deletionTimestamp == nil, let node = pod.spec.nodeName, let taints = taintsByNode[node] else { continue }
            let earlier = previous[key].flatMap { $0.uid == pod.metadata.uid && $0.node == node ? $0 : nil }
            let createdAt = earlier?.createdAt ?? now
            guard let at = Self.evictionTime(pod, taints: taints, start: createdAt, now: now) else { continue }
            next.append(Eviction(pod: key, namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid,
                                 node: node, at: at, createdAt: createdAt))
        }
        for key in requested.keys.sorted() where !seen.contains(key) { requested[key] = nil }
        next.sort { ($0.at, $0.pod) < ($1.at, $1.pod) }
        var remaining: [Eviction] = []
        for eviction in next {
            let registryKey = ResourceKind.pods.registryKey(namespace: eviction.namespace, name: eviction.name)
            guard eviction.at <= now, !busy.contains(registryKey) else {
                remaining.append(eviction)
                continue
            }
            requested[eviction.pod] = eviction.uid
            output.actions.append(.delete(.pods, namespace: eviction.namespace, name: eviction.name, uid: eviction.uid))
            output.observations.append(.podEvicted(pod: eviction.pod, node: eviction.node))
        }
        schedule = remaining
        return output
    }

    /// The delete of `pod` (`namespace/name`) failed: the next `sync` schedules it again.
    public mutating func deleteFailed(pod: String) { requested[pod] = nil }
}
