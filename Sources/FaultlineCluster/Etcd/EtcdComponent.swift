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
    /// Raft timing beyond etcd's flags (a scenario's `raft:` section, for experiments such as the Raft
    /// paper's); nil: derived from `--heartbeat-interval` and `--election-timeout` as etcd does.
    public var raftTiming: RaftTiming?
    /// Where each member's first tick falls after a start: `random` (the default) or `aligned`.
    public var tickPhase: TickPhase = .random

    public init() {}

    /// The timing members run: `raftTiming`, else etcd's (server/etcdserver/raft.go): the tick is the
    /// heartbeat interval, `HeartbeatTick = 1`, `ElectionTick = election-timeout / heartbeat-interval`,
    /// and raft draws the randomised timeout in [ElectionTick, 2 x ElectionTick).
    public var timing: RaftTiming {
        if let raftTiming { return raftTiming }
        let electionTicks = Int(max(1, electionTimeoutMs / max(1, heartbeatIntervalMs)))
        return RaftTiming(tickInterval: .milliseconds(max(1, heartbeatIntervalMs)), heartbeatTicks: 1,
                          electionTicksMin: electionTicks, electionTicksMax: 2 * electionTicks)
    }
}

/// The etcd model as one component of the cluster world: `memberCount` members (one per master) and
/// the etcd test clients (closed-loop clients, watchers, lease holders), all on the simulated network.
///
/// Invariants: a member's messages leave only after what they depend on is durable (Ready is
/// persisted first, then sent, then applied); after a crash, a member is rebuilt from exactly what
/// its completed persists wrote; clients reach members only through the network.
public struct EtcdComponent {
    public typealias Event = ComponentEvent<EtcdServerBound, EtcdTimer>
    public typealias ClientEvent = ComponentEvent<EtcdClientBound, EtcdTimer>

    public let flags: EtcdFlags
    /// One Raft tick (`flags.timing.tickInterval`).
    let tickInterval: SimDuration
    public let workload: ClientWorkload
    public private(set) var members: [EtcdMember]
    var clients: [EtcdClientState]
    var watchers: [EtcdWatcherState]
    var outputBuffer = MemberOutput()
    var leaseHolders: [EtcdLeaseHolderState]
    /// Hosts of the members, by member index.
    public let memberHosts: [HostID]
    public let clientHosts: [HostID]
    public let watcherHosts: [HostID]
    public let leaseHolderHosts: [HostID]
    /// The host incarnation each member last started in (nil before its first start). A member whose
    /// host restarted but has not yet run its `.started` event still holds its pre-crash volatile state,
    /// which checkers and metrics must not read: see `isRunning`.
    var startedIncarnation: [UInt32?]
    /// What `establishedLeader` reads of each member, refreshed after every member step (the only
    /// place a member's role, term or leader changes), so that sampling never copies a member.
    struct MemberStatus {
        var establishedLeader = false
        var term: UInt64 = 0
        var leaderHint: Int?
        var role: RaftRole = .follower
        /// When the member took `role` in `term` (for faults aimed at a new leader or a candidate).
        var roleSince: SimInstant = .start
    }
    var memberStatus: [MemberStatus]
    /// Per member, the stream that places its first Raft tick after each start (`TickPhase.random`): a
    /// real member's tick loop starts when its process does, so members do not tick in lockstep
    /// (ticking together, followers that draw the same election timeout campaign at the same instant
    /// and split votes far more often than real clusters do). One draw per start, so a restarted member
    /// lands at a new phase; no other stream is touched.
    var tickPhases: [SimRandom]
    /// Clients stop issuing new requests after this instant (the runner quiesces before final checks).
    public var clientsStopAt: SimInstant = .distantFuture

    /// Registers the member hosts and the test-client hosts on `sim`, named by `layout`.
    public init(sim: ClusterSim, layout: ClusterLayout, flags: EtcdFlags, workload: ClientWorkload, storageLatency: LatencyDistribution) {
        let memberCount = layout.masters
        precondition([1, 3, 5, 7].contains(memberCount), "etcd membership must be 1, 3, 5 or 7")
        self.flags = flags
        self.tickInterval = flags.timing.tickInterval
        self.workload = workload
        self.memberHosts = layout.etcdMemberHosts.map { sim.addHost($0, storageLatency: storageLatency) }
        var clientHosts: [HostID] = []
        var clients: [EtcdClientState] = []
        for (index, name) in layout.etcdClientHosts.enumerated() {
            let host = sim.addHost(name)
            clientHosts.append(host)
            clients.append(EtcdClientState(index: index, host: host, memberCount: memberCount, keys: workload.keys,
                                           random: sim.randomStream("etcd.client.\(index)")))
        }
        var watcherHosts: [HostID] = []
        var watchers: [EtcdWatcherState] = []
        for (index, name) in layout.etcdWatcherHosts.enumerated() {
            let host = sim.addHost(name)
            watcherHosts.append(host)
            watchers.append(EtcdWatcherState(index: index, host: host, endpoint: (memberCount - 1 - index % memberCount)))
        }
        self.watcherHosts = watcherHosts
        self.watchers = watchers
        var leaseHolderHosts: [HostID] = []
        var leaseHolders: [EtcdLeaseHolderState] = []
        for (index, name) in layout.etcdLeaseHolderHosts.enumerated() {
            let host = sim.addHost(name)
            leaseHolderHosts.append(host)
            leaseHolders.append(EtcdLeaseHolderState(index: index, host: host, endpoint: index % memberCount,
                                                     random: sim.randomStream("etcd.lease-holder.\(index)")))
        }
        self.leaseHolderHosts = leaseHolderHosts
        self.leaseHolders = leaseHolders
        self.clientHosts = clientHosts
        self.clients = clients
        let voters = (0..<memberCount).map { MemberID($0 + 1) }
        self.startedIncarnation = Array(repeating: nil, count: memberCount)
        self.memberStatus = Array(repeating: MemberStatus(), count: memberCount)
        self.tickPhases = (0..<memberCount).map { sim.randomStream("etcd.member.\($0).tick-phase") }
        self.members = (0..<memberCount).map { index in
            EtcdMember(index: index, voters: voters, flags: flags, seed: sim.seed)
        }
    }

    // MARK: - Members

    mutating func handleMember<O: ClusterObserver>(_ index: Int, _ event: Event, host: HostID, _ sim: ClusterSim, _ observer: inout O) {
        // The output buffer is reused across events (moved out, cleared keeping capacity, moved back),
        // so that a member step does not allocate its output arrays afresh each time.
        var output = outputBuffer
        outputBuffer = MemberOutput()
        switch event {
        case .started:
            members[index].restart(now: sim.now)
            startedIncarnation[index] = sim.incarnation(of: host)
            observer.observe(.etcd(.started(member: index, durable: members[index].durable)), at: sim.now)
            sim.setTimer(on: host, after: firstTick(member: index), .etcd(.raftTick))
        case .timer(_, .raftTick):
            members[index].tick(into: &output)
            sim.setTimer(on: host, after: tickInterval, .etcd(.raftTick))
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
        case .message(_, .kv(let request, let replyTo)):
            members[index].receiveKV(request, replyTo: replyTo, into: &output)
        case .message(let from, .leaseRequest(let request)):
            members[index].receiveLease(request, from: from, into: &output)
        case .persisted(let token):
            members[index].persisted(token: token, into: &output)
        }
        members[index].process(into: &output, now: sim.now)
        flush(member: index, output, sim, &observer)
        let previous = memberStatus[index]
        let role = members[index].role, term = members[index].term
        var restarted = false
        if case .started = event { restarted = true }
        let since = role == previous.role && term == previous.term && !restarted ? previous.roleSince : sim.now
        memberStatus[index] = MemberStatus(establishedLeader: members[index].isEstablishedLeader, term: term,
                                           leaderHint: members[index].leaderHint, role: role, roleSince: since)
        output.clear()
        outputBuffer = output
    }

    /// The delay from a member's start to its first tick: uniform in (0, tick] with a random phase (a
    /// fresh draw from the member's stream at every start), exactly one tick when aligned.
    mutating func firstTick(member index: Int) -> SimDuration {
        switch flags.tickPhase {
        case .random: return .nanoseconds(tickPhases[index].uniform(1...tickInterval.nanoseconds))
        case .aligned: return tickInterval
        }
    }

    /// Performs a member's outputs: persists, messages, observations, client answers.
    mutating func flush<O: ClusterObserver>(member index: Int, _ output: MemberOutput, _ sim: ClusterSim, _ observer: inout O) {
        let host = memberHosts[index]
        if let token = output.persistToken { sim.persist(on: host, token: token) }
        for ready in output.handledReadies { observer.observe(.etcd(.ready(member: index, ready)), at: sim.now) }
        if !output.raftMessages.isEmpty { observer.observe(.etcd(.raftSent(member: index, output.raftMessages)), at: sim.now) }
        for message in output.raftMessages {
            let target = Int(message.to.rawValue) - 1
            guard target >= 0 && target < memberHosts.count else { continue }
            sim.send(.etcdServer(.raft(message)), from: host, to: memberHosts[target])
        }
        for answer in output.answers {
            sim.send(.etcdClient(.response(requestID: answer.requestID, answer.result)), from: host, to: answer.client)
        }
        for answer in output.kvAnswers {
            sim.send(.etcdClient(.kvResponse(requestID: answer.requestID, answer.result)), from: host, to: answer.client)
        }
        for forward in output.kvForwards where forward.leader >= 0 && forward.leader < memberHosts.count {
            sim.send(.etcdServer(.kv(forward.request, replyTo: forward.replyTo)), from: host, to: memberHosts[forward.leader])
        }
        for answer in output.leaseAnswers {
            sim.send(.etcdClient(.leaseResponse(requestID: answer.requestID, answer.result)), from: host, to: answer.client)
        }
        for message in output.watchMessages {
            sim.send(.etcdClient(.watch(watchID: message.watchID, sequence: message.sequence, message.response)), from: host, to: message.client)
        }
    }

    // MARK: - Clients

    mutating func handleClient<O: ClusterObserver>(_ index: Int, _ event: ClientEvent, host: HostID, _ sim: ClusterSim, _ observer: inout O) {
        switch event {
        case .started:
            scheduleNextIssue(index, sim)
        case .timer(_, .clientIssue):
            guard clients[index].outstanding == nil, sim.now < clientsStopAt else { return }
            let request = clients[index].nextRequest(workload: workload)
            let timeout = sim.setTimer(on: host, after: workload.requestTimeout, .etcd(.clientTimeout(requestID: request.id)))
            let target = clients[index].endpoint
            clients[index].outstanding = EtcdClientState.Outstanding(request: request, called: sim.now, target: target, timeout: timeout)
            sim.send(.etcdServer(.request(request)), from: host, to: memberHosts[target])
        case .timer(_, .clientTimeout(let id)):
            guard let outstanding = clients[index].outstanding, outstanding.request.id == id else { return }
            clients[index].outstanding = nil
            if outstanding.request.kind != .get {
                complete(index, clients[index].record(outstanding, value: "", ok: false, returned: nil), at: sim.now, &observer)
            }
            clients[index].failOver(from: outstanding.target, memberCount: memberHosts.count, now: sim.now)
            scheduleNextIssue(index, sim)
        case .timer(_, .clientRetry(let id)):
            guard let outstanding = clients[index].outstanding, outstanding.request.id == id else { return }
            sim.send(.etcdServer(.request(outstanding.request)), from: host, to: memberHosts[outstanding.target])
        case .timer(_, .raftTick):
            preconditionFailure("clients do not tick Raft")
        case .message(_, .response(let id, let result)):
            guard var outstanding = clients[index].outstanding, outstanding.request.id == id else { return }
            switch result {
            case .ok(let value, let succeeded, let modRevision):
                sim.cancelTimer(outstanding.timeout)
                clients[index].outstanding = nil
                let ok = outstanding.request.kind == .cas ? succeeded : true
                complete(index, clients[index].record(outstanding, value: value, ok: ok, returned: sim.now), modRevision: modRevision,
                         at: sim.now, &observer)
                scheduleNextIssue(index, sim)
            case .redirect, .unavailable:
                var leader: Int?
                if case .redirect(let named) = result { leader = named }
                // A member the client saw go silent is neither followed nor rotated to (`failOver`).
                let avoided = clients[index].avoiding(at: sim.now)
                if leader == avoided { leader = nil }
                let resendTo = outstanding.refused(redirectTo: leader, endpoint: &clients[index].endpoint,
                                                   memberCount: memberHosts.count, maxRedirects: workload.maxRedirects)
                if resendTo == nil, let avoided, clients[index].endpoint == avoided {
                    clients[index].endpoint = (avoided + 1) % memberHosts.count
                    outstanding.target = clients[index].endpoint
                }
                clients[index].outstanding = outstanding
                if let resendTo {
                    sim.send(.etcdServer(.request(outstanding.request)), from: host, to: memberHosts[resendTo])
                } else {
                    sim.setTimer(on: host, after: .milliseconds(50), .etcd(.clientRetry(requestID: id)))
                }
            }
        case .timer(_, .watchKeepalive), .timer(_, .watchReconnect), .timer(_, .leaseStep), .timer(_, .leaseTimeout), .timer(_, .leaseRetry):
            preconditionFailure("clients neither watch nor hold leases")
        case .message(_, .watch), .message(_, .leaseResponse), .message(_, .kvResponse):
            preconditionFailure("clients receive only responses")
        case .persisted:
            preconditionFailure("clients persist nothing")
        }
    }

    mutating func complete<O: ClusterObserver>(_ index: Int, _ operation: ClientOperation, modRevision: Int64 = 0, at time: SimInstant,
                                               _ observer: inout O) {
        clients[index].learn(operation, modRevision: modRevision)
        observer.observe(.etcd(.operation(operation)), at: time)
    }

    mutating func scheduleNextIssue(_ index: Int, _ sim: ClusterSim) {
        let mean = Double(workload.thinkTime.nanoseconds)
        let delay = SimDuration(nanoseconds: Int64(clients[index].random.exponential(mean: mean)))
        sim.setTimer(on: clients[index].host, after: delay, .etcd(.clientIssue))
    }

    // MARK: - Queries for checkers and metrics (read-only)

    /// True when the member's host is up and the member has started in the host's current incarnation,
    /// so its volatile state is live (not left over from before a crash).
    public func isRunning(member index: Int, in sim: ClusterSim) -> Bool {
        let host = memberHosts[index]
        return sim.isUp(host) && startedIncarnation[index] == sim.incarnation(of: host)
    }

    /// The member's Raft role and when it took it (in its current term and incarnation); nil when the
    /// member is not running.
    public func role(of index: Int, in sim: ClusterSim) -> (role: RaftRole, since: SimInstant)? {
        guard isRunning(member: index, in: sim) else { return nil }
        return (memberStatus[index].role, memberStatus[index].roleSince)
    }

    /// The member that leads with a quorum behind it: it is running, has committed an entry of its
    /// term, and a quorum of running members (itself included) that it can reach both ways follow it in
    /// that term. A leader cut off by a partition does not count, even before check-quorum deposes it.
    public func establishedLeader(in sim: ClusterSim) -> Int? {
        // From `memberStatus`, not the members: a member is a large value, and the runner samples this
        // every few simulated milliseconds (copying members made sampling a hot path of long runs).
        let quorum = memberStatus.count / 2 + 1
        for index in memberStatus.indices where isRunning(member: index, in: sim) && memberStatus[index].establishedLeader {
            var followers = 1
            let term = memberStatus[index].term
            for other in memberStatus.indices where other != index && isRunning(member: other, in: sim) {
                if memberStatus[other].term == term, memberStatus[other].leaderHint == index,
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

extension EtcdComponent {
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
    public mutating func recordOutstandingAsUnknown<O: ClusterObserver>(_ observer: inout O, at time: SimInstant) {
        for index in clients.indices {
            guard let outstanding = clients[index].outstanding else { continue }
            clients[index].outstanding = nil
            if outstanding.request.kind != .get {
                observer.observe(.etcd(.operation(clients[index].record(outstanding, value: "", ok: false, returned: nil))), at: time)
            }
        }
    }
}
