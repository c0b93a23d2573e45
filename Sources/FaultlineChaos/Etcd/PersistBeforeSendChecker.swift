import FaultlineCluster
import FaultlineSim

/// `raft.persist-before-send`: what a member told its peers must survive its crash. Raft's safety
/// argument assumes that a vote, once granted, and entries, once acknowledged, are on stable storage
/// (the Raft TLA+ specification sends a response only from the state a `Restart` keeps). This checker
/// records, per member, the strongest promise its sent messages made, and on every restart compares it
/// with the durable state the member comes back with:
///
/// - term: every message but a pre-vote request or response carries the sender's term, so the durable
///   term must be at least the highest term it sent in;
/// - vote: after granting its vote to `c` in term `t`, a member that restarts in term `t` must still
///   hold its vote for `c` (otherwise it can vote again in `t`: two leaders);
/// - log: after acknowledging entries through `i` in term `t` (an `appendResponse` that is not a
///   rejection), a member that restarts in term `t` must hold an entry at `i` (in its log or snapshot).
///   Only acknowledgements of the highest term sent count: an append of a later leader may have
///   truncated the log legitimately (it then acknowledges in its own term).
///
/// It catches the cause (a reply that left before its fsync), not the consequence: a lost vote or
/// acknowledgement breaks election safety or loses a committed entry only when the rest of the
/// cluster happens to use it, long after (or never).
///
/// Invariant: memory is constant per member (one promise each), whatever the run's length.
public struct PersistBeforeSendChecker: Sendable {
    /// The strongest promise a member's sent messages made since its last restart check.
    struct Promise: Sendable {
        /// The highest term of a message it sent (pre-vote traffic excluded).
        var term: UInt64 = 0
        /// The last vote it granted.
        var vote: (term: UInt64, candidate: MemberID)?
        /// The highest index it acknowledged in the highest term it acknowledged in.
        var ack: (term: UInt64, index: UInt64)?
    }

    var promises: [Promise]
    var pending: [RaftViolation] = []
    public private(set) var violations = 0
    /// Restarts checked against a non-empty promise (the checker was exercised).
    public private(set) var restartsChecked = 0

    public init(memberCount: Int) {
        promises = Array(repeating: Promise(), count: memberCount)
    }

    /// Violations found since the last call, oldest first.
    public mutating func takeViolations() -> [RaftViolation] {
        defer { pending.removeAll() }
        return pending
    }

    /// Member `member` handed `messages` to the network.
    public mutating func observeSent<Command>(member: Int, _ messages: [RaftMessage<Command>]) {
        var promise = promises[member]
        for message in messages {
            switch message.kind {
            case .preVote, .preVoteResponse:
                continue  // a pre-vote carries the term the requester would campaign in, never persisted
            case .voteResponse(let granted):
                if granted { promise.vote = (message.term, message.to) }
            case .appendResponse(let index, let rejected, _, _):
                if !rejected {
                    if let ack = promise.ack, ack.term == message.term {
                        promise.ack = (ack.term, max(ack.index, index))
                    } else if message.term > promise.ack?.term ?? 0 {
                        promise.ack = (message.term, index)
                    }
                }
            case .vote, .append, .heartbeat, .heartbeatResponse, .snapshot:
                break
            }
            promise.term = max(promise.term, message.term)
        }
        promises[member] = promise
    }

    /// Member `member` restarted with `durable`: it must cover every promise of its earlier incarnations.
    public mutating func observeRestart<Command>(member: Int, durable: RaftDurableState<Command>, at time: SimInstant) {
        let promise = promises[member]
        let state = durable.hardState
        let name = ClusterLayout.masterName(member)
        if promise.term > 0 { restartsChecked += 1 }
        if state.term < promise.term {
            report(time, "\(name) sent messages in term \(promise.term) but restarted in term \(state.term): its term was not durable when they left")
        } else if let vote = promise.vote, state.term == vote.term, state.vote != vote.candidate {
            let held = state.vote.map { "a vote for \($0)" } ?? "no vote"
            report(time, "\(name) granted its vote in term \(vote.term) to \(vote.candidate) but restarted in that term with \(held): it can vote again")
        } else if let ack = promise.ack, state.term == ack.term {
            let durableLast = max(durable.snapshot?.index ?? 0, durable.entries.last?.index ?? 0)
            if durableLast < ack.index {
                report(time, "\(name) acknowledged entries through \(ack.index) in term \(ack.term) but restarted with its log ending at \(durableLast): the leader counted entries it never stored")
            }
        }
        // From now on the member is held to what it came back with and what it sends next.
        var next = Promise()
        next.term = state.term
        if let vote = state.vote { next.vote = (state.term, vote) }
        promises[member] = next
    }

    mutating func report(_ time: SimInstant, _ detail: String) {
        violations += 1
        pending.append(RaftViolation(property: InvariantName.persistBeforeSend, time: time, detail: detail))
    }
}

/// `raft.persist-before-send` from the members' sent messages and restarts.
struct PersistBeforeSendCheck: Checker {
    var checker: PersistBeforeSendChecker
    let invariants = [InvariantName.persistBeforeSend]

    init(memberCount: Int) { checker = PersistBeforeSendChecker(memberCount: memberCount) }

    mutating func observe(_ observation: Observation, at time: SimInstant, into ledger: inout InvariantLedger) {
        guard case .etcd(let etcd) = observation else { return }
        switch etcd {
        case .raftSent(let member, let messages):
            checker.observeSent(member: member, messages)
        case .started(let member, let durable):
            checker.observeRestart(member: member, durable: durable, at: time)
            for violation in checker.takeViolations() { ledger.violate(violation.property, at: violation.time, violation.detail) }
        case .ready, .operation, .watch, .lease:
            return
        }
    }

    mutating func finish(_ end: RunEnd, into ledger: inout InvariantLedger) {
        guard checker.violations == 0 else { return }
        ledger.note(InvariantName.persistBeforeSend, "\(checker.restartsChecked) restart(s) checked against what the member had sent")
    }
}
