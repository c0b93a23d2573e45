import FaultlineCluster
import FaultlineSim

/// `services.no-stale-endpoints`: once a node's kube-proxy has received the EndpointSlice change that
/// took a pod out of a Service's ready endpoints, the node's rules send that Service's requests to the
/// pod for at most `--iptables-min-sync-period` (plus 1 ms of timer rounding) — kube-proxy's sync
/// bound. A kube-proxy that stops keeps its node's rules stale legitimately (no one can update them),
/// so what it had received is forgotten.
///
/// Invariants: `removedAt[node|service|pod]` holds, for each pod a running kube-proxy was told is no
/// longer a ready endpoint of the Service (and not told since that it is again), when it was told;
/// the dictionary is used for lookups and node-wide removal only, never iterated into output.
struct StaleEndpointCheck: Checker {
    let invariants = [InvariantName.servicesNoStaleEndpoints]
    let boundNs: Int64
    var removedAt: [String: SimInstant] = [:]
    var requests = 0, checkedRemovals = 0

    init(minSyncPeriodMs: Int64) {
        boundNs = (minSyncPeriodMs + 1) * 1_000_000
    }

    static func key(_ node: String, _ service: String, _ pod: String) -> String { node + "|" + service + "|" + pod }

    mutating func observe(_ observation: Observation, at time: SimInstant, into ledger: inout InvariantLedger) {
        guard case .worker(let worker) = observation else { return }
        switch worker {
        case .endpointsSeen(let node, let service, let removed, let restored):
            for pod in removed {
                removedAt[Self.key(node, service, pod)] = time
                checkedRemovals += 1
            }
            for pod in restored { removedAt[Self.key(node, service, pod)] = nil }
        case .kubeProxyStopped(let node):
            let prefix = node + "|"
            removedAt = removedAt.filter { !$0.key.hasPrefix(prefix) }
        case .request(let record):
            requests += 1
            guard let pod = record.pod, let seenAt = removedAt[Self.key(record.routedBy, record.serviceKey, pod)] else { return }
            let staleNs = (record.sentAt - seenAt).nanoseconds
            guard staleNs > boundNs else { return }
            ledger.violate(InvariantName.servicesNoStaleEndpoints, at: record.sentAt,
                           "\(record.routedBy) routed a \(record.serviceKey) request to \(pod) \(record.sentAt - seenAt) after its kube-proxy learnt the pod was no longer a ready endpoint (bound \(SimDuration(nanoseconds: boundNs)))")
        case .containerStarted, .containerStopped, .runtimeStatus, .rulesProgrammed, .rulesCleared:
            break
        }
    }

    mutating func finish(_ end: RunEnd, into ledger: inout InvariantLedger) {
        ledger.note(InvariantName.servicesNoStaleEndpoints, "\(requests) requests, \(checkedRemovals) endpoint removals seen by kube-proxies; none routed past the sync bound")
    }
}
