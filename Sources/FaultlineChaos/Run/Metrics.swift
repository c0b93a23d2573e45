/// A typed recovery metric id: measured from a fault's injection to the first moment it holds.
public struct MetricID: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let summary: String

    public init(_ name: String, _ summary: String) {
        self.name = name
        self.summary = summary
    }

    public var description: String { name }
    public static func == (lhs: MetricID, rhs: MetricID) -> Bool { lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}

/// The recovery metric vocabulary: extend, never rename.
public enum Metric {
    public static let etcdLeaderElected = MetricID("etcd.leader-elected", "From injection until a running etcd member leads and has committed an entry of its term.")
    public static let etcdLeaderWon = MetricID("etcd.leader-won", "From injection until a candidate wins an election (what the Raft paper times): the first member step taken as leader; when the leader survives the fault, its next step as leader.")
    public static let apiAvailable = MetricID("api.available", "From injection until a client write issued after the injection completes.")
    public static let schedulerLeaderAcquired = MetricID("scheduler.leader-acquired", "From injection until a kube-scheduler holds its Lease.")
    public static let controllerManagerLeaderAcquired = MetricID("controller-manager.leader-acquired", "From injection until a kube-controller-manager holds its Lease.")
    public static let lbBackendRemoved = MetricID("lb.backend-removed", "From injection until the load balancer stops sending to a dead apiserver.")
    public static let lbBackendRestored = MetricID("lb.backend-restored", "From injection until the load balancer marks an apiserver up again (after it had been marked down).")
    public static let podsBound = MetricID("pods.bound", "From injection until every active pod is bound to a node (committed in etcd).")
    public static let nodeNotReady = MetricID("node.not-ready", "From injection until a node's Ready condition leaves True: the node controller's Unknown (lease not renewed) or the kubelet's False (runtime down).")
    public static let podsEvicted = MetricID("pods.evicted", "From injection until the taint eviction controller evicts a pod (its NoExecute toleration ran out).")
    public static let podsRescheduled = MetricID("pods.rescheduled", "From injection until the evicted pods run elsewhere: every Deployment complete with its replicas Ready and running, after the last eviction.")
    public static let deploymentAvailable = MetricID("deployment.available", "From injection until every Deployment is available again after being short: its rollout complete (as `kubectl rollout status` waits for) and its replicas Ready (committed) with running containers.")
    public static let serviceAvailable = MetricID("service.available", "From injection until Service traffic is served again after an outage: the first second in which at least 99% of all requests are served, after seconds below that.")
    public static let kubeletLeaseRenewed = MetricID("kubelet.lease-renewed", "From injection until a kubelet renews its node Lease again after missing renewals (more than 20 s without one).")

    /// Every metric, in catalog order (`RecoveryPredicate.measures` tells which are measured yet).
    public static let all: [MetricID] = [
        etcdLeaderElected, etcdLeaderWon, apiAvailable, schedulerLeaderAcquired, controllerManagerLeaderAcquired, lbBackendRemoved,
        lbBackendRestored, podsBound, nodeNotReady, podsEvicted, podsRescheduled, deploymentAvailable, serviceAvailable, kubeletLeaseRenewed,
    ]

    public static func named(_ name: String) -> MetricID? { all.first { $0.name == name } }
}
