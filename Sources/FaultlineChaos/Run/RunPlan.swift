import FaultlineCluster
import FaultlineSim

/// Which host(s) a fault hits, resolved at the moment of injection.
public enum FaultTarget: Sendable, Hashable, CustomStringConvertible {
    /// A host by name (`master-2`).
    case named(String)
    /// The master whose etcd member leads at injection time. With no leader (an election under way,
    /// quorum lost) the fault is skipped: recorded with the reason "no etcd leader", nothing injected,
    /// no recovery measured.
    case etcdLeader
    /// A random member that is not the leader.
    case etcdFollower
    /// The master whose etcd member won its election at most one election timeout ago and still leads
    /// (a fault right after a leader change); skipped when there is none.
    case etcdNewLeader
    /// A master whose etcd member campaigns now (candidate, or pre-candidate with pre-vote); skipped
    /// when none does.
    case etcdCandidate
    /// A random master.
    case randomMaster
    /// `count` distinct random masters (e.g. quorum loss: 2 of 3).
    case randomMasters(count: Int)
    /// The master whose kube-scheduler leads (holds its lease and runs) at injection time; a random
    /// master when none leads (as `etcdLeader` does).
    case schedulerLeader
    /// The master whose kube-controller-manager leads at injection time; a random master when none leads.
    case controllerManagerLeader
    /// A random worker node.
    case randomWorker
    /// Every worker of a zone (`zone:<name>`).
    case zone(String)
    /// A worker running a pod whose name is `<prefix>` or starts with `<prefix>-` (`node-running:<prefix>`);
    /// a random one when several do; a random worker when none does.
    case nodeRunning(String)

    public var description: String {
        switch self {
        case .named(let name): return name
        case .etcdLeader: return "etcd-leader"
        case .etcdFollower: return "etcd-follower"
        case .etcdNewLeader: return "etcd-new-leader"
        case .etcdCandidate: return "etcd-candidate"
        case .randomMaster: return "random-master"
        case .randomMasters(let count): return "random-masters(\(count))"
        case .schedulerLeader: return "scheduler-leader"
        case .controllerManagerLeader: return "controller-manager-leader"
        case .randomWorker: return "random-worker"
        case .zone(let zone): return "zone:\(zone)"
        case .nodeRunning(let pod): return "node-running:\(pod)"
        }
    }
}

/// How a network partition divides the hosts.
public enum PartitionShape: Sendable, Hashable {
    /// The target(s) cannot reach anyone and nobody reaches them.
    case isolate(FaultTarget)
    /// The target master and `companions` other random masters are cut off from the remaining masters
    /// (a minority: fewer than half); everything else (clients, load balancer, workers) still reaches
    /// both sides, so a deposed leader stays reachable by the clients that use it.
    case minority(FaultTarget, companions: Int)
    /// Groups of named hosts that cannot reach each other.
    case split([[String]])
    /// Messages from `from` to `to` are dropped; the reverse direction works.
    case oneWay(from: [String], to: [String])
    /// Two sides that cannot talk to each other but both reach the hosts in the middle (Jepsen's bridge).
    case bridge(left: [String], right: [String])
}

/// What a fault does while it is active. Each heals by undoing exactly what it did.
public enum FaultEffect: Sendable, Hashable {
    /// `node-crash`: every process of the machine crashes (volatile state lost); all restart at heal.
    case crash(FaultTarget)
    /// `etcd-member-crash`: one process of the target master stops (crashes) and stays down until heal.
    case processStop(FaultTarget, ClusterProcess)
    /// `apiserver-kill`, `scheduler-kill`, `controller-manager-kill`: the process is killed; the master's
    /// kubelet restarts it after its crash-loop back-off. Instantaneous: nothing to heal.
    case processKill(FaultTarget, ClusterProcess)
    /// `etcd-data-loss`: the host crashes and restarts at heal with an EMPTY data directory.
    case dataLoss(FaultTarget)
    /// `etcd-data-rollback`: the host crashes and restarts at heal with its data directory as it was
    /// `by` earlier than the injection (a VM or disk snapshot restored, a lost write-back cache).
    case dataRollback(FaultTarget, by: SimDuration)
    /// `network-partition`.
    case partition(PartitionShape)
    /// `network-delay`: extra latency (mean `latency`, uniform jitter ±`jitter`) on every link to and from the target.
    case delay(FaultTarget, latency: SimDuration, jitter: SimDuration)
    /// `network-loss`: extra independent loss on every link to and from the target.
    case loss(FaultTarget, probability: Double)
    /// `fsync-stall`: the target's storage completes nothing until the fault heals (etcd issue 15247).
    case fsyncStall(FaultTarget)
    /// `process-pause`: the target runs nothing until the fault heals (a long GC pause / SIGSTOP).
    case pause(FaultTarget)
    /// `time-skew`: the target's wall clock jumps by `offset` and drifts by `driftPpm` until heal.
    case timeSkew(FaultTarget, offset: SimDuration, driftPpm: Int64)
    /// `container-kill`: the container of a running pod whose name matches `pod` (prefix) on the
    /// target exits with 137; its kubelet restarts it (CrashLoopBackOff). Instantaneous.
    case containerKill(FaultTarget, pod: String)
    /// `pod-kill`: a running pod whose name matches `pod` on the target is force-deleted through the
    /// API (grace period 0, as Chaos Mesh does); its controller replaces it. Instantaneous.
    case podKill(FaultTarget, pod: String)

    /// The Chaos Mesh / LitmusChaos-style name.
    public var kindName: String {
        switch self {
        case .crash: return "node-crash"
        case .processStop: return "etcd-member-crash"
        case .processKill(_, let process): return process.killFaultName
        case .dataLoss: return "etcd-data-loss"
        case .dataRollback: return "etcd-data-rollback"
        case .partition: return "network-partition"
        case .delay: return "network-delay"
        case .loss: return "network-loss"
        case .fsyncStall: return "fsync-stall"
        case .pause: return "process-pause"
        case .timeSkew: return "time-skew"
        case .containerKill: return "container-kill"
        case .podKill: return "pod-kill"
        }
    }
}

/// A scheduled fault: injected at `at`, healed after `duration` (nil: never healed by the schedule;
/// the liveness phase still heals everything).
public struct PlannedFault: Sendable, Hashable {
    public var effect: FaultEffect
    public var at: SimDuration
    public var duration: SimDuration?
    /// The name the scenario gave the fault kind (e.g. `etcd-member-crash`), for reports.
    public var kindName: String
    /// `at: {time: T, jitter: J}`: each seed injects at a uniform instant in [at, at + jitter), drawn
    /// from the fault's own stream (`FaultSchedule.drawJitter`); zero: exactly at `at`.
    public var jitter: SimDuration

    public init(effect: FaultEffect, at: SimDuration, duration: SimDuration?, kindName: String? = nil, jitter: SimDuration = .zero) {
        self.effect = effect
        self.at = at
        self.duration = duration
        self.kindName = kindName ?? effect.kindName
        self.jitter = jitter
    }
}

/// A seeded random fault generator (a nemesis), active during the safety phase only.
public struct NemesisPlan: Sendable, Hashable {
    /// Fault kinds to draw from: any kind `FaultKind.nemesisNames` lists (those with a draw).
    public var kinds: [String]
    public var meanInterval: SimDuration
    public var maxConcurrent: Int
    /// Fault durations are drawn uniformly in this range.
    public var minDuration: SimDuration = .seconds(5)
    public var maxDuration: SimDuration = .seconds(30)
    /// Faults start only before this instant; everything heals at its end.
    public var safetyPhase: SimDuration

    public init(kinds: [String], meanInterval: SimDuration, maxConcurrent: Int, safetyPhase: SimDuration) {
        self.kinds = kinds
        self.meanInterval = meanInterval
        self.maxConcurrent = maxConcurrent
        self.safetyPhase = safetyPhase
    }
}

/// A bound on a recovery metric: each fault's recovery must take at most `within`.
public struct RecoveryExpectation: Sendable, Hashable {
    public var metric: MetricID
    public var within: SimDuration
    public init(metric: MetricID, within: SimDuration) {
        self.metric = metric
        self.within = within
    }
}

/// Everything needed to run one scenario for one seed, resolved from the scenario file.
public struct RunPlan: Sendable {
    public var name: String
    public var path: String
    public var duration: SimDuration
    /// The cluster: its layout and every component's settings.
    public var cluster: ClusterSpec
    public var link: LinkConfig
    public var faults: [PlannedFault]
    public var nemesis: NemesisPlan?
    /// Invariants to check; empty means the default set for the cluster (see `checkedInvariants`).
    public var invariants: [InvariantID]
    public var expectations: [RecoveryExpectation]
    /// After the last heal, the cluster must have an established leader and complete a write within this.
    public var convergenceBound: SimDuration
    /// Recovery metrics measured for every fault (expectations add theirs).
    public var measuredMetrics: [MetricID]

    public init(name: String, path: String = "", duration: SimDuration = .minutes(2), memberCount: Int = 3) {
        self.name = name
        self.path = path
        self.duration = duration
        self.cluster = ClusterSpec(layout: ClusterLayout(masters: memberCount, workload: ClientWorkload()), etcdFlags: EtcdFlags(),
                                   etcdWorkload: ClientWorkload(), storageLatency: .uniform(min: .microseconds(500), max: .milliseconds(3)))
        self.link = LinkConfig()
        self.faults = []
        self.nemesis = nil
        self.invariants = []
        self.expectations = []
        self.convergenceBound = .seconds(30)
        self.measuredMetrics = [Metric.etcdLeaderElected, Metric.etcdLeaderWon, Metric.apiAvailable]
    }

    /// Masters (= etcd members).
    public var memberCount: Int {
        get { cluster.layout.masters }
        set { cluster.layout.masters = newValue }
    }

    public var flags: EtcdFlags {
        get { cluster.etcdFlags }
        set { cluster.etcdFlags = newValue }
    }

    /// The etcd test workload; setting it also sizes the layout's client hosts.
    public var workload: ClientWorkload {
        get { cluster.etcdWorkload }
        set {
            cluster.etcdWorkload = newValue
            cluster.layout.etcdClients = newValue.clients
            cluster.layout.etcdWatchers = newValue.watchers
            cluster.layout.etcdLeaseHolders = newValue.leaseHolders
        }
    }

    public var storageLatency: LatencyDistribution {
        get { cluster.storageLatency }
        set { cluster.storageLatency = newValue }
    }

    /// The invariants a run checks: the scenario's list, or every safety invariant that applies.
    public var checkedInvariants: [InvariantID] {
        guard invariants.isEmpty else { return invariants }
        // etcd.linearizable judges the etcd test clients' history: without clients there is none.
        let etcd = InvariantName.etcdSafety.filter { $0 != InvariantName.linearizable || workload.clients > 0 }
        return etcd + (workload.watchers > 0 ? [InvariantName.watchOrdered] : [])
            + (workload.leaseHolders > 0 ? [InvariantName.leaseTTL] : [])
            + (cluster.layout.controlPlane ? InvariantName.controlPlaneSafety : [])
            + (cluster.layout.nodeNames.isEmpty ? [] : InvariantName.workerSafety)
    }
}
