import FaultlineSim

/// What one member step asks the world to do.
struct MemberOutput {
    struct Answer {
        let client: HostID
        let requestID: UInt64
        let result: EtcdClientResult
    }
    struct WatchMessage {
        let client: HostID
        let watchID: UInt64
        let sequence: UInt32
        let response: WatchResponse
    }
    struct LeaseAnswer {
        let client: HostID
        let requestID: UInt64
        let result: LeaseResult
    }
    struct KVAnswer {
        let client: HostID
        let requestID: UInt64
        let result: KVResult
    }
    var persistToken: UInt64?
    var kvAnswers: [KVAnswer] = []
    /// KV requests a follower hands to the leader it knows (etcd forwards proposals and read-index
    /// requests to the leader; the leader answers the client directly).
    var kvForwards: [(leader: Int, request: KVRequest, replyTo: HostID)] = []
    var leaseAnswers: [LeaseAnswer] = []
    var raftMessages: [RaftMessage<EtcdRequest>] = []
    var answers: [Answer] = []
    var watchMessages: [WatchMessage] = []
    var handledReadies: [RaftReady<EtcdRequest>] = []

    /// Empties every list but keeps its storage for the next step.
    mutating func clear() {
        persistToken = nil
        kvAnswers.removeAll(keepingCapacity: true)
        kvForwards.removeAll(keepingCapacity: true)
        leaseAnswers.removeAll(keepingCapacity: true)
        raftMessages.removeAll(keepingCapacity: true)
        answers.removeAll(keepingCapacity: true)
        watchMessages.removeAll(keepingCapacity: true)
        handledReadies.removeAll(keepingCapacity: true)
    }
}

/// One etcd member: a Raft node, its MVCC store and the server glue between them and the clients.
///
/// Invariants:
/// - One Ready at a time: a Ready that must be persisted is held until the persist completes; its
///   messages are sent and its committed entries applied only then (etcd's raft loop, synchronous).
/// - `durable` is exactly what completed persists wrote; a restart rebuilds everything else from it.
/// - A client gets an answer only for what is known: applied writes, confirmed reads, or requests that
///   definitely took no effect (not leader, proposal overwritten).
public struct EtcdMember {
    struct PendingProposal {
        let request: EtcdClientRequest
        let client: HostID
        let term: UInt64
    }

    struct PendingRead {
        let request: EtcdClientRequest
        let client: HostID
    }

    public let index: Int
    let id: MemberID
    let voters: [MemberID]
    let flags: EtcdFlags
    let seed: UInt64
    /// The election timeout in ticks (fixed by the flags), for the lessor and the leader monitor.
    let electionTicks: Int
    var node: RaftNode<EtcdRequest>
    public private(set) var store = MVCCStore()
    /// What has been persisted: survives crashes.
    public private(set) var durable = RaftDurableState<EtcdRequest>()
    var inflight: RaftReady<EtcdRequest>?
    /// The held Ready's messages already left (only with the unsafe `ackBeforeFsync`).
    var inflightMessagesSent = false
    var persistCounter: UInt64 = 0
    var incarnation: UInt64 = 0
    public private(set) var appliedIndex: UInt64 = 0
    /// Lookups by log index / read id only; never iterated, so hash order cannot leak.
    var pendingProposals: [UInt64: PendingProposal] = [:]
    var pendingReads: [UInt64: PendingRead] = [:]
    /// KV (apiserver) proposals by log index and reads by read id; lookups only.
    var pendingKVProposals: [UInt64: PendingKV] = [:]
    var pendingKVReads: [UInt64: PendingKV] = [:]
    /// Confirmed KV reads waiting for the apply index, in confirmation order.
    var kvReadsWaitingApply: [(index: UInt64, read: PendingKV)] = []
    /// Confirmed reads waiting for the apply index to reach their read index, in confirmation order.
    var readsWaitingApply: [(index: UInt64, read: PendingRead)] = []

    /// A watch this member serves from its own store (etcd serves watches locally, on any member).
    struct ServedWatch {
        let watchID: UInt64
        let client: HostID
        let key: String
        let end: String
        let requireLeader: Bool
        /// The first revision not yet sent: every change below it in [key, end) was sent, in order.
        var nextRevision: Int64
        /// Messages sent on the stream so far (the next one's sequence number).
        var sent: UInt32 = 0
    }
    /// Volatile (a restart drops every stream), in creation order.
    var watches: [ServedWatch] = []

    /// Lease proposals waiting to be applied, by log index (lookups only).
    var pendingLeaseProposals: [UInt64: (requestID: UInt64, client: HostID, term: UInt64)] = [:]
    /// The lessor (etcd's lease.lessor). Only the leader ("primary") keeps expiries, in ticks of this
    /// member's own clock: etcd measures them on the monotonic clock, so a wall-clock jump does not
    /// expire a lease but a fast-running clock does. Lookups only; expiry walks `store.leaseIDs`.
    var lessorPrimary = false
    var leaseExpiryTick: [Int64: UInt64] = [:]
    /// Leases whose revocation this leader proposed and that are not yet revoked.
    var leaseRevoking: Set<Int64> = []
    var tickCount: UInt64 = 0
    /// Lease and KV answers produced while applying, handed to the output by `handle`.
    var pendingLeaseAnswers: [MemberOutput.LeaseAnswer] = []
    var pendingKVAnswers: [MemberOutput.KVAnswer] = []
    /// Ticks since the last leader check, and consecutive checks without a leader (etcd's monitorLeader).
    var ticksSinceLeaderCheck = 0
    var checksWithoutLeader = 0
    /// Ticks since the last auto-compaction check (revision mode checks every 5 minutes).
    var ticksSinceCompactionCheck: Int64 = 0
    /// The revision of the last auto-compaction this member proposed.
    var lastAutoCompaction: Int64 = 0

    init(index: Int, voters: [MemberID], flags: EtcdFlags, seed: UInt64) {
        self.index = index
        self.id = MemberID(index + 1)
        self.voters = voters
        self.flags = flags
        self.seed = seed
        self.electionTicks = Self.config(id: MemberID(index + 1), voters: voters, flags: flags).electionTicks
        self.node = RaftNode(config: Self.config(id: MemberID(index + 1), voters: voters, flags: flags),
                             restoring: RaftDurableState<EtcdRequest>(),
                             random: SimRandom(seed: seed, stream: "etcd.raft.\(index).0"))
    }

    static func config(id: MemberID, voters: [MemberID], flags: EtcdFlags) -> RaftConfig {
        var config = RaftConfig(id: id, voters: voters)
        // etcd's: the tick is the heartbeat interval, the election timeout in ticks their ratio
        // (`EtcdFlags.timing`); a scenario's `raft:` section may give another.
        flags.timing.apply(to: &config)
        config.preVote = flags.preVote
        config.checkQuorum = flags.checkQuorum
        config.bugs = flags.bugs
        return config
    }

    /// True when this member leads and has committed an entry of its own term (its leadership is known
    /// to a quorum and it can serve linearizable requests).
    public var isEstablishedLeader: Bool { node.isLeader && node.hasCommittedInCurrentTerm }
    public var isLeader: Bool { node.isLeader }
    public var role: RaftRole { node.role }
    public var term: UInt64 { node.term }
    public var leaderHint: Int? { node.leader.map { Int($0.rawValue) - 1 } }

    /// Rebuilds volatile state from durable state (a fresh start is a restart from empty durable state).
    mutating func restart(now: SimInstant) {
        incarnation += 1
        node = RaftNode(config: Self.config(id: id, voters: voters, flags: flags), restoring: durable,
                        random: SimRandom(seed: seed, stream: "etcd.raft.\(index).\(incarnation)"))
        inflight = nil
        inflightMessagesSent = false
        pendingProposals.removeAll()
        pendingReads.removeAll()
        pendingKVProposals.removeAll()
        pendingKVReads.removeAll()
        kvReadsWaitingApply.removeAll()
        readsWaitingApply.removeAll()
        watches.removeAll()
        checksWithoutLeader = 0
        pendingLeaseProposals.removeAll()
        lessorPrimary = false
        leaseExpiryTick.removeAll()
        leaseRevoking.removeAll()
        // The MVCC store is rebuilt from the snapshot and the committed log: etcd replays its WAL into
        // the backend on start; applying the same entries again yields the same store.
        store = durable.snapshot?.data ?? MVCCStore()
        appliedIndex = durable.snapshot?.index ?? 0
        let committed = durable.hardState.commit
        for entry in durable.entries where entry.index > appliedIndex && entry.index <= committed {
            _ = apply(entry)  // nobody waits for answers across a restart
        }
        node.markApplied(appliedIndex)
    }

    mutating func tick(into output: inout MemberOutput) {
        node.tick()
        tickCount += 1
        monitorLeader(into: &output)
        autoCompact()
        updateLessorRole()
        expireLeases()
    }

    // MARK: Leases

    func leaseTicks(ttlSeconds: Int64) -> UInt64 {
        // Rounded up and one tick more: expiry is checked on ticks, and must never come early.
        let tickNs = flags.timing.tickInterval.nanoseconds
        return UInt64(max(0, (ttlSeconds * 1_000_000_000 + tickNs - 1) / tickNs)) + 1
    }

    /// A new leader promotes its lessor: every lease gets now + TTL + one election timeout (etcd's
    /// `lessor.Promote(electionTimeout)`), since keepalives sent to the old leader are not in the log.
    /// A member that stops leading forgets its expiries (`Demote`).
    mutating func updateLessorRole() {
        if node.isLeader && !lessorPrimary {
            lessorPrimary = true
            let extend = UInt64(electionTicks)
            for lease in store.leaseIDs {
                let ttl = store.leaseTTLSeconds(lease) ?? 0
                leaseExpiryTick[lease] = flags.bugs.contains(.leaseNotExtendedOnPromote)
                    ? tickCount  // broken on purpose: the new leader treats every lease as already expired
                    : tickCount + leaseTicks(ttlSeconds: ttl) + extend
            }
        } else if !node.isLeader && lessorPrimary {
            lessorPrimary = false
            leaseExpiryTick.removeAll()
            leaseRevoking.removeAll()
        }
    }

    /// The primary proposes the revocation of every expired lease (once per leadership).
    mutating func expireLeases() {
        guard lessorPrimary else { return }
        for lease in store.leaseIDs where !leaseRevoking.contains(lease) {
            guard let expiry = leaseExpiryTick[lease], expiry <= tickCount else { continue }
            if case .accepted = node.propose(.leaseRevoke(id: lease)) { leaseRevoking.insert(lease) }
        }
    }

    /// A lease holder's request: grants and attaches go through the log; keepalives are the leader's.
    mutating func receiveLease(_ request: LeaseRequest, from client: HostID, into output: inout MemberOutput) {
        updateLessorRole()
        guard node.isLeader else {
            let result: LeaseResult = leaderHint.map { .redirect(leader: $0) } ?? .unavailable(reason: "no leader")
            output.leaseAnswers.append(.init(client: client, requestID: request.id, result: result))
            return
        }
        let command: EtcdRequest
        switch request.operation {
        case .keepAlive(let lease):
            // etcd's lessor.Renew: an unknown or already expired lease (revocation pending) is not found.
            guard let ttl = store.leaseTTLSeconds(lease), let expiry = leaseExpiryTick[lease], expiry > tickCount else {
                output.leaseAnswers.append(.init(client: client, requestID: request.id, result: .notFound))
                return
            }
            leaseExpiryTick[lease] = tickCount + leaseTicks(ttlSeconds: ttl)
            output.leaseAnswers.append(.init(client: client, requestID: request.id, result: .ok(ttlSeconds: ttl)))
            return
        case .grant(let lease, let ttl):
            command = .leaseGrant(id: lease, ttlSeconds: ttl)
        case .attach(let lease, let key, let value):
            command = .put(key: key, value: .text(value), lease: lease)
        }
        switch node.propose(command) {
        case .accepted(let index, let term):
            pendingLeaseProposals[index] = (request.id, client, term)
        case .dropped:
            output.leaseAnswers.append(.init(client: client, requestID: request.id, result: .unavailable(reason: "proposal dropped")))
        }
    }

    /// Keeps the lessor in step with an applied lease command.
    mutating func lessorApplied(_ command: EtcdRequest) {
        switch command {
        case .leaseGrant(let lease, let ttl):
            if lessorPrimary { leaseExpiryTick[lease] = tickCount + leaseTicks(ttlSeconds: ttl) }
        case .leaseRevoke(let lease):
            leaseExpiryTick[lease] = nil
            leaseRevoking.remove(lease)
        case .put, .deleteRange, .txn, .compact:
            break
        }
    }

    /// etcd's monitorLeader (v3rpc): every election timeout, count the checks that found no leader; after
    /// three in a row, cancel the streams that require one (the watcher reconnects elsewhere).
    mutating func monitorLeader(into output: inout MemberOutput) {
        ticksSinceLeaderCheck += 1
        guard ticksSinceLeaderCheck >= electionTicks else { return }
        ticksSinceLeaderCheck = 0
        checksWithoutLeader = node.leader == nil ? checksWithoutLeader + 1 : 0
        guard checksWithoutLeader >= 3, watches.contains(where: \.requireLeader) else { return }
        var kept: [ServedWatch] = []
        for watch in watches {
            if watch.requireLeader {
                output.watchMessages.append(.init(client: watch.client, watchID: watch.watchID, sequence: watch.sent, response: .canceled(.noLeader, compactRevision: 0)))
            } else {
                kept.append(watch)
            }
        }
        watches = kept
    }

    /// `--auto-compaction-mode=revision`: every five minutes the leader compacts to `revision - retention`
    /// (etcd's revision compactor), so watchers far behind are cancelled with "compacted".
    mutating func autoCompact() {
        guard flags.autoCompactionRetention > 0 else { return }
        ticksSinceCompactionCheck += 1
        guard ticksSinceCompactionCheck * flags.timing.tickInterval.nanoseconds >= flags.autoCompactionIntervalMs * 1_000_000 else { return }
        ticksSinceCompactionCheck = 0
        let target = store.revision - flags.autoCompactionRetention
        guard node.isLeader, target > max(lastAutoCompaction, store.compactedRevision) else { return }
        if case .accepted = node.propose(.compact(revision: target)) { lastAutoCompaction = target }
    }

    /// Forgets everything durable (a lost data directory); takes effect at the next restart.
    mutating func wipe() {
        durable = RaftDurableState<EtcdRequest>()
        inflight = nil
    }

    /// Replaces durable state with an earlier copy; takes effect at the next restart.
    mutating func restore(_ saved: RaftDurableState<EtcdRequest>) {
        durable = saved
        inflight = nil
    }

    mutating func step(_ message: RaftMessage<EtcdRequest>) { node.step(message) }

    /// A client request arrived.
    mutating func receive(_ request: EtcdClientRequest, from client: HostID, into output: inout MemberOutput) {
        if request.kind == .get && flags.bugs.contains(.readWithoutReadIndex) {
            // Broken on purpose: any member answers reads from its own state, leader or not.
            pendingReads[request.id] = PendingRead(request: request, client: client)
            node.readIndex(requestID: request.id)
            return
        }
        guard node.isLeader else {
            let result: EtcdClientResult = leaderHint.map { .redirect(leader: $0) } ?? .unavailable(reason: "no leader")
            output.answers.append(.init(client: client, requestID: request.id, result: result))
            return
        }
        switch request.kind {
        case .get:
            pendingReads[request.id] = PendingRead(request: request, client: client)
            node.readIndex(requestID: request.id)
        case .put, .delete, .cas:
            switch node.propose(Self.command(for: request)) {
            case .accepted(let index, let term):
                pendingProposals[index] = PendingProposal(request: request, client: client, term: term)
            case .dropped:
                let result: EtcdClientResult = leaderHint.map { .redirect(leader: $0) } ?? .unavailable(reason: "proposal dropped")
                output.answers.append(.init(client: client, requestID: request.id, result: result))
            }
        }
    }

    /// A watcher opens a stream: register it, then send what it missed from its start revision.
    mutating func receiveWatch(_ create: WatchCreate, from client: HostID, into output: inout MemberOutput) {
        if create.requireLeader && node.leader == nil {
            output.watchMessages.append(.init(client: client, watchID: create.watchID, sequence: 0, response: .canceled(.noLeader, compactRevision: 0)))
            return
        }
        let start = create.startRevision > 0 ? create.startRevision : store.revision + 1
        if start < store.compactedRevision {
            output.watchMessages.append(.init(client: client, watchID: create.watchID, sequence: 0,
                                              response: .canceled(.compacted, compactRevision: store.compactedRevision)))
            return
        }
        // One watch connection per client: a new stream from a client replaces streams on its old,
        // dead connection (the server would notice the broken connection and drop them).
        watches.removeAll { $0.client == client }
        output.watchMessages.append(.init(client: client, watchID: create.watchID, sequence: 0, response: .created(startRevision: start)))
        watches.append(ServedWatch(watchID: create.watchID, client: client, key: create.key, end: create.end,
                                   requireLeader: create.requireLeader, nextRevision: start, sent: 1))
        notifyWatchers(into: &output)
    }

    /// A keepalive on a watch connection: answered while the stream lives, reset when it is unknown.
    mutating func receiveWatchPing(_ watchID: UInt64, from client: HostID, into output: inout MemberOutput) {
        guard let position = watches.firstIndex(where: { $0.watchID == watchID }) else {
            output.watchMessages.append(.init(client: client, watchID: watchID, sequence: WatchResponse.unsequenced,
                                              response: .canceled(.unknownWatch, compactRevision: 0)))
            return
        }
        output.watchMessages.append(.init(client: client, watchID: watchID, sequence: watches[position].sent,
                                          response: .progress(revision: store.revision)))
        watches[position].sent += 1
    }

    /// Sends every stream the changes it has not seen, up to the store's revision; cancels a stream whose
    /// next revision was compacted away.
    mutating func notifyWatchers(into output: inout MemberOutput) {
        guard !watches.isEmpty else { return }
        var kept: [ServedWatch] = []
        kept.reserveCapacity(watches.count)
        for var watch in watches {
            guard watch.nextRevision <= store.revision else {
                kept.append(watch)
                continue
            }
            do {
                let events = try store.events(from: watch.nextRevision, key: watch.key, end: watch.end)
                if !events.isEmpty {
                    output.watchMessages.append(.init(client: watch.client, watchID: watch.watchID, sequence: watch.sent, response: .events(events)))
                    watch.sent += 1
                }
                watch.nextRevision = store.revision + 1
                kept.append(watch)
            } catch {
                output.watchMessages.append(.init(client: watch.client, watchID: watch.watchID, sequence: watch.sent,
                                                  response: .canceled(.compacted, compactRevision: store.compactedRevision)))
            }
        }
        watches = kept
    }

    static func command(for request: EtcdClientRequest) -> EtcdRequest {
        switch request.kind {
        case .put:
            return .put(key: request.key, value: .text(request.value))
        case .delete:
            return .deleteRange(key: request.key, end: nil)
        case .cas:
            let compare: Compare = request.compareModRevision > 0
                ? .modRevision(key: request.key, .equal, request.compareModRevision)
                : .value(key: request.key, .equal, request.expected)
            return .txn(Txn(compare: [compare], success: [.put(key: request.key, value: .text(request.value))], failure: []))
        case .get:
            preconditionFailure("reads go through ReadIndex, not the log")
        }
    }

    /// A persist completed: the held Ready is durable, so its messages may leave and its entries apply.
    mutating func persisted(token: UInt64, into output: inout MemberOutput) {
        guard token == persistCounter, let ready = inflight else { return }
        // Absorbed in place only now: until the write completes, a crash must find the old state.
        // (In place, not a staged copy: copying the whole log per Ready made long runs quadratic.)
        durable.absorb(ready)
        inflight = nil
        let messagesSent = inflightMessagesSent
        inflightMessagesSent = false
        handle(ready, messagesSent: messagesSent, into: &output)
    }

    /// Drains Readies until one needs a persist (then holds it) or none is left.
    mutating func process(into output: inout MemberOutput, now: SimInstant) {
        var bound = 64  // Readies per step; each is a bounded batch, so this is far above need.
        while inflight == nil, node.hasReady, bound > 0 {
            bound -= 1
            let ready = node.ready()
            if ready.needsPersist {
                inflight = ready
                if flags.bugs.contains(.ackBeforeFsync) {
                    // Broken on purpose: votes and acknowledgements leave before the fsync completes.
                    output.raftMessages.append(contentsOf: ready.messages)
                    inflightMessagesSent = true
                }
                persistCounter += 1
                output.persistToken = persistCounter
                return
            }
            handle(ready, into: &output)
        }
        _ = now
    }

    mutating func handle(_ ready: RaftReady<EtcdRequest>, messagesSent: Bool = false, into output: inout MemberOutput) {
        if !messagesSent { output.raftMessages.append(contentsOf: ready.messages) }
        if let snapshot = ready.snapshot, snapshot.index > appliedIndex {
            store = snapshot.data
            appliedIndex = snapshot.index
            if flags.bugs.contains(.watchSkipsSnapshotGap) {
                // Broken on purpose (etcd issue 15271's shape): streams jump to the snapshot's revision and
                // never see the changes the snapshot carried.
                for position in watches.indices { watches[position].nextRevision = max(watches[position].nextRevision, store.revision + 1) }
            }
        }
        for entry in ready.committedEntries where entry.index > appliedIndex {
            if let answer = apply(entry) { output.answers.append(answer) }
        }
        if !pendingKVAnswers.isEmpty {
            output.kvAnswers.append(contentsOf: pendingKVAnswers)
            pendingKVAnswers.removeAll()
        }
        if !pendingLeaseAnswers.isEmpty {
            output.leaseAnswers.append(contentsOf: pendingLeaseAnswers)
            pendingLeaseAnswers.removeAll()
        }
        for readState in ready.readStates {
            if let read = pendingKVReads.removeValue(forKey: readState.requestID) {
                kvReadsWaitingApply.append((readState.index, read))
                continue
            }
            guard let read = pendingReads.removeValue(forKey: readState.requestID) else { continue }
            readsWaitingApply.append((readState.index, read))
        }
        serveReads(into: &output)
        serveKVReads(into: &output)
        notifyWatchers(into: &output)
        if !node.isLeader { failPending(into: &output) }
        node.advance(ready)
        output.handledReadies.append(ready)
        maybeCompact()
    }

    /// Applies one committed entry to the store; returns the answer owed to the client that proposed
    /// it, if this member proposed it and is still waiting.
    mutating func apply(_ entry: RaftEntry<EtcdRequest>) -> MemberOutput.Answer? {
        appliedIndex = entry.index
        guard let command = entry.command else { return nil }
        let response = store.apply(command)
        lessorApplied(command)
        if let pending = pendingKVProposals.removeValue(forKey: entry.index) {
            let result: KVResult = pending.term == entry.term ? .ok(response) : .unavailable(reason: "proposal overwritten")
            pendingKVAnswers.append(.init(client: pending.replyTo, requestID: pending.request.id, result: result))
        }
        if let pending = pendingLeaseProposals.removeValue(forKey: entry.index) {
            let result: LeaseResult
            if pending.term != entry.term {
                result = .unavailable(reason: "proposal overwritten")
            } else if response.error != nil {
                result = .notFound
            } else if case .leaseGrant(_, let ttl) = command {
                result = .ok(ttlSeconds: ttl)
            } else {
                result = .ok(ttlSeconds: 0)
            }
            pendingLeaseAnswers.append(.init(client: pending.client, requestID: pending.requestID, result: result))
        }
        guard let pending = pendingProposals.removeValue(forKey: entry.index) else { return nil }
        guard pending.term == entry.term else {
            return .init(client: pending.client, requestID: pending.request.id, result: .unavailable(reason: "proposal overwritten"))
        }
        // A put or a successful cas leaves the key at the write's revision; a delete or a failed cas at none.
        let wrote = response.succeeded && pending.request.kind != .delete
        return .init(client: pending.client, requestID: pending.request.id,
                     result: .ok(value: "", succeeded: response.succeeded, modRevision: wrote ? response.revision : 0))
    }

    mutating func serveReads(into output: inout MemberOutput) {
        guard !readsWaitingApply.isEmpty else { return }
        var waiting: [(index: UInt64, read: PendingRead)] = []
        for item in readsWaitingApply {
            if item.index <= appliedIndex {
                let stored = store.get(item.read.request.key)
                output.answers.append(.init(client: item.read.client, requestID: item.read.request.id,
                                            result: .ok(value: stored?.value.text ?? "", succeeded: true, modRevision: stored?.modRevision ?? 0)))
            } else {
                waiting.append(item)
            }
        }
        readsWaitingApply = waiting
    }

    /// A member that lost leadership answers its unconfirmed reads: they had no effect. Proposals stay
    /// pending: they may still commit under the next leader, and the apply loop settles them.
    mutating func failPending(into output: inout MemberOutput) {
        for id in pendingKVReads.keys.sorted() {
            let read = pendingKVReads.removeValue(forKey: id)!
            output.kvAnswers.append(.init(client: read.replyTo, requestID: read.request.id, result: .unavailable(reason: "leadership lost")))
        }
        guard !pendingReads.isEmpty else { return }
        let ids = pendingReads.keys.sorted()
        for id in ids {
            let read = pendingReads.removeValue(forKey: id)!
            output.answers.append(.init(client: read.client, requestID: id, result: .unavailable(reason: "leadership lost")))
        }
    }

    /// Takes a snapshot and compacts the log every `snapshot-count` applied entries (bounded memory).
    mutating func maybeCompact() {
        let snapshotIndex = durable.snapshot?.index ?? 0
        guard appliedIndex >= snapshotIndex + UInt64(flags.snapshotCount) else { return }
        node.compact(upTo: appliedIndex, snapshot: store, retainingEntries: UInt64(flags.snapshotCatchUpEntries))
    }
}
