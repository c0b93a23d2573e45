import Foundation
import Testing
@testable import faultline

/// `faultline report` end to end: the documented commands work as written, the database is only
/// read, and mistakes get a clear answer.
@Suite struct ReportCommandTests {
    /// The `faultline report` / `$F report` lines of the shell code blocks of the README and
    /// Reports/README.md, as written.
    static func documentedReportCommands() throws -> [String] {
        var commands: [String] = []
        for document in ["README.md", "Reports/README.md"] {
            let text = try String(contentsOf: CLI.packageRoot.appendingPathComponent(document), encoding: .utf8)
            var inShellBlock = false
            for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
                if line.hasPrefix("```") {
                    inShellBlock = !inShellBlock && line.hasPrefix("```sh")
                    continue
                }
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if inShellBlock && (trimmed.hasPrefix("faultline report") || trimmed.hasPrefix("$F report")) { commands.append(trimmed) }
            }
        }
        return commands
    }

    /// A folder laid out like a fresh clone's root: `Reports/queries` and nothing else, plus the
    /// default database with a few runs (one failing) once `populate` is true.
    ///
    /// With `variants`, also a what-if sweep of the tiny scenario over `faults.0.duration` (500ms,
    /// 1000ms, 2000ms): the stand-in for the README's sweep over `cluster.etcd.election-timeout`.
    static func cloneLikeFolder(populate: Bool = true, variants: Bool = false) throws -> URL {
        let dir = try Fixtures.folder("clone")
        let queries = dir.appendingPathComponent("Reports/queries")
        try FileManager.default.createDirectory(at: queries.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: CLI.packageRoot.appendingPathComponent("Reports/queries"), to: queries)
        guard populate else { return dir }
        let scenario = try Fixtures.tinyScenario(in: dir)
        let failing = dir.appendingPathComponent("failing.yaml").path
        try Fixtures.tinyScenario.replacingOccurrences(of: "within: 5s", with: "within: 1ms")
            .replacingOccurrences(of: "name: killed-sweep", with: "name: failing").write(toFile: failing, atomically: true, encoding: .utf8)
        let whatIf = variants ? [["sweep", scenario, "--seeds", "1..2", "--jobs", "1", "--vary", "faults.0.duration=500ms,1000ms,2000ms"]] : []
        for arguments in [["sweep", scenario, "--seeds", "1..3", "--jobs", "1"], ["run", failing, "--seed", "5"]] + whatIf {
            let result = try CLI.run(arguments, currentDirectory: dir)
            try #require(result.status == 0 || result.status == 3, "\(arguments): \(result.stderr)")
        }
        return dir
    }

    /// The database file's bytes and modification time, and the schema cookie in its header
    /// (bytes 40-43: `PRAGMA schema_version`, which every schema change bumps).
    static func fingerprint(_ path: String) throws -> (Data, Date, UInt32) {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let modified = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as! Date
        let cookie = data[40..<44].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return (data, modified, cookie)
    }

    @Test func theDocumentedReportCommandsRunAsWritten() throws {
        let commands = try Self.documentedReportCommands()
        #expect(commands.count >= 8, "found \(commands)")
        let dir = try Self.cloneLikeFolder(variants: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for documented in commands {
            // The tiny scenario and its what-if sweep stand in for the shipped etcd-leader-crash's.
            let command = documented.replacingOccurrences(of: "etcd-leader-crash", with: "killed-sweep")
                .replacingOccurrences(of: "cluster.etcd.election-timeout", with: "faults.0.duration")
            let output = command.components(separatedBy: " --output ").dropFirst().first?.split(separator: " ").first.map(String.init)
            let script = "faultline() { \"$FAULTLINE\" \"$@\"; }; F=\"$FAULTLINE\"; \(command)"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script]
            process.currentDirectoryURL = dir
            process.environment = ProcessInfo.processInfo.environment.merging(["FAULTLINE": CLI.executable.path]) { $1 }
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(command)\n\(stderr)")
            if let output {
                let written = (try? Data(contentsOf: dir.appendingPathComponent(output))) ?? Data()
                #expect(written.count > 1_000, "\(command) wrote \(written.count) bytes to \(output)")
            } else {
                #expect(stdout.split(whereSeparator: \.isNewline).count >= 2, "\(command) printed \(stdout)")
            }
        }
    }

    @Test func reportNeverModifiesTheDatabase() throws {
        let dir = try Self.cloneLikeFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("Reports/faultline.sqlite").path
        let (bytes, modified, cookie) = try Self.fingerprint(db)
        usleep(20_000)
        for arguments in [["--sql", "select 1"], [], ["--query", "failing-seeds"], ["--view", "timeline"], ["--format", "html"],
                          ["--sql", "PRAGMA schema_version"], ["--scenario", "nosuch"]] {
            _ = try CLI.run(["report", "--db", db] + arguments)
        }
        let after = try Self.fingerprint(db)
        #expect(after.2 == cookie, "schema_version \(cookie) became \(after.2)")
        #expect(after.0 == bytes && after.1 == modified)
        let missing = dir.appendingPathComponent("Reports/missing.sqlite").path
        let result = try CLI.run(["report", "--db", missing])
        #expect(result.status == 65)
        #expect(result.stderr.contains("\(missing): no such database"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: missing), "a report does not create the database")
    }

    @Test func cannedQueriesAreFoundFromAnyFolderAndTheHelpNamesThemAll() throws {
        let dir = try Self.cloneLikeFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let elsewhere = try Fixtures.folder("elsewhere")
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        let db = dir.appendingPathComponent("Reports/faultline.sqlite").path
        let result = try CLI.run(["report", "--db", db, "--query", "failing-seeds", "--format", "csv"], currentDirectory: elsewhere)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("failing,5,liveness"), "\(result.stdout)")
        let unknown = try CLI.run(["report", "--db", db, "--query", "failing-seed"], currentDirectory: dir)
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("failing-seeds"), "lists the known names: \(unknown.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: CLI.packageRoot.appendingPathComponent("Reports/queries").path)
        #expect(CannedQueries.shippedNames == files.filter { $0.hasSuffix(".sql") }.map { String($0.dropLast(4)) }.sorted())
    }

    @Test func formatsAndFilters() throws {
        let dir = try Self.cloneLikeFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("Reports/faultline.sqlite").path
        let html = try CLI.run(["report", "--db", db, "--format", "html", "--sql", "SELECT '<b>&' AS text, 0.0455585 AS x"])
        #expect(html.status == 0)
        #expect(html.stdout.contains("<td>&lt;b&gt;&amp;</td><td>0.046</td>"), "\(html.stdout)")
        #expect(!html.stdout.contains("Recovery percentiles"), "the query, not the full report")
        let json = try CLI.run(["report", "--db", db, "--format", "json", "--sql", "SELECT seed, simulated_seconds, NULL AS missing FROM runs ORDER BY id LIMIT 1"])
        let rows = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(rows?.first?["seed"] as? Int == 1)
        #expect(rows?.first?["simulated_seconds"] as? Double == 12)
        #expect(rows?.first?["missing"] is NSNull)
        let table = try CLI.run(["report", "--db", db])
        #expect(table.stdout.contains("killed-sweep"), "\(table.stdout)")
        let reals = table.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).filter { $0.first!.isNumber && $0.contains(".") }
        #expect(!reals.isEmpty && reals.allSatisfy { $0.split(separator: ".").last?.count == 3 }, "3 decimals: \(reals)")
        let nosuch = try CLI.run(["report", "--db", db, "--scenario", "nosuch"])
        #expect(nosuch.status == 65)
        #expect(nosuch.stdout.isEmpty)
        #expect(nosuch.stderr.contains("no runs of scenario nosuch") && nosuch.stderr.contains("failing, killed-sweep"), "\(nosuch.stderr)")
    }
}
