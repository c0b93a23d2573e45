import FaultlineCluster
import FaultlineSim

/// `services.keep-serving`: joins the committed EndpointSlices (what kube-proxy is told) with the
/// runtimes' truth (which containers run) and the requests' outcomes.
///
/// Invariants: `running` holds exactly the pod keys whose container runs now; `servingSince[service]`
/// is the start of the current stretch in which the Service had a ready endpoint with a running
/// container (nil while it has none); `programmedNodes` holds the nodes whose kube-proxy programmed
/// rules since their machine last booted.
struct ServingCheck: Checker {
    let invariants = [InvariantName.servicesKeepServing]
    static let steadyFor: SimDuration = .seconds(10)
    var running: Set<String> = []
    /// Ready endpoints per Service key (`namespace/name`) from the committed slices: pod key and node.
    var endpoints: [String: [(pod: String, node: String)]] = [:]
    var localPolicy: Set<String> = []
    var servingSince: [String: SimInstant] = [:]
    var programmedNodes: Set<String> = []
    var requests = 0, refusals = 0

    mutating func observe(_ observation: Observation, at time: SimInstant, into ledger: inout InvariantLedger) {
        guard case .worker(let worker) = observation else { return }
        switch worker {
        case .containerStarted(_, let pod, _, _):
            running.insert(pod)
            refreshAll(at: time)
        case .containerStopped(let node, let pod, _, _, let reason):
            running.remove(pod)
            if reason == "machine crashed" { programmedNodes.remove(node) }
            refreshAll(at: time)
        case .rulesProgrammed(let node, _, _):
            programmedNodes.insert(node)
        case .request(let record):
            requests += 1
            guard record.outcome == .refused else { return }
            refusals += 1
            guard programmedNodes.contains(record.routedBy), let since = servingSince[record.serviceKey],
                  record.sentAt - since >= Self.steadyFor else { return }
            let live = (endpoints[record.serviceKey] ?? []).filter { running.contains($0.pod) }
            let usable = localPolicy.contains(record.serviceKey) ? live.filter { $0.node == record.routedBy } : live
            guard !usable.isEmpty else { return }
            ledger.violate(InvariantName.servicesKeepServing, at: record.sentAt,
                           "\(record.serviceKey) refused through \(record.routedBy) while \(usable.count) ready endpoint(s) ran, e.g. \(usable[0].pod) on \(usable[0].node)")
        case .runtimeStatus, .endpointsSeen, .kubeProxyStopped:
            break
        }
    }

    mutating func committed(_ change: CommittedObjects.Change, at time: SimInstant, into ledger: inout InvariantLedger) {
        switch change.after ?? change.before {
        case .endpointSlice(let slice):
            guard let name = slice.metadata.labels["kubernetes.io/service-name"] else { return }
            let key = slice.metadata.namespace + "/" + name
            if case .endpointSlice(let current) = change.after {
                endpoints[key] = current.endpoints.filter(\.ready).map { (slice.metadata.namespace + "/" + $0.podName, $0.nodeName) }
            } else {
                endpoints[key] = nil
            }
            refresh(key, at: time)
        case .service(let service):
            let key = service.metadata.namespace + "/" + service.metadata.name
            if case .service(let current) = change.after, current.internalTrafficPolicy == .local { localPolicy.insert(key) } else { localPolicy.remove(key) }
        case .namespace, .node, .pod, .deployment, .replicaSet, .lease, .clusterRole, .clusterRoleBinding, nil:
            break
        }
    }

    mutating func refresh(_ key: String, at time: SimInstant) {
        let serving = (endpoints[key] ?? []).contains { running.contains($0.pod) }
        if !serving { servingSince[key] = nil } else if servingSince[key] == nil { servingSince[key] = time }
    }

    mutating func refreshAll(at time: SimInstant) {
        for key in endpoints.keys.sorted() { refresh(key, at: time) }
    }

    mutating func finish(_ end: RunEnd, into ledger: inout InvariantLedger) {
        ledger.note(InvariantName.servicesKeepServing, "\(requests) requests, \(refusals) refused, none while ready endpoints ran")
    }
}

/// `evictions.no-storm-in-full-disruption`, from the node controller's zone states and evictions.
///
/// Invariant: `states` holds the last state reported for each zone; `fullSince` is when every zone of
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
