import FaultlineCluster
import FaultlineSim

/// The worker-side recovery metrics, derived from committed objects, observations and samples:
/// `node.not-ready`, `pods.evicted`, `pods.rescheduled`, `deployment.available`, `service.available`
/// and `kubelet.lease-renewed`. Each is satisfied at the moment its condition is reached, for the
/// faults injected before the disruption it ends (`notBefore`), so an unrelated fault is not credited
/// with an earlier recovery.
///
/// Invariants: `podReady`, `podOwner`, `setOwner`, `replicas` mirror the last committed objects;
/// `running` the runtimes; `servingSet` holds exactly the pods that are Ready, running and owned, each
/// with the ReplicaSet it is counted under in `servingBySet` (kept incrementally, so a change costs
/// O(1) and the availability check O(ReplicaSets), not O(pods)); a Deployment is available when it is
/// complete (API view) and at least `replicas` of its pods serve.
struct WorkerMetrics {
    var running: Set<String> = []
    var podReady: [String: Bool] = [:]
    var podOwner: [String: String] = [:]
    var servingSet: [String: String] = [:]
    var servingBySet: [String: Int] = [:]
    var setOwner: [String: String] = [:]
    var replicas: [String: Int] = [:]
    var complete: [String: Bool] = [:]
    var dirty = false
    /// When the current unavailability of some Deployment began (nil: all available).
    var deploymentsShortSince: SimInstant?
    var lastEvictionAt: SimInstant?
    /// Per node lease: the simulated time of its last committed renewal.
    var leaseRenewedAt: [String: SimInstant] = [:]
    var leaseGapMs: Int64 = 20_000
    /// Traffic: per second of send time, the requests of all Services and how many were served; a
    /// second is judged once every request sent in it has finished (its clients' timeout later).
    var openSeconds: [Int64: (sent: Int, served: Int)] = [:]
    var closedBefore: Int64 = 0
    var settleMs: Int64 = 1_000
    var trafficShortSince: SimInstant?
    var series = TrafficSeries()

    static let podsPrefix = "/registry/pods/"

    mutating func committed(_ change: CommittedObjects.Change, at time: SimInstant, _ recovery: inout RecoveryTracker) {
        switch change.after ?? change.before {
        case .node:
            if case .node(let before) = change.before, case .node(let after) = change.after,
               before.status.ready == .isTrue, after.status.ready != .isTrue {
                recovery.satisfy(Metric.nodeNotReady, at: time)
            }
        case .pod(let pod):
            let key = pod.metadata.namespace + "/" + pod.metadata.name
            if case .pod(let current) = change.after, current.isActive {
                podReady[key] = current.status.ready
                if let owner = current.metadata.controllerRef { podOwner[key] = pod.metadata.namespace + "/" + owner.name }
            } else {
                podReady[key] = nil
                podOwner[key] = nil
            }
            refreshServing(key)
        case .replicaSet(let set):
            let key = set.metadata.namespace + "/" + set.metadata.name
            if change.after != nil, let owner = set.metadata.controllerRef { setOwner[key] = set.metadata.namespace + "/" + owner.name } else { setOwner[key] = nil }
            dirty = true
        case .deployment(let deployment):
            let key = deployment.metadata.namespace + "/" + deployment.metadata.name
            if case .deployment(let current) = change.after {
                replicas[key] = current.spec.replicas
                complete[key] = current.isComplete
            } else {
                replicas[key] = nil
                complete[key] = nil
            }
            dirty = true
        case .lease(let lease):
            guard lease.metadata.namespace == "kube-node-lease", change.after != nil else { return }
            if let last = leaseRenewedAt[lease.metadata.name], time - last > .milliseconds(leaseGapMs) {
                recovery.satisfy(Metric.kubeletLeaseRenewed, at: time)
            }
            leaseRenewedAt[lease.metadata.name] = time
        case .namespace, .service, .endpointSlice, .clusterRole, .clusterRoleBinding, nil:
            break
        }
    }

    mutating func observe(_ observation: Observation, at time: SimInstant, _ recovery: inout RecoveryTracker) {
        switch observation {
        case .kube(.podEvicted):
            recovery.satisfy(Metric.podsEvicted, at: time)
            lastEvictionAt = time
        case .worker(.containerStarted(_, let pod, _, _)):
            running.insert(pod)
            refreshServing(pod)
        case .worker(.containerStopped(_, let pod, _, _, _)):
            running.remove(pod)
            refreshServing(pod)
        case .worker(.request(let record)):
            series.add(record)
            let second = record.sentAt.nanosecondsSinceStart / 1_000_000_000
            var entry = openSeconds[second] ?? (0, 0)
            entry.sent += 1
            if record.outcome == .served { entry.served += 1 }
            openSeconds[second] = entry
            closeSettledSeconds(at: time, &recovery)
        case .etcd, .kube, .worker:
            break
        }
    }

    /// Judges, in order, the seconds whose requests have all finished: one below 99% served starts (or
    /// continues) an outage; one at or above ends it (`service.available`, at the end of that second).
    mutating func closeSettledSeconds(at time: SimInstant, _ recovery: inout RecoveryTracker) {
        let settled = (time.nanosecondsSinceStart - settleMs * 1_000_000) / 1_000_000_000
        while closedBefore < settled {  // bound: one step per second of the run
            let second = closedBefore
            closedBefore += 1
            guard let entry = openSeconds.removeValue(forKey: second), entry.sent > 0 else { continue }
            let end = SimInstant(nanosecondsSinceStart: (second + 1) * 1_000_000_000)
            if entry.served * 100 < entry.sent * 99 {
                if trafficShortSince == nil { trafficShortSince = end }
            } else if trafficShortSince != nil {
                trafficShortSince = nil
                recovery.satisfy(Metric.serviceAvailable, at: end)
            }
        }
    }

    /// Moves `pod` into or out of the serving count (or to another ReplicaSet) after a change.
    mutating func refreshServing(_ pod: String) {
        let wanted = podReady[pod] == true && running.contains(pod) ? podOwner[pod] : nil
        let current = servingSet[pod]
        guard wanted != current else { return }
        if let current {
            let left = (servingBySet[current] ?? 1) - 1
            servingBySet[current] = left > 0 ? left : nil
        }
        if let wanted { servingBySet[wanted, default: 0] += 1 }
        servingSet[pod] = wanted
        dirty = true
    }

    /// Whether every Deployment is complete and has its replicas Ready and running.
    func deploymentsAvailable() -> Bool {
        var serving: [String: Int] = [:]  // sums only: iteration order does not matter
        for (set, count) in servingBySet {
            guard let deployment = setOwner[set] else { continue }
            serving[deployment, default: 0] += count
        }
        return replicas.allSatisfy { key, wanted in complete[key] == true && serving[key, default: 0] >= wanted }
    }

    mutating func sample(at time: SimInstant, _ recovery: inout RecoveryTracker) {
        guard dirty, !replicas.isEmpty else { return }
        dirty = false
        if deploymentsAvailable() {
            if deploymentsShortSince != nil {
                deploymentsShortSince = nil
                recovery.satisfy(Metric.deploymentAvailable, at: time)
            }
            if let eviction = lastEvictionAt {
                lastEvictionAt = nil
                recovery.satisfy(Metric.podsRescheduled, at: time, notBefore: eviction)
            }
        } else if deploymentsShortSince == nil {
            deploymentsShortSince = time
        }
    }

    /// The end of the run: a fault after which no Deployment and no Service became unavailable, and
    /// which ends with everything available, recovered in zero seconds (it disturbed nothing). Faults
    /// that did disturb something were credited when the disruption ended, or stay unrecovered.
    mutating func finish(at time: SimInstant, _ recovery: inout RecoveryTracker) {
        if !replicas.isEmpty {
            dirty = true
            sample(at: time, &recovery)
            if deploymentsShortSince == nil { recovery.satisfyUndisturbed(Metric.deploymentAvailable) }
        }
        if !series.seconds.isEmpty, trafficShortSince == nil {
            recovery.satisfyUndisturbed(Metric.serviceAvailable)
        }
    }
}

extension RecoveryPredicate {
    /// The worker metrics, decided by `WorkerMetrics`.
    static let worker: [RecoveryPredicate] = [
        Metric.nodeNotReady, Metric.podsEvicted, Metric.podsRescheduled, Metric.deploymentAvailable, Metric.serviceAvailable, Metric.kubeletLeaseRenewed,
    ].map { RecoveryPredicate(derivedMetric: $0) }
}

/// Service traffic per second of send time: how many requests each outcome had, per Service.
public struct TrafficSeries: Sendable, Equatable {
    public struct Second: Sendable, Equatable {
        public var second: Int64
        public var service: String
        /// By `TrafficOutcome.rawValue`.
        public var counts: [Int]
        public var served: Int { counts[TrafficOutcome.served.rawValue] }
        public var refused: Int { counts[TrafficOutcome.refused.rawValue] }
        public var deadPod: Int { counts[TrafficOutcome.deadPod.rawValue] }
        public var timedOut: Int { counts[TrafficOutcome.timedOut.rawValue] }
    }
    /// By (second, service), in insertion order of first request (seconds only grow per service).
    public private(set) var seconds: [Second] = []
    var index: [String: Int] = [:]

    mutating func add(_ record: TrafficRecord) {
        let second = record.sentAt.nanosecondsSinceStart / 1_000_000_000
        let key = "\(second) \(record.serviceKey)"
        if let at = index[key] {
            seconds[at].counts[record.outcome.rawValue] += 1
        } else {
            var counts = Array(repeating: 0, count: TrafficOutcome.allCases.count)
            counts[record.outcome.rawValue] = 1
            index[key] = seconds.count
            seconds.append(Second(second: second, service: record.serviceKey, counts: counts))
        }
    }

    /// Sorted by second, then Service.
    public var sorted: [Second] { seconds.sorted { ($0.second, $0.service) < ($1.second, $1.service) } }
}
