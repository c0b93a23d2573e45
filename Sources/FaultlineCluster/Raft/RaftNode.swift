import FaultlineSim

/// The result of a proposal.
public enum ProposeResult: Hashable, Sendable {
    /// Appended to the leader's log at `index` in `term`; it commits only if that entry survives.
    case accepted(index: UInt64, term: UInt64)
    /// Not appended: this node is not the leader (or is over its uncommitted-entries bound).
    case dropped
}

/// One Raft member as a pure state machine, in the shape of etcd-io/raft: `tick()` advances logical
/// time, `step(_:)` takes a message, `propose` / `readIndex` take client input, and `ready()` hands
/// back what must be persisted, sent, applied and served; `advance(_:)` acknowledges it.
///
/// It owns no clock, socket or disk, and draws its election jitter only from the injected generator.
///
/// Invariants:
/// - At most one vote per term (unless `RaftBugs.voteTwiceInTerm`), carried in `HardState`, which the
///   host persists before sending any message of the same Ready.
/// - The leader counts an entry towards a quorum for itself only once it is stable (persisted), and
///   commits by counting only entries of its current term (unless `commitOlderTermByCounting`).
/// - A committed entry is never truncated (a conflicting append below the commit index is a bug
///   and stops the process).
/// - Memory is bounded: the log is compacted by `compact`, messages carry at most
///   `maxEntriesPerMessage` entries, and at most `maxInflightMessages` appends are in flight per peer.
public struct RaftNode<Command: RaftCommand> {
    struct Progress {
        enum State { case probe, replicate, snapshot }
        var match: UInt64 = 0
        var next: UInt64 = 1
        var state: State = .probe
        /// In probe and snapshot state: one message at a time until the peer answers.
        var paused = false
        /// Last index of each append in flight (replicate state), oldest first.
        var inflight: [UInt64] = []
        /// Heard from since the last check-quorum round.
        var recentActive = false
    }

    struct PendingRead {
        let requestID: UInt64
        let index: UInt64
        let context: UInt64
        var acks: [Bool]
    }

    public let config: RaftConfig
    var random: SimRandom
    let selfPosition: Int

    // Persistent state (mirrored to the host through Ready.hardState).
    public private(set) var term: UInt64 = 0
    var vote: MemberID?
    public private(set) var commit: UInt64 = 0

    // The log: `log` holds the entries after the snapshot.
    var snapshotIndex: UInt64 = 0
    var snapshotTerm: UInt64 = 0
    var log: [RaftEntry<Command>] = []
    /// Entries up to here are known to be on stable storage.
    var stableIndex: UInt64 = 0
    var latestSnapshot: RaftSnapshot<Command.SnapshotState>?
    /// A snapshot to persist (compaction) or to install and persist (received): in the next Ready.
    var pendingSnapshot: RaftSnapshot<Command.SnapshotState>?
    /// The last index handed to the application (through a Ready or `markApplied`).
    public private(set) var applied: UInt64 = 0

    // Volatile role state.
    public private(set) var role: RaftRole = .follower
    public private(set) var leader: MemberID?
    var electionElapsed = 0
    var heartbeatElapsed = 0
    var randomizedElectionTimeout = 0
    /// Votes (or pre-votes) received in the current campaign, by voter position: nil = no answer.
    var votes: [Bool?]
    var progress: [Progress]

    // Linearizable reads.
    var pendingReads: [PendingRead] = []
    /// Reads that arrived before this leader committed an entry of its term.
    var readsBeforeCommit: [UInt64] = []
    var readContext: UInt64 = 0
    var readStates: [ReadState] = []

    // Output bookkeeping.
    var messages: [RaftMessage<Command>] = []
    var persistedHardState = HardState()
    var reportedSoftState: SoftState?

    /// A node rebuilt from exactly what was persisted (an empty `durable` for a brand-new member).
    public init(config: RaftConfig, restoring durable: RaftDurableState<Command>, random: SimRandom) {
        self.config = config
        self.random = random
        self.selfPosition = config.voters.firstIndex(of: config.id)!
        self.votes = Array(repeating: nil, count: config.voters.count)
        self.progress = Array(repeating: Progress(), count: config.voters.count)
        term = durable.hardState.term
        vote = durable.hardState.vote
        if let snapshot = durable.snapshot {
            snapshotIndex = snapshot.index
            snapshotTerm = snapshot.term
            latestSnapshot = snapshot
        }
        log = durable.entries.filter { $0.index > snapshotIndex }
        stableIndex = lastIndex
        commit = max(durable.hardState.commit, snapshotIndex)
        applied = snapshotIndex
        persistedHardState = durable.hardState
        becomeFollower(term: term, leader: nil)
    }

    // MARK: - Log helpers

    public var lastIndex: UInt64 { snapshotIndex + UInt64(log.count) }
    var lastTerm: UInt64 { log.last?.term ?? snapshotTerm }

    /// The term of the entry at `index`; nil when compacted away or beyond the log.
    func term(at index: UInt64) -> UInt64? {
        if index == snapshotIndex { return snapshotTerm }
        if index < snapshotIndex || index > lastIndex { return nil }
        return log[Int(index - snapshotIndex - 1)].term
    }

    func entries(from low: UInt64, through high: UInt64) -> [RaftEntry<Command>] {
        guard low <= high, low > snapshotIndex, high <= lastIndex else { return [] }
        return Array(log[Int(low - snapshotIndex - 1)...Int(high - snapshotIndex - 1)])
    }

    /// True when this node leads.
    public var isLeader: Bool { role == .leader }
    /// True when the commit index is in the current term: leadership is known to a quorum.
    public var hasCommittedInCurrentTerm: Bool { term(at: commit) == term }
    public var hardState: HardState { HardState(term: term, vote: vote, commit: commit) }
    public var softState: SoftState { SoftState(leader: leader, role: role) }

    // MARK: - Role changes

    mutating func resetTimers() {
        electionElapsed = 0
        heartbeatElapsed = 0
        let spread = (config.electionTicksMax ?? 2 * config.electionTicks) - config.electionTicks
        randomizedElectionTimeout = config.electionTicks + (spread > 0 ? random.uniform(0..<spread) : 0)
    }

    mutating func becomeFollower(term newTerm: UInt64, leader newLeader: MemberID?) {
        if newTerm != term {
            term = newTerm
            vote = nil
        }
        role = .follower
        leader = newLeader
        resetTimers()
        pendingReads.removeAll()
        readsBeforeCommit.removeAll()
    }

    mutating func becomePreCandidate() {
        role = .preCandidate
        leader = nil
        votes = Array(repeating: nil, count: config.voters.count)
        votes[selfPosition] = true
    }

    mutating func becomeCandidate() {
        term += 1
        vote = config.id
        role = .candidate
        leader = nil
        resetTimers()
        votes = Array(repeating: nil, count: config.voters.count)
        votes[selfPosition] = true
    }

    mutating func becomeLeader() {
        role = .leader
        leader = config.id
        resetTimers()
        for position in progress.indices {
            progress[position] = Progress(match: 0, next: lastIndex + 1, state: .probe, paused: false, inflight: [], recentActive: true)
        }
        // The no-op commits this term's leadership (and with it every earlier entry).
        log.append(RaftEntry(term: term, index: lastIndex + 1, command: nil))
        progress[selfPosition].match = stableIndex
        broadcastAppend()
        maybeCommit()
    }

    // MARK: - Input: time

    /// Advances logical time by one tick (etcd: one `heartbeat-interval`).
    public mutating func tick() {
        switch role {
        case .follower, .preCandidate, .candidate:
            electionElapsed += 1
            if electionElapsed >= randomizedElectionTimeout {
                electionElapsed = 0
                campaign()
            }
        case .leader:
            heartbeatElapsed += 1
            electionElapsed += 1
            if electionElapsed >= config.electionTicks {
                electionElapsed = 0
                if config.checkQuorum {
                    let active = progress.indices.filter { $0 == selfPosition || progress[$0].recentActive }.count
                    for position in progress.indices { progress[position].recentActive = false }
                    if active < config.quorum {
                        // Check-quorum: a leader cut off from a quorum steps down, so it stops serving reads.
                        becomeFollower(term: term, leader: nil)
                        return
                    }
                }
            }
            if heartbeatElapsed >= config.heartbeatTicks {
                heartbeatElapsed = 0
                broadcastHeartbeat()
            }
        }
    }

    mutating func campaign() {
        // A pre-candidate whose round timed out starts another pre-vote round, never a real election:
        // that is what keeps a partitioned node's term from growing (etcd raft.go, hup).
        if config.preVote {
            becomePreCandidate()
            resetTimers()
            if grantedVotes >= config.quorum {
                campaignForReal()
                return
            }
            for peer in config.voters where peer != config.id {
                send(to: peer, term: term + 1, .preVote(lastIndex: lastIndex, lastTerm: lastTerm))
            }
        } else {
            campaignForReal()
        }
    }

    mutating func campaignForReal() {
        becomeCandidate()
        if grantedVotes >= config.quorum {
            becomeLeader()
            return
        }
        for peer in config.voters where peer != config.id {
            send(to: peer, term: term, .vote(lastIndex: lastIndex, lastTerm: lastTerm))
        }
    }

    var grantedVotes: Int { votes.filter { $0 == true }.count }
    var rejectedVotes: Int { votes.filter { $0 == false }.count }

    // MARK: - Input: messages

    public mutating func step(_ message: RaftMessage<Command>) {
        guard message.to == config.id, let senderPosition = config.voters.firstIndex(of: message.from) else { return }
        if message.term > term {
            switch message.kind {
            case .preVote, .vote:
                // Leader stickiness: while this node hears from a leader, it ignores campaigns
                // (check-quorum's lease), so a partitioned node cannot depose a healthy leader.
                if config.checkQuorum && leader != nil && electionElapsed < config.electionTicks { return }
            default:
                break
            }
            switch message.kind {
            case .preVote:
                break  // a pre-vote never changes our term
            case .preVoteResponse(let granted) where granted:
                break  // granted pre-votes carry the proposed term
            case .append, .heartbeat, .snapshot:
                becomeFollower(term: message.term, leader: message.from)
            default:
                becomeFollower(term: message.term, leader: nil)
            }
        } else if message.term < term {
            switch message.kind {
            case .append, .heartbeat:
                // Tell a stale leader about the newer term so it steps down.
                if config.checkQuorum || config.preVote {
                    send(to: message.from, term: term, .appendResponse(index: 0, rejected: true, hintIndex: 0, hintTerm: 0))
                }
            case .preVote:
                send(to: message.from, term: term, .preVoteResponse(granted: false))
            default:
                break
            }
            return
        }

        switch message.kind {
        case .preVote(let lastIndex, let lastTerm):
            handleVoteRequest(message, preVote: true, lastIndex: lastIndex, lastTerm: lastTerm)
        case .vote(let lastIndex, let lastTerm):
            handleVoteRequest(message, preVote: false, lastIndex: lastIndex, lastTerm: lastTerm)
        case .preVoteResponse(let granted):
            guard role == .preCandidate else { return }
            votes[senderPosition] = granted
            if grantedVotes >= config.quorum {
                campaignForReal()
            } else if rejectedVotes >= config.quorum {
                becomeFollower(term: term, leader: nil)
            }
        case .voteResponse(let granted):
            guard role == .candidate else { return }
            votes[senderPosition] = granted
            if grantedVotes >= config.quorum {
                becomeLeader()
            } else if rejectedVotes >= config.quorum {
                becomeFollower(term: term, leader: nil)
            }
        case .append(let prevIndex, let prevTerm, let entries, let leaderCommit):
            followLeader(message.from)
            handleAppend(from: message.from, prevIndex: prevIndex, prevTerm: prevTerm, entries: entries, leaderCommit: leaderCommit)
        case .heartbeat(let leaderCommit, let context):
            followLeader(message.from)
            commit = max(commit, min(leaderCommit, lastIndex))
            send(to: message.from, term: term, .heartbeatResponse(readContext: context))
        case .snapshot(let snapshot):
            followLeader(message.from)
            handleSnapshot(from: message.from, snapshot)
        case .appendResponse(let index, let rejected, let hintIndex, let hintTerm):
            guard role == .leader else { return }
            handleAppendResponse(position: senderPosition, index: index, rejected: rejected, hintIndex: hintIndex, hintTerm: hintTerm)
        case .heartbeatResponse(let context):
            guard role == .leader else { return }
            progress[senderPosition].recentActive = true
            progress[senderPosition].paused = false
            // Free one slot of a full inflight window (etcd raft's `Inflights.FreeFirstOne`): appends
            // sent while the peer was cut off are never acknowledged, and without this the leader
            // would never send it another append once the link heals — the follower would stay behind
            // for good, and the cluster would lose its quorum with the next member failure.
            if progress[senderPosition].state == .replicate && progress[senderPosition].inflight.count >= config.maxInflightMessages {
                progress[senderPosition].inflight.removeFirst()
            }
            if progress[senderPosition].match < lastIndex { sendAppend(to: senderPosition) }
            if context > 0 { acknowledgeRead(context: context, position: senderPosition) }
        }
    }

    /// A message from the leader of the current term: a (pre-)candidate stands down.
    mutating func followLeader(_ from: MemberID) {
        if role != .follower { becomeFollower(term: term, leader: from) }
        leader = from
        electionElapsed = 0
    }

    mutating func handleVoteRequest(_ message: RaftMessage<Command>, preVote: Bool, lastIndex candidateLastIndex: UInt64, lastTerm candidateLastTerm: UInt64) {
        var canVote = vote == message.from || (vote == nil && leader == nil) || (preVote && message.term > term)
        if !preVote && config.bugs.contains(.voteTwiceInTerm) { canVote = true }
        let upToDate = candidateLastTerm > lastTerm || (candidateLastTerm == lastTerm && candidateLastIndex >= lastIndex)
        if canVote && upToDate {
            if preVote {
                send(to: message.from, term: message.term, .preVoteResponse(granted: true))
            } else {
                electionElapsed = 0
                vote = message.from
                send(to: message.from, term: term, .voteResponse(granted: true))
            }
        } else {
            send(to: message.from, term: term, preVote ? .preVoteResponse(granted: false) : .voteResponse(granted: false))
        }
    }

    mutating func handleAppend(from leaderID: MemberID, prevIndex: UInt64, prevTerm: UInt64, entries: [RaftEntry<Command>], leaderCommit: UInt64) {
        if prevIndex < commit {
            send(to: leaderID, term: term, .appendResponse(index: commit, rejected: false, hintIndex: 0, hintTerm: 0))
            return
        }
        guard term(at: prevIndex) == prevTerm else {
            let hintIndex = min(prevIndex, lastIndex)
            let conflictIndex = findConflictByTerm(index: hintIndex, term: prevTerm)
            send(to: leaderID, term: term, .appendResponse(index: prevIndex, rejected: true, hintIndex: conflictIndex,
                                                        hintTerm: term(at: conflictIndex) ?? 0))
            return
        }
        var lastNew = prevIndex
        for entry in entries {
            lastNew = entry.index
            if let existing = term(at: entry.index) {
                if existing == entry.term { continue }
                precondition(entry.index > commit, "Raft: a leader tried to overwrite committed entry \(entry.index)")
                log.removeLast(Int(lastIndex - entry.index + 1))
                stableIndex = min(stableIndex, entry.index - 1)
            }
            log.append(entry)
        }
        commit = max(commit, min(leaderCommit, lastNew))
        send(to: leaderID, term: term, .appendResponse(index: lastNew, rejected: false, hintIndex: 0, hintTerm: 0))
    }

    /// The largest index at or below `index` whose term is at most `term` (etcd's findConflictByTerm):
    /// everything after it can be skipped by the leader's probe.
    func findConflictByTerm(index: UInt64, term wanted: UInt64) -> UInt64 {
        var candidate = index
        while candidate > snapshotIndex, let found = term(at: candidate), found > wanted {
            candidate -= 1
        }
        return candidate
    }

    mutating func handleSnapshot(from leaderID: MemberID, _ snapshot: RaftSnapshot<Command.SnapshotState>) {
        if snapshot.index <= commit {
            send(to: leaderID, term: term, .appendResponse(index: commit, rejected: false, hintIndex: 0, hintTerm: 0))
            return
        }
        if term(at: snapshot.index) == snapshot.term {
            // Our log already has the snapshot's last entry: just move the commit index.
            commit = snapshot.index
        } else {
            log.removeAll()
            snapshotIndex = snapshot.index
            snapshotTerm = snapshot.term
            stableIndex = snapshot.index
            commit = snapshot.index
            applied = snapshot.index
            latestSnapshot = snapshot
            pendingSnapshot = snapshot
        }
        send(to: leaderID, term: term, .appendResponse(index: lastIndex, rejected: false, hintIndex: 0, hintTerm: 0))
    }

    mutating func handleAppendResponse(position: Int, index: UInt64, rejected: Bool, hintIndex: UInt64, hintTerm: UInt64) {
        progress[position].recentActive = true
        if rejected {
            var peer = progress[position]
            // Ignore stale rejections: for an index the peer already matched, or not our latest probe.
            if index <= peer.match { return }
            if peer.state == .probe && peer.next != index + 1 && peer.next != index { return }
            var probe = hintIndex
            if hintTerm > 0 { probe = findConflictByTerm(index: hintIndex, term: hintTerm) }
            peer.next = max(min(index, probe + 1), peer.match + 1)
            peer.state = .probe
            peer.paused = false
            peer.inflight.removeAll()
            progress[position] = peer
            sendAppend(to: position)
            return
        }
        var peer = progress[position]
        peer.paused = false
        peer.inflight.removeAll { $0 <= index }
        if index > peer.match {
            peer.match = index
            peer.next = max(peer.next, index + 1)
            if peer.state != .replicate {
                peer.state = .replicate
                peer.inflight.removeAll()
                peer.next = index + 1
            }
        } else if peer.state == .snapshot {
            peer.state = .probe
        }
        progress[position] = peer
        if maybeCommit() {
            broadcastAppend()
        } else if progress[position].next <= lastIndex {
            sendAppend(to: position)
        }
    }

    // MARK: - Replication (leader)

    mutating func broadcastAppend() {
        for position in config.voters.indices where position != selfPosition { sendAppend(to: position) }
    }

    mutating func broadcastHeartbeat(context: UInt64? = nil) {
        let latestContext = context ?? (pendingReads.last?.context ?? 0)
        for position in config.voters.indices where position != selfPosition {
            let peerCommit = min(progress[position].match, commit)
            send(to: config.voters[position], term: term, .heartbeat(commit: peerCommit, readContext: latestContext))
        }
    }

    mutating func sendAppend(to position: Int) {
        var peer = progress[position]
        if peer.paused { return }
        if peer.state == .replicate && peer.inflight.count >= config.maxInflightMessages { return }
        let target = config.voters[position]
        if peer.next <= snapshotIndex, let snapshot = latestSnapshot {
            // The entries the peer needs were compacted: it must install the snapshot.
            peer.state = .snapshot
            peer.paused = true
            progress[position] = peer
            send(to: target, term: term, .snapshot(snapshot))
            return
        }
        let prevIndex = peer.next - 1
        guard let prevTerm = term(at: prevIndex) else { return }
        let high = min(lastIndex, prevIndex + UInt64(config.maxEntriesPerMessage))
        let batch = entries(from: peer.next, through: high)
        switch peer.state {
        case .replicate:
            if let last = batch.last {
                peer.next = last.index + 1
                peer.inflight.append(last.index)
            }
        case .probe:
            peer.paused = true
        case .snapshot:
            return
        }
        progress[position] = peer
        send(to: target, term: term, .append(prevIndex: prevIndex, prevTerm: prevTerm, entries: batch, commit: commit))
    }

    /// Advances the commit index to the highest index stored by a quorum, if it is of the current term.
    @discardableResult
    mutating func maybeCommit() -> Bool {
        guard role == .leader else { return false }
        var matches = progress.indices.map { $0 == selfPosition ? stableIndex : progress[$0].match }
        matches.sort(by: >)
        let candidate = matches[config.quorum - 1]
        guard candidate > commit, let candidateTerm = term(at: candidate) else { return false }
        guard candidateTerm == term || config.bugs.contains(.commitOlderTermByCounting) else { return false }
        let hadCommittedInTerm = hasCommittedInCurrentTerm
        commit = candidate
        if !hadCommittedInTerm && hasCommittedInCurrentTerm && !readsBeforeCommit.isEmpty {
            let waiting = readsBeforeCommit
            readsBeforeCommit.removeAll()
            for requestID in waiting { _ = readIndex(requestID: requestID) }
        }
        return true
    }

    // MARK: - Input: client requests

    /// Appends `command` to the leader's log.
    public mutating func propose(_ command: Command) -> ProposeResult {
        guard role == .leader, lastIndex - commit < UInt64(config.maxUncommittedEntries) else { return .dropped }
        let entry = RaftEntry(term: term, index: lastIndex + 1, command: command)
        log.append(entry)
        broadcastAppend()
        return .accepted(index: entry.index, term: term)
    }

    /// Starts a linearizable read (ReadIndex): once a quorum confirms this node still leads, a
    /// `ReadState` with the current commit index appears in a Ready. Returns false when this node
    /// cannot serve it (not the leader).
    @discardableResult
    public mutating func readIndex(requestID: UInt64) -> Bool {
        if config.bugs.contains(.readWithoutReadIndex) {
            // Broken on purpose: answer from local state with no leadership check at all.
            readStates.append(ReadState(requestID: requestID, index: commit))
            return true
        }
        guard role == .leader else { return false }
        guard hasCommittedInCurrentTerm else {
            readsBeforeCommit.append(requestID)
            return true
        }
        if config.voters.count == 1 {
            readStates.append(ReadState(requestID: requestID, index: commit))
            return true
        }
        readContext += 1
        var acks = Array(repeating: false, count: config.voters.count)
        acks[selfPosition] = true
        pendingReads.append(PendingRead(requestID: requestID, index: commit, context: readContext, acks: acks))
        broadcastHeartbeat(context: readContext)
        return true
    }

    /// A heartbeat response for `context` confirms leadership for every read registered up to it.
    mutating func acknowledgeRead(context: UInt64, position: Int) {
        for index in pendingReads.indices where pendingReads[index].context <= context {
            pendingReads[index].acks[position] = true
        }
        // Release, in order, every read confirmed by a quorum (a later confirmation implies the earlier).
        guard let lastConfirmed = pendingReads.lastIndex(where: { $0.acks.filter { $0 }.count >= config.quorum }) else { return }
        for read in pendingReads[...lastConfirmed] {
            readStates.append(ReadState(requestID: read.requestID, index: read.index))
        }
        pendingReads.removeFirst(lastConfirmed + 1)
    }

    // MARK: - Output

    mutating func send(to target: MemberID, term messageTerm: UInt64, _ kind: RaftMessage<Command>.Kind) {
        messages.append(RaftMessage(from: config.id, to: target, term: messageTerm, kind: kind))
    }

    var committedUnapplied: Bool { min(commit, lastIndex) > applied }

    /// True when `ready()` has something to hand out.
    public var hasReady: Bool {
        hardState != persistedHardState || lastIndex > stableIndex || pendingSnapshot != nil || !messages.isEmpty
            || committedUnapplied || !readStates.isEmpty || reportedSoftState != softState
    }

    /// What to persist, send, apply and serve now. Call `advance` with it once done.
    public func ready() -> RaftReady<Command> {
        var ready = RaftReady<Command>(softState: softState, term: term)
        if hardState != persistedHardState { ready.hardState = hardState }
        if lastIndex > stableIndex { ready.entries = entries(from: stableIndex + 1, through: lastIndex) }
        ready.snapshot = pendingSnapshot
        ready.messages = messages
        let applyFrom = max(applied, snapshotIndex) + 1
        let applyThrough = min(commit, lastIndex)
        if applyThrough >= applyFrom { ready.committedEntries = entries(from: applyFrom, through: applyThrough) }
        ready.readStates = readStates
        return ready
    }

    /// Acknowledges a Ready: its state is durable, its messages sent, its entries applied. Anything
    /// stepped in between (while the persist was in flight) stays for the next Ready.
    public mutating func advance(_ ready: RaftReady<Command>) {
        if let state = ready.hardState { persistedHardState = state }
        if let last = ready.entries.last, term(at: last.index) == last.term {
            stableIndex = max(stableIndex, last.index)
        }
        if let snapshot = ready.snapshot, pendingSnapshot?.index == snapshot.index { pendingSnapshot = nil }
        messages.removeFirst(min(ready.messages.count, messages.count))
        readStates.removeFirst(min(ready.readStates.count, readStates.count))
        if let last = ready.committedEntries.last { applied = max(applied, last.index) }
        reportedSoftState = ready.softState
        if role == .leader {
            progress[selfPosition].match = stableIndex
            if maybeCommit() { broadcastAppend() }
        }
    }

    /// Tells a restarted node how far the application has already applied (from its own snapshot
    /// and replay), so Ready does not hand those entries out again.
    public mutating func markApplied(_ index: UInt64) {
        applied = max(applied, min(index, commit))
    }

    /// Compacts the log up to `index` (at most what was applied), keeping `state` as the snapshot that
    /// replaces it. The snapshot is persisted through the next Ready.
    public mutating func compact(upTo index: UInt64, snapshot state: Command.SnapshotState, retainingEntries: UInt64 = 0) {
        guard index > (latestSnapshot?.index ?? 0), index > snapshotIndex, index <= applied, let indexTerm = term(at: index) else { return }
        let snapshot = RaftSnapshot(index: index, term: indexTerm, data: state)
        latestSnapshot = snapshot
        pendingSnapshot = snapshot
        // Keep the last `retainingEntries` entries in memory so that a slow follower can catch up from
        // the log rather than by a snapshot (etcd's SnapshotCatchUpEntries).
        let boundary = index > retainingEntries ? index - retainingEntries : 0
        if boundary > snapshotIndex, let boundaryTerm = term(at: boundary) {
            log.removeFirst(Int(boundary - snapshotIndex))
            snapshotIndex = boundary
            snapshotTerm = boundaryTerm
        }
    }
}
