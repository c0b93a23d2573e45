import FaultlineSim

/// Constants shared by API-using processes.
public enum ProcessCore {
    /// Tags at or above this are the leader elector's; the process's own stay below.
    public static let electorTagBit: UInt64 = 1 << 62
}

/// One API-using process: its client and informers (`InformerSet`), an optional leader elector
/// (client-go semantics over a `coordination.k8s.io` Lease) and its logic. It carries out what they
/// ask on the simulated network and clock, and reports leadership and watch progress.
///
/// Invariants: the elector has at most one call in flight and one live retry timer (older timers are
/// stale by epoch); a process whose elector stopped leading exits (`wantsExit`), as kube-scheduler and
/// kube-controller-manager do (`OnStoppedLeading` is fatal), and its master's kubelet restarts it.
public struct ApiProcess<Logic: ProcessLogic> {
    public typealias Event = ComponentEvent<ApiClientBound, ProcessTimer>

    enum ElectorCall { case get, write }
    enum ElectorAnswer {
        case success(ApiResult)
        case failure(ClientFailure)
    }

    public let host: HostID
    public let identity: String
    let freshInformers: InformerSet
    let freshLogic: Logic
    let electorConfig: LeaderElectionConfig?
    let electorBugs: LeaderElectionBugs
    let user: ApiUser
    public private(set) var informers: InformerSet
    public private(set) var logic: Logic
    public private(set) var elector: LeaderElector?
    var electorEpoch: UInt64 = 0
    var electorTag: UInt64 = 0
    var electorCall: (tag: UInt64, kind: ElectorCall)?
    var incarnation: UInt64 = 0
    var outbox = ProcessOutbox()
    /// Set when the process must end (it lost its lease); the world crashes its host.
    public internal(set) var wantsExit = false
    /// Runtime calls the logic made, in order, for the owner to carry out (`takeRuntimeCalls`).
    var runtimeCalls: [RuntimeCall] = []

    public init(host: HostID, identity: String, user: ApiUser, informers: InformerSet, logic: Logic,
                leaderElection: LeaderElectionConfig? = nil, electorBugs: LeaderElectionBugs = []) {
        self.host = host
        self.identity = identity
        self.user = user
        self.freshInformers = informers
        self.freshLogic = logic
        self.informers = informers
        self.logic = logic
        self.electorConfig = leaderElection
        self.electorBugs = electorBugs
    }

    /// True when this process is up and its elector (if any) holds the lease.
    public var leading: Bool { elector?.isLeading ?? true }
    /// True when it has an elector and the elector holds the lease.
    public var leadsByElection: Bool { elector?.isLeading ?? false }

    func view(_ sim: ClusterSim) -> ProcessView {
        ProcessView(now: sim.now, localNow: sim.monotonicTime(of: host), leading: leading)
    }

    mutating func handle<O: ClusterObserver>(_ event: Event, _ sim: ClusterSim, _ observer: inout O) {
        var outputs: [InformerSetOutput] = []
        switch event {
        case .started:
            incarnation += 1
            wantsExit = false
            runtimeCalls.removeAll()
            let previous = informers
            informers = freshInformers
            informers.continueIDs(after: previous)
            logic = freshLogic
            electorCall = nil
            informers.start(now: sim.now, into: &outputs)
            route(&outputs, sim, &observer)
            logic.started(view(sim), informers, &outbox)
            flush(sim, &observer)
            if let electorConfig {
                var newElector = LeaderElector(config: electorConfig, random: sim.randomStream("\(identity).elector.\(incarnation)"))
                newElector.enableUnsafeBugs(electorBugs)
                elector = newElector
                var electorOutputs: [LeaderElectorOutput] = []
                elector!.start(localNow: sim.monotonicTime(of: host), into: &electorOutputs)
                performElector(electorOutputs, sim, &observer)
            }
            return
        case .message(_, let message):
            informers.receive(message, now: sim.now, into: &outputs)
        case .timer(_, .informers(let timer)):
            informers.timerFired(timer, now: sim.now, into: &outputs)
        case .timer(_, .elector(let epoch)):
            guard epoch == electorEpoch, elector != nil else { return }
            var electorOutputs: [LeaderElectorOutput] = []
            elector!.retryTimerFired(localNow: sim.monotonicTime(of: host), into: &electorOutputs)
            performElector(electorOutputs, sim, &observer)
            return
        case .timer(_, .work(let token)):
            logic.timer(token, view(sim), informers, &outbox)
            flush(sim, &observer)
            return
        case .persisted:
            preconditionFailure("API clients persist nothing")
        }
        route(&outputs, sim, &observer)
    }

    /// Carries out the client's outputs and hands answers and notifications to the logic or elector.
    mutating func route<O: ClusterObserver>(_ outputs: inout [InformerSetOutput], _ sim: ClusterSim, _ observer: inout O) {
        var index = 0
        while index < outputs.count {  // bound: each output is handled once; handlers append no more here
            let output = outputs[index]
            index += 1
            switch output {
            case .send(let message, let target):
                sim.send(.api(message), from: host, to: target)
            case .setTimer(let afterMs, let timer):
                sim.setTimer(on: host, after: .milliseconds(afterMs), .process(.informers(timer)))
            case .completed(let tag, let result):
                if tag.rawValue >= ProcessCore.electorTagBit {
                    electorAnswer(tag.rawValue, .success(result), sim, &observer)
                } else {
                    logic.completed(tag.rawValue, result, view(sim), informers, &outbox)
                    flush(sim, &observer)
                }
            case .failed(let tag, let failure):
                if tag.rawValue >= ProcessCore.electorTagBit {
                    electorAnswer(tag.rawValue, .failure(failure), sim, &observer)
                } else {
                    logic.failed(tag.rawValue, failure, view(sim), informers, &outbox)
                    flush(sim, &observer)
                }
            case .watchEvents, .watchClosed:
                break  // processes watch only through informers
            case .informer(let informer, let event):
                if case .observedResourceVersion(let resource, let revision, let fromWatch) = event {
                    let observation: KubeObservation = fromWatch
                        ? .watchEventReceived(watcher: identity, resource: resource, resourceVersion: revision, resumedFrom: 0)
                        : .relisted(watcher: identity, resource: resource, resourceVersion: revision)
                    observer.observe(.kube(observation), at: sim.now)
                }
                logic.informerEvent(informer, event, view(sim), informers, &outbox)
                flush(sim, &observer)
            }
        }
        outputs.removeAll(keepingCapacity: true)
    }

    /// Sends what the logic asked for.
    mutating func flush<O: ClusterObserver>(_ sim: ClusterSim, _ observer: inout O) {
        guard !outbox.requests.isEmpty || !outbox.timers.isEmpty || !outbox.observations.isEmpty
              || !outbox.runtimeCalls.isEmpty || !outbox.workerObservations.isEmpty || outbox.closeConnection else { return }
        let box = outbox
        outbox.clear()
        for observation in box.observations { observer.observe(.kube(observation), at: sim.now) }
        for observation in box.workerObservations { observer.observe(.worker(observation), at: sim.now) }
        runtimeCalls.append(contentsOf: box.runtimeCalls)
        for (afterMs, token) in box.timers {
            sim.setTimer(on: host, after: .milliseconds(afterMs), .process(.work(token: token)))
        }
        var outputs: [InformerSetOutput] = []
        if box.closeConnection { informers.closeConnection(now: sim.now, into: &outputs) }
        for (request, tag, asLeader) in box.requests {
            if asLeader, let electorConfig {
                let deadline = elector?.renewDeadlineLocal
                let pastDeadline = deadline.map { sim.monotonicTime(of: host) > $0 } ?? false
                observer.observe(.kube(.leaderAction(lease: "\(electorConfig.leaseNamespace)/\(electorConfig.leaseName)", identity: identity,
                                                     leading: leading, pastRenewDeadline: pastDeadline,
                                                     action: "\(request.verb.rawValue) \(request.resource.rawValue)\(request.subresource.map { "/\($0.rawValue)" } ?? "") \(request.namespace)/\(request.name)")),
                                 at: sim.now)
            }
            informers.send(request, tag: RequestTag(tag), now: sim.now, into: &outputs)
        }
        route(&outputs, sim, &observer)
    }

    /// Lets the logic act on something from outside the process (a chaos action such as pod-kill),
    /// then sends what it asked for.
    public mutating func act<O: ClusterObserver>(_ sim: ClusterSim, _ observer: inout O,
                                                 _ body: (inout Logic, ProcessView, InformerSet, inout ProcessOutbox) -> Void) {
        guard sim.isUp(host) else { return }
        body(&logic, view(sim), informers, &outbox)
        flush(sim, &observer)
    }

    // MARK: Container runtime

    /// The runtime calls made since the last take, in order.
    public mutating func takeRuntimeCalls() -> [RuntimeCall] {
        guard !runtimeCalls.isEmpty else { return [] }
        defer { runtimeCalls.removeAll(keepingCapacity: true) }
        return runtimeCalls
    }

    /// Hands the runtime's answer to a relist to the logic.
    public mutating func runtimeAnswer<O: ClusterObserver>(_ answer: RuntimeAnswer, _ sim: ClusterSim, _ observer: inout O) {
        logic.runtimeAnswered(answer, view(sim), informers, &outbox)
        flush(sim, &observer)
    }

    // MARK: Leader election

    mutating func electorAnswer<O: ClusterObserver>(_ tag: UInt64, _ answer: ElectorAnswer, _ sim: ClusterSim, _ observer: inout O) {
        guard let call = electorCall, call.tag == tag, elector != nil else { return }
        electorCall = nil
        let localNow = sim.monotonicTime(of: host)
        var outputs: [LeaderElectorOutput] = []
        switch (call.kind, answer) {
        case (.get, .success(.object(.lease(let lease)))):
            elector!.leaseRead(lease, localNow: localNow, into: &outputs)
        case (.get, .failure(.status(let status))) where status.code == .notFound:
            elector!.leaseRead(nil, localNow: localNow, into: &outputs)
        case (.write, .success(.object(.lease(let lease)))):
            elector!.writeSucceeded(lease, localNow: localNow, into: &outputs)
        case (_, .failure(.timedOut)):
            elector!.requestTimedOut(localNow: localNow, into: &outputs)
        case (.get, .failure(let failure)):
            elector!.readFailed(Self.leaseFailure(failure), localNow: localNow, into: &outputs)
        case (.write, .failure(let failure)):
            elector!.writeFailed(Self.leaseFailure(failure), localNow: localNow, into: &outputs)
        case (.get, .success), (.write, .success):
            elector!.readFailed(.error(nil), localNow: localNow, into: &outputs)  // not a lease: treat as an error
        }
        performElector(outputs, sim, &observer)
    }

    static func leaseFailure(_ failure: ClientFailure) -> LeaseRequestFailure {
        switch failure {
        case .status(let status): return status.code == .conflict ? .conflict : .error(status.code)
        case .timedOut, .connectionReset: return .error(nil)
        }
    }

    mutating func performElector<O: ClusterObserver>(_ electorOutputs: [LeaderElectorOutput], _ sim: ClusterSim, _ observer: inout O) {
        guard let electorConfig else { return }
        let lease = "\(electorConfig.leaseNamespace)/\(electorConfig.leaseName)"
        var outputs: [InformerSetOutput] = []
        for output in electorOutputs {
            switch output {
            case .getLease:
                sendElector(ApiRequest(id: 0, user: user, verb: .get, resource: .leases, namespace: electorConfig.leaseNamespace, name: electorConfig.leaseName), .get, sim, &outputs)
            case .createLease(let object):
                var request = ApiRequest(id: 0, user: user, verb: .create, resource: .leases, namespace: electorConfig.leaseNamespace, name: electorConfig.leaseName)
                request.object = .lease(object)
                sendElector(request, .write, sim, &outputs)
            case .updateLease(let object):
                var request = ApiRequest(id: 0, user: user, verb: .update, resource: .leases, namespace: electorConfig.leaseNamespace, name: electorConfig.leaseName)
                request.object = .lease(object)
                sendElector(request, .write, sim, &outputs)
            case .setRetryTimer(let afterMs):
                electorEpoch += 1
                sim.setTimer(on: host, after: .milliseconds(afterMs), .process(.elector(epoch: electorEpoch)))
            case .startedLeading:
                observer.observe(.kube(.leaderStarted(lease: lease, identity: identity)), at: sim.now)
                logic.startedLeading(view(sim), informers, &outbox)
                flush(sim, &observer)
            case .stoppedLeading:
                observer.observe(.kube(.leaderStopped(lease: lease, identity: identity, reason: "could not renew within the renew deadline")), at: sim.now)
                wantsExit = true
            case .newLeaderObserved:
                break
            }
        }
        route(&outputs, sim, &observer)
    }

    mutating func sendElector(_ request: ApiRequest, _ kind: ElectorCall, _ sim: ClusterSim, _ outputs: inout [InformerSetOutput]) {
        electorTag += 1
        let tag = ProcessCore.electorTagBit | electorTag
        electorCall = (tag, kind)
        informers.send(request, tag: RequestTag(tag), now: sim.now, into: &outputs)
    }

    /// The process ended (crashed, killed, or exited): report a leadership that ended with it.
    mutating func ended<O: ClusterObserver>(_ sim: ClusterSim, _ observer: inout O, reason: String) {
        if let electorConfig, elector?.isLeading == true {
            observer.observe(.kube(.leaderStopped(lease: "\(electorConfig.leaseNamespace)/\(electorConfig.leaseName)", identity: identity, reason: reason)), at: sim.now)
        }
        elector = nil
    }
}
