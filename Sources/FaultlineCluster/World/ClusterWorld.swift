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
    /// The worker nodes' kubelet, runtime and kube-proxy settings, and the Service traffic.
    public var workers = WorkerSpec()

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

    public let layout: ClusterLayout
    public var etcd: EtcdComponent
    /// The Kubernetes control plane, when the masters run one.
    public var kube: ControlPlaneComponent?
    /// The worker machines, when the cluster has any.
    public var workers: WorkerComponent?
    public var observer: Observer
    var roles: [ClusterRole]
    /// Processes a fault keeps stopped until it heals (the master's kubelet leaves them alone), by host index.
    var heldDown: [Bool]

    /// Registers every host on `sim` in `layout.hostNames` order.
    public init(sim: ClusterSim, spec: ClusterSpec, observer: Observer) {
        precondition(sim.hostCount == 0, "the world registers every host itself")
        self.layout = spec.layout
        self.observer = observer
        self.etcd = EtcdComponent(sim: sim, layout: spec.layout, flags: spec.etcdFlags, workload: spec.etcdWorkload,
                                  storageLatency: spec.storageLatency)
        if spec.layout.controlPlane, let controlPlane = spec.controlPlane {
            let controlPlaneComponent = ControlPlaneComponent(sim: sim, layout: spec.layout, spec: controlPlane, apiLoad: spec.apiLoad, etcdMembers: etcd.memberHosts)
            kube = controlPlaneComponent
            workers = WorkerComponent(sim: sim, layout: spec.layout, spec: spec.workers, nodes: controlPlane.nodes,
                                      loadBalancer: controlPlaneComponent.loadBalancer.host)
        }
        var roles = Array(repeating: ClusterRole.unassigned, count: sim.hostCount)
        for (index, host) in etcd.memberHosts.enumerated() { roles[Int(host.index)] = .etcdMember(index) }
        for (index, host) in etcd.clientHosts.enumerated() { roles[Int(host.index)] = .etcdClient(index) }
        for (index, host) in etcd.watcherHosts.enumerated() { roles[Int(host.index)] = .etcdWatcher(index) }
        for (index, host) in etcd.leaseHolderHosts.enumerated() { roles[Int(host.index)] = .etcdLeaseHolder(index) }
        for (host, role) in kube?.roles() ?? [] { roles[Int(host.index)] = role }
        for (host, role) in workers?.roles() ?? [] { roles[Int(host.index)] = role }
        self.roles = roles
        self.heldDown = Array(repeating: false, count: sim.hostCount)
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
        case .apiserver(let index):
            guard let narrowed = event.kind.narrowed(ApiserverInput.from, { $0.apiserver }) else { return misrouted(event, sim) }
            kube!.handleApiserver(index, narrowed, sim, &observer)
        case .loadBalancer:
            guard let narrowed = event.kind.narrowed(LoadBalancerInput.from, { $0.lb }) else { return misrouted(event, sim) }
            kube!.handleLoadBalancer(narrowed, sim, &observer)
        case .masterKubelet(let index):
            guard let narrowed = event.kind.narrowed({ _ -> Never? in nil }, { $0.supervisor }) else { return misrouted(event, sim) }
            let held = heldDown
            kube!.handleSupervisor(index, narrowed, sim, heldDown: { held[Int($0.index)] })
        case .scheduler(let index):
            guard let narrowed = event.kind.narrowed({ $0.apiClient }, { $0.process }) else { return misrouted(event, sim) }
            kube!.handleScheduler(index, narrowed, sim, &observer)
        case .controllerManager(let index):
            guard let narrowed = event.kind.narrowed({ $0.apiClient }, { $0.process }) else { return misrouted(event, sim) }
            kube!.handleControllerManager(index, narrowed, sim, &observer)
        case .admin(let index):
            guard let narrowed = event.kind.narrowed({ $0.apiClient }, { $0.process }) else { return misrouted(event, sim) }
            kube!.handleAdmin(index, narrowed, sim, &observer)
        case .nodeKubelet(let index):
            guard let narrowed = event.kind.narrowed({ $0.apiClient }, { $0.process }) else { return misrouted(event, sim) }
            workers!.handleKubelet(index, narrowed, sim, &observer)
        case .kubeProxy(let index):
            guard let narrowed = event.kind.narrowed({ $0.apiClient }, { $0.process }) else { return misrouted(event, sim) }
            workers!.handleProxy(index, narrowed, sim, &observer)
        case .containerd(let index):
            guard let narrowed = event.kind.narrowed({ _ -> Never? in nil }, { $0.worker }) else { return misrouted(event, sim) }
            workers!.handleContainerd(index, narrowed, sim, &observer)
        case .trafficClient(let index):
            guard let narrowed = event.kind.narrowed({ $0.dataPlane }, { $0.worker }) else { return misrouted(event, sim) }
            workers!.handleTraffic(index, narrowed, sim, &observer)
        case .unassigned:
            preconditionFailure("event for host \(sim.name(of: host)), which runs nothing")
        }
    }

    /// Crashes a process host (a fault, or the process exiting): components end what it held first.
    public mutating func crashProcess(_ host: HostID, _ sim: ClusterSim, reason: String) {
        guard sim.state(of: host) != .crashed else { return }
        kube?.processCrashed(host, sim, &observer, reason: reason)
        workers?.processCrashed(host, sim, &observer, reason: reason)
        sim.crash(host)
    }

    /// Kills the container of `pod` on worker `node` (exit 137).
    public mutating func killContainer(node: Int, pod: String, _ sim: ClusterSim) {
        workers?.killContainer(node: node, pod: pod, sim, &observer)
    }

    /// Force-deletes `pod` (`namespace/name`) through the API, as an admin.
    public mutating func forceDeletePod(_ pod: String, _ sim: ClusterSim) {
        let parts = pod.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return }
        kube?.forceDeletePod(namespace: parts[0], name: parts[1], sim, &observer)
    }

    /// Holds a process down until a fault heals (the master's kubelet does not restart it meanwhile).
    public mutating func setHeldDown(_ host: HostID, _ held: Bool) { heldDown[Int(host.index)] = held }

    /// The master whose scheduler or controller-manager runs and leads, if any.
    public func leader(of process: ClusterProcess, _ sim: ClusterSim) -> Int? { kube?.leader(of: process, sim) }

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
