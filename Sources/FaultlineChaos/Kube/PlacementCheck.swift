import FaultlineCluster
import FaultlineSim

/// `pods.no-double-binding` and `nodes.no-overcommit`, from the objects etcd committed: what the
/// cluster really decided, whatever any component believed.
///
/// Invariant: `usage[node]` is the sum of the requests of the pods committed as bound to `node` and
/// not finished; it is updated on every committed pod change, so an overcommit is seen at the commit
/// that caused it.
struct PlacementCheck: Checker {
    let invariants: [InvariantID]
    /// Per node name: allocatable and the requests of its bound pods (lookups only).
    var allocatable: [String: ResourceList] = [:]
    var usage: [String: ResourceList] = [:]
    /// Per pod key: what it contributes now, and to which node.
    var contribution: [String: (node: String, requests: ResourceList)] = [:]
    /// Per pod uid: the node it was first bound to.
    var boundTo: [UInt64: String] = [:]
    var bindings = 0
    /// From the runtimes: requests of the running containers per node, and each container's share.
    var runningUsage: [String: ResourceList] = [:]
    var runningShare: [String: ResourceList] = [:]
    var runningViolations: Set<String> = []

    init(checked: [InvariantID]) {
        invariants = [InvariantName.podsNoDoubleBinding, InvariantName.nodesNoOvercommit].filter(checked.contains)
    }

    mutating func observe(_ observation: Observation, at time: SimInstant, into ledger: inout InvariantLedger) {
        guard case .worker(let worker) = observation, invariants.contains(InvariantName.nodesNoOvercommit) else { return }
        switch worker {
        case .containerStarted(let node, let pod, _, let requests):
            runningShare[node + " " + pod] = requests
            let used = (runningUsage[node] ?? .zero) + requests
            runningUsage[node] = used
            if let capacity = allocatable[node], !used.fits(in: capacity), runningViolations.insert(node).inserted {
                ledger.violate(InvariantName.nodesNoOvercommit, at: time,
                               "node \(node): running containers request \(used.milliCPU)m cpu, \(used.memoryBytes) bytes, \(used.pods) pods; allocatable \(capacity.milliCPU)m, \(capacity.memoryBytes) bytes, \(capacity.pods) pods")
            }
        case .containerStopped(let node, let pod, _, _, _):
            if let share = runningShare.removeValue(forKey: node + " " + pod) {
                runningUsage[node] = (runningUsage[node] ?? .zero) - share
                if let capacity = allocatable[node], runningUsage[node]!.fits(in: capacity) { runningViolations.remove(node) }
            }
        case .request, .runtimeStatus, .rulesProgrammed, .endpointsSeen, .kubeProxyStopped, .rulesCleared:
            break
        }
    }

    mutating func committed(_ change: CommittedObjects.Change, at time: SimInstant, into ledger: inout InvariantLedger) {
        switch change.after ?? change.before {
        case .node(let node):
            if change.after == nil {
                allocatable[node.metadata.name] = nil
            } else {
                allocatable[node.metadata.name] = node.status.allocatable
                checkNode(node.metadata.name, at: time, into: &ledger)
            }
        case .pod:
            pod(change, at: time, into: &ledger)
        case .namespace, .deployment, .replicaSet, .service, .endpointSlice, .lease, .clusterRole, .clusterRoleBinding, nil:
            break
        }
    }

    mutating func pod(_ change: CommittedObjects.Change, at time: SimInstant, into ledger: inout InvariantLedger) {
        let key = change.key
        if let old = contribution.removeValue(forKey: key) { usage[old.node] = (usage[old.node] ?? .zero) - old.requests }
        guard case .pod(let pod) = change.after else { return }
        guard let node = pod.spec.nodeName else { return }
        if let first = boundTo[pod.metadata.uid] {
            if first != node && invariants.contains(InvariantName.podsNoDoubleBinding) {
                ledger.violate(InvariantName.podsNoDoubleBinding, at: time, "pod \(pod.metadata.namespace)/\(pod.metadata.name) was bound to \(first), then to \(node)")
            }
        } else {
            boundTo[pod.metadata.uid] = node
            bindings += 1
        }
        guard pod.status.phase != .succeeded && pod.status.phase != .failed else { return }
        let requests = pod.spec.requests
        contribution[key] = (node, requests)
        usage[node] = (usage[node] ?? .zero) + requests
        checkNode(node, at: time, into: &ledger)
    }

    mutating func checkNode(_ node: String, at time: SimInstant, into ledger: inout InvariantLedger) {
        guard invariants.contains(InvariantName.nodesNoOvercommit), let capacity = allocatable[node], let used = usage[node] else { return }
        guard !used.fits(in: capacity) else { return }
        ledger.violate(InvariantName.nodesNoOvercommit, at: time,
                       "node \(node): bound pods request \(used.milliCPU)m cpu, \(used.memoryBytes) bytes, \(used.pods) pods; allocatable \(capacity.milliCPU)m, \(capacity.memoryBytes) bytes, \(capacity.pods) pods")
    }

    mutating func finish(_ end: RunEnd, into ledger: inout InvariantLedger) {
        ledger.note(InvariantName.podsNoDoubleBinding, "\(bindings) pods bound, each to one node")
        ledger.note(InvariantName.nodesNoOvercommit, "\(allocatable.count) nodes within allocatable at every commit")
    }
}
