import Foundation
import GRDB

/// Why the store could not be opened or written, with the database path.
public struct ReportStoreError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}

/// The result of a read-only query: column names and rows of text (NULL as "").
public struct QueryResult: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[String]]
}

/// The SQLite store of runs (GRDB, WAL mode): two sweeps and a reader can share one file.
///
/// Invariants: a run is written whole or not at all (one transaction per batch of runs, each run's
/// rows inside it); opening never modifies a file that is not a Faultline database or that was written
/// by a newer schema; the store never reads the clock (callers pass `startedAt`).
public final class ReportStore: @unchecked Sendable {
    public let path: String
    let pool: DatabasePool

    public init(path: String) throws(ReportStoreError) {
        self.path = path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ReportStoreError(path: path, reason: "is a directory; --db needs a database file path")
        }
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw ReportStoreError(path: path, reason: "cannot create folder \(parent.path): \(error.localizedDescription)")
        }
        if FileManager.default.fileExists(atPath: path) {
            try Self.checkIsSQLite(path)
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        pool = try Self.openPool(path: path, configuration: configuration)
        let migrator = Self.migrator
        do {
            let superseded = try pool.read { db in try migrator.hasBeenSuperseded(db) }
            if superseded {
                throw ReportStoreError(path: path, reason: "was written by a newer Faultline (unknown schema migrations); upgrade faultline or use another --db")
            }
            try Self.migrate(pool, with: migrator)
        } catch let error as ReportStoreError {
            throw error
        } catch {
            throw ReportStoreError(path: path, reason: "cannot prepare the schema: \(error)")
        }
    }

    /// Opens the pool, retrying while another process holds the lock.
    ///
    /// Why: switching a brand-new file to WAL (`PRAGMA journal_mode = WAL`) needs an exclusive lock,
    /// and SQLite reports SQLITE_BUSY for it without calling the busy handler, so two sweeps that
    /// create the same database at the same instant would otherwise fail. Retries back off up to ~30 s.
    static func openPool(path: String, configuration: Configuration) throws(ReportStoreError) -> DatabasePool {
        var attempt = 0
        while true {
            do {
                return try DatabasePool(path: path, configuration: configuration)
            } catch let error as DatabaseError where
                (error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED) && attempt < 300 {
                attempt += 1
                usleep(useconds_t(min(attempt, 10) * 10_000))
            } catch {
                throw ReportStoreError(path: path, reason: "cannot open the database: \(error)")
            }
        }
    }

    /// Applies the migrations, tolerating another process that applies them at the same moment.
    ///
    /// Why: GRDB reads the applied migrations in a deferred transaction, so two processes opening a
    /// new file can both decide v1 is missing; the loser fails with "table already exists". After such
    /// a failure the schema is re-read: if the other process completed it, all is well.
    static func migrate(_ pool: DatabasePool, with migrator: DatabaseMigrator) throws {
        var attempt = 0
        while true {
            do {
                try migrator.migrate(pool)
                return
            } catch {
                attempt += 1
                let complete = (try? pool.read { db in try migrator.hasCompletedMigrations(db) }) ?? false
                if complete { return }
                if attempt >= 5 { throw error }
                usleep(50_000)
            }
        }
    }

    /// Refuses files that are not SQLite databases before SQLite touches them (so they stay intact).
    static func checkIsSQLite(_ path: String) throws(ReportStoreError) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ReportStoreError(path: path, reason: "cannot be read (permissions?)")
        }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        if header.isEmpty { return }  // an empty file becomes a new database
        guard header.starts(with: Data("SQLite format 3".utf8)) else {
            throw ReportStoreError(path: path, reason: "is not a SQLite database (refusing to touch it)")
        }
    }

    /// The schema. Migrations are append-only: never edit a shipped one, add the next.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE runs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    scenario TEXT NOT NULL,
                    scenario_path TEXT NOT NULL,
                    seed INTEGER NOT NULL,
                    version TEXT NOT NULL,
                    trace_hash TEXT NOT NULL,
                    events INTEGER NOT NULL,
                    simulated_seconds REAL NOT NULL,
                    wall_seconds REAL NOT NULL,
                    verdict TEXT NOT NULL CHECK (verdict IN ('pass', 'safety', 'liveness')),
                    started_at TEXT NOT NULL
                );
                CREATE INDEX runs_by_scenario_seed ON runs(scenario, seed);
                CREATE TABLE faults (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    fault_id TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    target TEXT NOT NULL,
                    injected_at REAL NOT NULL,
                    healed_at REAL,
                    PRIMARY KEY (run_id, fault_id)
                );
                CREATE TABLE invariant_results (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('safety', 'liveness')),
                    holds INTEGER NOT NULL,
                    violations INTEGER NOT NULL,
                    first_violation_at REAL,
                    detail TEXT NOT NULL,
                    PRIMARY KEY (run_id, name)
                );
                CREATE TABLE recoveries (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    fault_id TEXT NOT NULL,
                    metric TEXT NOT NULL,
                    seconds REAL NOT NULL
                );
                CREATE INDEX recoveries_by_metric ON recoveries(metric);
                CREATE TABLE timeline (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    at REAL NOT NULL,
                    kind TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    detail TEXT NOT NULL
                );
                CREATE INDEX timeline_by_run ON timeline(run_id, at);
                CREATE VIEW violations AS
                    SELECT r.id AS run_id, r.scenario, r.seed, r.version, i.name AS invariant, i.kind,
                           i.violations, i.first_violation_at, i.detail
                    FROM invariant_results i JOIN runs r ON r.id = i.run_id
                    WHERE i.holds = 0;
                CREATE VIEW failing_runs AS
                    SELECT id AS run_id, scenario, scenario_path, seed, version, verdict, trace_hash,
                           'faultline run ' || scenario_path || ' --seed ' || seed AS reproduce
                    FROM runs WHERE verdict <> 'pass';
                CREATE VIEW recovery_percentiles AS
                    WITH ranked AS (
                        SELECT r.scenario, c.metric, c.seconds,
                               ROW_NUMBER() OVER (PARTITION BY r.scenario, c.metric ORDER BY c.seconds) AS rank,
                               COUNT(*) OVER (PARTITION BY r.scenario, c.metric) AS n
                        FROM recoveries c JOIN runs r ON r.id = c.run_id
                    )
                    SELECT scenario, metric, n,
                           MIN(CASE WHEN rank >= (50 * n + 99) / 100 THEN seconds END) AS p50,
                           MIN(CASE WHEN rank >= (95 * n + 99) / 100 THEN seconds END) AS p95,
                           MIN(CASE WHEN rank >= (99 * n + 99) / 100 THEN seconds END) AS p99,
                           MAX(seconds) AS max
                    FROM ranked GROUP BY scenario, metric;
                """)
        }
        // Seeds are unsigned 64-bit but SQLite integers are signed: `runs.seed` holds the bit pattern.
        // The views print it back unsigned, so a reproduce command names the seed the run used.
        migrator.registerMigration("v2-unsigned-seed-views") { db in
            try db.execute(sql: """
                DROP VIEW violations;
                DROP VIEW failing_runs;
                CREATE VIEW violations AS
                    SELECT r.id AS run_id, r.scenario, printf('%llu', r.seed) AS seed, r.version, i.name AS invariant, i.kind,
                           i.violations, i.first_violation_at, i.detail
                    FROM invariant_results i JOIN runs r ON r.id = i.run_id
                    WHERE i.holds = 0;
                CREATE VIEW failing_runs AS
                    SELECT id AS run_id, scenario, scenario_path, printf('%llu', seed) AS seed, version, verdict, trace_hash,
                           'faultline run ' || scenario_path || ' --seed ' || printf('%llu', seed) AS reproduce
                    FROM runs WHERE verdict <> 'pass';
                """)
        }
        // Service traffic per second (the availability series), and a view over it.
        migrator.registerMigration("v3-traffic") { db in
            try db.execute(sql: """
                CREATE TABLE traffic (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    second INTEGER NOT NULL,
                    service TEXT NOT NULL,
                    sent INTEGER NOT NULL,
                    served INTEGER NOT NULL,
                    refused INTEGER NOT NULL,
                    dead_pod INTEGER NOT NULL,
                    timed_out INTEGER NOT NULL,
                    PRIMARY KEY (run_id, service, second)
                );
                CREATE VIEW service_availability AS
                    SELECT t.run_id, r.scenario, printf('%llu', r.seed) AS seed, t.service,
                           SUM(t.sent) AS sent, SUM(t.served) AS served,
                           ROUND(100.0 * SUM(t.served) / SUM(t.sent), 3) AS availability_pct,
                           SUM(CASE WHEN t.served * 100 < t.sent * 99 THEN 1 ELSE 0 END) AS seconds_below_99pct
                    FROM traffic t JOIN runs r ON r.id = t.run_id
                    GROUP BY t.run_id, t.service;
                """)
        }
        return migrator
    }

    /// Records runs in one transaction: all of them or none.
    public func record(contentsOf records: [RunRecord], startedAt: String) throws(ReportStoreError) {
        guard !records.isEmpty else { return }
        do {
            try pool.write { db in
                for record in records { try Self.insert(record, startedAt: startedAt, db) }
            }
        } catch {
            throw ReportStoreError(path: path, reason: "cannot record runs: \(error)")
        }
    }

    public func record(_ record: RunRecord, startedAt: String) throws(ReportStoreError) {
        try self.record(contentsOf: [record], startedAt: startedAt)
    }

    static func insert(_ record: RunRecord, startedAt: String, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO runs (scenario, scenario_path, seed, version, trace_hash, events, simulated_seconds, wall_seconds, verdict, started_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [record.scenario, record.scenarioPath, Int64(bitPattern: record.seed), record.version, record.traceHash,
                        record.events, record.simulatedSeconds, record.wallSeconds, record.verdict, startedAt])
        let runID = db.lastInsertedRowID
        for fault in record.faults {
            try db.execute(sql: "INSERT INTO faults VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [runID, fault.id, fault.kind, fault.target, fault.injectedAt, fault.healedAt])
        }
        for invariant in record.invariants {
            try db.execute(sql: "INSERT INTO invariant_results VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: [runID, invariant.name, invariant.kind, invariant.holds, invariant.violations,
                                       invariant.firstViolationAt, invariant.detail])
        }
        for recovery in record.recoveries {
            try db.execute(sql: "INSERT INTO recoveries VALUES (?, ?, ?, ?)",
                           arguments: [runID, recovery.fault, recovery.metric, recovery.seconds])
        }
        for entry in record.timeline {
            try db.execute(sql: "INSERT INTO timeline VALUES (?, ?, ?, ?, ?)",
                           arguments: [runID, entry.at, entry.kind, entry.subject, entry.detail])
        }
        for second in record.traffic {
            try db.execute(sql: "INSERT INTO traffic VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           arguments: [runID, second.second, second.service, second.sent, second.served, second.refused, second.deadPod, second.timedOut])
        }
    }

    /// Runs a read-only query (writes fail: reader connections are read-only).
    public func query(_ sql: String, arguments: StatementArguments = []) throws(ReportStoreError) -> QueryResult {
        do {
            return try pool.read { db in
                let statement = try db.makeStatement(sql: sql)
                guard statement.isReadonly else { throw ReportStoreError(path: path, reason: "only read-only queries are allowed") }
                let columns = statement.columnNames
                let rows = try Row.fetchAll(statement, arguments: arguments).map { row in
                    columns.indices.map { index -> String in
                        let value = row[index] as DatabaseValue
                        switch value.storage {
                        case .null: return ""
                        case .int64(let number): return String(number)
                        case .double(let number): return String(format: "%.6g", number)
                        case .string(let text): return text
                        case .blob(let data): return "<\(data.count) bytes>"
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

    /// Trace hashes recorded for a scenario, seed and version (for `replay` to confirm).
    public func traceHashes(scenario: String, seed: UInt64, version: String) throws(ReportStoreError) -> [String] {
        try query("SELECT DISTINCT trace_hash FROM runs WHERE scenario = ? AND seed = ? AND version = ?",
                  arguments: [scenario, Int64(bitPattern: seed), version]).rows.map { $0[0] }
    }
}
