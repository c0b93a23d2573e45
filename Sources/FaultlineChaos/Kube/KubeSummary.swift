import FaultlineCluster
import FaultlineSim

/// Counts over the committed objects that sampled predicates read in O(1): active pods not bound to
/// a node, and Deployments whose rollout is not complete.
///
/// Invariant: `unbound` and `incomplete` hold exactly the keys whose last committed object is an
/// unbound active pod, respectively an incomplete Deployment.
struct KubeSummary {
    var unbound: Set<String> = []
    var incomplete: Set<String> = []
    var deployments = 0

    mutating func apply(_ change: CommittedObjects.Change) {
        switch change.after ?? change.before {
        case .pod:
            if case .pod(let pod) = change.after, pod.spec.nodeName == nil, pod.metadata.deletionTimestamp == nil {
                unbound.insert(change.key)
            } else {
                unbound.remove(change.key)
            }
        case .deployment:
            if change.before == nil { deployments += 1 }
            if change.after == nil { deployments -= 1 }
            if case .deployment(let deployment) = change.after, !deployment.isComplete {
                incomplete.insert(change.key)
            } else {
                incomplete.remove(change.key)
            }
        case .namespace, .node, .replicaSet, .service, .endpointSlice, .lease, .clusterRole, .clusterRoleBinding, nil:
            break
        }
    }

    func fill(_ probe: inout ClusterProbe) {
        probe.unboundPods = unbound.count
        probe.incompleteDeployments = incomplete.count
        probe.deployments = deployments
    }
}

extension CheckerSet {
    /// The control plane's checkers for the invariants `plan` checks.
    static func kube(_ plan: RunPlan, checked: [InvariantID]) -> [any Checker] {
        guard plan.cluster.layout.controlPlane else { return [] }
        var checkers: [any Checker] = []
        let placement = PlacementCheck(checked: checked)
        if !placement.invariants.isEmpty { checkers.append(placement) }
        if checked.contains(InvariantName.leasesSingleHolder) { checkers.append(SingleHolderCheck()) }
        if checked.contains(InvariantName.leaderActsOnlyWhileLeading) { checkers.append(LeaderActsCheck()) }
        if checked.contains(InvariantName.apiLinearizable) { checkers.append(LinearizableCheck.api(clients: plan.cluster.apiLoad.clients)) }
        if checked.contains(InvariantName.resourceVersionMonotonic) { checkers.append(ResourceVersionCheck()) }
        checkers.append(KubeConvergenceCheck())
        return checkers
    }
}
