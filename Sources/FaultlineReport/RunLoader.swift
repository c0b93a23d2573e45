import FaultlineChaos
import Foundation
import GRDB

extension ReportStore {
    /// Run `runID` read back whole (the inverse of `record`), or nil when there is no such run.
    /// Rows come back in insertion order (rowid), which is the order the run produced them.
    public func runRecord(_ runID: Int64) throws(ReportStoreError) -> RunRecord? {
        let runs = try query("""
            SELECT scenario, scenario_path, seed, version, trace_hash, events, simulated_seconds, wall_seconds, verdict
            FROM runs WHERE id = ?
            """, arguments: [runID])
        guard let row = runs.rows.first else { return nil }
        var record = RunRecord(
            scenario: row[0].exact, scenarioPath: row[1].exact, seed: UInt64(bitPattern: row[2].int), version: row[3].exact,
            traceHash: row[4].exact, events: Int(row[5].int), simulatedSeconds: row[6].double, wallSeconds: row[7].double,
            verdict: row[8].exact)
        record.invariants = try query("SELECT name, kind, holds, violations, first_violation_at, detail FROM invariant_results WHERE run_id = ? ORDER BY rowid",
                                      arguments: [runID]).rows.map {
            .init(name: $0[0].exact, kind: $0[1].exact, holds: $0[2].int != 0, violations: Int($0[3].int),
                  firstViolationAt: $0[4].optionalDouble, detail: $0[5].exact)
        }
        record.faults = try query("SELECT fault_id, kind, target, injected_at, healed_at FROM faults WHERE run_id = ? ORDER BY rowid",
                                  arguments: [runID]).rows.map {
            .init(id: $0[0].exact, kind: $0[1].exact, target: $0[2].exact, injectedAt: $0[3].double, healedAt: $0[4].optionalDouble)
        }
        record.recoveries = try query("SELECT fault_id, metric, seconds FROM recoveries WHERE run_id = ? ORDER BY rowid", arguments: [runID]).rows.map {
            .init(fault: $0[0].exact, metric: $0[1].exact, seconds: $0[2].double)
        }
        record.timeline = try query("SELECT at, kind, subject, detail FROM timeline WHERE run_id = ? ORDER BY rowid", arguments: [runID]).rows.map {
            .init(at: $0[0].double, kind: $0[1].exact, subject: $0[2].exact, detail: $0[3].exact)
        }
        record.traffic = try query("SELECT second, service, served, refused, dead_pod, timed_out FROM traffic WHERE run_id = ? ORDER BY second, service",
                                   arguments: [runID]).rows.map {
            .init(second: $0[0].int, service: $0[1].exact, served: Int($0[2].int), refused: Int($0[3].int), deadPod: Int($0[4].int), timedOut: Int($0[5].int))
        }
        guard pendingMigrations.isEmpty else { return record }
        record.clientSeconds = try query("SELECT second, ok, unknown FROM client_seconds WHERE run_id = ? ORDER BY second", arguments: [runID]).rows.map {
            ClientSecond(second: $0[0].int, ok: Int($0[1].int), unknown: Int($0[2].int))
        }
        record.latencySamples = try query("SELECT called_at, client, op, latency_ms FROM latency_samples WHERE run_id = ? ORDER BY rowid",
                                          arguments: [runID]).rows.map {
            LatencySample(calledAt: $0[0].double, client: Int($0[1].int), op: $0[2].exact, latencyMs: $0[3].optionalDouble)
        }
        record.parameters = try query("SELECT path, value FROM run_parameters WHERE run_id = ? ORDER BY position", arguments: [runID]).rows.map {
            RunParameter(path: $0[0].exact, value: $0[1].exact)
        }
        return record
    }
}

extension QueryValue {
    /// The value as an integer (reals truncated; anything else 0).
    var int: Int64 {
        switch self {
        case .integer(let number): number
        case .real(let number): Int64(number)
        case .null, .text, .blob: 0
        }
    }

    /// The value as a real (anything not a number 0).
    var double: Double { optionalDouble ?? 0 }

    var optionalDouble: Double? {
        switch self {
        case .integer(let number): Double(number)
        case .real(let number): number
        case .null, .text, .blob: nil
        }
    }
}
