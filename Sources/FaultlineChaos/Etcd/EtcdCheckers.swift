import FaultlineCluster
import FaultlineSim

/// `raft.*`: the four Raft safety properties, continuously, from members' Readies and restarts.
struct RaftSafetyCheck: Checker {
    var checker: RaftSafetyChecker
    let invariants: [InvariantID]

    init(memberCount: Int, checked: [InvariantID]) {
        checker = RaftSafetyChecker(memberCount: memberCount)
        invariants = [InvariantName.electionSafety, InvariantName.logMatching, InvariantName.leaderCompleteness, InvariantName.stateMachineSafety]
            .filter(checked.contains)
    }

    mutating func observe(_ observation: Observation, at time: SimInstant, into ledger: inout InvariantLedger) {
        guard case .etcd(let etcd) = observation else { return }
        switch etcd {
        case .ready(let member, let ready): checker.observe(member: member, ready: ready, at: time)
        case .started(let member, let durable): checker.observeRestart(member: member, durable: durable, at: time)
        case .raftSent, .operation, .watch, .lease: return
        }
        for violation in checker.takeViolations() where ledger.isDeclared(violation.property) {
            ledger.violate(violation.property, at: violation.time, violation.detail)
        }
    }
}

/// `etcd.watch-ordered`: watch streams against the committed history.
struct WatchOrderCheck: Checker {
    var checker: WatchChecker
    let invariants = [InvariantName.watchOrdered]

    init(watchers: Int, members: Int) { checker = WatchChecker(watchers: watchers, members: members) }

    mutating func observe(_ observation: Observation, at time: SimInstant, into ledger: inout InvariantLedger) {
        guard case .etcd(let etcd) = observation else { return }
        switch etcd {
        case .ready(let member, let ready):
            if ready.snapshot != nil || !ready.committedEntries.isEmpty {
                checker.observeApplied(snapshot: ready.snapshot, entries: ready.committedEntries)
                checker.observeCompactions(member: member, snapshot: ready.snapshot, entries: ready.committedEntries)
            }
        case .started(let member, let durable):
            checker.observeRestart(durable: durable)
            let committed = durable.hardState.commit
            checker.observeCompactions(member: member, snapshot: durable.snapshot, entries: durable.entries.filter { $0.index <= committed })
        case .watch(let watcher, _, let response):
            checker.observe(watcher: watcher, response: response, at: time)
            for violation in checker.takeViolations() {
                ledger.violate(InvariantName.watchOrdered, at: violation.time, violation.detail)
            }
            checker.trim()
        case .raftSent, .operation, .lease:
            break
        }
    }

    mutating func finish(_ end: RunEnd, into ledger: inout InvariantLedger) {
        let watchers = checker.watchers.count
        if watchers == 0 {
            ledger.note(InvariantName.watchOrdered, "not exercised: the scenario has no watchers (workload.etcdWatchers)")
        } else {
            ledger.note(InvariantName.watchOrdered, "\(checker.receivedCount) events to \(watchers) watcher(s) checked against \(checker.committedChanges) committed changes")
        }
    }
}

/// `etcd.lease-ttl`: no lease revoked before its acknowledged TTL.
struct LeaseTTLCheck: Checker {
    var checker = LeaseChecker()
    let invariants = [InvariantName.leaseTTL]

    mutating func observe(_ observation: Observation, at time: SimInstant, into ledger: inout InvariantLedger) {
        guard case .etcd(let etcd) = observation else { return }
        switch etcd {
        case .ready(_, let ready):
            guard !ready.committedEntries.isEmpty else { return }
            checker.observeCommitted(ready.committedEntries, at: time)
            for violation in checker.takeViolations() {
                ledger.violate(InvariantName.leaseTTL, at: violation.time, violation.detail)
            }
        case .lease(_, let lease):
            checker.observe(lease, at: time)
        case .started, .raftSent, .operation, .watch:
            break
        }
    }

    mutating func finish(_ end: RunEnd, into ledger: inout InvariantLedger) {
        let delays = checker.expiryDelays.sorted()
        let worst = delays.last.map { ", expired at most \($0) after their TTL" } ?? ""
        ledger.note(InvariantName.leaseTTL, "\(checker.revocations) revocations, none before the acknowledged TTL; \(delays.count) released leases expired\(worst)")
    }
}

/// A client history checked for linearizability (per key) as it arrives: `etcd.linearizable` for the
/// etcd test clients, `api.linearizable` for the admin clients through the API. Incremental
/// (`IncrementalLinearizability`): a violation is recorded when the segment that shows it is checked,
/// the rest when the run ends; memory does not grow with the history.
struct LinearizableCheck: Checker {
    let invariant: InvariantID
    /// Picks this history's operations out of the observations.
    let operation: @Sendable (Observation) -> ClientOperation?
    /// What to say when no operation was recorded.
    let unexercised: String
    var checker: IncrementalLinearizability
    var reported = false
    var invariants: [InvariantID] { [invariant] }

    static func etcd(clients: Int) -> LinearizableCheck {
        LinearizableCheck(invariant: InvariantName.linearizable, operation: { observation in
            if case .etcd(.operation(let operation)) = observation { return operation }
            return nil
        }, unexercised: "0 operations linearizable", checker: IncrementalLinearizability(clients: clients))
    }

    static func api(clients: Int) -> LinearizableCheck {
        LinearizableCheck(invariant: InvariantName.apiLinearizable, operation: { observation in
            if case .kube(.apiOperation(let operation)) = observation { return operation }
            return nil
        }, unexercised: "not exercised: the scenario has no admin client load (spec.workload.apiClients)",
           checker: IncrementalLinearizability(clients: clients))
    }

    mutating func observe(_ observation: Observation, at time: SimInstant, into ledger: inout InvariantLedger) {
        guard let recorded = operation(observation) else { return }
        checker.observe(recorded)
        if !reported, let violation = checker.violation {
            reported = true
            ledger.violate(invariant, at: violation.at, violation.detail)
        }
    }

    mutating func finish(_ end: RunEnd, into ledger: inout InvariantLedger) {
        guard checker.observed > 0 else { return ledger.note(invariant, unexercised) }
        switch checker.finish() {
        case .linearizable(let checked): ledger.note(invariant, "\(checked) operations linearizable")
        case .violation(let at, let detail): if !reported { ledger.violate(invariant, at: at, detail) }
        case .unknown(let reason): ledger.note(invariant, "not decided: \(reason)")
        }
    }
}

/// `etcd.converges` (liveness): after the last heal, an established leader and a completed write
/// issued after the heal, within the convergence bound.
struct EtcdConvergenceCheck: Checker {
    let invariants = [InvariantName.converges]
    var sampledLeader: Int?
    var convergenceStart: SimInstant = .start
    var convergedLeaderAt: SimInstant?
    var convergedWriteAt: SimInstant?

    /// Writes count from the etcd test clients and, in a control-plane run, from the API clients.
    mutating func observe(_ observation: Observation, at time: SimInstant, into ledger: inout InvariantLedger) {
        let operation: ClientOperation
        switch observation {
        case .etcd(.operation(let etcdOperation)): operation = etcdOperation
        case .kube(.apiOperation(let apiOperation)): operation = apiOperation
        case .etcd, .kube, .worker: return
        }
        guard let returned = operation.returned, operation.kind != .get else { return }
        if convergedWriteAt == nil && operation.called >= convergenceStart { convergedWriteAt = returned }
    }

    mutating func sample(_ probe: ClusterProbe, at time: SimInstant, into ledger: inout InvariantLedger) {
        sampledLeader = probe.etcdLeader
        if probe.etcdLeader != nil && convergedLeaderAt == nil { convergedLeaderAt = time }
    }

    mutating func healed(at time: SimInstant) {
        convergenceStart = time
        convergedLeaderAt = sampledLeader != nil ? time : nil
        convergedWriteAt = nil
    }

    mutating func finish(_ end: RunEnd, into ledger: inout InvariantLedger) {
        let name = InvariantName.converges
        let bound = end.plan.convergenceBound
        let deadline = convergenceStart + bound
        // Without any client that writes, a leader is all convergence can ask for.
        let writers = end.plan.workload.clients + end.plan.cluster.apiLoad.clients
        if writers == 0, let leaderAt = convergedLeaderAt, leaderAt <= deadline {
            ledger.note(name, "converged \(leaderAt - convergenceStart) after the last heal at \(convergenceStart) (no writing clients: a leader suffices)")
            return
        }
        if let leaderAt = convergedLeaderAt, let writeAt = convergedWriteAt, max(leaderAt, writeAt) <= deadline {
            ledger.note(name, "converged \(max(leaderAt, writeAt) - convergenceStart) after the last heal at \(convergenceStart)")
            return
        }
        guard end.time >= deadline else {
            ledger.note(name, "inconclusive: the run ended \(end.time - convergenceStart) after the last heal, before the \(bound) bound")
            return
        }
        let missing = [convergedLeaderAt == nil ? "no established etcd leader" : nil, convergedWriteAt == nil ? "no write completed" : nil]
            .compactMap { $0 }.joined(separator: " and ")
        ledger.violate(name, at: deadline, "not converged within \(bound) of the last heal at \(convergenceStart): \(missing.isEmpty ? "too slow" : missing)")
    }
}

extension CheckerSet {
    /// The etcd component's checkers for the invariants `plan` checks.
    static func etcd(_ plan: RunPlan, checked: [InvariantID]) -> [any Checker] {
        var checkers: [any Checker] = []
        let raft = RaftSafetyCheck(memberCount: plan.memberCount, checked: checked)
        if !raft.invariants.isEmpty { checkers.append(raft) }
        if checked.contains(InvariantName.persistBeforeSend) { checkers.append(PersistBeforeSendCheck(memberCount: plan.memberCount)) }
        if checked.contains(InvariantName.commitRule) { checkers.append(CommitRuleCheck(memberCount: plan.memberCount)) }
        if checked.contains(InvariantName.linearizable) { checkers.append(LinearizableCheck.etcd(clients: plan.workload.clients)) }
        if checked.contains(InvariantName.watchOrdered) { checkers.append(WatchOrderCheck(watchers: plan.workload.watchers, members: plan.memberCount)) }
        if checked.contains(InvariantName.leaseTTL) { checkers.append(LeaseTTLCheck()) }
        checkers.append(EtcdConvergenceCheck())
        return checkers
    }
}
