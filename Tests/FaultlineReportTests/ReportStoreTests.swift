import FaultlineChaos
import Foundation
import GRDB
import Testing
@testable import FaultlineReport

/// The SQLite store against its documented invariants (ReportStore.swift): schema by migrations, a
/// run written whole or not at all, foreign files left untouched, the percentile view, persistence.
@Suite struct ReportStoreTests {
    /// A fresh folder for one test's database, removed by the caller.
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("faultline-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func record(seed: UInt64, scenario: String = "etcd-leader-crash", verdict: String = "pass",
                       faults: Int = 2, recoveries: [Double] = [1.25, 4.5], timeline: Int = 3) -> RunRecord {
        RunRecord(
            scenario: scenario, scenarioPath: "Scenarios/\(scenario).yaml", seed: seed, version: "test-1",
            traceHash: String(seed, radix: 16), events: 1000 + Int(seed % 1000), simulatedSeconds: 120, wallSeconds: 0.5,
            verdict: verdict,
            invariants: [
                .init(name: "raft.election-safety", kind: "safety", holds: verdict != "safety", violations: verdict == "safety" ? 1 : 0,
                      firstViolationAt: verdict == "safety" ? 31.5 : nil, detail: verdict == "safety" ? "two leaders in term 3" : ""),
                .init(name: "etcd.converges", kind: "liveness", holds: true, violations: 0, firstViolationAt: nil, detail: ""),
            ],
            faults: (0..<faults).map { .init(id: "f\($0)", kind: "node-crash", target: "master-\($0 + 1)", injectedAt: 30, healedAt: $0 == 0 ? 50 : nil) },
            recoveries: recoveries.enumerated().map { .init(fault: "f0", metric: $0.offset == 0 ? "etcd.leader-elected" : "api.available", seconds: $0.element) },
            timeline: (0..<timeline).map { .init(at: Double($0), kind: "fault-injected", subject: "master-1", detail: "step \($0)") })
    }

    /// Every migration, in order: `grdb_migrations` of a database this version created.
    static let allMigrations = [["v1"], ["v2-unsigned-seed-views"], ["v3-traffic"], ["v4-quoted-reproduce-latest-runs"], ["v5-client-series-parameters"]]

    static func count(_ store: ReportStore, _ table: String) throws -> Int {
        Int(try store.query("SELECT count(*) FROM \(table)").exactRows[0][0])!
    }

    static func rowCounts(_ store: ReportStore) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in ["runs", "faults", "invariant_results", "recoveries", "timeline"] { counts[table] = try count(store, table) }
        return counts
    }

    // MARK: Schema

    @Test func migrationsCreateTheSchemaOnANewFile() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("runs.sqlite").path
        let store = try ReportStore(path: path)
        #expect(FileManager.default.fileExists(atPath: path), "the file is created")
        let objects = try store.query("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").exactRows
        let tables = Set(objects.filter { $0[0] == "table" }.map { $0[1] })
        let views = Set(objects.filter { $0[0] == "view" }.map { $0[1] })
        let indexes = Set(objects.filter { $0[0] == "index" }.map { $0[1] })
        #expect(tables.isSuperset(of: ["runs", "faults", "invariant_results", "recoveries", "timeline", "traffic", "grdb_migrations"]))
        #expect(views == ["violations", "failing_runs", "latest_runs", "recovery_percentiles", "service_availability"])
        #expect(indexes.isSuperset(of: ["runs_by_scenario_seed", "recoveries_by_metric", "timeline_by_run"]))
        #expect(try store.query("SELECT identifier FROM grdb_migrations ORDER BY identifier").exactRows == Self.allMigrations)
        let columns = try store.query("SELECT name FROM pragma_table_info('runs') ORDER BY cid").exactRows.map { $0[0] }
        #expect(columns == ["id", "scenario", "scenario_path", "seed", "version", "trace_hash", "events", "simulated_seconds",
                            "wall_seconds", "verdict", "started_at"])
        try store.record(Self.record(seed: 1), startedAt: "t")
        #expect(FileManager.default.fileExists(atPath: path + "-wal"), "WAL mode, so sweeps and readers share the file")
        #expect(try DatabaseQueue(path: path).read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "wal")
        #expect(try Self.rowCounts(store) == ["runs": 1, "faults": 2, "invariant_results": 2, "recoveries": 2, "timeline": 3])
    }

    @Test func anEmptyFileBecomesADatabase() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("empty.sqlite").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        let store = try ReportStore(path: path)
        try store.record(Self.record(seed: 1), startedAt: "2026-01-01T00:00:00Z")
        #expect(try Self.count(store, "runs") == 1)
    }

    // MARK: Whole runs

    @Test func aRunIsRecordedWithAllItsRows() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try ReportStore(path: dir.appendingPathComponent("runs.sqlite").path)
        let record = Self.record(seed: 42, verdict: "safety", faults: 3, recoveries: [1.5, 2.5], timeline: 5)
        try store.record(record, startedAt: "2026-01-01T00:00:00Z")
        #expect(try Self.rowCounts(store) == ["runs": 1, "faults": 3, "invariant_results": 2, "recoveries": 2, "timeline": 5])
        // Every child row points at the run.
        let runID = try store.query("SELECT id FROM runs").exactRows[0][0]
        for table in ["faults", "invariant_results", "recoveries", "timeline"] {
            #expect(try store.query("SELECT DISTINCT run_id FROM \(table)").exactRows == [[runID]])
        }
        #expect(try store.query("SELECT healed_at FROM faults ORDER BY fault_id").exactRows == [["50.0"], [""], [""]])
        #expect(try store.query("SELECT started_at, verdict, trace_hash FROM runs").exactRows == [["2026-01-01T00:00:00Z", "safety", "2a"]])
        // The views see it.
        #expect(try store.failingRuns().exactRows == [["etcd-leader-crash", "42", "safety", "faultline run Scenarios/etcd-leader-crash.yaml --seed 42"]])
        let violations = try store.violations()
        #expect(violations.exactRows.map { $0[2] } == ["raft.election-safety"])
        #expect(violations.exactRows.first?[5] == "two leaders in term 3")
        #expect(try store.failingRuns(scenario: "other").rows.isEmpty)
    }

    @Test func seedsAboveInt64MaxRoundTrip() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try ReportStore(path: dir.appendingPathComponent("runs.sqlite").path)
        for seed in [UInt64(Int64.max), UInt64(Int64.max) + 1, UInt64.max] {
            try store.record(Self.record(seed: seed), startedAt: "t")
            #expect(try store.traceHashes(scenario: "etcd-leader-crash", seed: seed, version: "test-1") == [String(seed, radix: 16)])
        }
        #expect(try store.traceHashes(scenario: "etcd-leader-crash", seed: 7, version: "test-1").isEmpty)
    }

    /// The seed is stored with `Int64(bitPattern:)`; the views must print it back unsigned, or the
    /// reproduce command would name a seed the CLI refuses for seeds above Int64.max.
    @Test func reproduceCommandNamesTheSeedForHugeSeeds() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try ReportStore(path: dir.appendingPathComponent("runs.sqlite").path)
        try store.record(Self.record(seed: UInt64.max, verdict: "liveness"), startedAt: "t")
        let row = try #require(try store.failingRuns().exactRows.first)
        #expect(row[1] == "18446744073709551615")
        #expect(row[3].hasSuffix("--seed 18446744073709551615"), "\(row[3])")
    }

    @Test func aConstraintViolationMidRunLeavesNoRowsAtAll() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("runs.sqlite").path
        let store = try ReportStore(path: path)
        try store.record(Self.record(seed: 1), startedAt: "t0")
        let before = try Self.rowCounts(store)
        // Duplicate fault ids: the run row and the first fault are inserted before the primary key fails.
        var duplicateFault = Self.record(seed: 2)
        duplicateFault.faults.append(duplicateFault.faults[0])
        // An invariant kind outside the CHECK constraint, after runs and faults were inserted.
        var badKind = Self.record(seed: 3)
        badKind.invariants[1].kind = "eventually"
        // A verdict outside the CHECK constraint fails on the very first row.
        let badVerdict = Self.record(seed: 4, verdict: "maybe")
        for bad in [duplicateFault, badKind, badVerdict] {
            let error = #expect(throws: ReportStoreError.self) { try store.record(bad, startedAt: "t1") }
            #expect(error?.path == path)
            #expect(error?.reason.hasPrefix("cannot record runs") == true)
            #expect(try Self.rowCounts(store) == before, "no partial rows for seed \(bad.seed)")
        }
        // A batch is all or nothing too: good runs before and after a bad one are not recorded.
        let batch = [Self.record(seed: 10), Self.record(seed: 11), duplicateFault, Self.record(seed: 12)]
        #expect(throws: ReportStoreError.self) { try store.record(contentsOf: batch, startedAt: "t2") }
        #expect(try Self.rowCounts(store) == before)
        #expect(try store.query("SELECT seed FROM runs").exactRows == [["1"]])
        // The store still works afterwards.
        try store.record(contentsOf: [Self.record(seed: 10), Self.record(seed: 11)], startedAt: "t3")
        #expect(try Self.count(store, "runs") == 3)
        #expect(try Self.count(store, "faults") == 6)
    }

    @Test func queriesCannotWrite() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try ReportStore(path: dir.appendingPathComponent("runs.sqlite").path)
        try store.record(Self.record(seed: 1), startedAt: "t")
        for sql in ["DELETE FROM runs", "DROP TABLE runs", "UPDATE runs SET verdict = 'pass'", "INSERT INTO timeline VALUES (1, 0, 'x', 'y', 'z')"] {
            #expect(throws: ReportStoreError.self) { try store.query(sql) }
        }
        #expect(try Self.rowCounts(store) == ["runs": 1, "faults": 2, "invariant_results": 2, "recoveries": 2, "timeline": 3])
    }

    // MARK: Foreign files

    @Test func aTextFileIsRefusedAndLeftUnchanged() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("notes.txt").path
        let contents = Data("these are my notes, not a database\n".utf8)
        #expect(FileManager.default.createFile(atPath: path, contents: contents))
        let before = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
        let error = #expect(throws: ReportStoreError.self) { try ReportStore(path: path) }
        #expect(error?.path == path)
        #expect(error?.reason == "is not a SQLite database (refusing to touch it)")
        #expect(error?.description == "\(path): is not a SQLite database (refusing to touch it)")
        #expect(FileManager.default.contents(atPath: path) == contents)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date == before)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        #expect(!FileManager.default.fileExists(atPath: path + "-shm"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["notes.txt"])
    }

    @Test func aShortFileStartingLikeSQLiteIsRefused() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("short").path
        let contents = Data("SQLite".utf8)
        #expect(FileManager.default.createFile(atPath: path, contents: contents))
        #expect(throws: ReportStoreError.self) { try ReportStore(path: path) }
        #expect(FileManager.default.contents(atPath: path) == contents)
    }

    @Test func aCorruptFileWithTheSQLiteHeaderIsRefusedAndLeftUnchanged() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("corrupt.sqlite").path
        var contents = Data("SQLite format 3\u{0}".utf8)
        contents.append(Data((0..<4080).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }))
        #expect(FileManager.default.createFile(atPath: path, contents: contents))
        let error = #expect(throws: ReportStoreError.self) { try ReportStore(path: path) }
        #expect(error?.path == path)
        #expect(FileManager.default.contents(atPath: path) == contents)
    }

    @Test func aDirectoryIsRefused() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let error = #expect(throws: ReportStoreError.self) { try ReportStore(path: dir.path) }
        #expect(error?.reason.contains("is a directory") == true)
    }

    @Test func aDatabaseFromANewerSchemaIsRefused() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("runs.sqlite").path
        do {
            let store = try ReportStore(path: path)
            try store.record(Self.record(seed: 1), startedAt: "t")
        }
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('v99-from-the-future')") }
        }
        let error = #expect(throws: ReportStoreError.self) { try ReportStore(path: path) }
        #expect(error?.reason.contains("newer Faultline") == true)
    }

    // MARK: Percentiles

    @Test func recoveryPercentilesAreNearestRank() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try ReportStore(path: dir.appendingPathComponent("runs.sqlite").path)
        // 100 runs with recoveries 1...100 s (inserted out of order), in batches.
        var generator = SystemRandomNumberGenerator()
        let hundred = Array(1...100).shuffled(using: &generator)
        let records = hundred.enumerated().map { Self.record(seed: UInt64($0.offset), recoveries: [Double($0.element)]) }
        try store.record(contentsOf: Array(records[..<40]), startedAt: "a")
        try store.record(contentsOf: Array(records[40...]), startedAt: "b")
        // 10 runs of another scenario with leader-elected 0.5, 1.5 ... 9.5 and api.available 7 each.
        let ten = (0..<10).map { Self.record(seed: UInt64(1000 + $0), scenario: "other", recoveries: [Double($0) + 0.5, 7]) }
        try store.record(contentsOf: ten.reversed(), startedAt: "c")
        // One run of a third scenario.
        try store.record(Self.record(seed: 5000, scenario: "single", recoveries: [3.25]), startedAt: "d")

        let result = try store.recoveryPercentiles()
        #expect(result.columns == ["scenario", "metric", "n", "p50", "p95", "p99", "max"])
        func row(_ scenario: String, _ metric: String) -> [Double]? {
            result.exactRows.first { $0[0] == scenario && $0[1] == metric }.map { $0[2...].map { Double($0)! } }
        }
        #expect(row("etcd-leader-crash", "etcd.leader-elected") == [100, 50, 95, 99, 100])
        #expect(row("other", "etcd.leader-elected") == [10, 4.5, 9.5, 9.5, 9.5])
        #expect(row("other", "api.available") == [10, 7, 7, 7, 7])
        #expect(row("single", "etcd.leader-elected") == [1, 3.25, 3.25, 3.25, 3.25])
        #expect(row("etcd-leader-crash", "api.available") == nil)
        #expect(result.rows.count == 4)
        #expect(result.exactRows.map { $0[0] } == result.exactRows.map { $0[0] }.sorted())
        // Filtered by scenario.
        let other = try store.recoveryPercentiles(scenario: "other")
        #expect(other.exactRows.map { $0[1] } == ["api.available", "etcd.leader-elected"])
        #expect(try store.recoveryPercentiles(scenario: "absent").rows.isEmpty)
    }

    @Test(arguments: [1, 2, 19, 20, 21, 99, 101])
    func percentilesMatchTheNearestRankDefinition(count: Int) throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try ReportStore(path: dir.appendingPathComponent("runs.sqlite").path)
        let values = (1...count).map { Double($0 * 3) }
        try store.record(contentsOf: values.reversed().enumerated().map { Self.record(seed: UInt64($0.offset), recoveries: [$0.element]) }, startedAt: "t")
        /// Nearest rank: the smallest value with at least p% of the values at or below it.
        func nearestRank(_ p: Int) -> Double { values[Int((Double(p * count) / 100).rounded(.up)) - 1] }
        let row = try #require(try store.recoveryPercentiles().exactRows.first).dropFirst(2).map { Double($0)! }
        #expect(row == [Double(count), nearestRank(50), nearestRank(95), nearestRank(99), values.last!])
    }

    // MARK: Persistence

    @Test func reopeningKeepsOldRunsAndAddsNewOnes() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("runs.sqlite").path
        do {
            let store = try ReportStore(path: path)
            try store.record(contentsOf: (1...3).map { Self.record(seed: $0) }, startedAt: "first")
        }
        do {
            let store = try ReportStore(path: path)
            #expect(try store.query("SELECT seed, started_at FROM runs ORDER BY seed").exactRows == [["1", "first"], ["2", "first"], ["3", "first"]])
            #expect(try Self.count(store, "timeline") == 9)
            try store.record(Self.record(seed: 4), startedAt: "second")
            #expect(try store.query("SELECT identifier FROM grdb_migrations ORDER BY identifier").exactRows == Self.allMigrations, "migrations are not re-applied")
        }
        let store = try ReportStore(path: path)
        #expect(try Self.rowCounts(store) == ["runs": 4, "faults": 8, "invariant_results": 8, "recoveries": 8, "timeline": 12])
        #expect(try store.query("SELECT count(DISTINCT id) FROM runs").exactRows == [["4"]])
    }

    @Test func twoStoresOnOneFileSeeEachOthersRuns() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("runs.sqlite").path
        let first = try ReportStore(path: path)
        let second = try ReportStore(path: path)
        try first.record(Self.record(seed: 1), startedAt: "a")
        try second.record(Self.record(seed: 2), startedAt: "b")
        #expect(try Self.count(first, "runs") == 2)
        #expect(try Self.count(second, "runs") == 2)
    }
}
