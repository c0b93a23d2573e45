import FaultlineCluster
import FaultlineSim

extension RecoveryPredicate {
    /// How the etcd component's metrics are decided.
    static let etcd: [RecoveryPredicate] = [
        RecoveryPredicate(metric: Metric.etcdLeaderElected, sampled: { $0.etcdLeader != nil }),
        // A completed write proves the API is available to clients again: a quorum, a leader, a path.
        // Only a write issued after the fault counts (`notBefore`).
        // In a control-plane run the admin clients' API writes (through the load balancer) count too.
        RecoveryPredicate(metric: Metric.apiAvailable, observed: { observation, _ in
            let operation: ClientOperation
            switch observation {
            case .etcd(.operation(let etcdOperation)): operation = etcdOperation
            case .kube(.apiOperation(let apiOperation)): operation = apiOperation
            case .etcd, .kube, .worker: return nil
            }
            guard let returned = operation.returned, operation.kind != .get else { return nil }
            return (returned, operation.called)
        }),
    ]
}

extension ClusterProbe {
    /// Samples the etcd component's state.
    mutating func sampleEtcd<O>(_ world: ClusterWorld<O>, _ sim: ClusterSim) {
        etcdLeader = world.etcd.establishedLeader(in: sim)
    }
}
