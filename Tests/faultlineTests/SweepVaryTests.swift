import Foundation
import Testing

/// `sweep --vary` and `run --set` (Variants.swift, ScenarioOverrides.swift): variants recorded with
/// their values, reproduce commands that replay them, and clear errors for bad paths and values.
@Suite struct SweepVaryTests {
    @Test func aGridRecordsEveryVariantWithItsParameters() throws {
        let dir = try Fixtures.folder("vary")
        defer { try? FileManager.default.removeItem(at: dir) }
        let scenario = try Fixtures.tinyScenario(in: dir)
        let db = dir.appendingPathComponent("v.sqlite").path
        let sweep = try CLI.run(["sweep", scenario, "--seeds", "1..2", "--db", db, "--jobs", "1",
                                 "--vary", "faults.0.duration=2s,4s", "--vary", "workload.etcdClients.thinkTime=50ms,80ms"])
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let variants = try KilledRunTests.query(db, "SELECT replace(scenario, ', ', ' & '), COUNT(*) FROM runs GROUP BY scenario ORDER BY MIN(id)")
        #expect(variants.map { $0[0] } == [
            "killed-sweep [faults.0.duration=2s & workload.etcdClients.thinkTime=50ms]", "killed-sweep [faults.0.duration=2s & workload.etcdClients.thinkTime=80ms]",
            "killed-sweep [faults.0.duration=4s & workload.etcdClients.thinkTime=50ms]", "killed-sweep [faults.0.duration=4s & workload.etcdClients.thinkTime=80ms]",
        ])
        #expect(variants.allSatisfy { $0.last == "2" })
        // Runs name the file itself; the overrides live in run_parameters.
        #expect(try KilledRunTests.query(db, "SELECT DISTINCT scenario_path FROM runs") == [[scenario]])
        let parameters = try KilledRunTests.query(db, "SELECT path, value FROM run_parameters WHERE run_id = 3 ORDER BY position")
        #expect(parameters == [["faults.0.duration", "2s"], ["workload.etcdClients.thinkTime", "80ms"]])
        // A variant's run replays with --set: same trace hash.
        let hash = try KilledRunTests.query(db, "SELECT trace_hash FROM runs WHERE id = 7")[0][0]
        let replay = try CLI.run(["run", scenario, "--seed", "1", "--no-db", "--format", "json",
                                  "--set", "faults.0.duration=4s", "--set", "workload.etcdClients.thinkTime=80ms"])
        #expect(replay.stdout.contains("\"traceHash\":\"\(hash)\""), "\(replay.stdout)")
        #expect(replay.stdout.contains("killed-sweep [faults.0.duration=4s"))
        let page = try CLI.run(["report", "--db", db, "--scenario", "killed-sweep", "--format", "html"])
        #expect(page.status == 0, "\(page.stderr)")
        #expect(page.stdout.contains("What if: faults.0.duration × workload.etcdClients.thinkTime"))
        #expect(page.stdout.components(separatedBy: "class=\"whatif-fail\"").count - 1 == 4)
        let compare = try CLI.run(["report", "--db", db, "--format", "csv", "--compare",
                                   "killed-sweep [faults.0.duration=2s, workload.etcdClients.thinkTime=50ms]",
                                   "killed-sweep [faults.0.duration=4s, workload.etcdClients.thinkTime=50ms]@0.1.0"])
        #expect(compare.status == 0, "\(compare.stderr)")
        #expect(compare.stdout.hasPrefix("metric,n_a,p50_a,p95_a,p99_a,max_a,n_b,"))
        #expect(compare.stdout.contains("\r\netcd.leader-elected,2,"))
        #expect(compare.stdout.contains("(failure rate),2,0.0,,,,2,0.0,"))
        let unknown = try CLI.run(["report", "--db", db, "--compare", "killed-sweep [faults.0.duration=2s, workload.etcdClients.thinkTime=50ms]", "nothing"])
        #expect(unknown.status == 65)
        #expect(unknown.stderr.contains("--compare nothing: no runs of nothing"))
        let one = try CLI.run(["report", "--db", db, "--compare", "killed-sweep"])
        #expect(one.status == 64)
    }

    @Test func theOverrideChangesTheRun() throws {
        let dir = try Fixtures.folder("vary")
        defer { try? FileManager.default.removeItem(at: dir) }
        let scenario = try Fixtures.tinyScenario(in: dir)
        let plain = try CLI.run(["run", scenario, "--seed", "1", "--no-db", "--format", "json"])
        let changed = try CLI.run(["run", scenario, "--seed", "1", "--no-db", "--format", "json", "--set", "faults.0.duration=1s"])
        #expect(plain.stdout.contains("\"healedAt\":6.0"), "\(plain.stdout)")
        #expect(changed.stdout.contains("\"healedAt\":4.0"), "\(changed.stdout)")
    }

    @Test func badPathsAndValuesAreUsageErrors() throws {
        let dir = try Fixtures.folder("vary")
        defer { try? FileManager.default.removeItem(at: dir) }
        let scenario = try Fixtures.tinyScenario(in: dir)
        let cases: [([String], Int32, String)] = [
            (["--vary", "cluster.etcd.election-timeout=500ms"], 64, "spec.cluster has no field etcd"),
            (["--vary", "duration"], 64, "write PATH=VALUE"),
            (["--vary", "faults.0.duration=fast"], 64, "fast is not a number"),
            (["--vary", "faults.3.duration=1s"], 64, "is a list of 1"),
            (["--vary", "faults.0.kind=2"], 64, "spec.faults.0.kind is not a number or duration field"),
            (["--vary", "faults.0.duration=1s,,2s"], 64, "an empty value"),
            (["--vary", "faults.0.duration=1s", "--vary", "faults.0.duration=2s"], 64, "varied twice"),
            (["--vary", "cluster.masters=0"], 65, "masters"),
            (["--vary", "cluster.mastres=5"], 65, "mastres"),
        ]
        for (arguments, status, message) in cases {
            let result = try CLI.run(["sweep", scenario, "--seeds", "1", "--no-db"] + arguments)
            #expect(result.status == status, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }
}
