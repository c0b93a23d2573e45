/// The invariant vocabulary: every invariant any checker decides, declared once. Extend it, never
/// rename (reports and CI configurations name these).
public enum InvariantName {
    public static let electionSafety = InvariantID("raft.election-safety", .safety, "At most one Raft leader per term.")
    public static let logMatching = InvariantID("raft.log-matching", .safety, "An (index, term) pair names one entry on every member.")
    public static let leaderCompleteness = InvariantID("raft.leader-completeness", .safety, "A new leader holds every entry applied before its election.")
    public static let stateMachineSafety = InvariantID("raft.state-machine-safety", .safety, "Every member applies the same entry at an index, across crashes.")
    public static let persistBeforeSend = InvariantID("raft.persist-before-send", .safety, "On every restart, a member's durable term, vote and log cover every vote it granted and every append it acknowledged before the crash.")
    public static let commitRule = InvariantID("raft.commit-rule", .safety, "A leader advances its commit index by counting replicas only to an entry of its own term (Raft §5.4.2).")
    public static let linearizable = InvariantID("etcd.linearizable", .safety, "The client history of get / put / delete / cas is linearizable (checked per key).")
    public static let watchOrdered = InvariantID("etcd.watch-ordered", .safety, "Watch events are ordered, without gaps or duplicates, never going back in time, and match the committed history (needs workload.etcdWatchers).")
    public static let leaseTTL = InvariantID("etcd.lease-ttl", .safety, "No lease is revoked before the TTL its holder's last acknowledged keepalive promised (needs workload.etcdLeaseHolders).")
    public static let converges = InvariantID("etcd.converges", .liveness, "After the last heal, a leader is established and a write completes within the convergence bound.")
    /// Reported when an engine bound is exceeded (the run could not go on).
    public static let engineBounded = InvariantID("engine.bounded", .safety, "No engine queue or host limit was exceeded.")

    /// Safety invariants of the etcd model, in report order (checked when a scenario names none).
    public static let etcdSafety = [electionSafety, logMatching, leaderCompleteness, stateMachineSafety, persistBeforeSend, commitRule, linearizable]

    /// Every invariant a scenario may name, in catalog order.
    public static let all: [InvariantID] = etcdSafety + [converges, watchOrdered, leaseTTL] + controlPlaneSafety + [kubeConverges] + workerSafety + [servicesServedAfterHeal]

    /// Named in the vocabulary but not decided by any checker yet.
    public static let planned: [InvariantID] = []

    /// The id named `name`, if a checker decides it.
    public static func named(_ name: String) -> InvariantID? { all.first { $0.name == name } }
}

extension InvariantName {
    public static let leasesSingleHolder = InvariantID("leases.single-holder", .safety, "At most one process at a time believes it holds a leader-election Lease (kube-scheduler, kube-controller-manager); the detail gives the overlap.")
    public static let leaderActsOnlyWhileLeading = InvariantID("leader.acts-only-while-leading", .safety, "A leader-elected process sends no write after it stopped leading or past its renew deadline on its own clock.")
    public static let podsNoDoubleBinding = InvariantID("pods.no-double-binding", .safety, "A pod, once bound to a node, is never bound to another (from the objects etcd committed).")
    public static let nodesNoOvercommit = InvariantID("nodes.no-overcommit", .safety, "Neither the pods bound to a node (from the objects etcd committed) nor the pods whose containers run on it (from its runtime) request more cpu, memory or pods than its allocatable.")
    public static let apiLinearizable = InvariantID("api.linearizable", .safety, "The admin clients' history of reads and writes through the API (via the load balancer) is linearizable.")
    public static let resourceVersionMonotonic = InvariantID("objects.resource-version-monotonic", .safety, "Every watcher receives events with increasing resourceVersions, across resumed watches (a relist starts afresh).")
    public static let kubeConverges = InvariantID("kube.converges", .liveness, "After the last heal, every pod is bound and every Deployment's rollout completes within the convergence bound.")

    /// The control plane's safety invariants, in report order.
    public static let controlPlaneSafety = [leasesSingleHolder, leaderActsOnlyWhileLeading, podsNoDoubleBinding, nodesNoOvercommit,
                                            apiLinearizable, resourceVersionMonotonic]
}
