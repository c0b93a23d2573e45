import FaultlineChaos
import FaultlineSim
import Foundation

/// One run as scripts see it: the JSON object of `faultline run --format json` and the
/// rows of the SQLite store. Times are simulated seconds.
///
/// Invariant: everything but `wallSeconds` is a function of scenario, seed and version.
public struct RunRecord: Sendable, Equatable {
    public struct Invariant: Sendable, Equatable {
        public var name: String
        public var kind: String
        public var holds: Bool
        public var violations: Int
        public var firstViolationAt: Double?
        public var detail: String
    }

    public struct Fault: Sendable, Equatable {
        public var id: String
        public var kind: String
        public var target: String
        public var injectedAt: Double
        public var healedAt: Double?
    }

    public struct Recovery: Sendable, Equatable {
        public var fault: String
        public var metric: String
        public var seconds: Double
    }

    public struct TimelineEntry: Sendable, Equatable {
        public var at: Double
        public var kind: String
        public var subject: String
        public var detail: String
    }

    public var scenario: String
    public var scenarioPath: String
    public var seed: UInt64
    public var version: String
    public var traceHash: String
    public var events: Int
    public var simulatedSeconds: Double
    public var wallSeconds: Double
    /// "pass", "safety" or "liveness".
    public var verdict: String
    public var invariants: [Invariant]
    public var faults: [Fault]
    public var recoveries: [Recovery]
    public var timeline: [TimelineEntry]
    /// Per second and Service: requests sent and their outcomes.
    public struct TrafficSecond: Sendable, Equatable {
        public var second: Int64
        public var service: String
        public var served: Int
        public var refused: Int
        public var deadPod: Int
        public var timedOut: Int
        public var sent: Int { served + refused + deadPod + timedOut }
    }
    public var traffic: [TrafficSecond] = []
    /// The etcd clients' answered and unknown requests per second (runs with etcd clients only).
    public var clientSeconds: [ClientSecond] = []
    /// At most `ClientLoadSeries.maximumSamples` request latencies, spread over the run.
    public var latencySamples: [LatencySample] = []
    /// Scenario fields overridden for this run (`sweep --vary`, `run --set`), in the order given.
    public var parameters: [RunParameter] = []

    public init(scenario: String, scenarioPath: String, seed: UInt64, version: String, traceHash: String, events: Int,
                simulatedSeconds: Double, wallSeconds: Double, verdict: String, invariants: [Invariant] = [],
                faults: [Fault] = [], recoveries: [Recovery] = [], timeline: [TimelineEntry] = []) {
        self.scenario = scenario
        self.scenarioPath = scenarioPath
        self.seed = seed
        self.version = version
        self.traceHash = traceHash
        self.events = events
        self.simulatedSeconds = simulatedSeconds
        self.wallSeconds = wallSeconds
        self.verdict = verdict
        self.invariants = invariants
        self.faults = faults
        self.recoveries = recoveries
        self.timeline = timeline
    }

    /// The record of a finished run.
    public init(_ result: RunResult, version: String, wallSeconds: Double) {
        self.init(
            scenario: result.scenario, scenarioPath: result.scenarioPath, seed: result.seed, version: version,
            traceHash: result.traceHashHex, events: result.events, simulatedSeconds: result.simulated.seconds,
            wallSeconds: wallSeconds, verdict: result.verdict.rawValue,
            invariants: result.invariants.map {
                Invariant(name: $0.name, kind: $0.kind.rawValue, holds: $0.holds, violations: $0.violations,
                          firstViolationAt: $0.firstViolationAt?.seconds, detail: $0.detail)
            },
            faults: result.faults.map {
                Fault(id: $0.id, kind: $0.kind, target: $0.target, injectedAt: $0.injectedAt.seconds, healedAt: $0.healedAt?.seconds)
            },
            recoveries: result.recoveries.map { Recovery(fault: $0.faultID, metric: $0.metric, seconds: $0.duration.seconds) },
            timeline: result.timeline.map { TimelineEntry(at: $0.at.seconds, kind: $0.kind, subject: $0.subject, detail: $0.detail) })
        traffic = result.traffic.map {
            TrafficSecond(second: $0.second, service: $0.service, served: $0.served, refused: $0.refused, deadPod: $0.deadPod, timedOut: $0.timedOut)
        }
        clientSeconds = result.clientSeconds
        latencySamples = result.latencySamples
    }
}

/// Exit status for a verdict string: 0 pass, 1 safety, 3 liveness.
public func exitCode(for verdict: String) -> Int32 {
    Verdict(rawValue: verdict)?.exitCode ?? 70
}

// MARK: - JSON

/// A minimal JSON writer with a fixed key order, so the same record prints byte-identically in any process.
struct JSONWriter {
    var text = ""

    static func string(_ value: String) -> String {
        var escaped = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    escaped += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return escaped + "\""
    }

    /// Shortest round-trip decimal form; non-finite numbers (never produced here) become null.
    static func number(_ value: Double) -> String { value.isFinite ? "\(value)" : "null" }

    static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { string($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    static func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }
}

/// The run as one JSON object in the documented field order; `timeline` is added when asked.
public func renderJSON(_ record: RunRecord, includeTimeline: Bool = false) -> String {
    typealias J = JSONWriter
    var fields: [(String, String)] = [
        ("scenario", J.string(record.scenario)),
        ("seed", "\(record.seed)"),
        ("version", J.string(record.version)),
        ("traceHash", J.string(record.traceHash)),
        ("events", "\(record.events)"),
        ("simulatedSeconds", J.number(record.simulatedSeconds)),
        ("wallSeconds", J.number((record.wallSeconds * 1000).rounded() / 1000)),
        ("verdict", J.string(record.verdict)),
        ("invariants", J.array(record.invariants.map {
            J.object([("name", J.string($0.name)), ("kind", J.string($0.kind)), ("holds", $0.holds ? "true" : "false"),
                      ("violations", "\($0.violations)"), ("firstViolationAt", $0.firstViolationAt.map(J.number) ?? "null"),
                      ("detail", J.string($0.detail))])
        })),
        ("faults", J.array(record.faults.map {
            J.object([("id", J.string($0.id)), ("kind", J.string($0.kind)), ("target", J.string($0.target)),
                      ("injectedAt", J.number($0.injectedAt)), ("healedAt", $0.healedAt.map(J.number) ?? "null")])
        })),
        ("recoveries", J.array(record.recoveries.map {
            J.object([("fault", J.string($0.fault)), ("metric", J.string($0.metric)), ("seconds", J.number($0.seconds))])
        })),
    ]
    if includeTimeline {
        fields.append(("timeline", J.array(record.timeline.map {
            J.object([("at", J.number($0.at)), ("kind", J.string($0.kind)), ("subject", J.string($0.subject)), ("detail", J.string($0.detail))])
        })))
    }
    return J.object(fields)
}

/// The etcd client history as JSON lines, one operation a line, keys in a fixed order:
/// `{"client","op","key","value","expected","ok","call","return"}`; `return` is null when unknown.
public func renderHistory(_ operations: [ClientOperationRecord]) -> String {
    var text = ""
    for operation in operations {
        text += JSONWriter.object([
            ("client", "\(operation.client)"), ("op", JSONWriter.string(operation.op)), ("key", JSONWriter.string(operation.key)),
            ("value", JSONWriter.string(operation.value)), ("expected", JSONWriter.string(operation.expected)),
            ("ok", operation.ok ? "true" : "false"), ("call", "\(operation.call)"), ("return", operation.returned.map { "\($0)" } ?? "null"),
        ])
        text += "\n"
    }
    return text
}

/// One history line's fields (the JSON lines contract), independent of the model's types.
public struct ClientOperationRecord: Sendable, Equatable {
    public var client: Int
    public var op: String
    public var key: String
    public var value: String
    public var expected: String
    public var ok: Bool
    /// Nanoseconds of simulated time.
    public var call: Int64
    public var returned: Int64?

    public init(client: Int, op: String, key: String, value: String, expected: String, ok: Bool, call: Int64, returned: Int64?) {
        self.client = client
        self.op = op
        self.key = key
        self.value = value
        self.expected = expected
        self.ok = ok
        self.call = call
        self.returned = returned
    }
}
