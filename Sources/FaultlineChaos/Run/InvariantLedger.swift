import Collections
import FaultlineSim

/// Collects invariant outcomes during a run, in declaration order.
///
/// Invariants: every reported violation names a declared invariant (reporting an undeclared one is a
/// programmer error); the detail and time of the FIRST violation are kept, later ones only counted.
public struct InvariantLedger: Sendable {
    private var outcomes: OrderedDictionary<String, InvariantOutcome> = [:]

    public init() {}

    /// Declares an invariant this run checks; declaring twice keeps the first declaration.
    public mutating func declare(_ id: InvariantID) {
        if outcomes[id.name] == nil { outcomes[id.name] = InvariantOutcome(name: id.name, kind: id.kind) }
    }

    public func isDeclared(_ id: InvariantID) -> Bool { outcomes[id.name] != nil }

    /// Records a violation of `name` at `time`.
    /// - Precondition: `name` was declared.
    public mutating func violate(_ id: InvariantID, at time: SimInstant, _ detail: @autoclosure () -> String) {
        let name = id.name
        guard var outcome = outcomes[name] else { preconditionFailure("violation of undeclared invariant \(name)") }
        outcome.violations += 1
        if outcome.firstViolationAt == nil {
            outcome.firstViolationAt = time
            outcome.detail = detail()
        }
        outcomes[name] = outcome
    }

    /// Sets the detail of an invariant that held (e.g. "checked 12,000 operations").
    public mutating func note(_ id: InvariantID, _ detail: String) {
        guard var outcome = outcomes[id.name], outcome.holds else { return }
        outcome.detail = detail
        outcomes[id.name] = outcome
    }

    public var all: [InvariantOutcome] { Array(outcomes.values) }
    public var hasSafetyViolation: Bool { outcomes.values.contains { $0.kind == .safety && !$0.holds } }
}

/// Measures recovery times: from each fault's injection to the first moment each armed metric holds.
///
/// A metric is armed per fault; `satisfy` completes every armed (fault, metric) pair whose fault was
/// injected no later than `notBefore`, so an event that started before a fault (a request issued
/// before the crash) cannot count as recovery from it. Each pair completes at most once.
public struct RecoveryTracker: Sendable {
    /// The fault id under which the initial election is measured (from the start of the run).
    public static let bootstrap = "bootstrap"

    struct Armed {
        let faultID: String
        let metric: MetricID
        let injectedAt: SimInstant
    }

    /// A completed recovery and the injection it is measured from.
    struct Measured {
        let recovery: Recovery
        let injectedAt: SimInstant
    }

    private var armed: [Armed] = []
    /// Completed recoveries, in completion order.
    private(set) var measured: [Measured] = []
    public var recoveries: [Recovery] { measured.map(\.recovery) }

    public init() {}

    public mutating func arm(faultID: String, metric: MetricID, injectedAt: SimInstant) {
        armed.append(Armed(faultID: faultID, metric: metric, injectedAt: injectedAt))
    }

    /// True when some fault still waits for `metric` (lets callers skip computing a predicate).
    public func isWaiting(for metric: MetricID) -> Bool { armed.contains { $0.metric == metric } }

    /// `metric` holds at `time`, for faults injected at or before `notBefore` (defaults to `time`).
    public mutating func satisfy(_ metric: MetricID, at time: SimInstant, notBefore: SimInstant? = nil) {
        let cutoff = notBefore ?? time
        var remaining: [Armed] = []
        remaining.reserveCapacity(armed.count)
        for entry in armed {
            if entry.metric == metric && entry.injectedAt <= cutoff {
                measured.append(Measured(recovery: Recovery(faultID: entry.faultID, metric: metric.name, duration: time - entry.injectedAt), injectedAt: entry.injectedAt))
            } else {
                remaining.append(entry)
            }
        }
        armed = remaining
    }

    /// Completes every pair still armed for `metric` with a duration of zero: for metrics measured as
    /// the end of a disruption (`deployment.available`), a fault after which no disruption began and
    /// that ends with the condition holding did not disturb it. Called once, at the end of a run.
    public mutating func satisfyUndisturbed(_ metric: MetricID) {
        let undisturbed = armed.filter { $0.metric == metric }
        guard !undisturbed.isEmpty else { return }
        armed.removeAll { $0.metric == metric }
        for entry in undisturbed {
            measured.append(Measured(recovery: Recovery(faultID: entry.faultID, metric: metric.name, duration: .zero), injectedAt: entry.injectedAt))
        }
    }

    /// The (fault, metric) pairs that never recovered by the end of the run.
    public var unrecovered: [(faultID: String, metric: String, injectedAt: SimInstant)] {
        armed.map { ($0.faultID, $0.metric.name, $0.injectedAt) }
    }
}
