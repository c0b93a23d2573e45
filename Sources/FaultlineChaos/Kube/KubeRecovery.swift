import FaultlineCluster
import FaultlineSim

extension RecoveryPredicate {
    /// How the control plane's metrics are decided.
    static let kube: [RecoveryPredicate] = [
        RecoveryPredicate(metric: Metric.schedulerLeaderAcquired, sampled: { $0.schedulerLeads }),
        RecoveryPredicate(metric: Metric.controllerManagerLeaderAcquired, sampled: { $0.controllerManagerLeads }),
        RecoveryPredicate(metric: Metric.lbBackendRestored, observed: { observation, time in
            guard case .kube(.loadBalancerBackend(_, up: true)) = observation else { return nil }
            return (time, time)
        }),
        RecoveryPredicate(metric: Metric.lbBackendRemoved, observed: { observation, time in
            guard case .kube(.loadBalancerBackend(_, up: false)) = observation else { return nil }
            return (time, time)
        }),
        RecoveryPredicate(metric: Metric.podsBound, sampled: { $0.unboundPods == 0 }),
    ]
}

extension ClusterProbe {
    /// Samples the control plane's state (leaders, load-balancer backends).
    mutating func sampleKube<O>(_ world: ClusterWorld<O>, _ sim: ClusterSim) {
        guard let kube = world.kube else { return }
        schedulerLeads = kube.leader(of: .kubeScheduler, sim) != nil
        controllerManagerLeads = kube.leader(of: .kubeControllerManager, sim) != nil
        backends = kube.loadBalancer.backendHosts.count
        backendsUp = kube.loadBalancer.state.upCount
    }
}
