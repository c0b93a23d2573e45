import Foundation
import Testing

/// `report --run ID --format html`, `run --html FILE` and the sweep page, end to end.
@Suite struct HtmlReportCommandTests {
    @Test func runPageFromTheDatabaseEqualsTheOneRunWrites() throws {
        let dir = try Fixtures.folder("html")
        defer { try? FileManager.default.removeItem(at: dir) }
        let scenario = try Fixtures.tinyScenario(in: dir)
        let db = dir.appendingPathComponent("r.sqlite").path
        let direct = dir.appendingPathComponent("direct.html").path
        let run = try CLI.run(["run", scenario, "--seed", "3", "--db", db, "--html", direct])
        #expect(run.status == 0, "\(run.stderr)")
        let page = try String(contentsOfFile: direct, encoding: .utf8)
        for needle in ["class=\"lane\" data-host=\"master-1\"", "class=\"fault-bar\"", "class=\"recovery-marker\"", "class=\"avail-bar\"",
                       "class=\"latency-point\"", "faultline run \(scenario) --seed 3"] {
            #expect(page.contains(needle), "missing \(needle)")
        }
        let report = try CLI.run(["report", "--db", db, "--run", "1", "--format", "html"])
        #expect(report.status == 0, "\(report.stderr)")
        // The same page but for the run id in the title.
        #expect(report.stdout.replacingOccurrences(of: "Faultline run #1:", with: "Faultline run:") == page)
    }

    @Test func badRunIdsAndFormatsAreRefused() throws {
        let dir = try Fixtures.folder("html")
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = try Fixtures.database(in: dir, seeds: "1")
        let missing = try CLI.run(["report", "--db", db, "--run", "9", "--format", "html"])
        #expect(missing.status == 65)
        #expect(missing.stderr.contains("no run 9"))
        let table = try CLI.run(["report", "--db", db, "--run", "1"])
        #expect(table.status == 64)
        #expect(table.stderr.contains("--run needs --format html"))
    }

    @Test func sweepPageWritesLinkedRunPagesBesideIt() throws {
        let dir = try Fixtures.folder("html")
        defer { try? FileManager.default.removeItem(at: dir) }
        let scenario = try Fixtures.tinyScenario(in: dir)
        // A 1 ms bound: every recovery is beyond it, so every seed gets a run page.
        let strict = try String(contentsOfFile: scenario, encoding: .utf8).replacingOccurrences(of: "within: 5s", with: "within: 1ms")
        try strict.write(toFile: scenario, atomically: true, encoding: .utf8)
        let db = dir.appendingPathComponent("s.sqlite").path
        _ = try CLI.run(["sweep", scenario, "--seeds", "1..3", "--db", db, "--jobs", "1"])
        let output = dir.appendingPathComponent("sweep.html").path
        let report = try CLI.run(["report", "--db", db, "--scenario", "killed-sweep", "--format", "html", "--output", output])
        #expect(report.status == 0, "\(report.stderr)")
        let page = try String(contentsOfFile: output, encoding: .utf8)
        #expect(page.contains("class=\"hist-bar\"") && page.contains("class=\"bound-marker\"") && page.contains("class=\"cdf-line\""))
        #expect(page.contains("3 beyond the bound (0.001 s)"))
        for id in 1...3 {
            #expect(page.contains("href=\"sweep-runs/run-\(id).html\""))
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("sweep-runs/run-\(id).html").path))
        }
    }
}
