import FaultlineSim

/// The node lifecycle and taint eviction controllers inside kube-controller-manager: heartbeats
/// observed from the node and Lease informers, `monitorNodeHealth` every `--node-monitor-period`, the
/// 100 ms NoExecute taint pass while a zone queue can release a node, the taint pass for nodes their
/// informer changed, and a timer for the earliest scheduled eviction.
///
/// Invariants: nothing is written unless the process leads and its informers have synced; every write
/// goes through `perform` with its object's registry key, and none is sent for a key in `busy`.
extension ControllerManagerLogic {
    /// The input of a node lifecycle pass: every node (or only `names`), every node Lease (only
    /// with every node: the monitor pass reads them), pods looked up per node through the index.
    func nodeLifecycleInput(_ informers: InformerSet, only names: [String]? = nil) -> NodeLifecycleInput {
        let nodes = names.map { self.nodes(named: $0, informers) } ?? informers.informers[Self.nodes].objects.compactMap { object -> Node? in
            if case .node(let node) = object { return node } else { return nil }
        }
        let leases = names != nil ? [] : informers.informers[Self.nodeLeases].objects.compactMap { object -> Lease? in
            if case .lease(let lease) = object { return lease } else { return nil }
        }
        let index = podsByNode
        let pods = informers.informers[Self.pods]
        return NodeLifecycleInput(nodes: nodes, leases: leases, busy: busy) { index.pods(on: $0, in: pods) }
    }

    /// The informer's nodes with these names (in the given order; missing ones skipped).
    func nodes(named names: [String], _ informers: InformerSet) -> [Node] {
        names.compactMap { name in
            if case .node(let node)? = informers.informers[Self.nodes].object(forKey: ResourceKind.nodes.registryKey(namespace: "", name: name)) {
                return node
            }
            return nil
        }
    }

    static func hasNoExecuteTaint(_ object: KubeObject) -> Bool {
        if case .node(let node) = object { return node.taints.contains { $0.effect == .noExecute } } else { return false }
    }

    mutating func rebuildNoExecuteNodes(_ informers: InformerSet) {
        noExecuteNodes = []
        for object in informers.informers[Self.nodes].objects where Self.hasNoExecuteTaint(object) {
            noExecuteNodes.insert(object.metadata.name)
        }
        evictionDirty = true
    }

    /// Whether a pod event concerns a node with a NoExecute taint (before or after the change).
    func podTouchesNoExecuteNode(_ event: InformerEvent) -> Bool {
        switch event {
        case .added(let object), .deleted(let object):
            return PodNodeIndex.node(of: object).map(noExecuteNodes.contains) ?? false
        case .updated(let old, let new):
            return [old, new].contains { PodNodeIndex.node(of: $0).map(noExecuteNodes.contains) ?? false }
        case .synced, .observedResourceVersion:
            return false
        }
    }

    /// A node or node Lease event: heartbeats are observed at once (the probe timestamp is the time of
    /// the event, not of the next monitor pass); changed nodes wait for the taint pass.
    mutating func nodeLifecycleEvent(_ event: InformerEvent, _ object: KubeObject, _ view: ProcessView) {
        let deleted: Bool
        if case .deleted = event { deleted = true } else { deleted = false }
        switch object {
        case .node(let node):
            // The taint eviction controller cares only about NoExecute taints (upstream's node update
            // handler compares them); heartbeats and status updates leave its schedule as it is.
            let oldNoExecute: Bool
            if case .updated(let old, _) = event { oldNoExecute = Self.hasNoExecuteTaint(old) } else { oldNoExecute = false }
            let newNoExecute = !deleted && Self.hasNoExecuteTaint(object)
            if case .updated = event, oldNoExecute == newNoExecute, !newNoExecute {
                // Neither copy is tainted: nothing for the eviction controller.
            } else {
                evictionDirty = true
            }
            if newNoExecute { noExecuteNodes.insert(node.metadata.name) } else { noExecuteNodes.remove(node.metadata.name) }
            if deleted {
                nodeLifecycle.forget(node: node.metadata.name)
            } else {
                nodeLifecycle.observe(node, now: view.now)
                dirtyNodes.insert(node.metadata.name)
            }
        case .lease(let lease):
            if !deleted { nodeLifecycle.observe(lease, now: view.now) }
        case .pod, .deployment, .replicaSet, .service, .endpointSlice, .namespace, .clusterRole, .clusterRoleBinding:
            break
        }
    }

    mutating func nodeLifecycleTimer(_ token: UInt64, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        if token == Self.monitorToken {
            out.after(nodeLifecycle.flags.nodeMonitorPeriodMs, token: Self.monitorToken)
            guard view.leading, informers.hasSynced else { return }
            let result = nodeLifecycle.monitor(nodeLifecycleInput(informers), now: view.now)
            apply(result, view, &out)
        } else {
            taintQueuePending = false
            guard view.leading, informers.hasSynced else { return }
            let result = nodeLifecycle.processTaintQueues(nodeLifecycleInput(informers), now: view.now)
            apply(result, view, &out)
        }
    }

    mutating func evictionTimer(_ generation: UInt64, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        guard generation == evictionTimerGeneration else { return }
        evictionTimerGeneration += 1
        evictionTimerArmedAt = nil
        guard view.leading, informers.hasSynced else { return }
        syncEvictions(view, informers, &out)
    }

    /// The node lifecycle part of a work step: the taint pass for changed nodes, then evictions.
    mutating func reconcileNodeLifecycle(_ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        if !dirtyNodes.isEmpty {
            let dirty = dirtyNodes.sorted()
            dirtyNodes.removeAll()
            let result = nodeLifecycle.taintPass(nodeLifecycleInput(informers, only: dirty), dirty: dirty, now: view.now)
            apply(result, view, &out)
        }
        if evictionDirty || (taintEviction.nextEvictionAt.map { $0 <= view.now } ?? false) {
            syncEvictions(view, informers, &out)
        }
    }

    mutating func syncEvictions(_ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        evictionDirty = false
        // Only nodes with NoExecute taints and their pods: a pod elsewhere is never evicted, and one
        // that left a tainted node drops out of the schedule by not being passed.
        let nodes = self.nodes(named: noExecuteNodes.sorted(), informers)
        let pods = nodes.flatMap { podsByNode.pods(on: $0.metadata.name, in: informers.informers[Self.pods]) }
        let result = taintEviction.sync(nodes: nodes, pods: pods, busy: busy, now: view.now)
        for action in result.actions { performOnce(action, &out) }
        out.observations += result.observations
        guard let next = taintEviction.nextEvictionAt else { return }
        if let armed = evictionTimerArmedAt, armed <= next { return }
        evictionTimerGeneration += 1
        evictionTimerArmedAt = next
        let remainingNs = max(0, (next - view.now).nanoseconds)
        out.after(max(1, (remainingNs + 999_999) / 1_000_000), token: Self.evictionTokenBit | evictionTimerGeneration)
    }

    mutating func apply(_ result: NodeLifecycleOutput, _ view: ProcessView, _ out: inout ProcessOutbox) {
        for action in result.actions { performOnce(action, &out) }
        out.observations += result.observations
        if !taintQueuePending && nodeLifecycle.hasProcessableQueue {
            taintQueuePending = true
            out.after(NodeLifecycleController.taintQueuePeriodMs, token: Self.taintQueueToken)
        }
    }

    /// Sends `action` unless its object has a write in flight (one write per object at a time).
    mutating func performOnce(_ action: ControllerAction, _ out: inout ProcessOutbox) {
        let key: String
        switch action {
        case .create(let object), .update(let object), .updateStatus(let object): key = object.registryKey
        case .delete(let resource, let namespace, let name, _): key = resource.registryKey(namespace: namespace, name: name)
        }
        guard !busy.contains(key) else { return }
        perform(action, for: key, replicaSet: nil, &out)
    }

    /// A write of `key` failed: a pod's eviction is scheduled again (the node's taints are recomputed
    /// when the retry marks the node dirty).
    mutating func nodeLifecycleWriteFailed(_ key: String) {
        let prefix = ResourceKind.pods.registryPrefix
        if key.hasPrefix(prefix) {
            taintEviction.deleteFailed(pod: String(key.dropFirst(prefix.count)))
            evictionDirty = true
        }
    }
}
