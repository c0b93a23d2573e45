import FaultlineSim

/// The Kubernetes side of the cluster: per master an apiserver, a scheduler, a controller-manager and
/// the kubelet that restarts them; the load balancer; admin clients; worker kubelets. It registers
/// their hosts in layout order and carries out what each state machine asks.
public struct ControlPlaneComponent {
    public let spec: ControlPlaneSpec
    public private(set) var apiservers: [ApiServer]
    public let apiserverHosts: [HostID]
    public private(set) var loadBalancer: LoadBalancerComponent
    var supervisors: [StaticPodSupervisor]
    public private(set) var schedulers: [ApiProcess<SchedulerLogic>]
    public private(set) var controllerManagers: [ApiProcess<ControllerManagerLogic>]
    public private(set) var admins: [ApiProcess<AdminLogic>]
    var apiserverOutput = ApiServerOutput()

    /// Loopback between processes of one machine (a few tens of microseconds).
    static let loopback = LinkConfig(latency: .uniform(min: .microseconds(20), max: .microseconds(60)))

    public init(sim: ClusterSim, layout: ClusterLayout, spec: ControlPlaneSpec, apiLoad: ApiLoad, etcdMembers: [HostID]) {
        self.spec = spec
        let masters = layout.masters
        let apiserverHosts = layout.masterHosts(.kubeApiserver).map { sim.addHost($0) }
        let schedulerHosts = layout.masterHosts(.kubeScheduler).map { sim.addHost($0) }
        let managerHosts = layout.masterHosts(.kubeControllerManager).map { sim.addHost($0) }
        let kubeletHosts = layout.masterHosts(.kubelet).map { sim.addHost($0) }
        let lbHost = sim.addHost(layout.loadBalancerHost!)
        let adminHosts = layout.apiClientHosts.map { sim.addHost($0) }
        self.apiserverHosts = apiserverHosts

        for master in 0..<masters {
            let local = [etcdMembers[master], apiserverHosts[master], schedulerHosts[master], managerHosts[master], kubeletHosts[master]]
            for source in local { for target in local where target != source { sim.configureLink(from: source, to: target, Self.loopback) } }
        }
        apiservers = (0..<masters).map { master in
            var config = ApiServerConfig(etcdEndpoints: spec.apiserverUsesAllEtcdMembers
                                         ? [etcdMembers[master]] + etcdMembers.enumerated().filter { $0.offset != master }.map(\.element)
                                         : [etcdMembers[master]])
            config.bugs = spec.apiserverBugs
            return ApiServer(index: master, host: apiserverHosts[master], config: config, random: sim.randomStream("kube-apiserver.\(master)"))
        }
        loadBalancer = LoadBalancerComponent(host: lbHost, backendHosts: apiserverHosts, machineHosts: kubeletHosts, config: spec.loadBalancer)
        supervisors = (0..<masters).map { master in
            StaticPodSupervisor(host: kubeletHosts[master], podHosts: [etcdMembers[master], apiserverHosts[master], schedulerHosts[master], managerHosts[master]])
        }
        func informerSet(_ host: HostID, endpoint: HostID, _ configs: [InformerConfig], _ name: String) -> InformerSet {
            InformerSet(client: ApiClient(host: host, endpoint: endpoint),
                        informers: configs.enumerated().map { Informer(config: $0.element, random: sim.randomStream("\(name).informer.\($0.offset)")) })
        }
        func electionConfig(_ identity: String, lease: String) -> LeaderElectionConfig {
            var config = LeaderElectionConfig(identity: identity, leaseName: lease)
            config.leaseDurationMs = spec.leaderElection.leaseDurationMs
            config.renewDeadlineMs = spec.leaderElection.renewDeadlineMs
            config.retryPeriodMs = spec.leaderElection.retryPeriodMs
            return config
        }
        schedulers = (0..<masters).map { master in
            let host = schedulerHosts[master], name = layout.masterHosts(.kubeScheduler)[master]
            let endpoint = spec.componentsUseLoadBalancer ? lbHost : apiserverHosts[master]
            return ApiProcess(host: host, identity: name, user: .scheduler,
                              informers: informerSet(host, endpoint: endpoint, SchedulerLogic.informers(user: .scheduler), name),
                              logic: SchedulerLogic(flags: spec.scheduler, bugs: spec.schedulerBugs, random: sim.randomStream("\(name).logic")),
                              leaderElection: electionConfig(name, lease: "kube-scheduler"), electorBugs: spec.leaderElection.bugs)
        }
        controllerManagers = (0..<masters).map { master in
            let host = managerHosts[master], name = layout.masterHosts(.kubeControllerManager)[master]
            let endpoint = spec.componentsUseLoadBalancer ? lbHost : apiserverHosts[master]
            return ApiProcess(host: host, identity: name, user: .controllerManager,
                              informers: informerSet(host, endpoint: endpoint, ControllerManagerLogic.informers(user: .controllerManager), name),
                              logic: ControllerManagerLogic(nodeLifecycle: spec.nodeLifecycle, random: sim.randomStream("\(name).logic")),
                              leaderElection: electionConfig(name, lease: "kube-controller-manager"), electorBugs: spec.leaderElection.bugs)
        }
        // Kubelets register the declared nodes themselves.
        let bootstrap = spec.workloads
        admins = adminHosts.enumerated().map { index, host in
            let name = layout.apiClientHosts[index]
            return ApiProcess(host: host, identity: name, user: .admin, informers: informerSet(host, endpoint: lbHost, [], name),
                              logic: AdminLogic(index: index, bootstrap: bootstrap, actions: spec.actions, load: apiLoad, random: sim.randomStream("\(name).logic")))
        }
    }

    // MARK: Roles

    /// The roles of this component's hosts, for the world's routing table.
    func roles() -> [(HostID, ClusterRole)] {
        var roles: [(HostID, ClusterRole)] = []
        for (index, server) in apiservers.enumerated() { roles.append((server.host, .apiserver(index))) }
        for (index, process) in schedulers.enumerated() { roles.append((process.host, .scheduler(index))) }
        for (index, process) in controllerManagers.enumerated() { roles.append((process.host, .controllerManager(index))) }
        for (index, supervisor) in supervisors.enumerated() { roles.append((supervisor.host, .masterKubelet(index))) }
        roles.append((loadBalancer.host, .loadBalancer))
        for (index, process) in admins.enumerated() { roles.append((process.host, .admin(index))) }
        return roles
    }

    // MARK: Apiservers

    mutating func handleApiserver<O: ClusterObserver>(_ index: Int, _ event: ComponentEvent<ApiserverInput, ApiServerTimer>, _ sim: ClusterSim, _ observer: inout O) {
        apiserverOutput.clear()
        switch event {
        case .started:
            apiservers[index].start(now: sim.now, into: &apiserverOutput)
        case .message(let from, .api(let message)):
            apiservers[index].receive(message, from: from, now: sim.now, into: &apiserverOutput)
        case .message(_, .etcd(let message)):
            apiservers[index].receive(message, now: sim.now, into: &apiserverOutput)
        case .timer(_, let timer):
            apiservers[index].timerFired(timer, now: sim.now, into: &apiserverOutput)
        case .persisted:
            preconditionFailure("the apiserver persists nothing")
        }
        let host = apiserverHosts[index]
        for (target, message) in apiserverOutput.toClients { sim.send(.apiClient(message), from: host, to: target) }
        for (target, message) in apiserverOutput.toEtcd { sim.send(.etcdServer(message), from: host, to: target) }
        for (afterMs, timer) in apiserverOutput.timers { sim.setTimer(on: host, after: .milliseconds(afterMs), .apiserver(timer)) }
        for observation in apiserverOutput.observations {
            if case .readinessChanged(let ready, let reason) = observation {
                observer.observe(.kube(.apiserverReadiness(apiserver: index, ready: ready, reason: reason)), at: sim.now)
            }
        }
    }

    mutating func handleLoadBalancer<O: ClusterObserver>(_ event: LoadBalancerComponent.Event, _ sim: ClusterSim, _ observer: inout O) {
        loadBalancer.handle(event, sim, &observer)
    }

    mutating func handleSupervisor(_ index: Int, _ event: ComponentEvent<Never, SupervisorTimer>, _ sim: ClusterSim, heldDown: (HostID) -> Bool) {
        supervisors[index].handle(event, sim, heldDown: heldDown)
    }

    mutating func handleScheduler<O: ClusterObserver>(_ index: Int, _ event: ApiProcess<SchedulerLogic>.Event, _ sim: ClusterSim, _ observer: inout O) {
        schedulers[index].handle(event, sim, &observer)
        if schedulers[index].wantsExit { exit(schedulers[index].host, sim, &observer, reason: "lost its lease") }
    }

    mutating func handleControllerManager<O: ClusterObserver>(_ index: Int, _ event: ApiProcess<ControllerManagerLogic>.Event, _ sim: ClusterSim, _ observer: inout O) {
        controllerManagers[index].handle(event, sim, &observer)
        if controllerManagers[index].wantsExit { exit(controllerManagers[index].host, sim, &observer, reason: "lost its lease") }
    }

    mutating func handleAdmin<O: ClusterObserver>(_ index: Int, _ event: ApiProcess<AdminLogic>.Event, _ sim: ClusterSim, _ observer: inout O) {
        admins[index].handle(event, sim, &observer)
    }

    /// An admin force-deletes a pod (the chaos layer's pod-kill).
    public mutating func forceDeletePod<O: ClusterObserver>(namespace: String, name: String, _ sim: ClusterSim, _ observer: inout O) {
        guard !admins.isEmpty else { return }
        admins[0].act(sim, &observer) { logic, _, _, out in logic.forceDelete(namespace: namespace, name: name, &out) }
    }

    /// A process exits on its own (kube-scheduler and kube-controller-manager exit when they lose their
    /// lease): its host goes down and its master's kubelet restarts it.
    mutating func exit<O: ClusterObserver>(_ host: HostID, _ sim: ClusterSim, _ observer: inout O, reason: String) {
        processCrashed(host, sim, &observer, reason: reason)
        sim.crash(host)
    }

    /// A process host is about to go down: end what it held.
    mutating func processCrashed<O: ClusterObserver>(_ host: HostID, _ sim: ClusterSim, _ observer: inout O, reason: String) {
        if let index = schedulers.firstIndex(where: { $0.host == host }) { schedulers[index].ended(sim, &observer, reason: reason) }
        if let index = controllerManagers.firstIndex(where: { $0.host == host }) { controllerManagers[index].ended(sim, &observer, reason: reason) }
        if let index = apiservers.firstIndex(where: { $0.host == host }) { apiservers[index].stop() }
    }

    /// The master whose `process` (scheduler or controller-manager) is running and leads, if any.
    public func leader(of process: ClusterProcess, _ sim: ClusterSim) -> Int? {
        switch process {
        case .kubeScheduler: return schedulers.indices.first { sim.isUp(schedulers[$0].host) && schedulers[$0].leadsByElection }
        case .kubeControllerManager: return controllerManagers.indices.first { sim.isUp(controllerManagers[$0].host) && controllerManagers[$0].leadsByElection }
        case .etcd, .kubeApiserver, .kubelet, .haproxy, .kubeProxy, .containerd, .pods: return nil
        }
    }
}

/// What an apiserver receives: API traffic, and its etcd client's answers.
public enum ApiserverInput {
    case api(ApiServerBound)
    case etcd(EtcdClientBound)
}
