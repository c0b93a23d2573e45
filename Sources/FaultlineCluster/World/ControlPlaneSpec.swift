import FaultlineSim

/// kube-scheduler's flags and profile settings the model uses.
public struct SchedulerFlags: Sendable, Hashable {
    public enum Scoring: String, Sendable, Hashable, CaseIterable {
        /// `NodeResourcesFit` with `LeastAllocated` (the default profile): spread.
        case leastAllocated = "LeastAllocated"
        /// `MostAllocated`: bin packing.
        case mostAllocated = "MostAllocated"
    }
    public var scoring: Scoring = .leastAllocated
    /// `podInitialBackoffSeconds` 1 and `podMaxBackoffSeconds` 10 (KubeSchedulerConfiguration defaults).
    public var podInitialBackoffMs: Int64 = 1_000
    public var podMaxBackoffMs: Int64 = 10_000
    public init() {}
}

/// client-go leader election settings (`--leader-elect-lease-duration` 15 s,
/// `--leader-elect-renew-deadline` 10 s, `--leader-elect-retry-period` 2 s), for the scheduler and the
/// controller-manager alike.
public struct LeaderElectionFlags: Sendable, Hashable {
    public var leaseDurationMs: Int64 = 15_000
    public var renewDeadlineMs: Int64 = 10_000
    public var retryPeriodMs: Int64 = 2_000
    public var bugs: LeaderElectionBugs = []
    public init() {}
}

/// One thing an admin does through the API at a point of the run (`kubectl apply`, `scale`,
/// `set image`, `rollout undo`, `delete`).
public enum AdminAction: Sendable, Hashable {
    case apply(KubeObject)
    case scale(namespace: String, name: String, replicas: Int)
    case setImage(namespace: String, name: String, container: String, image: String)
    /// `kubectl rollout undo`: back to the previous revision.
    case rollback(namespace: String, name: String)
    case delete(ResourceKind, namespace: String, name: String)
}

/// The background API load of the admin clients: closed-loop reads and writes of a few objects,
/// checked for linearizability (`api.linearizable`).
public struct ApiLoad: Sendable, Hashable {
    /// The share of the load's calls that are writes (unconditional Lease updates); the rest are reads.
    public static let writeFraction = 0.5
    public var clients: Int = 0
    /// How many objects they read and write.
    public var objects: Int = 4
    public var thinkTime: SimDuration = .milliseconds(200)
    public var requestTimeout: SimDuration = .seconds(10)
    public init() {}
}

/// kube-controller-manager's node lifecycle flags (Kubernetes 1.34 defaults): `--node-monitor-period`
/// 5 s, `--node-monitor-grace-period` 50 s, `--node-startup-grace-period` 60 s,
/// `--node-eviction-rate` 0.1 nodes/s, `--secondary-node-eviction-rate` 0.01 nodes/s,
/// `--unhealthy-zone-threshold` 0.55 and `--large-cluster-size-threshold` 50 nodes.
///
/// Invariants the scenario reader enforces: rates >= 0, threshold in (0, 1], each grace period longer
/// than the monitor period.
public struct NodeLifecycleFlags: Sendable, Hashable {
    public var nodeMonitorPeriodMs: Int64 = 5_000
    public var nodeMonitorGracePeriodMs: Int64 = 50_000
    public var nodeStartupGracePeriodMs: Int64 = 60_000
    /// NoExecute taints per second in a healthy (or fully disrupted, while another zone is not) zone.
    public var nodeEvictionRatePerSecond: Double = 0.1
    /// NoExecute taints per second in a partially disrupted zone larger than `largeClusterSizeThreshold`.
    public var secondaryNodeEvictionRatePerSecond: Double = 0.01
    /// The fraction of not-Ready nodes (with more than 2 of them) at which a zone is partially disrupted.
    public var unhealthyZoneThreshold: Double = 0.55
    /// Zones with at most this many nodes stop tainting when partially disrupted.
    public var largeClusterSizeThreshold: Int = 50
    public var bugs: NodeLifecycleBugs = []
    public init() {}
}

/// The Kubernetes control plane of a cluster (kubeadm's stacked-etcd HA layout) and what runs on it.
public struct ControlPlaneSpec: Sendable {
    /// kube-apiserver `--etcd-servers`: the local member only (kubeadm's default) or every member.
    public var apiserverUsesAllEtcdMembers = false
    public var apiserverBugs: ApiServerBugs = []
    /// The scheduler and controller-manager reach their local apiserver (kubeadm's kubeconfigs) unless
    /// this routes them through the load balancer.
    public var componentsUseLoadBalancer = false
    public var loadBalancer: LoadBalancerConfig
    public var leaderElection = LeaderElectionFlags()
    public var scheduler = SchedulerFlags()
    public var schedulerBugs: SchedulerBugs = []
    /// kube-controller-manager's node lifecycle and taint eviction settings.
    public var nodeLifecycle = NodeLifecycleFlags()
    /// Objects in the cluster from the start: Nodes declared by the scenario (until kubelets register
    /// them), Deployments and Services from its manifests.
    public var nodes: [Node] = []
    public var workloads: [KubeObject] = []
    public var actions: [(at: SimDuration, action: AdminAction)] = []
    /// How long a pod takes from binding to Ready on a declared node (image pull and start).
    public var podStartLatency: LatencyDistribution = .uniform(min: .seconds(1), max: .seconds(4))

    public init(masters: Int) {
        loadBalancer = LoadBalancerConfig(backendCount: masters)
    }
}
