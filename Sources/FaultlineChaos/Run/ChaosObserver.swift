import FaultlineCluster
import FaultlineSim

/// Receives everything the model reports and fans it out: to the checkers (which decide invariants),
/// to the recovery tracker (through the registered predicates) and to the timeline. It never changes
/// the model.
///
/// Invariant: safety violations are recorded at the simulated time of the observation that revealed them.
struct ChaosObserver: ClusterObserver {
    var ledger = InvariantLedger()
    var recovery = RecoveryTracker()
    /// Bounded per row kind (`TimelineLog`): a long soak keeps the first and last rows of each kind.
    var timeline = TimelineLog()
    /// The etcd test clients' history (for `--history`), kept only when `recordHistory` asks for it.
    var operations: [ClientOperation] = []
    let recordHistory: Bool
    /// Per-second counts and a latency sample of the etcd clients (bounded; every run).
    var clientLoad = ClientLoadSeries()
    var checkers: [any Checker]
    /// The committed Kubernetes objects (control-plane runs only) and counts over them.
    var committed: CommittedObjects?
    var summary = KubeSummary()
    var workerMetrics = WorkerMetrics()
    var changes: [CommittedObjects.Change] = []
    /// The predicates of the metrics this run measures.
    let observedPredicates: [RecoveryPredicate]
    let sampledPredicates: [RecoveryPredicate]
    /// The last etcd leader the sampler saw (member index), to log leader changes once.
    var sampledLeader: Int?

    init(plan: RunPlan, recordHistory: Bool = false) {
        self.recordHistory = recordHistory
        checkers = CheckerSet.make(plan)
        committed = plan.cluster.layout.controlPlane ? CommittedObjects() : nil
        workerMetrics.settleMs = 1_000 + (plan.cluster.workers.traffic.map(\.timeoutMs).max() ?? 0)
        // The scenario's order first (reports list invariants in declaration order), then the rest.
        for invariant in plan.checkedInvariants { ledger.declare(invariant) }
        for checker in checkers {
            for invariant in checker.invariants { ledger.declare(invariant) }
        }
        let measured = RecoveryPredicate.all.filter { plan.measuredMetrics.contains($0.metric) }
        observedPredicates = measured.filter { $0.observed != nil }
        sampledPredicates = measured.filter { $0.sampled != nil }
    }

    mutating func observe(_ observation: Observation, at time: SimInstant) {
        for index in checkers.indices { checkers[index].observe(observation, at: time, into: &ledger) }
        if committed != nil {
            committed!.observe(observation, into: &changes)
            for change in changes {
                summary.apply(change)
                if case .pod(let pod) = change.after, let node = pod.spec.nodeName {
                    var wasBound = false
                    if case .pod(let before) = change.before, before.spec.nodeName != nil { wasBound = true }
                    if !wasBound {
                        timeline.append(TimelineEntry(at: time, kind: "pod-bound", subject: "\(pod.metadata.namespace)/\(pod.metadata.name)", detail: node))
                    }
                }
                for index in checkers.indices { checkers[index].committed(change, at: time, into: &ledger) }
                workerMetrics.committed(change, at: time, &recovery)
            }
            changes.removeAll(keepingCapacity: true)
        }
        if committed != nil { workerMetrics.observe(observation, at: time, &recovery) }
        for predicate in observedPredicates {
            if let proof = predicate.observed?(observation, time) {
                recovery.satisfy(predicate.metric, at: proof.at, notBefore: proof.notBefore)
            }
        }
        switch observation {
        case .etcd(let etcd):
            if case .operation(let operation) = etcd {
                clientLoad.observe(operation)
                if recordHistory { operations.append(operation) }
            }
            if let entry = TimelineEntry.etcd(etcd, at: time) { timeline.append(entry) }
        case .kube(let kube):
            if let entry = TimelineEntry.kube(kube, at: time) { timeline.append(entry) }
        case .worker(let worker):
            if let entry = TimelineEntry.worker(worker, at: time) { timeline.append(entry) }
        }
    }

    /// Sampled state: recovery predicates, liveness checkers, leader changes for the timeline.
    mutating func sample(_ sampled: ClusterProbe, at time: SimInstant) {
        var probe = sampled
        if committed != nil { summary.fill(&probe) }
        for predicate in sampledPredicates where recovery.isWaiting(for: predicate.metric) {
            if predicate.sampled?(probe) == true { recovery.satisfy(predicate.metric, at: time) }
        }
        for index in checkers.indices { checkers[index].sample(probe, at: time, into: &ledger) }
        if committed != nil { workerMetrics.sample(at: time, &recovery) }
        if probe.etcdLeader != sampledLeader {
            if let leader = probe.etcdLeader {
                timeline.append(TimelineEntry(at: time, kind: "leader-elected", subject: ClusterLayout.masterName(leader), detail: "etcd"))
            } else {
                timeline.append(TimelineEntry(at: time, kind: "leader-lost", subject: "etcd", detail: ""))
            }
            sampledLeader = probe.etcdLeader
        }
    }

    /// A fault healed: liveness clocks restart.
    mutating func healed(at time: SimInstant) {
        for index in checkers.indices { checkers[index].healed(at: time) }
    }

    /// Final verdicts: every checker's, then the recovery expectations.
    mutating func finish(_ end: RunEnd) {
        for index in checkers.indices { checkers[index].finish(end, into: &ledger) }
        if committed != nil { workerMetrics.finish(at: end.time, &recovery) }
        checkExpectations(end.plan.expectations, runEnd: end.time)
    }

    /// Each expectation is a liveness invariant of its metric's name, violated by every fault whose
    /// recovery took longer than the bound or never came.
    ///
    /// Invariant: a violation is recorded at the instant the bound ran out, `injection + within`, the
    /// first moment the miss was certain, never later than `runEnd` (a fault whose bound outlasts the
    /// run is judged when the run ends, by then still unrecovered); violations are recorded in time
    /// order, so the ledger's first is the earliest.
    mutating func checkExpectations(_ expectations: [RecoveryExpectation], runEnd: SimInstant) {
        for expectation in expectations {
            let metric = expectation.metric
            let name = InvariantID(metric.name, .liveness, metric.summary)
            ledger.declare(name)
            var misses: [(at: SimInstant, detail: String)] = []
            for measured in recovery.measured where measured.recovery.metric == metric.name && measured.recovery.faultID != RecoveryTracker.bootstrap {
                let recovered = measured.recovery
                if recovered.duration > expectation.within {
                    misses.append((measured.injectedAt + expectation.within,
                                   "\(recovered.faultID): \(metric) took \(recovered.duration) after injection at \(measured.injectedAt), bound \(expectation.within)"))
                }
            }
            for pending in recovery.unrecovered where pending.metric == metric.name && pending.faultID != RecoveryTracker.bootstrap {
                let deadline = pending.injectedAt + expectation.within
                let detail = deadline <= runEnd
                    ? "\(pending.faultID): \(metric) never held after injection at \(pending.injectedAt), bound \(expectation.within)"
                    : "\(pending.faultID): \(metric) had not held when the run ended at \(runEnd), \(runEnd - pending.injectedAt) after injection at \(pending.injectedAt) (bound \(expectation.within))"
                misses.append((min(deadline, runEnd), detail))
            }
            // Stable: equal instants keep the order above (completed, then pending; each in fault order).
            for miss in misses.enumerated().sorted(by: { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }).map(\.element) {
                ledger.violate(name, at: miss.at, miss.detail)
            }
        }
    }
}
