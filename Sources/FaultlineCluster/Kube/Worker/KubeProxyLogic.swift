import FaultlineSim

/// One Service's rules on a node: its ready endpoints, sorted by pod, and its traffic policy.
public struct ServiceRule: Sendable, Hashable {
    public var endpoints: [Endpoint]
    public var trafficPolicy: Service.TrafficPolicy
}

/// The Service rules programmed on a node (iptables' KUBE-SERVICES chain), by `namespace/name`.
/// They stay as they are when kube-proxy stops or loses the control plane; a machine crash clears
/// them (kube-proxy programs them again once it has synced).
public struct ServiceRules: Sendable, Hashable {
    public var services: [String: ServiceRule] = [:]
    public init() {}

    /// The endpoint a new connection to `service` from `node` goes to (random among the candidates,
    /// like iptables' `statistic --mode random`); nil when there is none (connection refused).
    /// `internalTrafficPolicy: Local` keeps traffic on the source node's endpoints.
    public func pick(_ service: String, fromNode node: String, _ random: inout SimRandom) -> Endpoint? {
        guard let rule = services[service] else { return nil }
        switch rule.trafficPolicy {
        case .cluster:
            return random.choose(from: rule.endpoints)
        case .local:
            return random.choose(from: rule.endpoints.filter { $0.nodeName == node })
        }
    }
}

/// A worker's kube-proxy: watches Services and EndpointSlices (through the load balancer) and
/// programs the node's rules with their ready endpoints, at most once per `--iptables-min-sync-period`
/// (1 s) after a change and at least every `--iptables-sync-period` (30 s).
///
/// Invariant: it programs nothing before both informers have synced (a partial view would drop
/// Services), so a kube-proxy that restarts while the control plane is down keeps the node's old
/// rules; `programmed` grows by one on every sync, and the world copies `rules` to the node then.
public struct KubeProxyLogic: ProcessLogic {
    static let services = 0, slices = 1
    static let syncToken: UInt64 = 1, periodicToken: UInt64 = 2

    public let nodeName: String
    let flags: KubeProxyFlags
    /// What the last sync programmed, and how many syncs this incarnation made.
    public private(set) var rules = ServiceRules()
    public private(set) var programmed: UInt64 = 0
    /// The bug variant's flush at start, pending for the world.
    public private(set) var flushRequested = false
    var lastSyncAt: SimInstant?
    var syncPending = false

    public init(nodeName: String, flags: KubeProxyFlags) {
        self.nodeName = nodeName
        self.flags = flags
    }

    public static func informers(nodeName: String) -> [InformerConfig] {
        [ResourceKind.services, .endpointslices].map { InformerConfig(resource: $0, user: .node(nodeName)) }
    }

    public mutating func started(_ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        out.after(flags.syncPeriodMs, token: Self.periodicToken)
        if flags.bugs.contains(.flushesRulesOnStart) {
            rules = ServiceRules()
            programmed += 1
            flushRequested = true
        }
    }

    public mutating func startedLeading(_ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {}

    public mutating func informerEvent(_ index: Int, _ event: InformerEvent, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        if index == Self.slices { reportEndpointChanges(event, &out) }
        switch event {
        case .added, .updated, .deleted, .synced:
            if flags.bugs.contains(.syncsOnlyPeriodically) && lastSyncAt != nil { return }  // broken on purpose
            requestSync(view, &out)
        case .observedResourceVersion:
            break
        }
    }

    /// Reports which pods an EndpointSlice event took out of (or put into) the ready endpoints, for the
    /// checkers' sync bound: rules must drop a removed pod within `--iptables-min-sync-period`.
    func reportEndpointChanges(_ event: InformerEvent, _ out: inout ProcessOutbox) {
        func ready(_ object: KubeObject?) -> (service: String, pods: [String])? {
            guard case .endpointSlice(let slice)? = object, let name = slice.metadata.labels["kubernetes.io/service-name"] else { return nil }
            let namespace = slice.metadata.namespace
            return (namespace + "/" + name, slice.endpoints.filter(\.ready).map { namespace + "/" + $0.podName })
        }
        let before: KubeObject?, after: KubeObject?
        switch event {
        case .added(let object): (before, after) = (nil, object)
        case .updated(let old, let new): (before, after) = (old, new)
        case .deleted(let object): (before, after) = (object, nil)
        case .synced, .observedResourceVersion: return
        }
        guard let service = ready(after)?.service ?? ready(before)?.service else { return }
        let old = ready(before)?.pods ?? [], new = ready(after)?.pods ?? []
        let removed = old.filter { !new.contains($0) }, restored = new.filter { !old.contains($0) }
        guard !removed.isEmpty || !restored.isEmpty else { return }
        out.workerObservations.append(.endpointsSeen(node: nodeName, service: service, removed: removed, restored: restored))
    }

    mutating func requestSync(_ view: ProcessView, _ out: inout ProcessOutbox) {
        guard !syncPending else { return }
        syncPending = true
        let earliest = lastSyncAt.map { $0 + .milliseconds(flags.minSyncPeriodMs) } ?? view.now
        out.after(max(1, (earliest - view.now).nanoseconds / 1_000_000), token: Self.syncToken)
    }

    public mutating func timer(_ token: UInt64, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        if token == Self.periodicToken {
            out.after(flags.syncPeriodMs, token: Self.periodicToken)
        } else {
            syncPending = false
        }
        sync(view, informers, &out)
    }

    mutating func sync(_ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        guard informers.hasSynced else { return }
        lastSyncAt = view.now
        var next = ServiceRules()
        var endpointCount = 0
        var policies: [String: Service.TrafficPolicy] = [:]
        for object in informers.informers[Self.services].objects {
            if case .service(let service) = object {
                policies[service.metadata.namespace + "/" + service.metadata.name] = service.internalTrafficPolicy
            }
        }
        for object in informers.informers[Self.slices].objects {
            guard case .endpointSlice(let slice) = object, let name = slice.metadata.labels["kubernetes.io/service-name"] else { continue }
            let key = slice.metadata.namespace + "/" + name
            guard let policy = policies[key] else { continue }
            let ready = slice.endpoints.filter(\.ready)
            endpointCount += ready.count
            next.services[key] = ServiceRule(endpoints: ready, trafficPolicy: policy)
        }
        guard next != rules || programmed == 0 else { return }
        rules = next
        programmed += 1
        out.workerObservations.append(.rulesProgrammed(node: nodeName, services: next.services.count, endpoints: endpointCount))
    }

    public mutating func completed(_ tag: UInt64, _ result: ApiResult, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {}
    public mutating func failed(_ tag: UInt64, _ failure: ClientFailure, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {}
}
