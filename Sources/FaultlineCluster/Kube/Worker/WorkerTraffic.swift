import FaultlineSim

/// One traffic client: the client pods of a worker (inside streams, through their node's rules) or a
/// client outside the cluster (one outside stream, through a NodePort on the workers in turn).
///
/// Invariant: every request sent is recorded exactly once, when answered or when its timeout fires,
/// unless its client dies first (a crashed node's client pods record nothing more).
struct TrafficClient {
    let host: HostID
    let node: String?
    let outside: Bool
    var random: SimRandom
    /// Requests waiting for an answer, by id: stream, send time, entry worker, timeout timer.
    var pending: [UInt64: (stream: Int, sentAt: SimInstant, entry: Int, timeout: TimerHandle)] = [:]
    /// Outside clients: the next entry worker, and the health of each entry (a passive health check
    /// with slow start, like HAProxy's `observe layer4`): after a timeout an entry is skipped for
    /// 10 s doubling to 60 s, then gets a single probe request until one succeeds.
    var entryCursor = 0
    var entryHealth: [Int: (failures: Int, avoidUntil: SimInstant, probing: Bool)] = [:]

    init(host: HostID, node: String?, outside: Bool, random: SimRandom) {
        self.host = host
        self.node = node
        self.outside = outside
        self.random = random
    }

    /// The client died with its machine: nothing it sent is recorded.
    mutating func crashed(_ sim: ClusterSim) {
        for (_, request) in pending.sorted(by: { $0.key < $1.key }) { sim.cancelTimer(request.timeout) }
        pending.removeAll()
    }
}

extension WorkerComponent {
    /// How long an outside client skips an entry node that timed out.
    static let entryAvoidMs: Int64 = 10_000

    /// The streams client `index` runs: inside streams on every worker, one outside stream per
    /// outside client.
    func streams(ofClient index: Int) -> [Int] {
        if index < podsHosts.count { return spec.traffic.indices.filter { spec.traffic[$0].origin == .inside } }
        let outsideStreams = spec.traffic.indices.filter { spec.traffic[$0].origin == .outside }
        let offset = index - podsHosts.count
        return offset < outsideStreams.count ? [outsideStreams[offset]] : []
    }

    func meanGapMs(_ stream: Int, client index: Int) -> Double {
        let rate = spec.traffic[stream].requestsPerSecond / Double(index < podsHosts.count ? max(1, podsHosts.count) : 1)
        return rate > 0 ? 1_000 / rate : .infinity
    }

    mutating func scheduleTick(_ stream: Int, client index: Int, _ sim: ClusterSim) {
        let mean = meanGapMs(stream, client: index)
        guard mean.isFinite else { return }
        let gapNs = Int64(clients[index].random.exponential(mean: mean) * 1_000_000)
        sim.setTimer(on: clients[index].host, after: .nanoseconds(max(1_000, gapNs)), .worker(.trafficTick(stream: stream)))
    }

    mutating func handleTraffic<O: ClusterObserver>(_ index: Int, _ event: ComponentEvent<DataPlaneMessage, WorkerTimer>, _ sim: ClusterSim, _ observer: inout O) {
        switch event {
        case .started:
            for stream in streams(ofClient: index) { scheduleTick(stream, client: index, sim) }
        case .timer(_, .trafficTick(let stream)):
            scheduleTick(stream, client: index, sim)
            send(stream, from: index, sim, &observer)
        case .timer(_, .requestTimeout(let id)):
            guard let request = clients[index].pending.removeValue(forKey: id) else { return }
            if clients[index].outside {
                var health = clients[index].entryHealth[request.entry] ?? (0, .start, false)
                health.failures += 1
                health.avoidUntil = sim.now + .milliseconds(min(Self.entryAvoidMs << min(health.failures - 1, 3), 60_000))
                health.probing = false
                clients[index].entryHealth[request.entry] = health
            }
            record(request.stream, sentAt: request.sentAt, .timedOut, pod: nil, routedBy: "", sim, &observer)
        case .timer(_, .containerReady):
            preconditionFailure("containers start on containerd")
        case .message(let from, .request(let id, let stream, let client, let pod, let routedBy)):
            arrived(id: id, stream: stream, client: client, pod: pod, routedBy: routedBy, at: index, from: from, sim)
        case .message(_, .response(let id, let outcome, let pod, let routedBy)):
            guard let request = clients[index].pending.removeValue(forKey: id) else { return }
            sim.cancelTimer(request.timeout)
            if clients[index].outside { clients[index].entryHealth[request.entry] = nil }
            record(request.stream, sentAt: request.sentAt, outcome, pod: pod, routedBy: routedBy, sim, &observer)
        case .persisted:
            preconditionFailure("traffic clients persist nothing")
        }
    }

    /// A client sends the next request of `stream`.
    mutating func send<O: ClusterObserver>(_ stream: Int, from index: Int, _ sim: ClusterSim, _ observer: inout O) {
        nextRequestID += 1
        let id = nextRequestID, client = clients[index].host
        let timeout = sim.setTimer(on: client, after: .milliseconds(spec.traffic[stream].timeoutMs), .worker(.requestTimeout(request: id)))
        if clients[index].outside {
            guard let entry = nextEntry(index, sim) else { return sim.cancelTimer(timeout) }
            clients[index].pending[id] = (stream, sim.now, entry, timeout)
            sim.send(.dataPlane(.request(id: id, stream: stream, client: client, pod: nil, routedBy: "")), from: client, to: podsHosts[entry])
            return
        }
        clients[index].pending[id] = (stream, sim.now, index, timeout)
        route(id: id, stream: stream, client: client, atWorker: index, sim)
    }

    /// The next entry node of an outside client: round robin over the workers it does not avoid.
    mutating func nextEntry(_ index: Int, _ sim: ClusterSim) -> Int? {
        let count = podsHosts.count
        guard count > 0 else { return nil }
        for _ in 0..<count {
            let entry = clients[index].entryCursor % count
            clients[index].entryCursor += 1
            if var health = clients[index].entryHealth[entry] {
                if sim.now < health.avoidUntil || health.probing { continue }
                health.probing = true  // one request until it answers
                clients[index].entryHealth[entry] = health
            }
            return entry
        }
        let entry = clients[index].entryCursor % count
        clients[index].entryCursor += 1
        return entry
    }

    /// A node's rules choose an endpoint for request `id` and pass it on (or answer it).
    mutating func route(id: UInt64, stream: Int, client: HostID, atWorker index: Int, _ sim: ClusterSim) {
        let traffic = spec.traffic[stream]
        let node = nodeNames[index]
        guard let endpoint = rules[index].pick(traffic.serviceKey, fromNode: node, &clients[index].random),
              let target = workerIndex[endpoint.nodeName] else {
            return sim.send(.dataPlane(.response(id: id, .refused, pod: nil, routedBy: node)), from: podsHosts[index], to: client)
        }
        let pod = traffic.namespace + "/" + endpoint.podName
        sim.send(.dataPlane(.request(id: id, stream: stream, client: client, pod: pod, routedBy: node)), from: podsHosts[index], to: podsHosts[target])
    }

    /// A request reached a node: the entry node routes it, the pod's node serves it.
    mutating func arrived(id: UInt64, stream: Int, client: HostID, pod: String?, routedBy: String, at index: Int, from: HostID, _ sim: ClusterSim) {
        guard let pod else { return route(id: id, stream: stream, client: client, atWorker: index, sim) }
        let outcome: TrafficOutcome = runtimes[index].serves(pod) ? .served : .deadPod
        sim.send(.dataPlane(.response(id: id, outcome, pod: pod, routedBy: routedBy)), from: podsHosts[index], to: client)
    }

    mutating func record<O: ClusterObserver>(_ stream: Int, sentAt: SimInstant, _ outcome: TrafficOutcome, pod: String?, routedBy: String, _ sim: ClusterSim, _ observer: inout O) {
        let record = TrafficRecord(stream: stream, serviceKey: spec.traffic[stream].serviceKey, sentAt: sentAt, outcome: outcome, pod: pod, routedBy: routedBy)
        observer.observe(.worker(.request(record)), at: sim.now)
    }
}
