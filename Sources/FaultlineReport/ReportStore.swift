import Foundation
import GRDB

/// Why the store could not be opened, read or written, with the database path.
public struct ReportStoreError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, for the CLI's exit status.
    public enum Kind: Sendable, Equatable {
        /// A reader was pointed at a file that does not exist.
        case missing
        /// The file (or its folder) cannot be created.
        case cannotCreate
        /// The file is not a Faultline database this version can use (foreign, corrupt, newer, a directory).
        case refused
        /// Reading or writing failed (SQL error, I/O error, a write through a read-only store).
        case failed
    }

    public var path: String
    public var reason: String
    public var kind: Kind

    public init(path: String, reason: String, kind: Kind = .failed) {
        self.path = path
        self.reason = reason
        self.kind = kind
    }

    public var description: String { "\(path): \(reason)" }
}

/// The SQLite store of runs (GRDB, WAL mode): two sweeps and any number of readers can share one file.
///
/// Invariants:
/// - A run is written whole or not at all (one transaction per batch of runs, each run's rows inside it).
/// - A store opened `.readOnly` never modifies the file: no migration, no journal-mode change, no
///   creation (a missing file is an error). `faultline report` and `replay` open their database so.
/// - A `.readWrite` store creates the file but never its folder, and migrates it to the current schema.
/// - A file that is not a SQLite database, or that a newer Faultline wrote (unknown migrations), is
///   refused before any write, in either mode.
/// - The store never reads the clock (callers pass `startedAt`).
public final class ReportStore: @unchecked Sendable {
    public enum Access: Sendable {
        case readOnly, readWrite
    }

    public let path: String
    public let access: Access
    /// Migrations this version knows that the file has not applied (a reader does not apply them, so
    /// its views may be older than the documentation); empty for a read-write store.
    public let pendingMigrations: [String]
    let reader: any DatabaseReader
    let writer: DatabasePool?

    public init(path: String, access: Access = .readWrite) throws(ReportStoreError) {
        self.path = path
        self.access = access
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if exists && isDirectory.boolValue {
            throw ReportStoreError(path: path, reason: "is a directory; --db needs a database file path", kind: .refused)
        }
        let migrator = Schema.migrator
        switch access {
        case .readOnly:
            guard exists else {
                throw ReportStoreError(path: path, reason: "no such database; record runs first (faultline run, sweep or check)", kind: .missing)
            }
            try Self.checkIsSQLite(path, emptyAllowed: false)
            let queue = try Self.openReadOnly(path)
            pendingMigrations = try Self.checkSchema(queue, migrator: migrator, path: path)
            reader = queue
            writer = nil
        case .readWrite:
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            var folderIsDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &folderIsDirectory), folderIsDirectory.boolValue else {
                throw ReportStoreError(path: path, reason: "cannot create the database: folder \(folder) does not exist", kind: .cannotCreate)
            }
            if exists && (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 > 0 {
                // Refuse a foreign or newer file through a read-only connection, before any write.
                try Self.checkIsSQLite(path, emptyAllowed: true)
                _ = try Self.checkSchema(try Self.openReadOnly(path), migrator: migrator, path: path)
            }
            var configuration = Configuration()
            configuration.busyMode = .timeout(30)
            let pool = try Self.openPool(path: path, configuration: configuration)
            do {
                try Self.migrate(pool, with: migrator)
            } catch {
                throw ReportStoreError(path: path, reason: "cannot prepare the schema: \(error)")
            }
            pendingMigrations = []
            reader = pool
            writer = pool
        }
    }

    /// A read-only connection: SQLite opens the file with SQLITE_OPEN_READONLY, so nothing is written.
    static func openReadOnly(_ path: String) throws(ReportStoreError) -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(30)
        do {
            return try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw ReportStoreError(path: path, reason: "cannot open the database: \(error)", kind: .refused)
        }
    }

    /// Refuses a database with migrations this version does not know; returns the ones it lacks.
    static func checkSchema(_ reader: any DatabaseReader, migrator: DatabaseMigrator, path: String) throws(ReportStoreError) -> [String] {
        let applied: Set<String>
        do {
            if try reader.read({ db in try migrator.hasBeenSuperseded(db) }) {
                throw ReportStoreError(path: path, reason: "was written by a newer Faultline (unknown schema migrations); upgrade faultline or use another --db", kind: .refused)
            }
            applied = try reader.read { db in try migrator.appliedIdentifiers(db) }
        } catch let error as ReportStoreError {
            throw error
        } catch {
            throw ReportStoreError(path: path, reason: "cannot read the schema: \(error)", kind: .refused)
        }
        return migrator.migrations.filter { !applied.contains($0) }
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
            } catch let error as DatabaseError where error.resultCode == .SQLITE_CANTOPEN {
                throw ReportStoreError(path: path, reason: "cannot create or open the database: \(error)", kind: .cannotCreate)
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
    /// An empty file becomes a new database for a writer; a reader has nothing to read in it.
    static func checkIsSQLite(_ path: String, emptyAllowed: Bool) throws(ReportStoreError) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ReportStoreError(path: path, reason: "cannot be read (permissions?)", kind: .refused)
        }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        if header.isEmpty {
            if emptyAllowed { return }
            throw ReportStoreError(path: path, reason: "is empty: no runs recorded yet", kind: .refused)
        }
        guard header.starts(with: Data("SQLite format 3".utf8)) else {
            throw ReportStoreError(path: path, reason: "is not a SQLite database (refusing to touch it)", kind: .refused)
        }
    }

    /// Records runs in one transaction: all of them or none.
    public func record(contentsOf records: [RunRecord], startedAt: String) throws(ReportStoreError) {
        guard !records.isEmpty else { return }
        guard let writer else { throw ReportStoreError(path: path, reason: "opened read-only; cannot record runs") }
        do {
            try writer.write { db in
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
        for second in record.clientSeconds {
            try db.execute(sql: "INSERT INTO client_seconds VALUES (?, ?, ?, ?)", arguments: [runID, second.second, second.ok, second.unknown])
        }
        for sample in record.latencySamples {
            try db.execute(sql: "INSERT INTO latency_samples VALUES (?, ?, ?, ?, ?)",
                           arguments: [runID, sample.calledAt, sample.client, sample.op, sample.latencyMs])
        }
        for (position, parameter) in record.parameters.enumerated() {
            try db.execute(sql: "INSERT INTO run_parameters VALUES (?, ?, ?, ?)", arguments: [runID, position, parameter.path, parameter.value])
        }
    }
}
