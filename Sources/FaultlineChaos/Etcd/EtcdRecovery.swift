import FaultlineCluster
import FaultlineSim

extension RecoveryPredicate {
    /// How the etcd component's metrics are decided.
    static let etcd: [RecoveryPredicate] = [
        RecoveryPredicate(metric: Metric.etcdLeaderElected, sampled: { $0.etcdLeader != nil }),
        // Event-driven, not sampled: the step in which a candidate wins emits a Ready as leader (its
        // empty entry of the new term), so the time is exact to the nanosecond.
        RecoveryPredicate(metric: Metric.etcdLeaderWon, observed: { observation, time in
            guard case .etcd(.ready(_, let ready)) = observation, ready.softState.role == .leader else { return nil }
            return (time, time)
        }),
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
