import FaultlineSim

/// The etcd health check behind `/readyz` and `/healthz` (`storagebackend/factory/etcd3.go`'s
/// `newETCD3Check`): a linearizable Get of `/registry/health` with `--etcd-readycheck-timeout`;
/// at most one Get per half timeout (probes in between get the last result, as upstream's rate
/// limiter answers with the last error); the initial state is unhealthy ("etcd client connection not
/// yet established").
struct HealthState: Sendable {
    static let maxWaitingProbes = 64
    var ready = false
    var reason = "etcd client connection not yet established"
    /// The health read in flight, and the probes waiting for it.
    var inFlight: UInt64?
    var waiting: [(host: HostID, probeID: UInt64)] = []
    var lastCheckStart: SimInstant?
}

extension ApiServer {
    static let healthKey = "/registry/health"

    /// A load balancer (or kubelet) probe. `tcp` succeeds while the process runs; `/readyz` and
    /// `/healthz` wait for the etcd check.
    mutating func probe(_ probeID: UInt64, mode: HealthCheckMode, from: HostID, now: SimInstant, into output: inout ApiServerOutput) {
        switch mode {
        case .tcp:
            output.toClients.append((from, .probeResult(probeID: probeID, healthy: true)))
        case .httpReadyz, .httpHealthz:
            if health.inFlight != nil {
                guard health.waiting.count < HealthState.maxWaitingProbes else {
                    return output.toClients.append((from, .probeResult(probeID: probeID, healthy: health.ready)))
                }
                health.waiting.append((from, probeID))
                return
            }
            let halfTimeout = SimDuration.milliseconds(config.etcdReadyCheckTimeoutMs / 2)
            if let last = health.lastCheckStart, now - last < halfTimeout {
                return output.toClients.append((from, .probeResult(probeID: probeID, healthy: health.ready)))
            }
            health.waiting.append((from, probeID))
            health.lastCheckStart = now
            let id = nextRequestID()
            health.inFlight = id
            pending[id] = .health
            output.toEtcd.append((currentEndpoint, .kv(KVRequest(id: id, operation: .range(key: Self.healthKey, end: nil, serializable: false)), replyTo: host)))
            output.timers.append((config.etcdReadyCheckTimeoutMs, .readyCheckTimeout(requestID: id)))
        }
    }

    mutating func healthAnswered(_ result: KVResult, now: SimInstant, into output: inout ApiServerOutput) {
        switch result {
        case .ok(let response) where response.error == nil:
            healthResult(ready: true, reason: "etcd check passed", into: &output)
        case .ok(let response):
            healthResult(ready: false, reason: "etcd: \(response.error?.rawValue ?? "error")", into: &output)
        case .unavailable(let reason):
            healthResult(ready: false, reason: "etcd: \(reason)", into: &output)
        }
    }

    mutating func healthFailed(reason: String, now: SimInstant, into output: inout ApiServerOutput) {
        healthResult(ready: false, reason: reason, into: &output)
    }

    mutating func healthResult(ready: Bool, reason: String, into output: inout ApiServerOutput) {
        health.inFlight = nil
        if ready != health.ready { output.observations.append(.readinessChanged(ready: ready, reason: reason)) }
        health.ready = ready
        health.reason = reason
        for probe in health.waiting { output.toClients.append((probe.host, .probeResult(probeID: probe.probeID, healthy: ready))) }
        health.waiting.removeAll()
    }

    // MARK: - Compaction

    /// `--etcd-compaction-interval`: compact to the revision seen at the previous tick, so about one
    /// interval of history stays (upstream's compactor, minus its cross-apiserver `compact_rev_key`
    /// coordination: each apiserver compacts, and etcd refuses a revision already compacted).
    mutating func compactionTick(now: SimInstant, into output: inout ApiServerOutput) {
        if compactionCandidate > 0 {
            output.observations.append(.compactionRequested(revision: compactionCandidate))
            sendEtcd(.compact(revision: compactionCandidate), for: .compact(revision: compactionCandidate), into: &output)
        }
        compactionCandidate = cache.revision
        output.timers.append((config.compactionIntervalMs, .compaction(epoch: epoch)))
    }
}
