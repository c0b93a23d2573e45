import Foundation
import GRDB

/// What a sweep's page shows of one scenario (or one variant of it): its newest run per seed and
/// version (`latest_runs`), their recoveries, invariant results and failures.
///
/// Invariant: every list is in a fixed order (seed, then run id; names sorted), never the database's.
public struct SweepData: Sendable, Equatable {
    public struct Sample: Sendable, Equatable {
        public var runID: Int64
        public var seed: UInt64
        public var seconds: Double
    }

    public struct InvariantRate: Sendable, Equatable {
        public var name: String
        public var kind: String
        public var runs: Int
        public var held: Int
    }

    public struct Failure: Sendable, Equatable {
        public var runID: Int64
        public var seed: UInt64
        public var verdict: String
        /// The earliest violation: invariant, time (nil when not recorded) and detail.
        public var invariant: String
        public var at: Double?
        public var detail: String
        public var reproduce: String
    }

    public var scenario: String
    public var scenarioPath: String
    public var parameters: [RunParameter]
    public var runs: Int
    public var seeds: [UInt64]
    /// Per metric (sorted by name), its samples sorted by seconds, then seed.
    public var metrics: [(name: String, samples: [Sample])]
    public var invariants: [InvariantRate]
    public var failures: [Failure]

    public static func == (a: SweepData, b: SweepData) -> Bool {
        a.scenario == b.scenario && a.runs == b.runs && a.seeds == b.seeds && a.failures == b.failures && a.invariants == b.invariants
            && a.metrics.map(\.name) == b.metrics.map(\.name) && a.metrics.map(\.samples) == b.metrics.map(\.samples)
    }
}

extension ReportStore {
    /// The recorded names of `base` and of its variants (`base [path=value, ...]`): the base first,
    /// then the variants in the order they were first recorded.
    public func variants(of base: String) throws(ReportStoreError) -> [String] {
        try query("""
            SELECT scenario FROM runs WHERE scenario = ?1 OR substr(scenario, 1, length(?1) + 2) = ?1 || ' ['
            GROUP BY scenario ORDER BY scenario <> ?1, MIN(id)
            """, arguments: [base]).rows.map { $0[0].exact }
    }

    /// The sweep of `scenario` (a recorded name: a scenario's or a variant's), of one Faultline
    /// `version` or of all.
    public func sweep(_ scenario: String, version: String? = nil) throws(ReportStoreError) -> SweepData {
        let runs = try query("SELECT id, seed, scenario_path FROM latest_runs WHERE scenario = ?1 AND (?2 IS NULL OR version = ?2) ORDER BY id",
                             arguments: [scenario, version]).rows
        let path = runs.last?[2].exact ?? ""
        var parameters: [RunParameter] = []
        if let last = runs.last, pendingMigrations.isEmpty {
            parameters = try query("SELECT path, value FROM run_parameters WHERE run_id = ? ORDER BY position", arguments: [last[0].int]).rows.map {
                RunParameter(path: $0[0].exact, value: $0[1].exact)
            }
        }
        let recoveryRows = try query("""
            SELECT c.metric, r.id, r.seed, c.seconds FROM recoveries c JOIN latest_runs r ON r.id = c.run_id
            WHERE r.scenario = ?1 AND (?2 IS NULL OR r.version = ?2) ORDER BY c.metric, c.seconds, r.seed, r.id
            """, arguments: [scenario, version]).rows
        var metrics: [(name: String, samples: [SweepData.Sample])] = []
        for row in recoveryRows {
            let sample = SweepData.Sample(runID: row[1].int, seed: UInt64(bitPattern: row[2].int), seconds: row[3].double)
            if metrics.last?.name == row[0].exact { metrics[metrics.count - 1].samples.append(sample) } else { metrics.append((row[0].exact, [sample])) }
        }
        let invariants = try query("""
            SELECT i.name, i.kind, COUNT(*), SUM(i.holds) FROM invariant_results i JOIN latest_runs r ON r.id = i.run_id
            WHERE r.scenario = ?1 AND (?2 IS NULL OR r.version = ?2) GROUP BY i.name, i.kind ORDER BY i.name, i.kind
            """, arguments: [scenario, version]).rows.map {
            SweepData.InvariantRate(name: $0[0].exact, kind: $0[1].exact, runs: Int($0[2].int), held: Int($0[3].int))
        }
        let failures = try query("""
            SELECT f.run_id, r.seed, f.verdict,
                   (SELECT name FROM invariant_results i WHERE i.run_id = f.run_id AND i.holds = 0 ORDER BY i.first_violation_at IS NULL, i.first_violation_at, i.name LIMIT 1),
                   (SELECT first_violation_at FROM invariant_results i WHERE i.run_id = f.run_id AND i.holds = 0 ORDER BY i.first_violation_at IS NULL, i.first_violation_at, i.name LIMIT 1),
                   (SELECT detail FROM invariant_results i WHERE i.run_id = f.run_id AND i.holds = 0 ORDER BY i.first_violation_at IS NULL, i.first_violation_at, i.name LIMIT 1),
                   f.reproduce
            FROM failing_runs f JOIN latest_runs r ON r.id = f.run_id WHERE r.scenario = ?1 AND (?2 IS NULL OR r.version = ?2)
            ORDER BY r.seed, f.run_id
            """, arguments: [scenario, version]).rows.map {
            SweepData.Failure(runID: $0[0].int, seed: UInt64(bitPattern: $0[1].int), verdict: $0[2].exact, invariant: $0[3].exact,
                              at: $0[4].optionalDouble, detail: $0[5].exact, reproduce: $0[6].exact)
        }
        return SweepData(scenario: scenario, scenarioPath: path, parameters: parameters, runs: runs.count,
                         seeds: runs.map { UInt64(bitPattern: $0[1].int) }.sorted(), metrics: metrics, invariants: invariants, failures: failures)
    }
}
