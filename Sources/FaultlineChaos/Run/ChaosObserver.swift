import FaultlineCluster
import FaultlineSim

/// Receives everything the etcd model reports and turns it into invariant outcomes, recovery times and
/// a timeline. It never changes the model.
///
/// Invariant: safety violations are recorded at the simulated time of the observation that revealed them.
struct ChaosObserver: EtcdObserver {
    var ledger = InvariantLedger()
    var recovery = RecoveryTracker()
    var timeline: [TimelineEntry] = []
    var operations: [ClientOperation] = []
    var raftSafety: RaftSafetyChecker
    /// Present when `etcd.watch-ordered` is checked.
    var watchChecker: WatchChecker?
    /// Present when `etcd.lease-ttl` is checked.
    var leaseChecker: LeaseChecker?
    let checked: [String]

    /// The last leader the sampler saw (member index), to log leader changes once.
    var sampledLeader: Int?
    /// Convergence tracking for the liveness phase: from the last heal, the first established leader
    /// and the first completed write issued after it.
    var convergenceStart: SimInstant = .start
    var convergedLeaderAt: SimInstant?
    var convergedWriteAt: SimInstant?

    init(memberCount: Int, watchers: Int, invariants: [String]) {
        self.checked = invariants
        self.raftSafety = RaftSafetyChecker(memberCount: memberCount)
        if invariants.contains(InvariantName.watchOrdered) { watchChecker = WatchChecker(watchers: watchers) }
        if invariants.contains(InvariantName.leaseTTL) { leaseChecker = LeaseChecker() }
        for name in invariants { ledger.declare(name, kind: .safety) }
        ledger.declare(InvariantName.converges, kind: .liveness)
    }

    // MARK: EtcdObserver

    mutating func observeReady(member: Int, ready: RaftReady<EtcdRequest>, at time: SimInstant) {
        raftSafety.observe(member: member, ready: ready, at: time)
        drainRaftViolations()
        if watchChecker != nil, ready.snapshot != nil || !ready.committedEntries.isEmpty {
            watchChecker!.observeApplied(snapshot: ready.snapshot, entries: ready.committedEntries)
        }
        if leaseChecker != nil, !ready.committedEntries.isEmpty {
            leaseChecker!.observeCommitted(ready.committedEntries, at: time)
            for violation in leaseChecker!.takeViolations() {
                ledger.violate(InvariantName.leaseTTL, at: violation.time, violation.detail)
            }
        }
    }

    mutating func observeLease(holder: Int, _ observation: LeaseObservation, at time: SimInstant) {
        leaseChecker?.observe(observation, at: time)
        switch observation {
        case .acknowledged: break
        case .released(let lease):
            timeline.append(TimelineEntry(at: time, kind: "lease-released", subject: "lease-holder-\(holder + 1)", detail: "lease \(lease & 0xffff_ffff)"))
        case .lost(let lease):
            timeline.append(TimelineEntry(at: time, kind: "lease-lost", subject: "lease-holder-\(holder + 1)", detail: "lease \(lease & 0xffff_ffff)"))
        }
    }

    mutating func observeStart(member: Int, durable: RaftDurableState<EtcdRequest>, at time: SimInstant) {
        raftSafety.observeRestart(member: member, durable: durable, at: time)
        drainRaftViolations()
        watchChecker?.observeRestart(durable: durable)
        if time > .start {
            timeline.append(TimelineEntry(at: time, kind: "member-restarted", subject: "master-\(member + 1)", detail: ""))
        }
    }

    mutating func observeOperation(_ operation: ClientOperation) {
        operations.append(operation)
        guard let returned = operation.returned, operation.kind != .get else { return }
        // A completed write proves the API is available to clients again: a quorum, a leader, a path.
        recovery.satisfy(Metric.apiAvailable, at: returned, notBefore: operation.called)
        if convergedWriteAt == nil && operation.called >= convergenceStart { convergedWriteAt = returned }
    }

    mutating func observeWatch(watcher: Int, watchID: UInt64, response: WatchResponse, at time: SimInstant) {
        guard watchChecker != nil else { return }
        watchChecker!.observe(watcher: watcher, response: response, at: time)
        for violation in watchChecker!.takeViolations() {
            ledger.violate(InvariantName.watchOrdered, at: violation.time, violation.detail)
        }
        if case .canceled(let reason, let revision) = response {
            timeline.append(TimelineEntry(at: time, kind: "watch-canceled", subject: "watcher-\(watcher + 1)",
                                          detail: reason == .compacted ? "compacted at \(revision)" : reason.rawValue))
        }
    }

    // MARK: Sampling and phases

    mutating func sampleLeader(_ leader: Int?, at time: SimInstant) {
        if leader != sampledLeader {
            if let leader {
                timeline.append(TimelineEntry(at: time, kind: "leader-elected", subject: "master-\(leader + 1)", detail: "etcd"))
            } else {
                timeline.append(TimelineEntry(at: time, kind: "leader-lost", subject: "etcd", detail: ""))
            }
            sampledLeader = leader
        }
        if leader != nil && convergedLeaderAt == nil { convergedLeaderAt = time }
    }

    /// A fault healed: the liveness clock restarts.
    mutating func healed(at time: SimInstant) {
        convergenceStart = time
        convergedLeaderAt = sampledLeader != nil ? time : nil
        convergedWriteAt = nil
    }

    mutating func drainRaftViolations() {
        for violation in raftSafety.takeViolations() where ledger.isDeclared(violation.property) {
            ledger.violate(violation.property, at: violation.time, violation.detail)
        }
    }

    /// Final checks: convergence, recovery expectations, linearizability of the client history.
    mutating func finish(plan: RunPlan, end: SimInstant) {
        checkConvergence(bound: plan.convergenceBound, end: end)
        checkExpectations(plan.expectations)
        if ledger.isDeclared(InvariantName.linearizable) { checkLinearizability() }
        if let leaseChecker, ledger.isDeclared(InvariantName.leaseTTL) {
            let delays = leaseChecker.expiryDelays.sorted()
            let worst = delays.last.map { ", expired at most \($0) after their TTL" } ?? ""
            ledger.note(InvariantName.leaseTTL, "\(leaseChecker.revocations) revocations, none before the acknowledged TTL; \(delays.count) released leases expired\(worst)")
        }
        if let watchChecker, ledger.isDeclared(InvariantName.watchOrdered) {
            let watchers = watchChecker.watchers.count
            if watchers == 0 {
                ledger.note(InvariantName.watchOrdered, "not exercised: the scenario has no watchers (workload.etcdWatchers)")
            } else {
                ledger.note(InvariantName.watchOrdered, "\(watchChecker.receivedCount) events to \(watchers) watcher(s) checked against \(watchChecker.truth.count) committed changes")
            }
        }
    }

    mutating func checkConvergence(bound: SimDuration, end: SimInstant) {
        let name = InvariantName.converges
        let deadline = convergenceStart + bound
        let leaderAt = convergedLeaderAt, writeAt = convergedWriteAt
        if let leaderAt, let writeAt, max(leaderAt, writeAt) <= deadline {
            ledger.note(name, "converged \(max(leaderAt, writeAt) - convergenceStart) after the last heal at \(convergenceStart)")
            return
        }
        guard end >= deadline else {
            ledger.note(name, "inconclusive: the run ended \(end - convergenceStart) after the last heal, before the \(bound) bound")
            return
        }
        let missing = [leaderAt == nil ? "no established etcd leader" : nil, writeAt == nil ? "no write completed" : nil]
            .compactMap { $0 }.joined(separator: " and ")
        ledger.violate(name, at: deadline, "not converged within \(bound) of the last heal at \(convergenceStart): \(missing.isEmpty ? "too slow" : missing)")
    }

    mutating func checkExpectations(_ expectations: [RecoveryExpectation]) {
        for expectation in expectations {
            let name = expectation.metric
            ledger.declare(name, kind: .liveness)
            for recovery in recovery.recoveries where recovery.metric == name && recovery.faultID != "bootstrap" {
                if recovery.duration > expectation.within {
                    ledger.violate(name, at: .start, "\(recovery.faultID): \(name) took \(recovery.duration), bound \(expectation.within)")
                }
            }
            for pending in recovery.unrecovered where pending.metric == name && pending.faultID != "bootstrap" {
                ledger.violate(name, at: pending.injectedAt + expectation.within,
                               "\(pending.faultID): \(name) never held after injection at \(pending.injectedAt), bound \(expectation.within)")
            }
        }
    }

    mutating func checkLinearizability() {
        let name = InvariantName.linearizable
        let outcome = LinearizabilityCheck.check(operations)
        switch outcome {
        case .linearizable(let checkedOperations):
            ledger.note(name, "\(checkedOperations) operations linearizable")
        case .violation(let at, let detail):
            ledger.violate(name, at: at, detail)
        case .unknown(let reason):
            ledger.note(name, "not decided: \(reason)")
        }
    }
}
