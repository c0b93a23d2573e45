import FaultlineCluster
import FaultlineSim

/// `services.keep-serving`: joins what each node's kube-proxy has been told (the EndpointSlice changes
/// its informer received, whichever incarnation received them: a restarted kube-proxy keeps the
/// rules until it syncs) with the runtimes' truth (which containers run) and the requests' outcomes.
/// A refusal is a violation when the node's kube-proxy had known, for `steadyFor`, a ready endpoint
/// of the Service whose container runs (on that node, for `internalTrafficPolicy: Local`). A node
/// that is cut off from the API, or whose kube-proxy never synced, knows nothing yet: refusing
/// there is the data plane doing what it can.
///
/// Invariants: `known[node][service][pod]` is when the node's kube-proxy learnt that `pod` is a
/// ready endpoint of `service`, for pods it has not since been told were removed, and only since the
/// node's rules were last cleared (its machine crashed); `running[pod]` is the node where the pod's
/// container runs now. Dictionaries are looked up, never iterated into output.
struct ServingCheck: Checker {
    let invariants = [InvariantName.servicesKeepServing]
    static let steadyFor: SimDuration = .seconds(10)
    var running: [String: String] = [:]
    var known: [String: [String: [String: SimInstant]]] = [:]
    var localPolicy: Set<String> = []
    var requests = 0, refusals = 0

    mutating func observe(_ observation: Observation, at time: SimInstant, into ledger: inout InvariantLedger) {
        guard case .worker(let worker) = observation else { return }
        switch worker {
        case .containerStarted(let node, let pod, _, _):
            running[pod] = node
        case .containerStopped(_, let pod, _, _, _):
            running[pod] = nil
        case .endpointsSeen(let node, let service, let removed, let restored):
            var endpoints = known[node]?[service] ?? [:]
            for pod in removed { endpoints[pod] = nil }
            for pod in restored where endpoints[pod] == nil { endpoints[pod] = time }
            known[node, default: [:]][service] = endpoints
        case .rulesCleared(let node):
            known[node] = nil
        case .request(let record):
            requests += 1
            guard record.outcome == .refused else { return }
            refusals += 1
            let endpoints = known[record.routedBy]?[record.serviceKey] ?? [:]
            let local = localPolicy.contains(record.serviceKey)
            let usable = endpoints.keys.sorted().filter { pod in
                guard let node = running[pod], let since = endpoints[pod], record.sentAt - since >= Self.steadyFor else { return false }
                return !local || node == record.routedBy
            }
            guard let example = usable.first else { return }
            ledger.violate(InvariantName.servicesKeepServing, at: record.sentAt,
                           "\(record.serviceKey) refused through \(record.routedBy) although its kube-proxy had known for 10 s \(usable.count) ready endpoint(s) whose containers ran, e.g. \(example) on \(running[example] ?? "?")")
        case .runtimeStatus, .rulesProgrammed, .kubeProxyStopped:
            break
        }
    }

    mutating func committed(_ change: CommittedObjects.Change, at time: SimInstant, into ledger: inout InvariantLedger) {
        guard case .service(let service) = change.after ?? change.before else { return }
        let key = service.metadata.namespace + "/" + service.metadata.name
        if case .service(let current) = change.after, current.internalTrafficPolicy == .local { localPolicy.insert(key) } else { localPolicy.remove(key) }
    }

    mutating func finish(_ end: RunEnd, into ledger: inout InvariantLedger) {
        ledger.note(InvariantName.servicesKeepServing, "\(requests) requests, \(refusals) refused, none while the node's kube-proxy knew a running endpoint")
    }
}

/// `evictions.no-storm-in-full-disruption`, from the node controller's zone states and evictions.
///
/// Invariant: `states` holds the last state the current controller-manager leader reported for each
/// zone (a deposed leader's view is dropped when another starts leading); `fullSince` is when every zone of
/// the cluster last became FullDisruption (nil unless all are).
struct EvictionStormCheck: Checker {
    let invariants = [InvariantName.evictionsNoStormInFullDisruption]
    static let grace: SimDuration = .seconds(10)
    let zones: [String]
    var states: [String: String] = [:]
    var fullSince: SimInstant?
    var evictions = 0

    init(zones: [String]) { self.zones = Array(Set(zones)).sorted() }

    mutating func observe(_ observation: Observation, at time: SimInstant, into ledger: inout InvariantLedger) {
        guard case .kube(let kube) = observation else { return }
        switch kube {
        case .zoneStateChanged(let zone, let state):
            states[zone] = state
            let allFull = !zones.isEmpty && zones.allSatisfy { states[$0] == "FullDisruption" }
            if allFull { if fullSince == nil { fullSince = time } } else { fullSince = nil }
        case .leaderStarted(let lease, _) where lease == "kube-system/kube-controller-manager":
            // A new leader's node controller reports its own view from its first pass on.
            states = [:]
            fullSince = nil
        case .podEvicted(let pod, let node):
            evictions += 1
            if let since = fullSince, time - since >= Self.grace {
                ledger.violate(InvariantName.evictionsNoStormInFullDisruption, at: time,
                               "\(pod) evicted from \(node) although every zone has been fully disrupted since \(since)")
            }
        case .loadBalancerBackend, .apiserverReadiness, .leaderStarted, .leaderStopped, .leaderAction, .apiOperation, .watchEventReceived, .relisted:
            break
        }
    }

    mutating func finish(_ end: RunEnd, into ledger: inout InvariantLedger) {
        ledger.note(InvariantName.evictionsNoStormInFullDisruption, "\(evictions) pods evicted, none during a full disruption of every zone")
    }
}

/// `services.served-after-heal`: after the last heal, each Service with traffic has a second of send
/// time in which at least 99% of its requests were served, within the convergence bound.
///
/// Invariant: `good[service]` is the first good second at or after `convergenceStart`.
struct ServedAfterHealCheck: Checker {
    let invariants = [InvariantName.servicesServedAfterHeal]
    var convergenceStart: SimInstant = .start
    var counts: [String: (second: Int64, sent: Int, served: Int)] = [:]
    var good: [String: SimInstant] = [:]
    let services: [String]

    init(services: [String]) { self.services = Array(Set(services)).sorted() }

    mutating func observe(_ observation: Observation, at time: SimInstant, into ledger: inout InvariantLedger) {
        guard case .worker(.request(let record)) = observation, record.sentAt >= convergenceStart else { return }
        let second = record.sentAt.nanosecondsSinceStart / 1_000_000_000
        var entry = counts[record.serviceKey] ?? (second, 0, 0)
        if entry.second != second {
            close(record.serviceKey, entry)
            entry = (second, 0, 0)
        }
        entry.sent += 1
        if record.outcome == .served { entry.served += 1 }
        counts[record.serviceKey] = entry
    }

    mutating func close(_ service: String, _ entry: (second: Int64, sent: Int, served: Int)) {
        guard good[service] == nil, entry.sent > 0, entry.served * 100 >= entry.sent * 99 else { return }
        good[service] = SimInstant(nanosecondsSinceStart: (entry.second + 1) * 1_000_000_000)
    }

    mutating func healed(at time: SimInstant) {
        convergenceStart = time
        counts.removeAll()
        good.removeAll()
    }

    mutating func finish(_ end: RunEnd, into ledger: inout InvariantLedger) {
        for service in counts.keys.sorted() { close(service, counts[service]!) }
        let name = InvariantName.servicesServedAfterHeal
        let deadline = convergenceStart + end.plan.convergenceBound
        let late = services.filter { service in good[service].map { $0 > deadline } ?? true }
        if late.isEmpty {
            let worst = services.compactMap { good[$0] }.max().map { $0 - convergenceStart } ?? .zero
            ledger.note(name, "\(services.count) Service(s) served again within \(worst) of the last heal at \(convergenceStart)")
        } else if end.time < deadline {
            ledger.note(name, "inconclusive: the run ended \(end.time - convergenceStart) after the last heal, before the \(end.plan.convergenceBound) bound")
        } else {
            ledger.violate(name, at: deadline, "not served again within \(end.plan.convergenceBound) of the last heal at \(convergenceStart): \(late.joined(separator: ", "))")
        }
    }
}

extension CheckerSet {
    /// The worker side's checkers for the invariants `plan` checks.
    static func worker(_ plan: RunPlan, checked: [InvariantID]) -> [any Checker] {
        guard plan.cluster.layout.controlPlane, !plan.cluster.layout.nodeNames.isEmpty else { return [] }
        var checkers: [any Checker] = []
        if checked.contains(InvariantName.servicesKeepServing) { checkers.append(ServingCheck()) }
        if checked.contains(InvariantName.servicesNoStaleEndpoints) {
            checkers.append(StaleEndpointCheck(minSyncPeriodMs: plan.cluster.workers.kubeProxy.minSyncPeriodMs))
        }
        if checked.contains(InvariantName.evictionsNoStormInFullDisruption) { checkers.append(EvictionStormCheck(zones: plan.cluster.layout.nodeZones)) }
        let services = plan.cluster.workers.traffic.map(\.serviceKey)
        if !services.isEmpty { checkers.append(ServedAfterHealCheck(services: services)) }
        return checkers
    }
}
