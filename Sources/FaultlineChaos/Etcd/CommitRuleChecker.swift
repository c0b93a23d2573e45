import FaultlineCluster
import FaultlineSim

/// `raft.commit-rule`: Raft §5.4.2 — a leader advances its commit index by counting replicas only to
/// an entry of its own term; entries of earlier terms become committed only indirectly, under it (the
/// Raft TLA+ specification's `AdvanceCommitIndex` requires `log[i][index].term = currentTerm[i]`).
///
/// The checker watches each member's Readies: while a member leads one term, every Ready whose
/// `hardState.commit` moves past the commit index it last reported must commit, as its newest
/// committed entry, an entry of that term. It sees the rule broken the moment the commit index moves,
/// whether or not a later election turns it into a lost entry (Figure 8 of the paper), which
/// `raft.state-machine-safety` sees only when the entry is overwritten on some member and applied.
///
/// Invariants: only Readies produced while the member led the same term as its previous Ready are
/// judged (the Ready of the transition may carry a commit advanced as a follower); memory is constant
/// per member.
public struct CommitRuleChecker: Sendable {
    struct Member: Sendable {
        /// The commit index of the member's last Ready with a hard state (or its durable one).
        var commit: UInt64 = 0
        /// The term of the member's previous Ready if it led then.
        var ledTerm: UInt64?
    }

    var members: [Member]
    var pending: [RaftViolation] = []
    public private(set) var violations = 0
    /// Commit advances judged (the checker was exercised).
    public private(set) var advancesChecked = 0

    public init(memberCount: Int) {
        members = Array(repeating: Member(), count: memberCount)
    }

    public mutating func takeViolations() -> [RaftViolation] {
        defer { pending.removeAll() }
        return pending
    }

    /// A member handled a Ready.
    public mutating func observe<Command>(member: Int, ready: RaftReady<Command>, at time: SimInstant) {
        var state = members[member]
        let leads = ready.softState.role == .leader
        if let hardState = ready.hardState, hardState.commit > state.commit {
            if leads && state.ledTerm == ready.term {
                advancesChecked += 1
                let newest = ready.committedEntries.last
                if let newest, newest.index == hardState.commit, newest.term != ready.term {
                    violations += 1
                    pending.append(RaftViolation(
                        property: InvariantName.commitRule, time: time,
                        detail: "\(ClusterLayout.masterName(member)), leader of term \(ready.term), advanced its commit index from \(state.commit) to \(hardState.commit) by counting replicas of entry \(newest.index)@\(newest.term), of an earlier term (Raft §5.4.2)"))
                }
            }
            state.commit = hardState.commit
        }
        state.ledTerm = leads ? ready.term : nil
        members[member] = state
    }

    /// A member restarted: it follows, and its commit index is what it persisted.
    public mutating func observeRestart<Command>(member: Int, durable: RaftDurableState<Command>) {
        members[member] = Member(commit: max(durable.hardState.commit, durable.snapshot?.index ?? 0), ledTerm: nil)
    }
}

/// `raft.commit-rule` from the members' Readies.
struct CommitRuleCheck: Checker {
    var checker: CommitRuleChecker
    let invariants = [InvariantName.commitRule]

    init(memberCount: Int) { checker = CommitRuleChecker(memberCount: memberCount) }

    mutating func observe(_ observation: Observation, at time: SimInstant, into ledger: inout InvariantLedger) {
        guard case .etcd(let etcd) = observation else { return }
        switch etcd {
        case .ready(let member, let ready):
            checker.observe(member: member, ready: ready, at: time)
            for violation in checker.takeViolations() { ledger.violate(violation.property, at: violation.time, violation.detail) }
        case .started(let member, let durable):
            checker.observeRestart(member: member, durable: durable)
        case .raftSent, .operation, .watch, .lease:
            return
        }
    }

    mutating func finish(_ end: RunEnd, into ledger: inout InvariantLedger) {
        guard checker.violations == 0 else { return }
        ledger.note(InvariantName.commitRule, "\(checker.advancesChecked) leader commit advance(s), each to an entry of the leader's term")
    }
}
