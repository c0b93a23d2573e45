import Foundation
import Testing

/// What the CLI says when something is wrong: the right exit status, the file and the reason once,
/// a did-you-mean where one helps, and commands that can be pasted into a shell.
@Suite struct CLIErrorTests {
    @Test func badValuesAreUsageErrorsThatSayWhy() throws {
        let dir = try Fixtures.folder("errors")
        defer { try? FileManager.default.removeItem(at: dir) }
        let scenario = try Fixtures.tinyScenario(in: dir)
        let negative = try CLI.run(["run", scenario, "--seed", "-1", "--no-db"])
        #expect(negative.status == 64)
        #expect(negative.stderr.contains("non-negative") && !negative.stderr.contains("Missing value"), "\(negative.stderr)")
        let negativeSeeds = try CLI.run(["sweep", scenario, "--seeds", "-1", "--no-db"])
        #expect(negativeSeeds.status == 64 && negativeSeeds.stderr.contains("non-negative"), "\(negativeSeeds.stderr)")
        let replaySeed = try CLI.run(["replay", scenario, "--seed", "-2", "--no-db"])
        #expect(replaySeed.status == 64 && replaySeed.stderr.contains("non-negative"), "\(replaySeed.stderr)")
        let hash = try CLI.run(["replay", scenario, "--expect-hash", "zz", "--no-db"])
        #expect(hash.status == 64, "a malformed hash is a usage error, not a mismatch: \(hash.stderr)")
        #expect(hash.stderr.contains("16 hex digits"))
        for bad in ["nan", "inf", "-1"] {
            let from = try CLI.run(["replay", scenario, "--from=\(bad)", "--no-db"])
            #expect(from.status == 64, "--from \(bad): \(from.stderr)")
        }
        #expect(try CLI.run(["replay", scenario, "--from", "5", "--to", "2", "--no-db"]).status == 64)
    }

    @Test func scenarioPathsThatAreNotFilesAreNamedAsSuch() throws {
        let dir = try Fixtures.folder("errors")
        defer { try? FileManager.default.removeItem(at: dir) }
        let scenario = try Fixtures.tinyScenario(in: dir)
        let device = try CLI.run(["run", "/dev/null", "--no-db"])
        #expect(device.status == 65)
        #expect(device.stderr.contains("/dev/null") && device.stderr.contains("not a regular file"), "\(device.stderr)")
        #expect(!device.stderr.contains("permission"))
        let typo = dir.appendingPathComponent("tiyn.yaml").path
        let missing = try CLI.run(["run", typo, "--no-db"])
        #expect(missing.status == 65)
        #expect(missing.stderr.contains("did you mean \(scenario)?"), "\(missing.stderr)")
        let shipped = try CLI.run(["validate", "Scenarios/etcd-leader-crsh.yaml"], currentDirectory: CLI.packageRoot)
        #expect(shipped.stderr.contains("did you mean Scenarios/etcd-leader-crash.yaml?"), "\(shipped.stderr)")
    }

    @Test func messagesSayErrorAndThePathOnce() throws {
        let dir = try Fixtures.folder("errors")
        defer { try? FileManager.default.removeItem(at: dir) }
        let scenario = try Fixtures.tinyScenario(in: dir)
        let validate = try CLI.run(["validate", scenario])
        #expect(validate.stdout.contains("1 scheduled fault,"), "\(validate.stdout)")
        let bad = dir.appendingPathComponent("bad.yaml").path
        try Fixtures.tinyScenario.replacingOccurrences(of: "duration: 3s", with: "durtion: 3s").write(toFile: bad, atomically: true, encoding: .utf8)
        let invalid = try CLI.run(["run", bad, "--no-db"])
        #expect(invalid.status == 65)
        for line in invalid.stderr.split(separator: "\n") {
            #expect(line.components(separatedBy: "error:").count <= 2, "error: twice in \(line)")
        }
        let notADatabase = dir.appendingPathComponent("notes.txt").path
        try "notes\n".write(toFile: notADatabase, atomically: true, encoding: .utf8)
        let db = try CLI.run(["run", scenario, "--db", notADatabase])
        #expect(db.status == 65)
        #expect(db.stderr.components(separatedBy: notADatabase).count == 2, "the path once: \(db.stderr)")
    }

    @Test func aDatabaseFolderIsCreatedOnlyForTheDefaultPath() throws {
        let dir = try Fixtures.folder("errors")
        defer { try? FileManager.default.removeItem(at: dir) }
        let scenario = try Fixtures.tinyScenario(in: dir)
        let folder = dir.appendingPathComponent("no/such")
        let result = try CLI.run(["run", scenario, "--db", folder.appendingPathComponent("x.sqlite").path])
        #expect(result.status == 73)
        #expect(result.stderr.contains(folder.path) && result.stderr.contains("does not exist"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("no").path))
        let defaultPath = try CLI.run(["run", scenario], currentDirectory: dir)
        #expect(defaultPath.status == 0, "\(defaultPath.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("Reports/faultline.sqlite").path))
        let help = try CLI.run(["replay", "--help"])
        #expect(help.stdout.contains("read only") && !help.stdout.contains("record runs in"), "\(help.stdout)")
    }

    @Test func checkWritesAnInvalidFileIntoTheJUnitXML() throws {
        let dir = try Fixtures.folder("errors")
        defer { try? FileManager.default.removeItem(at: dir) }
        let scenario = try Fixtures.tinyScenario(in: dir)
        let bad = dir.appendingPathComponent("bad.yaml").path
        try Fixtures.tinyScenario.replacingOccurrences(of: "duration: 3s", with: "durtion: 3s").write(toFile: bad, atomically: true, encoding: .utf8)
        let junit = dir.appendingPathComponent("junit.xml").path
        let result = try CLI.run(["check", scenario, bad, "--seeds", "1", "--junit", junit, "--no-db"])
        #expect(result.status == 65)
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("errors=\"1\""))
        #expect(xml.contains("<testsuite name=\"\(bad)\""))
        #expect(xml.contains("type=\"invalid-scenario\"") && xml.contains("durtion"), "\(xml)")
    }

    @Test func reproduceCommandsArePastableWhateverThePath() throws {
        let dir = try Fixtures.folder("errors")
        defer { try? FileManager.default.removeItem(at: dir) }
        let folder = dir.appendingPathComponent("my runs; touch pwned")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let scenario = folder.appendingPathComponent("it's failing.yaml").path
        try Fixtures.tinyScenario.replacingOccurrences(of: "within: 5s", with: "within: 1ms").write(toFile: scenario, atomically: true, encoding: .utf8)
        let db = dir.appendingPathComponent("runs.sqlite").path
        let sweep = try CLI.run(["sweep", scenario, "--seeds", "4", "--db", db])
        #expect(sweep.status == 3, "\(sweep.stderr)")
        let check = try CLI.run(["check", scenario, "--seeds", "4", "--db", db])
        let stored = try CLI.run(["report", "--db", db, "--view", "failing"])
        let printed = [sweep.stdout, check.stdout, stored.stdout].compactMap { output in
            output.split(separator: "\n").first { $0.contains("faultline run") }.map { "faultline run" + $0.components(separatedBy: "faultline run").last! }
        }
        #expect(printed.count == 3, "\(printed)")
        for command in printed {
            // Run it as a shell would, with faultline standing for the binary: it must replay the same run.
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "faultline() { \"$FAULTLINE\" \"$@\" --no-db; }; \(command)"]
            process.currentDirectoryURL = dir
            process.environment = ["FAULTLINE": CLI.executable.path, "PATH": "/usr/bin:/bin"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 3, "\(command) exited \(process.terminationStatus)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("pwned").path))
    }
}
