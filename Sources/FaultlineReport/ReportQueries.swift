import Foundation
import GRDB

/// One cell of a query result, typed as SQLite stored it.
public enum QueryValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    /// A blob, by its size (reports never print bytes).
    case blob(bytes: Int)

    /// Full precision, for CSV and scripts: integers as stored, reals in the shortest form that reads
    /// back to the same Double, NULL as the empty string.
    public var exact: String {
        switch self {
        case .null: ""
        case .integer(let number): String(number)
        case .real(let number): "\(number)"
        case .text(let text): text
        case .blob(let bytes): "<\(bytes) bytes>"
        }
    }

    /// For people (table and HTML): reals with 3 decimals, as `run` and `sweep` print seconds.
    public var rounded: String {
        switch self {
        case .real(let number): number.isFinite ? String(format: "%.3f", number) : "\(number)"
        case .null, .integer, .text, .blob: exact
        }
    }
}

/// The result of a read-only query: column names and typed rows.
public struct QueryResult: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[QueryValue]]

    public init(columns: [String], rows: [[QueryValue]]) {
        self.columns = columns
        self.rows = rows
    }

    /// The rows at full precision (see `QueryValue.exact`).
    public var exactRows: [[String]] { rows.map { $0.map(\.exact) } }
}

extension ReportStore {
    /// Runs a read-only query; a statement that would write is refused before it runs.
    public func query(_ sql: String, arguments: StatementArguments = []) throws(ReportStoreError) -> QueryResult {
        do {
            return try reader.read { db in
                let statement = try db.makeStatement(sql: sql)
                guard statement.isReadonly else { throw ReportStoreError(path: path, reason: "only read-only queries are allowed") }
                let columns = statement.columnNames
                let rows = try Row.fetchAll(statement, arguments: arguments).map { row in
                    columns.indices.map { index -> QueryValue in
                        switch (row[index] as DatabaseValue).storage {
                        case .null: .null
                        case .int64(let number): .integer(number)
                        case .double(let number): .real(number)
                        case .string(let text): .text(text)
                        case .blob(let data): .blob(bytes: data.count)
                        }
                    }
                }
                return QueryResult(columns: columns, rows: rows)
            }
        } catch let error as ReportStoreError {
            throw error
        } catch {
            throw ReportStoreError(path: path, reason: "query failed: \(error)")
        }
    }

    /// Per scenario and metric: n, p50, p95, p99, max (the `recovery_percentiles` view).
    public func recoveryPercentiles(scenario: String? = nil) throws(ReportStoreError) -> QueryResult {
        if let scenario {
            return try query("SELECT * FROM recovery_percentiles WHERE scenario = ? ORDER BY scenario, metric", arguments: [scenario])
        }
        return try query("SELECT * FROM recovery_percentiles ORDER BY scenario, metric")
    }

    public func violations(scenario: String? = nil) throws(ReportStoreError) -> QueryResult {
        if let scenario {
            return try query("SELECT scenario, seed, invariant, kind, first_violation_at, detail FROM violations WHERE scenario = ? ORDER BY scenario, seed, invariant", arguments: [scenario])
        }
        return try query("SELECT scenario, seed, invariant, kind, first_violation_at, detail FROM violations ORDER BY scenario, seed, invariant")
    }

    /// The timeline of run `runID`, or of the newest run (of `scenario`, when given), in time order:
    /// faults, leader and lease changes, load-balancer backends, apiserver readiness, pod bindings.
    public func timeline(runID: Int64? = nil, scenario: String? = nil) throws(ReportStoreError) -> QueryResult {
        let columns = "SELECT r.scenario, r.id AS run, printf('%.3f', t.at) AS at_s, t.kind, t.subject, t.detail FROM timeline t JOIN runs r ON r.id = t.run_id"
        if let runID {
            return try query("\(columns) WHERE t.run_id = ? ORDER BY t.at, t.rowid", arguments: [runID])
        }
        if let scenario {
            return try query("\(columns) WHERE t.run_id = (SELECT MAX(id) FROM runs WHERE scenario = ?) ORDER BY t.at, t.rowid", arguments: [scenario])
        }
        return try query("\(columns) WHERE t.run_id = (SELECT MAX(id) FROM runs) ORDER BY t.at, t.rowid")
    }

    public func failingRuns(scenario: String? = nil) throws(ReportStoreError) -> QueryResult {
        if let scenario {
            return try query("SELECT scenario, seed, verdict, reproduce FROM failing_runs WHERE scenario = ? ORDER BY scenario, run_id", arguments: [scenario])
        }
        return try query("SELECT scenario, seed, verdict, reproduce FROM failing_runs ORDER BY scenario, run_id")
    }

    /// The scenario names (`metadata.name`) with at least one recorded run, sorted.
    public func scenarios() throws(ReportStoreError) -> [String] {
        try query("SELECT DISTINCT scenario FROM runs ORDER BY scenario").rows.map { $0[0].exact }
    }

    /// Whether run `runID` exists.
    public func hasRun(_ runID: Int64) throws(ReportStoreError) -> Bool {
        try !query("SELECT 1 FROM runs WHERE id = ?", arguments: [runID]).rows.isEmpty
    }

    /// Trace hashes recorded for a scenario, seed and version (for `replay` to confirm).
    public func traceHashes(scenario: String, seed: UInt64, version: String) throws(ReportStoreError) -> [String] {
        try query("SELECT DISTINCT trace_hash FROM runs WHERE scenario = ? AND seed = ? AND version = ? ORDER BY trace_hash",
                  arguments: [scenario, Int64(bitPattern: seed), version]).rows.map { $0[0].exact }
    }
}
