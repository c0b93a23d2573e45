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
    public var clients: Int = 0
    /// How many objects they read and write.
    public var objects: Int = 4
    public var thinkTime: SimDuration = .milliseconds(200)
    public var requestTimeout: SimDuration = .seconds(10)
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
