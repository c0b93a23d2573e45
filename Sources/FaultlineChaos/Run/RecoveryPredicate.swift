import FaultlineCluster
import FaultlineSim

/// How one recovery metric is decided: by a predicate over sampled cluster state, or by observations
/// that prove it (with the instant it held and the earliest fault it may count for).
public struct RecoveryPredicate: Sendable {
    public let metric: MetricID
    let sampled: (@Sendable (ClusterProbe) -> Bool)?
    let observed: (@Sendable (Observation, SimInstant) -> (at: SimInstant, notBefore: SimInstant)?)?

    init(metric: MetricID, sampled: @escaping @Sendable (ClusterProbe) -> Bool) {
        self.metric = metric
        self.sampled = sampled
        self.observed = nil
    }

    /// A metric derived by a component's own tracker (`WorkerMetrics`) from several sources.
    init(derivedMetric metric: MetricID) {
        self.metric = metric
        self.sampled = nil
        self.observed = nil
    }

    init(metric: MetricID, observed: @escaping @Sendable (Observation, SimInstant) -> (at: SimInstant, notBefore: SimInstant)?) {
        self.metric = metric
        self.sampled = nil
        self.observed = observed
    }

    /// Every registered predicate, by component; a metric without one is not measured yet.
    public static let all: [RecoveryPredicate] = etcd + kube + worker

    public static func measures(_ metric: MetricID) -> Bool { all.contains { $0.metric == metric } }
}

/// Builds the checkers of a run, component by component.
enum CheckerSet {
    static func make(_ plan: RunPlan) -> [any Checker] {
        etcd(plan, checked: plan.checkedInvariants) + kube(plan, checked: plan.checkedInvariants) + worker(plan, checked: plan.checkedInvariants)
    }
}
