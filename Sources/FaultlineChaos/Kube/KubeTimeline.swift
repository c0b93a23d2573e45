import FaultlineCluster
import FaultlineSim

extension TimelineEntry {
    /// The timeline entry a Kubernetes observation makes, if it is notable.
    static func kube(_ observation: KubeObservation, at time: SimInstant) -> TimelineEntry? {
        switch observation {
        case .loadBalancerBackend(let backend, let up):
            return TimelineEntry(at: time, kind: up ? "lb-backend-up" : "lb-backend-down",
                                 subject: ClusterLayout.host(ClusterLayout.masterName(backend), .kubeApiserver), detail: "")
        case .apiserverReadiness(let apiserver, let ready, let reason):
            return TimelineEntry(at: time, kind: ready ? "apiserver-ready" : "apiserver-not-ready",
                                 subject: ClusterLayout.host(ClusterLayout.masterName(apiserver), .kubeApiserver), detail: reason)
        case .leaderStarted(let lease, let identity):
            return TimelineEntry(at: time, kind: "lease-acquired", subject: identity, detail: lease)
        case .leaderStopped(let lease, let identity, let reason):
            return TimelineEntry(at: time, kind: "lease-lost", subject: identity, detail: "\(lease): \(reason)")
        case .podEvicted(let pod, let node):
            return TimelineEntry(at: time, kind: "pod-evicted", subject: pod, detail: node)
        case .zoneStateChanged(let zone, let state):
            return TimelineEntry(at: time, kind: "zone-state", subject: zone.isEmpty ? "(no zone)" : zone, detail: state)
        case .leaderAction, .apiOperation, .watchEventReceived, .relisted:
            return nil
        }
    }
}
