import FaultlineCluster
import FaultlineSim

/// `objects.resource-version-monotonic`: per watcher and resource, watch events arrive with
/// increasing resourceVersions, also across watches resumed from the last one seen; a relist resets.
struct ResourceVersionCheck: Checker {
    let invariants = [InvariantName.resourceVersionMonotonic]
    /// Per (watcher, resource): the highest resourceVersion seen (lookups only).
    var lastSeen: [String: Int64] = [:]
    var events = 0

    mutating func observe(_ observation: Observation, at time: SimInstant, into ledger: inout InvariantLedger) {
        guard case .kube(let kube) = observation else { return }
        switch kube {
        case .relisted(let watcher, let resource, let revision):
            lastSeen[watcher + " " + resource.rawValue] = revision
        case .watchEventReceived(let watcher, let resource, let revision, let resumedFrom):
            events += 1
            let key = watcher + " " + resource.rawValue
            let floor = max(lastSeen[key] ?? 0, resumedFrom)
            if revision <= floor {
                ledger.violate(InvariantName.resourceVersionMonotonic, at: time,
                               "\(watcher) received a \(resource.rawValue) event at resourceVersion \(revision) after seeing \(floor)")
            }
            lastSeen[key] = max(lastSeen[key] ?? 0, revision)
        case .loadBalancerBackend, .apiserverReadiness, .leaderStarted, .leaderStopped, .leaderAction, .apiOperation, .podEvicted, .zoneStateChanged:
            break
        }
    }

    mutating func finish(_ end: RunEnd, into ledger: inout InvariantLedger) {
        ledger.note(InvariantName.resourceVersionMonotonic, "\(events) watch events to \(lastSeen.count) watches, in order")
    }
}

/// `kube.converges` (liveness): after the last heal, every active pod is bound and every Deployment
/// completes its rollout within the convergence bound (sampled from the committed objects).
struct KubeConvergenceCheck: Checker {
    let invariants = [InvariantName.kubeConverges]
    var convergenceStart: SimInstant = .start
    var convergedAt: SimInstant?
    var lastProbe = ClusterProbe()

    mutating func observe(_ observation: Observation, at time: SimInstant, into ledger: inout InvariantLedger) {}

    mutating func sample(_ probe: ClusterProbe, at time: SimInstant, into ledger: inout InvariantLedger) {
        lastProbe = probe
        if probe.unboundPods == 0 && probe.incompleteDeployments == 0 {
            if convergedAt == nil { convergedAt = time }
        } else {
            convergedAt = nil
        }
    }

    mutating func healed(at time: SimInstant) {
        convergenceStart = time
        convergedAt = nil
    }

    mutating func finish(_ end: RunEnd, into ledger: inout InvariantLedger) {
        let name = InvariantName.kubeConverges
        let bound = end.plan.convergenceBound
        // An admin action (scale, new image, ...) perturbs the cluster like a fault: the clock restarts
        // at the last one too.
        let lastAction = end.plan.cluster.controlPlane?.actions.last.map { SimInstant.start + $0.at } ?? .start
        convergenceStart = max(convergenceStart, lastAction)
        let deadline = convergenceStart + bound
        if let convergedAt, convergedAt <= deadline, convergedAt >= convergenceStart || lastProbe.unboundPods == 0 {
            ledger.note(name, "\(lastProbe.deployments) Deployment(s) complete and every pod bound \(max(.zero, convergedAt - convergenceStart)) after the last heal at \(convergenceStart)")
            return
        }
        guard end.time >= deadline else {
            ledger.note(name, "inconclusive: the run ended \(end.time - convergenceStart) after the last heal, before the \(bound) bound")
            return
        }
        ledger.violate(name, at: deadline, "not converged within \(bound) of the last heal at \(convergenceStart): \(lastProbe.unboundPods) pod(s) unbound, \(lastProbe.incompleteDeployments) of \(lastProbe.deployments) Deployment(s) incomplete")
    }
}
