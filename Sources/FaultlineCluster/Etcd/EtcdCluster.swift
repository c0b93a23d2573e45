import FaultlineSim

/// etcd's timing and behaviour flags, under their real names (etcd 3.5 `etcd --help`).
public struct EtcdFlags: Sendable, Hashable {
    /// `--heartbeat-interval`: 100 ms; also the Raft tick.
    public var heartbeatIntervalMs: Int64 = 100
    /// `--election-timeout`: 1000 ms; the randomised timeout is drawn in [1x, 2x) of it, in ticks.
    public var electionTimeoutMs: Int64 = 1000
    /// `--snapshot-count`: entries applied between snapshots (etcd 3.5 default 100,000).
    public var snapshotCount: Int = 100_000
    /// `--experimental-snapshot-catchup-entries` (etcd 3.6; fixed at 5,000 in 3.5): entries kept in the log
    /// after a snapshot, so that a follower slightly behind catches up without a snapshot.
    public var snapshotCatchUpEntries: Int = 5_000
    /// `--auto-compaction-retention` in `--auto-compaction-mode=revision`: 0 (etcd's default) is off; N
    /// makes the leader compact to `revision - N` every five minutes.
    public var autoCompactionRetention: Int64 = 0
    /// How often the revision compactor runs: fixed at 5 minutes in etcd (not a flag); tests shorten it.
    public var autoCompactionIntervalMs: Int64 = 5 * 60 * 1000
    /// `--pre-vote`: on by default since etcd 3.5.
    public var preVote: Bool = true
    /// `--experimental-initial-corrupt-check` is unrelated; check-quorum is always on in etcd's raft config.
    public var checkQuorum: Bool = true
    /// Deliberately broken Raft variants, to prove the checkers can fail.
    public var bugs: RaftBugs = []

    public init() {}
}

/// Where the etcd model's hosts are, independent of who observes the cluster.
public enum EtcdClusterLayout {
    /// The names of the hosts the cluster registers, in registration order (host ids follow it):
    /// masters, then clients, watchers and lease holders.
    public static func hostNames(memberCount: Int, workload: ClientWorkload, memberNames: [String]? = nil) -> [String] {
        (0..<memberCount).map { memberNames?[$0] ?? "master-\($0 + 1)" }
            + (0..<workload.clients).map { "client-\($0 + 1)" }
            + (0..<workload.watchers).map { "watcher-\($0 + 1)" }
            + (0..<workload.leaseHolders).map { "lease-holder-\($0 + 1)" }
    }
}

/// What the etcd model reports to whoever checks it. Implemented by the chaos layer's checkers; the
/// model never reads anything back.
public protocol EtcdObserver {
    /// A member's Ready was handled: `ready` holds what it persisted, applied and its role.
    mutating func observeReady(member: Int, ready: RaftReady<EtcdRequest>, at time: SimInstant)
    /// A member (re)started from its durable state.
    mutating func observeStart(member: Int, durable: RaftDurableState<EtcdRequest>, at time: SimInstant)
    /// A client operation completed (or timed out, with `returned == nil`).
    mutating func observeOperation(_ operation: ClientOperation)
    /// A watcher received `response` on its stream `watchID`.
    mutating func observeWatch(watcher: Int, watchID: UInt64, response: WatchResponse, at time: SimInstant)
    /// A lease holder learned something about its lease (see `LeaseObservation`).
    mutating func observeLease(holder: Int, _ observation: LeaseObservation, at time: SimInstant)
}

extension EtcdObserver {
    public mutating func observeWatch(watcher: Int, watchID: UInt64, response: WatchResponse, at time: SimInstant) {}
    public mutating func observeLease(holder: Int, _ observation: LeaseObservation, at time: SimInstant) {}
}

/// The etcd cluster model: `memberCount` members (one per master host) and closed-loop clients, all
/// on the simulated network.
///
/// Invariants: a member's messages leave only after what they depend on is durable (Ready is
/// persisted first, then sent, then applied); after a crash, a member is rebuilt from exactly what
/// its completed persists wrote; clients reach members only through the network.
public struct EtcdCluster<Observer: EtcdObserver>: SimWorld {
    public typealias Message = EtcdNetworkMessage
    public typealias TimerTag = EtcdTimer

    /// The role of each host, by host index.
    enum Role {
        case member(Int)
        case client(Int)
        case watcher(Int)
        case leaseHolder(Int)
        case none
    }

    public let flags: EtcdFlags
    public let workload: ClientWorkload
    public var observer: Observer
    public private(set) var members: [EtcdMember]
    var clients: [EtcdClientState]
    var watchers: [EtcdWatcherState]
    var outputBuffer = MemberOutput()
    var leaseHolders: [EtcdLeaseHolderState]
    var roles: [Role]
    /// Hosts of the members, by member index.
    public let memberHosts: [HostID]
    public let clientHosts: [HostID]
    public let watcherHosts: [HostID]
    public let leaseHolderHosts: [HostID]
    /// The host incarnation each member last started in (nil before its first start). A member whose
    /// host restarted but has not yet run its `.started` event still holds its pre-crash volatile state,
    /// which checkers and metrics must not read: see `isRunning`.
    var startedIncarnation: [UInt32?]
    /// Clients stop issuing new requests after this instant (the runner quiesces before final checks).
    public var clientsStopAt: SimInstant = .distantFuture

    /// Registers the member and client hosts on `sim` (members named `master-1`, ...; clients `client-1`, ...).
    public init(sim: Simulation<EtcdNetworkMessage, EtcdTimer>, memberCount: Int, flags: EtcdFlags, workload: ClientWorkload,
                storageLatency: LatencyDistribution, observer: Observer, memberNames: [String]? = nil) {
        precondition([1, 3, 5, 7].contains(memberCount), "etcd membership must be 1, 3, 5 or 7")
        self.flags = flags
        self.workload = workload
        self.observer = observer
        var names = EtcdClusterLayout.hostNames(memberCount: memberCount, workload: workload, memberNames: memberNames).makeIterator()
        var memberHosts: [HostID] = []
        var roles: [Role] = Array(repeating: .none, count: sim.hostCount)
        for index in 0..<memberCount {
            memberHosts.append(sim.addHost(names.next()!, storageLatency: storageLatency))
            roles.append(.member(index))
        }
        var clientHosts: [HostID] = []
        var clients: [EtcdClientState] = []
        for index in 0..<workload.clients {
            let host = sim.addHost(names.next()!)
            clientHosts.append(host)
            roles.append(.client(index))
            clients.append(EtcdClientState(index: index, host: host, memberCount: memberCount, keys: workload.keys,
                                           random: sim.randomStream("etcd.client.\(index)")))
        }
        var watcherHosts: [HostID] = []
        var watchers: [EtcdWatcherState] = []
        for index in 0..<workload.watchers {
            let host = sim.addHost(names.next()!)
            watcherHosts.append(host)
            roles.append(.watcher(index))
            watchers.append(EtcdWatcherState(index: index, host: host, endpoint: (memberCount - 1 - index % memberCount)))
        }
        self.watcherHosts = watcherHosts
        self.watchers = watchers
        var leaseHolderHosts: [HostID] = []
        var leaseHolders: [EtcdLeaseHolderState] = []
        for index in 0..<workload.leaseHolders {
            let host = sim.addHost(names.next()!)
            leaseHolderHosts.append(host)
            roles.append(.leaseHolder(index))
            leaseHolders.append(EtcdLeaseHolderState(index: index, host: host, endpoint: index % memberCount,
                                                     random: sim.randomStream("etcd.lease-holder.\(index)")))
        }
        self.leaseHolderHosts = leaseHolderHosts
        self.leaseHolders = leaseHolders
        self.memberHosts = memberHosts
        self.clientHosts = clientHosts
        self.roles = roles
        self.clients = clients
        let voters = (0..<memberCount).map { MemberID($0 + 1) }
        self.startedIncarnation = Array(repeating: nil, count: memberCount)
        self.members = (0..<memberCount).map { index in
            EtcdMember(index: index, voters: voters, flags: flags, seed: sim.seed)
        }
    }

    public mutating func handle(_ event: SimEvent<EtcdNetworkMessage, EtcdTimer>, in sim: Simulation<EtcdNetworkMessage, EtcdTimer>) {
        let hostIndex = Int(event.host.index)
        guard hostIndex < roles.count else { return }
        switch roles[hostIndex] {
        case .member(let index):
            handleMember(index, event, sim)
        case .client(let index):
            handleClient(index, event, sim)
        case .watcher(let index):
            handleWatcher(index, event, sim)
        case .leaseHolder(let index):
            handleLeaseHolder(index, event, sim)
        case .none:
            break
        }
    }

    // MARK: - Members

    mutating func handleMember(_ index: Int, _ event: SimEvent<EtcdNetworkMessage, EtcdTimer>, _ sim: Simulation<EtcdNetworkMessage, EtcdTimer>) {
        // The output buffer is reused across events (moved out, cleared keeping capacity, moved back),
        // so that a member step does not allocate its output arrays afresh each time.
        var output = outputBuffer
        outputBuffer = MemberOutput()
        switch event.kind {
        case .started:
            members[index].restart(now: event.time)
            startedIncarnation[index] = sim.incarnation(of: event.host)
            observer.observeStart(member: index, durable: members[index].durable, at: event.time)
            sim.setTimer(on: event.host, after: .milliseconds(flags.heartbeatIntervalMs), .raftTick)
        case .timer(_, .raftTick):
            members[index].tick(into: &output)
            sim.setTimer(on: event.host, after: .milliseconds(flags.heartbeatIntervalMs), .raftTick)
        case .timer:
            preconditionFailure("members set only raft ticks")
        case .message(_, .raft(let message)):
            members[index].step(message)
        case .message(let from, .request(let request)):
            members[index].receive(request, from: from, into: &output)
        case .message(let from, .watchCreate(let create)):
            members[index].receiveWatch(create, from: from, into: &output)
        case .message(let from, .watchPing(let watchID)):
            members[index].receiveWatchPing(watchID, from: from, into: &output)
        case .message(let from, .leaseRequest(let request)):
            members[index].receiveLease(request, from: from, into: &output)
        case .message(_, .response), .message(_, .watch), .message(_, .leaseResponse):
            preconditionFailure("members never receive responses")
        case .persisted(let token):
            members[index].persisted(token: token, into: &output)
        }
        members[index].process(into: &output, now: event.time)
        flush(member: index, output, sim)
        output.clear()
        outputBuffer = output
    }

    /// Performs a member's outputs: persists, messages, observations, client answers.
    mutating func flush(member index: Int, _ output: MemberOutput, _ sim: Simulation<EtcdNetworkMessage, EtcdTimer>) {
        let host = memberHosts[index]
        if let token = output.persistToken { sim.persist(on: host, token: token) }
        for ready in output.handledReadies { observer.observeReady(member: index, ready: ready, at: sim.now) }
        for message in output.raftMessages {
            let target = Int(message.to.rawValue) - 1
            guard target >= 0 && target < memberHosts.count else { continue }
            sim.send(.raft(message), from: host, to: memberHosts[target])
        }
        for answer in output.answers {
            sim.send(.response(requestID: answer.requestID, answer.result), from: host, to: answer.client)
        }
        for answer in output.leaseAnswers {
            sim.send(.leaseResponse(requestID: answer.requestID, answer.result), from: host, to: answer.client)
        }
        for message in output.watchMessages {
            sim.send(.watch(watchID: message.watchID, sequence: message.sequence, message.response), from: host, to: message.client)
        }
    }

    // MARK: - Clients

    mutating func handleClient(_ index: Int, _ event: SimEvent<EtcdNetworkMessage, EtcdTimer>, _ sim: Simulation<EtcdNetworkMessage, EtcdTimer>) {
        switch event.kind {
        case .started:
            scheduleNextIssue(index, sim)
        case .timer(_, .clientIssue):
            guard clients[index].outstanding == nil, sim.now < clientsStopAt else { return }
            let request = clients[index].nextRequest(workload: workload)
            let timeout = sim.setTimer(on: event.host, after: workload.requestTimeout, .clientTimeout(requestID: request.id))
            let target = clients[index].endpoint
            clients[index].outstanding = EtcdClientState.Outstanding(request: request, called: sim.now, target: target, timeout: timeout)
            sim.send(.request(request), from: event.host, to: memberHosts[target])
        case .timer(_, .clientTimeout(let id)):
            guard let outstanding = clients[index].outstanding, outstanding.request.id == id else { return }
            clients[index].outstanding = nil
            if outstanding.request.kind != .get {
                complete(index, clients[index].record(outstanding, value: "", ok: false, returned: nil))
            }
            clients[index].rotateEndpoint(memberCount: memberHosts.count)
            scheduleNextIssue(index, sim)
        case .timer(_, .clientRetry(let id)):
            guard let outstanding = clients[index].outstanding, outstanding.request.id == id else { return }
            sim.send(.request(outstanding.request), from: event.host, to: memberHosts[outstanding.target])
        case .timer(_, .raftTick):
            preconditionFailure("clients do not tick Raft")
        case .message(_, .response(let id, let result)):
            guard var outstanding = clients[index].outstanding, outstanding.request.id == id else { return }
            switch result {
            case .ok(let value, let succeeded):
                sim.cancelTimer(outstanding.timeout)
                clients[index].outstanding = nil
                let ok = outstanding.request.kind == .cas ? succeeded : true
                complete(index, clients[index].record(outstanding, value: value, ok: ok, returned: sim.now))
                scheduleNextIssue(index, sim)
            case .redirect, .unavailable:
                var leader: Int?
                if case .redirect(let named) = result { leader = named }
                let resendTo = outstanding.refused(redirectTo: leader, endpoint: &clients[index].endpoint,
                                                   memberCount: memberHosts.count, maxRedirects: workload.maxRedirects)
                clients[index].outstanding = outstanding
                if let resendTo {
                    sim.send(.request(outstanding.request), from: event.host, to: memberHosts[resendTo])
                } else {
                    sim.setTimer(on: event.host, after: .milliseconds(50), .clientRetry(requestID: id))
                }
            }
        case .timer(_, .watchKeepalive), .timer(_, .watchReconnect), .timer(_, .leaseStep), .timer(_, .leaseTimeout), .timer(_, .leaseRetry):
            preconditionFailure("clients neither watch nor hold leases")
        case .message(_, .raft), .message(_, .request), .message(_, .watchCreate), .message(_, .watchPing), .message(_, .watch),
             .message(_, .leaseRequest), .message(_, .leaseResponse):
            preconditionFailure("clients receive only responses")
        case .persisted:
            preconditionFailure("clients persist nothing")
        }
    }

    mutating func complete(_ index: Int, _ operation: ClientOperation) {
        clients[index].learn(operation)
        observer.observeOperation(operation)
    }

    mutating func scheduleNextIssue(_ index: Int, _ sim: Simulation<EtcdNetworkMessage, EtcdTimer>) {
        let mean = Double(workload.thinkTime.nanoseconds)
        let delay = SimDuration(nanoseconds: Int64(clients[index].random.exponential(mean: mean)))
        sim.setTimer(on: clients[index].host, after: delay, .clientIssue)
    }

    // MARK: - Queries for checkers and metrics (read-only)

    /// True when the member's host is up and the member has started in the host's current incarnation,
    /// so its volatile state is live (not left over from before a crash).
    public func isRunning(member index: Int, in sim: Simulation<EtcdNetworkMessage, EtcdTimer>) -> Bool {
        let host = memberHosts[index]
        return sim.isUp(host) && startedIncarnation[index] == sim.incarnation(of: host)
    }

    /// The member that leads with a quorum behind it: it is running, has committed an entry of its
    /// term, and a quorum of running members (itself included) that it can reach both ways follow it in
    /// that term. A leader cut off by a partition does not count, even before check-quorum deposes it.
    public func establishedLeader(in sim: Simulation<EtcdNetworkMessage, EtcdTimer>) -> Int? {
        let quorum = members.count / 2 + 1
        for (index, member) in members.enumerated() where isRunning(member: index, in: sim) && member.isEstablishedLeader {
            var followers = 1
            for (other, peer) in members.enumerated() where other != index && isRunning(member: other, in: sim) {
                if peer.term == member.term, peer.leaderHint == index,
                   sim.canReach(from: memberHosts[index], to: memberHosts[other]),
                   sim.canReach(from: memberHosts[other], to: memberHosts[index]) {
                    followers += 1
                }
            }
            if followers >= quorum { return index }
        }
        return nil
    }
}

extension EtcdCluster {
    /// Erases a (crashed) member's data directory: it restarts with no log, no vote and no snapshot,
    /// as after a disk replacement. Rejoining under the same id is unsafe in real etcd too; the fault
    /// exists to show what the checkers say about it.
    public mutating func wipeDataDirectory(member index: Int) {
        members[index].wipe()
    }

    /// Replaces a (crashed) member's data directory with an earlier copy of it (`members[i].durable`
    /// taken then): it restarts having forgotten every vote, entry and commit since. Unsafe in real
    /// etcd too; the fault exists to show what the checkers say about it.
    public mutating func restoreDataDirectory(member index: Int, to saved: RaftDurableState<EtcdRequest>) {
        members[index].restore(saved)
    }

    /// Ends the run for the clients: every write still outstanding is recorded with an unknown outcome.
    public mutating func recordOutstandingAsUnknown() {
        for index in clients.indices {
            guard let outstanding = clients[index].outstanding else { continue }
            clients[index].outstanding = nil
            if outstanding.request.kind != .get {
                observer.observeOperation(clients[index].record(outstanding, value: "", ok: false, returned: nil))
            }
        }
    }
}
