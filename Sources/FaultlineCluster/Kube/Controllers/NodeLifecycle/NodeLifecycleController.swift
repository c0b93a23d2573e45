import FaultlineSim

/// What the node lifecycle controller reads in one step: the informers' nodes, node Leases
/// (`kube-node-lease`) and pods, and the registry keys with a write of this process in flight.
public struct NodeLifecycleInput {
    public var nodes: [Node]
    public var leases: [Lease]
    /// The pods bound to a node, in key order (a lookup through the pod informer's node index, so a
    /// pass touches only the pods of the nodes it acts on).
    public var podsOnNode: (String) -> [Pod]
    /// Registry keys (`KubeObject.registryKey`) with a write in flight: never written again until answered.
    public var busy: Set<String>

    public init(nodes: [Node], leases: [Lease] = [], busy: Set<String> = [], podsOnNode: @escaping (String) -> [Pod]) {
        self.nodes = nodes
        self.leases = leases
        self.podsOnNode = podsOnNode
        self.busy = busy
    }

    /// With every pod given (tests): grouped by node, keeping the given order within a node.
    public init(nodes: [Node], leases: [Lease] = [], pods: [Pod] = [], busy: Set<String> = []) {
        var byNode: [String: [Pod]] = [:]  // lookups only
        for pod in pods { if let node = pod.spec.nodeName { byNode[node, default: []].append(pod) } }
        self.init(nodes: nodes, leases: leases, busy: busy) { byNode[$0] ?? [] }
    }
}

/// What one step decided: writes (at most one per object, each carrying the informer object's
/// resourceVersion as its precondition) and observations, in a deterministic order.
public struct NodeLifecycleOutput {
    public var actions: [ControllerAction] = []
    public var observations: [KubeObservation] = []
    public init() {}
}

/// kube-controller-manager's node lifecycle controller (`pkg/controller/nodelifecycle`) as a pure
/// state machine: `monitor` is upstream's `monitorNodeHealth` (every `--node-monitor-period`),
/// `taintPass` its event-driven NoSchedule tainting, `processTaintQueues` the 100 ms
/// `doNoExecuteTaintingPass` over the per-zone rate-limited queues.
///
/// Health: the probe timestamp of a node is this controller's own time (`now`) when it last saw its
/// Ready `lastHeartbeat` or its Lease's `renewTime` change. Both are the kubelet's clock readings, so
/// they are compared only for change, never with `now`. A node silent for longer than the grace period
/// (`--node-startup-grace-period` until it has been seen Ready once, then
/// `--node-monitor-grace-period`) is written Ready=Unknown (`NodeStatusUnknown`).
///
/// Model rule (not upstream): a node is judged only once a kubelet has shown itself for it (a Lease
/// `kube-node-lease/<node>` exists, or its `lastHeartbeat` changed). Nodes the scenario declares
/// without a kubelet model that heartbeats stay as declared; upstream would mark them Unknown after
/// the startup grace. With kubelets that create their Lease on start, the two agree except for a
/// kubelet that never started.
///
/// Invariants:
/// - at most one write per object per step, and none for an object in `input.busy`;
/// - nodes, zones and pods are visited in name order (dictionaries here are lookups only);
/// - NoExecute taints are added only through a zone queue, at the zone's rate (burst 1), and never
///   while every zone is fully disrupted (unless `.evictsInFullDisruption`); they are removed at once
///   when the node is Ready again or when every zone becomes fully disrupted.
public struct NodeLifecycleController: Sendable {
    /// How often queued NoExecute taints are tried (upstream `NodeEvictionPeriod`).
    public static let taintQueuePeriodMs: Int64 = 100

    /// What the controller remembers of a node between steps.
    struct NodeHealth: Sendable, Hashable {
        var probe: SimInstant
        var lastHeartbeat: SimInstant
        var leaseRenewTime: SimInstant?
        /// Seen with Ready=True since the controller first saw it (else the startup grace applies).
        var everReady: Bool
        /// A kubelet has shown itself: a Lease exists or the heartbeat changed (see the model rule).
        var kubeletSeen = false
    }

    public let flags: NodeLifecycleFlags
    /// Per node name (lookups only).
    var health: [String: NodeHealth] = [:]
    /// Per zone (lookups only; iterate over sorted keys).
    public private(set) var zoneStates: [String: ZoneState] = [:]
    var queues: [String: ZoneTaintQueue] = [:]
    /// Every zone is fully disrupted: NoExecute tainting is off and existing taints are removed.
    public private(set) var evictionsStopped = false

    public init(flags: NodeLifecycleFlags) { self.flags = flags }

    // MARK: - Observing heartbeats

    /// Records what the informer shows of `node` at `now`: a new heartbeat moves the probe timestamp.
    public mutating func observe(_ node: Node, now: SimInstant) {
        let name = node.metadata.name
        guard var record = health[name] else {
            health[name] = NodeHealth(probe: now, lastHeartbeat: node.status.lastHeartbeat, leaseRenewTime: nil,
                                      everReady: node.status.ready == .isTrue)
            return
        }
        if record.lastHeartbeat != node.status.lastHeartbeat {
            record.lastHeartbeat = node.status.lastHeartbeat
            record.probe = now
            record.kubeletSeen = true
        }
        if node.status.ready == .isTrue { record.everReady = true }
        health[name] = record
    }

    /// Records a node Lease (`kube-node-lease/<node>`): a changed `renewTime` moves the probe timestamp.
    /// A Lease of a node not seen yet waits for the node.
    public mutating func observe(_ lease: Lease, now: SimInstant) {
        let name = lease.metadata.name
        guard var record = health[name] else { return }
        record.kubeletSeen = true
        guard let renewed = lease.renewTime, renewed != record.leaseRenewTime else {
            health[name] = record
            return
        }
        record.leaseRenewTime = renewed
        record.probe = now
        health[name] = record
    }

    /// The node was deleted: forget its health and queue entries.
    public mutating func forget(node name: String) {
        health[name] = nil
        for zone in queues.keys.sorted() { queues[zone]?.remove(name) }
    }

    /// When the controller last saw a sign of life from `node` (its probe timestamp).
    public func probeTimestamp(of node: String) -> SimInstant? { health[node]?.probe }

    /// This process starts leading: its first monitor pass reports every zone that is not Normal, so
    /// observers follow the new leader's view rather than what the previous leader reported.
    public mutating func startedLeading() { zoneStates = [:] }

    /// The nodes queued for a NoExecute taint in `zone`, in release order.
    public func queuedNodes(zone: String) -> [String] { queues[zone]?.nodes ?? [] }

    /// Whether a `processTaintQueues` pass could release something (the caller's timer runs only then).
    public var hasProcessableQueue: Bool { queues.values.contains { $0.isProcessable } }

    // MARK: - monitorNodeHealth

    /// One `monitorNodeHealth` pass at `now`.
    public mutating func monitor(_ input: NodeLifecycleInput, now: SimInstant) -> NodeLifecycleOutput {
        var output = NodeLifecycleOutput()
        let nodes = input.nodes.sorted { $0.metadata.name < $1.metadata.name }
        var leases: [String: Lease] = [:]  // lookups only
        for lease in input.leases { leases[lease.metadata.name] = lease }
        let names = Set(nodes.map(\.metadata.name))
        for name in health.keys.sorted() where !names.contains(name) { forget(node: name) }

        var ready: [String: ConditionStatus] = [:]  // lookups only
        var written: Set<String> = []
        for node in nodes {
            let name = node.metadata.name
            observe(node, now: now)
            if let lease = leases[name] { observe(lease, now: now) }
            guard let record = health[name] else { continue }
            let graceMs = record.everReady ? flags.nodeMonitorGracePeriodMs : flags.nodeStartupGracePeriodMs
            var status = node.status.ready
            let key = KubeObject.node(node).registryKey
            if record.kubeletSeen, now > record.probe + .milliseconds(graceMs), status != .unknown, !input.busy.contains(key) {
                var updated = node
                updated.status.ready = .unknown
                updated.status.readyReason = "NodeStatusUnknown"
                updated.status.readyTransition = now
                output.actions.append(.updateStatus(.node(updated)))
                written.insert(name)
                status = .unknown
            }
            ready[name] = status
        }
        handleDisruption(nodes, ready: ready, now: now, &output)
        var busy = input.busy
        for name in written.sorted() { busy.insert(ResourceKind.nodes.registryKey(namespace: "", name: name)) }
        taintAndMarkPods(nodes, ready: ready, podsOnNode: input.podsOnNode, busy: busy, now: now, &output)
        return output
    }

    /// `handleDisruption`: zone states, the "every zone fully disrupted ⇒ stop" rule, and each zone's
    /// taint rate (Normal and FullDisruption: `--node-eviction-rate`; PartialDisruption: the secondary
    /// rate above `--large-cluster-size-threshold` nodes, else 0).
    mutating func handleDisruption(_ nodes: [Node], ready: [String: ConditionStatus], now: SimInstant, _ output: inout NodeLifecycleOutput) {
        var counts: [String: (ready: Int, notReady: Int)] = [:]  // lookups only
        for node in nodes {
            var count = counts[node.zone] ?? (0, 0)
            if ready[node.metadata.name] == .isTrue { count.ready += 1 } else { count.notReady += 1 }
            counts[node.zone] = count
        }
        let zones = counts.keys.sorted()
        var states: [String: ZoneState] = [:]  // lookups only
        for zone in zones {
            let count = counts[zone] ?? (0, 0)
            states[zone] = ZoneState.compute(ready: count.ready, notReady: count.notReady, unhealthyThreshold: flags.unhealthyZoneThreshold)
        }
        let allFullyDisrupted = !zones.isEmpty && zones.allSatisfy { states[$0] == .fullDisruption }
        let stop = allFullyDisrupted && !flags.bugs.contains(.evictsInFullDisruption)
        if stop != evictionsStopped {
            evictionsStopped = stop
            for zone in queues.keys.sorted() { queues[zone]?.clear() }
            if !stop {
                // Upstream resets every probe timestamp on leaving full disruption, so nodes are not
                // judged on the silence the masters' own outage caused.
                for name in health.keys.sorted() { health[name]?.probe = now }
            }
        }
        for zone in queues.keys.sorted() where states[zone] == nil { queues[zone] = nil }
        for zone in zones {
            let state = states[zone] ?? .normal
            if state != (zoneStates[zone] ?? .normal) {
                output.observations.append(.zoneStateChanged(zone: zone, state: state.rawValue))
            }
            let size = (counts[zone].map { $0.ready + $0.notReady }) ?? 0
            let rate = zoneRate(state, size: size)
            if queues[zone] == nil {
                queues[zone] = ZoneTaintQueue(ratePerSecond: rate, now: now)
            } else {
                queues[zone]?.limiter.swap(ratePerSecond: rate, now: now)
            }
        }
        zoneStates = states
    }

    /// The NoExecute taint rate of a zone in `state` with `size` nodes (0 while evictions are stopped).
    func zoneRate(_ state: ZoneState, size: Int) -> Double {
        guard !evictionsStopped else { return 0 }
        switch state {
        case .normal, .fullDisruption: return flags.nodeEvictionRatePerSecond
        case .partialDisruption: return size > flags.largeClusterSizeThreshold ? flags.secondaryNodeEvictionRatePerSecond : 0
        }
    }
}
