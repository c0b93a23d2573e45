import FaultlineSim

/// The per-component settings of a cluster.
public struct ClusterSpec: Sendable {
    public var layout: ClusterLayout
    public var etcdFlags: EtcdFlags
    public var etcdWorkload: ClientWorkload
    /// How long an fsync takes on a master's disk.
    public var storageLatency: LatencyDistribution
    /// The Kubernetes control plane, when the masters run one (`layout.controlPlane`).
    public var controlPlane: ControlPlaneSpec?
    /// The admin clients' background API load.
    public var apiLoad = ApiLoad()

    public init(layout: ClusterLayout, etcdFlags: EtcdFlags, etcdWorkload: ClientWorkload, storageLatency: LatencyDistribution) {
        self.layout = layout
        self.etcdFlags = etcdFlags
        self.etcdWorkload = etcdWorkload
        self.storageLatency = storageLatency
    }
}

/// The whole simulated cluster: it owns every component and routes each engine event to the component
/// that runs on the event's host, narrowed to that component's message and timer families.
///
/// Invariant: every host has exactly one role; a message or timer of a family the role does not accept
/// is a wiring bug and stops the run here, in one place, never inside a component.
public struct ClusterWorld<Observer: ClusterObserver>: SimWorld {
    public typealias Message = ClusterMessage
    public typealias TimerTag = ClusterTimer

    /// What runs on a host, by host index.
    enum Role {
        case etcdMember(Int)
        case etcdClient(Int)
        case etcdWatcher(Int)
        case etcdLeaseHolder(Int)
        case unassigned
    }

    public let layout: ClusterLayout
    public var etcd: EtcdComponent
    public var observer: Observer
    var roles: [Role]

    /// Registers every host on `sim` in `layout.hostNames` order.
    public init(sim: ClusterSim, spec: ClusterSpec, observer: Observer) {
        precondition(sim.hostCount == 0, "the world registers every host itself")
        self.layout = spec.layout
        self.observer = observer
        self.etcd = EtcdComponent(sim: sim, layout: spec.layout, flags: spec.etcdFlags, workload: spec.etcdWorkload,
                                  storageLatency: spec.storageLatency)
        var roles = Array(repeating: Role.unassigned, count: sim.hostCount)
        for (index, host) in etcd.memberHosts.enumerated() { roles[Int(host.index)] = .etcdMember(index) }
        for (index, host) in etcd.clientHosts.enumerated() { roles[Int(host.index)] = .etcdClient(index) }
        for (index, host) in etcd.watcherHosts.enumerated() { roles[Int(host.index)] = .etcdWatcher(index) }
        for (index, host) in etcd.leaseHolderHosts.enumerated() { roles[Int(host.index)] = .etcdLeaseHolder(index) }
        self.roles = roles
        precondition(sim.allHosts.map { sim.name(of: $0) } == spec.layout.hostNames, "hosts must be registered in layout order")
    }

    public mutating func handle(_ event: SimEvent<ClusterMessage, ClusterTimer>, in sim: ClusterSim) {
        let host = event.host
        switch roles[Int(host.index)] {
        case .etcdMember(let index):
            guard let narrowed = event.kind.narrowed({ $0.etcdServer }, { $0.etcd }) else { return misrouted(event, sim) }
            etcd.handleMember(index, narrowed, host: host, sim, &observer)
        case .etcdClient(let index):
            guard let narrowed = event.kind.narrowed({ $0.etcdClient }, { $0.etcd }) else { return misrouted(event, sim) }
            etcd.handleClient(index, narrowed, host: host, sim, &observer)
        case .etcdWatcher(let index):
            guard let narrowed = event.kind.narrowed({ $0.etcdClient }, { $0.etcd }) else { return misrouted(event, sim) }
            etcd.handleWatcher(index, narrowed, host: host, sim, &observer)
        case .etcdLeaseHolder(let index):
            guard let narrowed = event.kind.narrowed({ $0.etcdClient }, { $0.etcd }) else { return misrouted(event, sim) }
            etcd.handleLeaseHolder(index, narrowed, host: host, sim, &observer)
        case .unassigned:
            preconditionFailure("event for host \(sim.name(of: host)), which runs nothing")
        }
    }

    func misrouted(_ event: SimEvent<ClusterMessage, ClusterTimer>, _ sim: ClusterSim) {
        switch event.kind {
        case .message(let from, let message):
            preconditionFailure("\(sim.name(of: from)) sent \(message) to \(sim.name(of: event.host)), whose role does not accept it")
        case .timer(_, let tag):
            preconditionFailure("timer \(tag) fired on \(sim.name(of: event.host)), whose role does not set it")
        case .started, .persisted:
            preconditionFailure("lifecycle events always narrow")
        }
    }

    /// Ends the run for the test clients: every write still outstanding is recorded as unknown.
    public mutating func recordOutstandingAsUnknown(at time: SimInstant) {
        etcd.recordOutstandingAsUnknown(&observer, at: time)
    }
}
