import FaultlineCluster
import FaultlineSim

/// A typed invariant id: `<component>.<property>` in kebab case, with its kind and what it means.
/// The ids are declared once (`InvariantID.all`); scenario files, reports and checkers use these values.
public struct InvariantID: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let kind: InvariantKind
    public let summary: String

    public init(_ name: String, _ kind: InvariantKind, _ summary: String) {
        self.name = name
        self.kind = kind
        self.summary = summary
    }

    public var description: String { name }

    public static func == (lhs: InvariantID, rhs: InvariantID) -> Bool { lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}

/// What the run knows when it ends, for checkers' final verdicts.
public struct RunEnd {
    public let plan: RunPlan
    public let time: SimInstant
}

/// A checker decides one or more invariants from the model's observations. It never changes the model.
///
/// Safety checkers record a violation in the ledger at the simulated time of the observation that
/// revealed it; liveness checkers decide in `finish`. `sample` and `healed` let a checker follow
/// sampled cluster state and the fault phases.
protocol Checker {
    /// The invariants this checker decides; the runner declares them in the ledger before the run.
    var invariants: [InvariantID] { get }
    mutating func observe(_ observation: Observation, at time: SimInstant, into ledger: inout InvariantLedger)
    /// An object change etcd committed (the truth; see `CommittedObjects`).
    mutating func committed(_ change: CommittedObjects.Change, at time: SimInstant, into ledger: inout InvariantLedger)
    mutating func sample(_ probe: ClusterProbe, at time: SimInstant, into ledger: inout InvariantLedger)
    /// A fault healed at `time`.
    mutating func healed(at time: SimInstant)
    mutating func finish(_ end: RunEnd, into ledger: inout InvariantLedger)
}

extension Checker {
    mutating func committed(_ change: CommittedObjects.Change, at time: SimInstant, into ledger: inout InvariantLedger) {}
    mutating func sample(_ probe: ClusterProbe, at time: SimInstant, into ledger: inout InvariantLedger) {}
    mutating func healed(at time: SimInstant) {}
    mutating func finish(_ end: RunEnd, into ledger: inout InvariantLedger) {}
}

/// Cluster state the runner samples every `ChaosRun.sampleInterval` (read-only predicates over the
/// world), for recovery metrics and liveness checkers.
public struct ClusterProbe: Sendable {
    /// The etcd member that leads with a quorum behind it, if any.
    public var etcdLeader: Int?
    /// Whether a running kube-scheduler / kube-controller-manager believes it holds its lease.
    public var schedulerLeads = false
    public var controllerManagerLeads = false
    /// Apiservers the load balancer counts as up, out of how many.
    public var backendsUp = 0
    public var backends = 0
    /// From the committed objects: active pods not bound to a node, and Deployments whose rollout is
    /// not complete.
    public var unboundPods = 0
    public var incompleteDeployments = 0
    public var deployments = 0

    public init(etcdLeader: Int? = nil) {
        self.etcdLeader = etcdLeader
    }
}
