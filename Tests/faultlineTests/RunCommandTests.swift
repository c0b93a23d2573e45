import Foundation
import Testing

/// End-to-end tests of `faultline run`, `validate`, `check`, `sweep` and `report` on shipped and
/// generated scenarios, each command in its own process.
@Suite(.serialized) struct RunCommandTests {
    static var leaderCrash: String { CLI.packageRoot.appendingPathComponent("Scenarios/etcd-leader-crash.yaml").path }

    /// A temporary directory that is removed when the test ends.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("faultline-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The fields of a run's JSON that must not depend on the process (everything but wall time).
    static func deterministicPart(_ json: String) throws -> [String: String] {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        var fields: [String: String] = [:]
        for (key, value) in object where key != "wallSeconds" {
            let data = try JSONSerialization.data(withJSONObject: ["v": value], options: [.sortedKeys])
            fields[key] = String(decoding: data, as: UTF8.self)
        }
        return fields
    }

    @Test func runPrintsContractJSONAndRecordsTheRun() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("runs.sqlite").path
        let history = dir.appendingPathComponent("history.jsonl").path
        let result = try CLI.run(["run", Self.leaderCrash, "--seed", "7", "--format", "json", "--db", db, "--history", history])
        #expect(result.status == 0, "stderr: \(result.stderr)\nstdout: \(result.stdout)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let json = try #require(object)
        for key in ["scenario", "seed", "version", "traceHash", "events", "simulatedSeconds", "wallSeconds", "verdict", "invariants", "faults", "recoveries"] {
            #expect(json[key] != nil, "missing \(key)")
        }
        #expect(json["verdict"] as? String == "pass")
        #expect(json["seed"] as? Int == 7)
        let faults = try #require(json["faults"] as? [[String: Any]])
        #expect(faults.first?["kind"] as? String == "node-crash")
        let recoveries = try #require(json["recoveries"] as? [[String: Any]])
        let leaderElected = recoveries.first { $0["metric"] as? String == "etcd.leader-elected" }
        let seconds = try #require(leaderElected?["seconds"] as? Double)
        // etcd defaults: a follower campaigns after a randomised 1-2 s election timeout (pre-vote adds a round trip).
        #expect(seconds > 0.9 && seconds < 3.5, "leader elected after \(seconds)s")
        let historyText = try String(contentsOfFile: history, encoding: .utf8)
        let lines = historyText.split(separator: "\n")
        #expect(lines.count > 100)
        #expect(lines.allSatisfy { $0.hasPrefix("{\"client\":") })
        #expect(FileManager.default.fileExists(atPath: db))
        let report = try CLI.run(["report", "--db", db, "--sql", "SELECT count(*) AS runs, max(seed) AS seed FROM runs", "--format", "csv"])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains("1,7"))
    }

    @Test func sameSeedSameRunInTwoProcesses() throws {
        let first = try CLI.run(["run", Self.leaderCrash, "--seed", "11", "--format", "json", "--no-db"])
        let second = try CLI.run(["run", Self.leaderCrash, "--seed", "11", "--format", "json", "--no-db"])
        let third = try CLI.run(["run", Self.leaderCrash, "--seed", "12", "--format", "json", "--no-db"])
        #expect(first.status == 0 && second.status == 0 && third.status == 0, "\(first.stderr)")
        let a = try Self.deterministicPart(first.stdout)
        let b = try Self.deterministicPart(second.stdout)
        let c = try Self.deterministicPart(third.stdout)
        #expect(a == b)
        #expect(a["traceHash"] != c["traceHash"])
    }

    @Test func invalidScenarioExits65NamingFileAndField() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bad.yaml").path
        try """
        apiVersion: faultline.dev/v1alpha1
        kind: Scenario
        metadata: {name: bad}
        spec:
          duration: 1m
          cluster: {masters: 3}
          faults:
            - {kind: node-crash, target: master-2, at: 10s, durtion: 5s}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try CLI.run(["run", path, "--no-db"])
        #expect(result.status == 65)
        #expect(result.stderr.contains("bad.yaml"))
        #expect(result.stderr.contains("durtion"))
        let validate = try CLI.run(["validate", path])
        #expect(validate.status == 65)
        let missing = try CLI.run(["run", dir.appendingPathComponent("nope.yaml").path, "--no-db"])
        #expect(missing.status == 65)
        #expect(missing.stderr.contains("nope.yaml"))
    }

    @Test func badArgumentsAreUsageErrors() throws {
        #expect(try CLI.run(["run"]).status == 64)
        #expect(try CLI.run(["sweep", Self.leaderCrash, "--seeds", "10..1", "--no-db"]).status == 64)
        #expect(try CLI.run(["run", Self.leaderCrash, "--seed", "-3"]).status == 64)
    }

    @Test func databasePathThatIsADirectoryIsRejectedClearly() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try CLI.run(["run", Self.leaderCrash, "--db", dir.path])
        #expect(result.status == 65)
        #expect(result.stderr.contains(dir.path))
    }

    @Test func checkWritesJUnitAndSweepsShareADatabase() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("shared.sqlite").path
        let junit = dir.appendingPathComponent("junit.xml").path
        // Two sweeps into one database at the same time, as two CI jobs would.
        let sweepA = Process(), sweepB = Process()
        for (process, seeds) in [(sweepA, "1..3"), (sweepB, "4..6")] {
            process.executableURL = CLI.executable
            process.arguments = ["sweep", Self.leaderCrash, "--seeds", seeds, "--db", db, "--jobs", "1", "--batch", "1"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
        }
        sweepA.waitUntilExit()
        sweepB.waitUntilExit()
        #expect(sweepA.terminationStatus == 0 && sweepB.terminationStatus == 0)
        let count = try CLI.run(["report", "--db", db, "--sql", "SELECT count(DISTINCT seed) FROM runs", "--format", "csv"])
        #expect(count.stdout.split(whereSeparator: \.isNewline).last == "6")
        let check = try CLI.run(["check", Self.leaderCrash, "--seeds", "1..2", "--junit", junit, "--db", db])
        #expect(check.status == 0, "\(check.stderr)")
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("<testsuites"))
        #expect(xml.contains("tests=\"2\""))
        #expect(xml.contains("failures=\"0\""))
    }
}
