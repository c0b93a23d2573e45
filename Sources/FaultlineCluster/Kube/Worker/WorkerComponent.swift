import FaultlineSim

/// The worker machines: per node a kubelet, a kube-proxy, containerd and the node's pods (containers
/// and network stack), plus the traffic clients outside the cluster. It carries out the kubelets'
/// runtime calls, copies kube-proxy's rules onto its node, and serves Service traffic.
///
/// Invariants: a node's containers and rules change only here; a runtime call reaches the runtime only
/// while its containerd host is up (else the socket refuses it); a machine crash clears the node's
/// containers and rules and is reported container by container.
public struct WorkerComponent {
    public let spec: WorkerSpec
    public let nodeNames: [String]
    public private(set) var kubelets: [ApiProcess<KubeletLogic>]
    public private(set) var proxies: [ApiProcess<KubeProxyLogic>]
    public private(set) var runtimes: [ContainerRuntime]
    public private(set) var rules: [ServiceRules]
    let containerdHosts: [HostID]
    let podsHosts: [HostID]
    let trafficHosts: [HostID]
    /// The kube-proxy sync last copied onto each node (reset when kube-proxy restarts).
    var copiedPrograms: [UInt64]
    var runtimeRandom: [SimRandom]
    var clients: [TrafficClient]
    /// Per machine host index → worker index, and node name → worker index (lookups only).
    let workerOfHost: [HostID: Int]
    let workerIndex: [String: Int]
    var nextRequestID: UInt64 = 0

    public init(sim: ClusterSim, layout: ClusterLayout, spec: WorkerSpec, nodes: [Node], loadBalancer: HostID) {
        self.spec = spec
        nodeNames = layout.nodeNames
        let kubeletHosts = layout.workerHosts(.kubelet).map { sim.addHost($0) }
        let proxyHosts = layout.workerHosts(.kubeProxy).map { sim.addHost($0) }
        containerdHosts = layout.workerHosts(.containerd).map { sim.addHost($0) }
        podsHosts = layout.workerHosts(.pods).map { sim.addHost($0) }
        trafficHosts = layout.trafficClientHosts.map { sim.addHost($0) }
        var workerOfHost: [HostID: Int] = [:]
        for index in layout.nodeNames.indices {
            let local = [kubeletHosts[index], proxyHosts[index], containerdHosts[index], podsHosts[index]]
            for host in local { workerOfHost[host] = index }
            for source in local { for target in local where target != source { sim.configureLink(from: source, to: target, ControlPlaneComponent.loopback) } }
        }
        self.workerOfHost = workerOfHost
        workerIndex = Dictionary(uniqueKeysWithValues: layout.nodeNames.enumerated().map { ($0.element, $0.offset) })
        func informerSet(_ host: HostID, _ configs: [InformerConfig], _ name: String) -> InformerSet {
            InformerSet(client: ApiClient(host: host, endpoint: loadBalancer),
                        informers: configs.enumerated().map { Informer(config: $0.element, random: sim.randomStream("\(name).informer.\($0.offset)")) })
        }
        kubelets = layout.nodeNames.enumerated().map { index, name in
            let host = kubeletHosts[index], identity = layout.workerHosts(.kubelet)[index]
            let node = nodes.first { $0.metadata.name == name }
                ?? Node(metadata: ObjectMeta(name: name), status: NodeStatus(capacity: .zero, allocatable: .zero))
            return ApiProcess(host: host, identity: identity, user: .node(name),
                              informers: informerSet(host, KubeletLogic.informers(nodeName: name), identity),
                              logic: KubeletLogic(node: node, flags: spec.kubelet, readinessDelayMs: spec.readinessDelayMs,
                                                  random: sim.randomStream("\(identity).logic")))
        }
        proxies = layout.nodeNames.enumerated().map { index, name in
            let host = proxyHosts[index], identity = layout.workerHosts(.kubeProxy)[index]
            return ApiProcess(host: host, identity: identity, user: .node(name),
                              informers: informerSet(host, KubeProxyLogic.informers(nodeName: name), identity),
                              logic: KubeProxyLogic(nodeName: name, flags: spec.kubeProxy))
        }
        runtimes = layout.nodeNames.enumerated().map { ContainerRuntime(nodeName: $0.element, nodeIndex: $0.offset) }
        rules = Array(repeating: ServiceRules(), count: layout.nodeNames.count)
        copiedPrograms = Array(repeating: 0, count: layout.nodeNames.count)
        runtimeRandom = layout.nodeNames.map { sim.randomStream("\($0)/containerd") }
        clients = podsHosts.enumerated().map { index, host in
            TrafficClient(host: host, node: layout.nodeNames[index], outside: false, random: sim.randomStream("\(layout.nodeNames[index])/pods.traffic"))
        } + trafficHosts.enumerated().map { index, host in
            TrafficClient(host: host, node: nil, outside: true, random: sim.randomStream("traffic-\(index + 1)"))
        }
    }

    /// The roles of this component's hosts.
    func roles() -> [(HostID, ClusterRole)] {
        var roles: [(HostID, ClusterRole)] = []
        for (index, process) in kubelets.enumerated() { roles.append((process.host, .nodeKubelet(index))) }
        for (index, process) in proxies.enumerated() { roles.append((process.host, .kubeProxy(index))) }
        for (index, host) in containerdHosts.enumerated() { roles.append((host, .containerd(index))) }
        for (index, host) in podsHosts.enumerated() { roles.append((host, .trafficClient(index))) }
        for (offset, host) in trafficHosts.enumerated() { roles.append((host, .trafficClient(podsHosts.count + offset))) }
        return roles
    }

    // MARK: kubelet and containerd

    mutating func handleKubelet<O: ClusterObserver>(_ index: Int, _ event: ApiProcess<KubeletLogic>.Event, _ sim: ClusterSim, _ observer: inout O) {
        kubelets[index].handle(event, sim, &observer)
        var calls = kubelets[index].takeRuntimeCalls()
        var rounds = 0
        while !calls.isEmpty {  // bound: a relist answer makes at most one more round of starts and stops
            rounds += 1
            precondition(rounds < 1_000, "kubelet and runtime keep calling each other")
            for call in calls {
                if let answer = perform(call, on: index, sim, &observer) { kubelets[index].runtimeAnswer(answer, sim, &observer) }
            }
            calls = kubelets[index].takeRuntimeCalls()
        }
    }

    /// Carries out one CRI call; returns the answer to a relist.
    mutating func perform<O: ClusterObserver>(_ call: RuntimeCall, on index: Int, _ sim: ClusterSim, _ observer: inout O) -> RuntimeAnswer? {
        let up = sim.isUp(containerdHosts[index])
        switch call {
        case .relist(let known):
            guard up else { return .unavailable }
            let runtime = runtimes[index]
            return runtime.generation == known ? .unchanged : .containers(runtime.listing, generation: runtime.generation)
        case .start(let podKey, let uid, let image, let requests):
            guard up, let (token, delay) = runtimes[index].start(podKey: podKey, uid: uid, image: image, requests: requests,
                                                                 pull: spec.imagePullLatency, startup: spec.containerStartLatency,
                                                                 random: &runtimeRandom[index], now: sim.now) else { return nil }
            sim.setTimer(on: containerdHosts[index], after: delay, .worker(.containerReady(token: token)))
        case .stop(let podKey, let uid):
            guard up, let stopped = runtimes[index].stop(podKey: podKey, uid: uid) else { return nil }
            observer.observe(.worker(.containerStopped(node: nodeNames[index], pod: podKey, uid: stopped.uid, exitCode: 0, reason: "stopped")), at: sim.now)
        }
        return nil
    }

    mutating func handleContainerd<O: ClusterObserver>(_ index: Int, _ event: ComponentEvent<Never, WorkerTimer>, _ sim: ClusterSim, _ observer: inout O) {
        switch event {
        case .started:
            runtimes[index].daemonRestarted()
        case .timer(_, .containerReady(let token)):
            // The containers run under the node's pods: a start that finishes on a dead machine is moot.
            guard sim.isUp(podsHosts[index]), let container = runtimes[index].startFinished(token: token, now: sim.now) else { return }
            observer.observe(.worker(.containerStarted(node: nodeNames[index], pod: container.podKey, uid: container.uid, requests: container.requests)), at: sim.now)
        case .timer(_, .trafficTick), .timer(_, .requestTimeout):
            preconditionFailure("containerd runs no traffic")
        case .message(_, let never):
            switch never {}
        case .persisted:
            preconditionFailure("containerd persists nothing the model tracks")
        }
    }

    /// A container's process exits (a `container-kill` fault: exit code 137).
    public mutating func killContainer<O: ClusterObserver>(node index: Int, pod: String, _ sim: ClusterSim, _ observer: inout O) {
        guard let killed = runtimes[index].exit(podKey: pod, code: 137, now: sim.now) else { return }
        observer.observe(.worker(.containerStopped(node: nodeNames[index], pod: pod, uid: killed.uid, exitCode: 137, reason: "killed")), at: sim.now)
    }

    // MARK: kube-proxy

    mutating func handleProxy<O: ClusterObserver>(_ index: Int, _ event: ApiProcess<KubeProxyLogic>.Event, _ sim: ClusterSim, _ observer: inout O) {
        if case .started = event { copiedPrograms[index] = 0 }
        proxies[index].handle(event, sim, &observer)
        let programmed = proxies[index].logic.programmed
        if programmed != copiedPrograms[index] {
            copiedPrograms[index] = programmed
            if sim.isUp(podsHosts[index]) { rules[index] = proxies[index].logic.rules }
        }
    }

    // MARK: Machine lifecycle

    /// A worker host is about to go down: a pods host takes the node's containers and rules with it.
    mutating func processCrashed<O: ClusterObserver>(_ host: HostID, _ sim: ClusterSim, _ observer: inout O, reason: String) {
        guard let index = workerOfHost[host] else { return }
        if host == proxies[index].host { observer.observe(.worker(.kubeProxyStopped(node: nodeNames[index])), at: sim.now) }
        guard host == podsHosts[index] else { return }
        for container in runtimes[index].machineCrashed() {
            observer.observe(.worker(.containerStopped(node: nodeNames[index], pod: container.podKey, uid: container.uid, exitCode: 137, reason: reason)), at: sim.now)
        }
        rules[index] = ServiceRules()
        observer.observe(.worker(.rulesCleared(node: nodeNames[index])), at: sim.now)
        clients[index].crashed(sim)
    }

    /// The worker whose machine runs `host`, if any.
    public func worker(ofHost host: HostID) -> Int? { workerOfHost[host] }

    /// The workers where a pod named `prefix` or `prefix-...` runs now, in worker order.
    public func nodesRunning(podPrefix prefix: String) -> [Int] {
        runtimes.indices.filter { !runningPods(on: $0, matching: prefix).isEmpty }
    }

    /// The running pods (`namespace/name`) on worker `index` named `prefix` or `prefix-...`, sorted.
    public func runningPods(on index: Int, matching prefix: String) -> [String] {
        runtimes[index].runningPodKeys.filter { key in
            let name = key.split(separator: "/", maxSplits: 1).last.map(String.init) ?? key
            return name == prefix || name.hasPrefix(prefix + "-")
        }
    }
}
