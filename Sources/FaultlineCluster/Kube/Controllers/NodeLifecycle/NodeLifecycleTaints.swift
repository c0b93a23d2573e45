import FaultlineSim

/// The node lifecycle controller's taints and pod readiness: NoSchedule taints follow the Ready
/// condition at once; NoExecute taints are removed at once but added only through the zone queues.
extension NodeLifecycleController {
    public static let notReadyTaintKey = "node.kubernetes.io/not-ready"
    public static let unreachableTaintKey = "node.kubernetes.io/unreachable"
    static let managedKeys = [notReadyTaintKey, unreachableTaintKey]

    /// The taint key a Ready condition calls for (nil: Ready).
    static func taintKey(for ready: ConditionStatus) -> String? {
        switch ready {
        case .isTrue: return nil
        case .isFalse: return notReadyTaintKey
        case .unknown: return unreachableTaintKey
        }
    }

    static func isManaged(_ taint: Taint, _ effect: TaintEffect) -> Bool {
        taint.effect == effect && managedKeys.contains(taint.key)
    }

    /// The event-driven pass (upstream's `doNoScheduleTaintingPass` on node updates): taints and pod
    /// readiness of `dirty` nodes (names) from the Ready condition the informer shows.
    public mutating func taintPass(_ input: NodeLifecycleInput, dirty: [String], now: SimInstant) -> NodeLifecycleOutput {
        var output = NodeLifecycleOutput()
        let wanted = Set(dirty)
        let nodes = input.nodes.filter { wanted.contains($0.metadata.name) }.sorted { $0.metadata.name < $1.metadata.name }
        for node in nodes { observe(node, now: now) }
        var ready: [String: ConditionStatus] = [:]  // lookups only
        for node in nodes { ready[node.metadata.name] = node.status.ready }
        taintAndMarkPods(nodes, ready: ready, podsOnNode: input.podsOnNode, busy: input.busy, now: now, &output)
        return output
    }

    /// For each node (in the given, name order): one taint update if its managed taints differ from
    /// what `ready` calls for, the node queued for a NoExecute taint when it needs one, and
    /// `MarkPodsNotReady` for its Ready pods when it is not Ready.
    mutating func taintAndMarkPods(_ nodes: [Node], ready: [String: ConditionStatus], podsOnNode: (String) -> [Pod],
                                   busy: Set<String>, now: SimInstant, _ output: inout NodeLifecycleOutput) {
        for node in nodes {
            let name = node.metadata.name
            let status = ready[name] ?? node.status.ready
            if status != .isTrue {
                for pod in podsOnNode(name) where pod.status.ready && !busy.contains(KubeObject.pod(pod).registryKey) {
                    var updated = pod
                    updated.status.ready = false
                    output.actions.append(.updateStatus(.pod(updated)))
                }
            }
            let key = KubeObject.node(node).registryKey
            guard !busy.contains(key) else { continue }
            if let taints = desiredTaints(node, ready: status, now: now), taints != node.taints {
                var updated = node
                updated.taints = taints
                output.actions.append(.update(.node(updated)))
            }
        }
    }

    /// The node's taints with the managed ones as `ready` calls for (nil: no change). Queues the node
    /// for a NoExecute taint when it is not Ready, has none and tainting is on; a swap between
    /// not-ready and unreachable NoExecute taints is immediate (upstream `SwapNodeControllerTaint`,
    /// with a new `timeAdded`).
    mutating func desiredTaints(_ node: Node, ready: ConditionStatus, now: SimInstant) -> [Taint]? {
        let name = node.metadata.name
        let wantKey = Self.taintKey(for: ready)
        var taints = node.taints
        // NoSchedule: not rate limited.
        taints.removeAll { Self.isManaged($0, .noSchedule) && $0.key != wantKey }
        if let wantKey, !taints.contains(where: { $0.key == wantKey && $0.effect == .noSchedule }) {
            taints.append(Taint(key: wantKey, effect: .noSchedule))
        }
        // NoExecute.
        guard let wantKey, !evictionsStopped else {
            // Ready again (markNodeAsReachable), or every zone fully disrupted: no NoExecute taints.
            queues[node.zone]?.remove(name)
            taints.removeAll { Self.isManaged($0, .noExecute) }
            return taints
        }
        let hasWanted = taints.contains { $0.key == wantKey && $0.effect == .noExecute }
        let hasOpposite = taints.contains { Self.isManaged($0, .noExecute) && $0.key != wantKey }
        if hasOpposite {
            taints.removeAll { Self.isManaged($0, .noExecute) && $0.key != wantKey }
            if !hasWanted { taints.append(Taint(key: wantKey, effect: .noExecute, timeAdded: now)) }
            queues[node.zone]?.remove(name)
        } else if hasWanted {
            queues[node.zone]?.remove(name)
        } else if queues[node.zone] != nil {
            queues[node.zone]?.add(name)
        } else {
            // A zone the last monitor pass did not see: its queue comes with the next pass.
        }
        return taints
    }

    /// One `doNoExecuteTaintingPass` (every 100 ms while a queue is processable): each zone (in name
    /// order) releases queued nodes at its rate; a released node still not Ready gets its NoExecute
    /// taint (a Ready one, or one already tainted, is dropped, having used its token as upstream).
    public mutating func processTaintQueues(_ input: NodeLifecycleInput, now: SimInstant) -> NodeLifecycleOutput {
        var output = NodeLifecycleOutput()
        guard !evictionsStopped else { return output }
        var nodes: [String: Node] = [:]  // lookups only
        for node in input.nodes { nodes[node.metadata.name] = node }
        for zone in queues.keys.sorted() {
            guard var queue = queues[zone] else { continue }
            let released = queue.release(now: now) { name in
                input.busy.contains(ResourceKind.nodes.registryKey(namespace: "", name: name))
            }
            queues[zone] = queue
            for name in released {
                guard let node = nodes[name], let wantKey = Self.taintKey(for: node.status.ready) else { continue }
                guard !node.taints.contains(where: { $0.key == wantKey && $0.effect == .noExecute }) else { continue }
                var updated = node
                updated.taints.removeAll { Self.isManaged($0, .noExecute) }
                updated.taints.append(Taint(key: wantKey, effect: .noExecute, timeAdded: now))
                output.actions.append(.update(.node(updated)))
            }
        }
        return output
    }
}
