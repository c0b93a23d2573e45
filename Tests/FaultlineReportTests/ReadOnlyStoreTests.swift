import Foundation
import GRDB
import Testing
@testable import FaultlineReport

/// Readers never modify the database (ReportStore's invariants): no migration, no creation, no
/// journal change; a newer or missing file is refused untouched; writers never create folders.
@Suite struct ReadOnlyStoreTests {
    /// What must not change when a database is only read.
    struct Fingerprint: Equatable {
        var bytes: Data
        var modified: Date
        var schemaVersion: Int
    }

    static func fingerprint(_ path: String) throws -> Fingerprint {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        var configuration = Configuration()
        configuration.readonly = true
        let version = try DatabaseQueue(path: path, configuration: configuration).read { db in
            try Int.fetchOne(db, sql: "PRAGMA schema_version") ?? -1
        }
        return Fingerprint(bytes: try Data(contentsOf: URL(fileURLWithPath: path)),
                           modified: attributes[.modificationDate] as! Date, schemaVersion: version)
    }

    /// A database with three runs, closed (so its WAL is checkpointed into the main file).
    static func database(in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("runs.sqlite").path
        do {
            let store = try ReportStore(path: path)
            try store.record(contentsOf: (1...3).map { ReportStoreTests.record(seed: $0, verdict: $0 == 2 ? "safety" : "pass") }, startedAt: "t")
        }
        return path
    }

    @Test func readingChangesNeitherBytesNorTimeNorSchemaVersion() throws {
        let dir = try ReportStoreTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try Self.database(in: dir)
        let before = try Self.fingerprint(path)
        usleep(20_000)  // a write would move the modification time past the one recorded
        for _ in 0..<3 {
            let store = try ReportStore(path: path, access: .readOnly)
            #expect(store.pendingMigrations.isEmpty)
            #expect(try store.query("SELECT 1").exactRows == [["1"]])
            #expect(try store.recoveryPercentiles().rows.count == 2)
            #expect(try store.failingRuns().rows.count == 1)
            #expect(try store.query("PRAGMA integrity_check").exactRows == [["ok"]])
            let error = #expect(throws: ReportStoreError.self) { try store.record(ReportStoreTests.record(seed: 9), startedAt: "t") }
            #expect(error?.reason.contains("read-only") == true)
        }
        #expect(try Self.fingerprint(path) == before)
    }

    @Test func aMissingDatabaseIsAnErrorForReadersAndIsNotCreated() throws {
        let dir = try ReportStoreTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("absent.sqlite").path
        let error = #expect(throws: ReportStoreError.self) { try ReportStore(path: path, access: .readOnly) }
        #expect(error?.kind == .missing)
        #expect(error?.reason.contains("no such database") == true)
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test(arguments: [ReportStore.Access.readOnly, .readWrite])
    func aNewerDatabaseIsRefusedAndLeftUnchanged(access: ReportStore.Access) throws {
        let dir = try ReportStoreTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try Self.database(in: dir)
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('v99-from-the-future')") }
        }
        let before = try Self.fingerprint(path)
        usleep(20_000)
        let error = #expect(throws: ReportStoreError.self) { try ReportStore(path: path, access: access) }
        #expect(error?.kind == .refused)
        #expect(error?.reason.contains("newer Faultline") == true)
        #expect(try Self.fingerprint(path) == before)
    }

    @Test func anOlderDatabaseIsReadWithoutMigratingIt() throws {
        let dir = try ReportStoreTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("old.sqlite").path
        do {
            // A database as Faultline wrote it before migration v4.
            let queue = try DatabaseQueue(path: path)
            try Schema.migrator.migrate(queue, upTo: "v3-traffic")
        }
        let before = try Self.fingerprint(path)
        let store = try ReportStore(path: path, access: .readOnly)
        #expect(store.pendingMigrations == ["v4-quoted-reproduce-latest-runs", "v5-client-series-parameters"])
        #expect(try store.recoveryPercentiles().rows.isEmpty)
        #expect(try Self.fingerprint(path) == before)
    }

    @Test func writersDoNotCreateFolders() throws {
        let dir = try ReportStoreTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("no/such/folder/runs.sqlite").path
        let error = #expect(throws: ReportStoreError.self) { try ReportStore(path: path) }
        #expect(error?.kind == .cannotCreate)
        #expect(error?.reason.contains("does not exist") == true)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("no").path))
    }
}
