/// The fault vocabulary (Chaos Mesh / LitmusChaos names where they have one), with what each does
/// and what heals it. `faultline list faults` prints it.
public enum FaultCatalog {
    public struct Entry: Sendable {
        public let name: String
        public let implemented: Bool
        public let summary: String
    }

    public static let entries: [Entry] = [
        Entry(name: "node-crash", implemented: true, summary: "The target master crashes: all its processes stop, volatile state is lost, what etcd fsynced survives. Heals by restarting it."),
        Entry(name: "etcd-member-crash", implemented: true, summary: "The etcd member on the target crashes (in the etcd model, the same as node-crash). Heals by restarting it."),
        Entry(name: "etcd-data-loss", implemented: true, summary: "The target crashes and restarts with an empty data directory (disk replaced). Unsafe in real etcd too: it can break Raft safety."),
        Entry(name: "etcd-data-rollback", implemented: true, summary: "The target crashes and restarts with its data directory as it was `rollback` earlier (a restored VM or disk snapshot, a lying write cache): it forgets votes, entries and commits. Unsafe in real etcd too."),
        Entry(name: "network-partition", implemented: true, summary: "Cuts links: mode isolate (target), split (groups), one-way (from -> to) or bridge (from | to, the rest reach both). Messages in flight are dropped on arrival. Heals by restoring the links."),
        Entry(name: "network-delay", implemented: true, summary: "Adds latency (uniform latency +/- jitter) to every message to or from the target. Heals by removing it."),
        Entry(name: "network-loss", implemented: true, summary: "Drops each message to or from the target with the given probability. Heals by removing it."),
        Entry(name: "fsync-stall", implemented: true, summary: "The target's disk completes no write until the fault heals (etcd issue 15247): Raft messages that wait on persistence wait too."),
        Entry(name: "process-pause", implemented: true, summary: "The target runs nothing (long GC pause, SIGSTOP, stalled VM); timers and messages wait and run, in order, at heal. Nothing is lost."),
        Entry(name: "time-skew", implemented: true, summary: "The target's wall clock jumps by offset and drifts by drift-ppm; timers run at the drifted rate. Heals by resetting the clock."),
        Entry(name: "pod-kill", implemented: false, summary: "Kills a pod's containers (needs the worker model)."),
        Entry(name: "kubelet-service-kill", implemented: false, summary: "Stops a worker's kubelet (needs the worker model)."),
        Entry(name: "container-runtime-kill", implemented: false, summary: "Kills a worker's container runtime (needs the worker model)."),
        Entry(name: "load-balancer-fault", implemented: false, summary: "Fails the load balancer in front of the apiservers (needs the apiserver model)."),
    ]

    public static var names: [String] { entries.map(\.name) }
    public static var implemented: [String] { entries.filter(\.implemented).map(\.name) }
}

/// The recovery metric vocabulary with descriptions (DESIGN.md §4).
public enum MetricCatalog {
    public static let entries: [(name: String, implemented: Bool, summary: String)] = [
        (Metric.etcdLeaderElected, true, "From injection until a running etcd member leads and has committed an entry of its term."),
        (Metric.apiAvailable, true, "From injection until a client write issued after the injection completes."),
        (Metric.schedulerLeaderAcquired, false, "From injection until a kube-scheduler holds its Lease."),
        (Metric.controllerManagerLeaderAcquired, false, "From injection until a kube-controller-manager holds its Lease."),
        (Metric.lbBackendRemoved, false, "From injection until the load balancer stops sending to a dead apiserver."),
        (Metric.nodeNotReady, false, "From injection until the node controller marks the node NotReady."),
        (Metric.podsEvicted, false, "From injection until the node's pods are evicted."),
        (Metric.podsRescheduled, false, "From injection until the evicted pods run elsewhere."),
        (Metric.deploymentAvailable, false, "From injection until every Deployment is Available again."),
        (Metric.serviceAvailable, false, "From injection until Service traffic succeeds again."),
    ]
    public static var names: [String] { entries.map(\.name) }
    public static var implemented: [String] { entries.filter(\.implemented).map(\.name) }
}

/// The invariant vocabulary with descriptions.
public enum InvariantCatalog {
    public static let entries: [(name: String, kind: InvariantKind, implemented: Bool, summary: String)] = [
        (InvariantName.electionSafety, .safety, true, "At most one Raft leader per term."),
        (InvariantName.logMatching, .safety, true, "An (index, term) pair names one entry on every member."),
        (InvariantName.leaderCompleteness, .safety, true, "A new leader holds every entry applied before its election."),
        (InvariantName.stateMachineSafety, .safety, true, "Every member applies the same entry at an index, across crashes."),
        (InvariantName.linearizable, .safety, true, "The client history of get / put / delete / cas is linearizable (checked per key)."),
        (InvariantName.converges, .liveness, true, "After the last heal, a leader is established and a write completes within the convergence bound."),
        (InvariantName.watchOrdered, .safety, true, "Watch events are ordered, without gaps or duplicates, never going back in time, and match the committed history (needs workload.etcdWatchers)."),
        (InvariantName.leaseTTL, .safety, true, "No lease is revoked before the TTL its holder's last acknowledged keepalive promised (needs workload.etcdLeaseHolders)."),
        ("leases.single-holder", .safety, false, "At most one active holder per leader-election Lease."),
        ("pods.no-double-binding", .safety, false, "No pod is bound to two nodes."),
        ("nodes.no-overcommit", .safety, false, "No node runs more than its allocatable resources."),
    ]
}
