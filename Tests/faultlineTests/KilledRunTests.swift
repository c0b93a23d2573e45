import Foundation
import Testing

/// A sweep killed with SIGKILL (no chance to clean up) must leave a sound database: only whole runs,
/// and a file the next sweep can keep writing to.
@Suite struct KilledRunTests {
    /// A short scenario (12 s simulated, about 0.1 s of wall time per seed in debug builds).
    static let scenario = """
    apiVersion: faultline.dev/v1alpha1
    kind: Scenario
    metadata: {name: killed-sweep}
    spec:
      duration: 12s
      cluster: {masters: 3}
      workload:
        etcdClients: {clients: 3, keys: 4, thinkTime: 50ms}
      faults:
        - {kind: node-crash, target: etcd-leader, at: 3s, duration: 3s}
      convergence: 5s
      expectations:
        - {metric: etcd.leader-elected, within: 5s}

    """

    /// Rows of a read-only query through `faultline report`, as CSV cells (header dropped).
    static func query(_ db: String, _ sql: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String]] {
        let result = try CLI.run(["report", "--db", db, "--sql", sql, "--format", "csv"])
        #expect(result.status == 0, "\(sql): \(result.stderr)", sourceLocation: sourceLocation)
        return result.stdout.split(whereSeparator: \.isNewline).dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    /// Per recorded run: seed and its number of rows in each child table.
    static let perRunCounts = """
        SELECT r.seed,
               (SELECT count(*) FROM faults f WHERE f.run_id = r.id),
               (SELECT count(*) FROM invariant_results i WHERE i.run_id = r.id),
               (SELECT count(*) FROM recoveries c WHERE c.run_id = r.id),
               (SELECT count(*) FROM timeline t WHERE t.run_id = r.id)
        FROM runs r ORDER BY r.id
        """

    @Test func sigkilledSweepLeavesOnlyWholeRunsAndTheNextSweepContinues() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("faultline-killed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let scenarioPath = dir.appendingPathComponent("killed-sweep.yaml").path
        try Self.scenario.write(toFile: scenarioPath, atomically: true, encoding: .utf8)
        let db = dir.appendingPathComponent("runs.sqlite").path

        // Many seeds, one run per transaction, two workers: the kill lands among frequent commits.
        let sweep = Process()
        sweep.executableURL = CLI.executable
        sweep.arguments = ["sweep", scenarioPath, "--seeds", "1..5000", "--db", db, "--jobs", "2", "--batch", "1"]
        sweep.standardOutput = FileHandle.nullDevice
        sweep.standardError = FileHandle.nullDevice
        try sweep.run()
        defer { if sweep.isRunning { kill(sweep.processIdentifier, SIGKILL); sweep.waitUntilExit() } }

        // Wait until a few runs are recorded (the database appears once the sweep opens it).
        let deadline = Date().addingTimeInterval(120)
        var recorded = 0
        while recorded < 3 && Date() < deadline && sweep.isRunning {
            usleep(100_000)
            guard FileManager.default.fileExists(atPath: db) else { continue }
            let result = try CLI.run(["report", "--db", db, "--sql", "SELECT count(*) FROM runs", "--format", "csv"])
            if result.status == 0, let last = result.stdout.split(whereSeparator: \.isNewline).last, let count = Int(last) { recorded = count }
        }
        try #require(recorded >= 3, "the sweep recorded \(recorded) runs before the deadline")
        try #require(sweep.isRunning, "the sweep must still be running when it is killed")
        #expect(kill(sweep.processIdentifier, SIGKILL) == 0)
        sweep.waitUntilExit()
        #expect(sweep.terminationReason == .uncaughtSignal)
        #expect(sweep.terminationStatus == SIGKILL)

        // The file is sound.
        #expect(try Self.query(db, "PRAGMA integrity_check") == [["ok"]])
        #expect(try Self.query(db, "PRAGMA foreign_key_check").isEmpty)

        // Only whole runs: every run has the rows every run of this scenario has, and no row is orphaned.
        let killed = try Self.query(db, Self.perRunCounts)
        #expect(killed.count >= 3)
        #expect(killed.count < 5000, "the sweep was killed before the end")
        let seeds = killed.map { UInt64($0[0])! }
        #expect(Set(seeds).count == seeds.count, "each seed once")
        #expect(seeds.allSatisfy { (1...5000).contains($0) })
        for row in killed {
            #expect(row[1] == "1", "seed \(row[0]): the scenario's one fault, found \(row[1]) rows")
            #expect(Int(row[2])! >= 5 && Int(row[3])! >= 1 && Int(row[4])! >= 1, "seed \(row[0]): \(row)")
            #expect(row[2] == killed[0][2], "seed \(row[0]): every run checks the same invariants")
        }
        for table in ["faults", "invariant_results", "recoveries", "timeline"] {
            #expect(try Self.query(db, "SELECT count(*) FROM \(table) WHERE run_id NOT IN (SELECT id FROM runs)") == [["0"]], "orphans in \(table)")
        }

        // A new sweep into the same file works and adds runs. It re-runs the first and last seeds the
        // killed sweep recorded (deterministic, so their rows must match exactly) and one new seed.
        let rerun = [seeds.first!, seeds.last!]
        let fresh = (1...5000).first { !seeds.contains($0) }!
        let next = try CLI.run(["sweep", scenarioPath, "--seeds", "\(rerun[0]),\(rerun[1]),\(fresh)", "--db", db, "--jobs", "1"])
        #expect(next.status == 0, "\(next.stderr)")
        let after = try Self.query(db, Self.perRunCounts)
        #expect(after.count == killed.count + Set(rerun + [fresh]).count)
        #expect(Array(after.prefix(killed.count)) == killed, "old runs are kept as they were")
        let added = after.dropFirst(killed.count)
        for seed in rerun {
            let old = killed.first { $0[0] == String(seed) }
            let new = added.first { $0[0] == String(seed) }
            #expect(old != nil && old == new, "seed \(seed): killed sweep \(String(describing: old)), new sweep \(String(describing: new))")
        }
        let reference = try #require(added.first { $0[0] == String(fresh) })
        #expect(killed[0][1...2] == reference[1...2], "a run recorded by the killed sweep has the rows of a fresh run")
        let hashes = try Self.query(db, "SELECT count(DISTINCT trace_hash) FROM runs WHERE seed = \(rerun[0])")
        #expect(hashes == [["1"]], "the same seed recorded twice has one trace hash")
        #expect(try Self.query(db, "PRAGMA integrity_check") == [["ok"]])
    }

    /// A batch is also committed by time: with a batch far larger than the sweep, runs still reach
    /// the database about a second after they finish, so `kill -9` loses only the last second's.
    @Test func aSweepWithAHugeBatchCommitsEverySecond() throws {
        let dir = try Fixtures.folder("killed")
        defer { try? FileManager.default.removeItem(at: dir) }
        let scenario = try Fixtures.tinyScenario(in: dir)
        let db = dir.appendingPathComponent("runs.sqlite").path
        let sweep = Process()
        sweep.executableURL = CLI.executable
        sweep.arguments = ["sweep", scenario, "--seeds", "1..5000", "--db", db, "--jobs", "1", "--batch", "100000"]
        sweep.standardOutput = FileHandle.nullDevice
        sweep.standardError = FileHandle.nullDevice
        try sweep.run()
        defer { if sweep.isRunning { kill(sweep.processIdentifier, SIGKILL); sweep.waitUntilExit() } }
        let started = Date()
        var recorded = 0
        while recorded < 3 && Date().timeIntervalSince(started) < 60 && sweep.isRunning {
            usleep(200_000)
            guard FileManager.default.fileExists(atPath: db) else { continue }
            recorded = (try? Self.query(db, "SELECT count(*) FROM runs").first.flatMap { Int($0[0]) }) ?? 0
        }
        try #require(sweep.isRunning, "the sweep must still be running when it is killed")
        #expect(recorded >= 3, "runs committed before the batch filled: \(recorded)")
        #expect(kill(sweep.processIdentifier, SIGKILL) == 0)
        sweep.waitUntilExit()
        #expect(try Self.query(db, "PRAGMA integrity_check") == [["ok"]])
        #expect(try Self.query(db, "SELECT count(*) FROM runs").first.flatMap { Int($0[0]) } ?? 0 >= recorded)
    }
}
