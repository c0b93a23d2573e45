import FaultlineCluster
import FaultlineSim

/// Whether an invariant must hold at every instant or must become true after faults heal.
public enum InvariantKind: String, Sendable, Codable {
    /// Checked as events happen; the first violation is reported with its simulated time.
    case safety
    /// Checked after heal: the cluster must converge within a bound.
    case liveness
}

/// The verdict of one run, ordered by severity: a safety violation outranks a missed liveness bound.
/// Maps to the exit codes: 0 pass, 1 safety, 3 liveness.
public enum Verdict: String, Sendable, Codable, Comparable {
    case pass
    case liveness
    case safety

    public var exitCode: Int32 {
        switch self {
        case .pass: return 0
        case .safety: return 1
        case .liveness: return 3
        }
    }

    var severity: Int {
        switch self {
        case .pass: return 0
        case .liveness: return 1
        case .safety: return 2
        }
    }

    public static func < (lhs: Verdict, rhs: Verdict) -> Bool { lhs.severity < rhs.severity }
}

/// The outcome of one invariant in one run.
///
/// Invariant: `holds == (violations == 0)`; `firstViolationAt` is set exactly when a violation was seen.
public struct InvariantOutcome: Sendable, Equatable {
    public var name: String
    public var kind: InvariantKind
    public var violations: Int
    public var firstViolationAt: SimInstant?
    public var detail: String

    public var holds: Bool { violations == 0 }

    public init(name: String, kind: InvariantKind, violations: Int = 0, firstViolationAt: SimInstant? = nil, detail: String = "") {
        self.name = name
        self.kind = kind
        self.violations = violations
        self.firstViolationAt = firstViolationAt
        self.detail = detail
    }
}

/// One fault as injected.
public struct InjectedFault: Sendable, Equatable {
    /// Stable id within the run: `f1`, `f2`, ... in injection order.
    public var id: String
    public var kind: String
    /// The resolved target(s), e.g. `master-2` or `master-1,master-2|master-3`.
    public var target: String
    public var injectedAt: SimInstant
    public var healedAt: SimInstant?
    /// Why the fault was skipped at `injectedAt` instead of injected (`no etcd leader`, or an active
    /// fault already holds its machine); nil when it was injected. A skipped fault did nothing, is
    /// never healed and has no recoveries.
    public var skipped: String?

    public init(id: String, kind: String, target: String, injectedAt: SimInstant, healedAt: SimInstant? = nil, skipped: String? = nil) {
        self.id = id
        self.kind = kind
        self.target = target
        self.injectedAt = injectedAt
        self.healedAt = healedAt
        self.skipped = skipped
    }
}

/// One recovery measurement: how long after `fault` was injected `metric` first held.
public struct Recovery: Sendable, Equatable {
    public var faultID: String
    public var metric: String
    public var duration: SimDuration
    public init(faultID: String, metric: String, duration: SimDuration) {
        self.faultID = faultID
        self.metric = metric
        self.duration = duration
    }
}

/// A notable event for the report timeline (leader changes, faults, node conditions, pod moves).
public struct TimelineEntry: Sendable, Equatable {
    public var at: SimInstant
    public var kind: String
    public var subject: String
    public var detail: String
    public init(at: SimInstant, kind: String, subject: String, detail: String) {
        self.at = at
        self.kind = kind
        self.subject = subject
        self.detail = detail
    }
}

/// Everything one seeded run of a scenario produced.
public struct RunResult: Sendable {
    public var scenario: String
    public var scenarioPath: String
    public var seed: UInt64
    public var traceHash: UInt64
    public var events: Int
    public var simulated: SimDuration
    public var invariants: [InvariantOutcome]
    public var faults: [InjectedFault]
    public var recoveries: [Recovery]
    public var timeline: [TimelineEntry]
    /// Service traffic per second of send time and Service (runs with traffic only).
    public var traffic: [TrafficSeries.Second] = []
    /// Client operations recorded for the linearizability checker (written by `--history`; empty
    /// unless the run was asked to keep its history).
    public var operations: [ClientOperation]
    /// The etcd clients' outcomes per second of call time, and a bounded sample of their latencies
    /// (`ClientLoadSeries`: kept for every run, whatever its length).
    public var clientSeconds: [ClientSecond] = []
    public var latencySamples: [LatencySample] = []

    public init(scenario: String, scenarioPath: String, seed: UInt64) {
        self.scenario = scenario
        self.scenarioPath = scenarioPath
        self.seed = seed
        self.traceHash = 0
        self.events = 0
        self.simulated = .zero
        self.invariants = []
        self.faults = []
        self.recoveries = []
        self.timeline = []
        self.operations = []
    }

    /// Safety beats liveness beats pass.
    public var verdict: Verdict {
        var verdict = Verdict.pass
        for outcome in invariants where !outcome.holds {
            verdict = max(verdict, outcome.kind == .safety ? .safety : .liveness)
        }
        return verdict
    }

    /// The 16-digit lower-case hex form of the trace hash used in every output.
    public var traceHashHex: String {
        let hex = String(traceHash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
