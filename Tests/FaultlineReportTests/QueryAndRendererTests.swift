import Foundation
import Testing
@testable import FaultlineReport

/// Shell quoting (Swift and SQL agree, and the shell reads back the exact path), the percentile
/// view's one-sample-per-seed rule, the canned queries, and the renderers' number formats.
@Suite struct QueryAndRendererTests {
    static let trickyPaths = [
        "Scenarios/etcd-leader-crash.yaml", "my scenarios/a.yaml", "x.yaml; rm -rf ~", "it's.yaml", "$(reboot).yaml",
        "a\"b`c`.yaml", "tab\there.yaml", "new\nline.yaml", "ünïcode.yaml", "a=b.yaml", "*.yaml", "",
    ]

    static var queriesFolder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Reports/queries")
    }

    static func cannedQuery(_ name: String) throws -> String {
        try String(contentsOf: queriesFolder.appendingPathComponent("\(name).sql"), encoding: .utf8)
    }

    /// What `sh` makes of `word` as one shell word: `$1` after `set -- WORD`.
    static func shellReads(_ word: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "set -- \(word); printf '%s' \"$1\"; [ $# -eq 1 ] || echo ' <more than one word>'"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test(arguments: trickyPaths)
    func quotedPathsReadBackExactlyAndTheViewAgrees(path: String) throws {
        let quoted = shellQuoted(path)
        #expect(try Self.shellReads(quoted) == path, "\(quoted)")
        if path == "Scenarios/etcd-leader-crash.yaml" { #expect(quoted == path, "safe words are left as they are") }
        let dir = try ReportStoreTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try ReportStore(path: dir.appendingPathComponent("runs.sqlite").path)
        var record = ReportStoreTests.record(seed: 7, verdict: "safety")
        record.scenarioPath = path
        try store.record(record, startedAt: "t")
        let reproduce = try store.failingRuns().rows.first?[3].exact
        #expect(reproduce == reproduceCommand(scenarioPath: path, seed: 7))
        #expect(reproduce == "faultline run \(quoted) --seed 7")
        let replay = try store.query(try Self.cannedQuery("slowest-recoveries")).exactRows.first?.last
        #expect(replay == "faultline replay \(quoted) --seed 7")
        #expect(try store.query("SELECT \(ShellQuoteSQL.expression("scenario_path")) FROM runs").exactRows == [[quoted]])
    }

    @Test func percentilesCountEachSeedOnceFromItsNewestRun() throws {
        let dir = try ReportStoreTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try ReportStore(path: dir.appendingPathComponent("runs.sqlite").path)
        // Seed 1 run by a sweep, then again by a check (newer); seed 2 once; seed 1 of another version.
        try store.record(ReportStoreTests.record(seed: 1, recoveries: [10]), startedAt: "sweep")
        try store.record(ReportStoreTests.record(seed: 2, recoveries: [2]), startedAt: "sweep")
        try store.record(ReportStoreTests.record(seed: 1, recoveries: [1]), startedAt: "check")
        var other = ReportStoreTests.record(seed: 1, recoveries: [3])
        other.version = "test-2"
        try store.record(other, startedAt: "upgrade")
        let row = try #require(try store.recoveryPercentiles().rows.first)
        #expect(row.map(\.exact) == ["etcd-leader-crash", "etcd.leader-elected", "3", "2.0", "3.0", "3.0", "3.0"])
        let canned = try store.query(try Self.cannedQuery("recovery-percentiles")).exactRows
        #expect(canned == [["etcd-leader-crash", "etcd.leader-elected", "3", "2.000", "3.000", "3.000", "3.000"]])
        let slowest = try store.query(try Self.cannedQuery("slowest-recoveries")).exactRows.map { $0[3] }
        #expect(slowest == ["3.000", "2.000", "1.000"], "the older run of seed 1 (10 s) is not listed")
    }

    @Test func violationsByInvariantNamesTheNumericallySmallestSeed() throws {
        let dir = try ReportStoreTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try ReportStore(path: dir.appendingPathComponent("runs.sqlite").path)
        // As text, "10" < "3" < "9223372036854775808"; as numbers 3 is the smallest.
        for seed: UInt64 in [10, 9_223_372_036_854_775_808, 3, 25] {
            try store.record(ReportStoreTests.record(seed: seed, verdict: "safety"), startedAt: "t")
        }
        try store.record(ReportStoreTests.record(seed: 3, verdict: "safety"), startedAt: "again")
        let rows = try store.query(try Self.cannedQuery("violations-by-invariant")).exactRows
        #expect(rows.count == 1)
        #expect(rows.first?[3] == "4", "four seeds, seed 3 counted once")
        #expect(rows.first?[6] == "3")
        // Only seeds of 2^63 and above: the smallest of those, printed unsigned.
        let high = try ReportStore(path: dir.appendingPathComponent("high.sqlite").path)
        for seed: UInt64 in [UInt64.max, 9_223_372_036_854_775_809] {
            try high.record(ReportStoreTests.record(seed: seed, verdict: "safety"), startedAt: "t")
        }
        #expect(try high.query(try Self.cannedQuery("violations-by-invariant")).exactRows.first?[6] == "9223372036854775809")
    }

    @Test func everyCannedQueryRuns() throws {
        let dir = try ReportStoreTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try ReportStore(path: dir.appendingPathComponent("runs.sqlite").path)
        try store.record(contentsOf: (1...3).map { ReportStoreTests.record(seed: $0, verdict: $0 == 2 ? "safety" : "pass") }, startedAt: "t")
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.queriesFolder.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(names.count >= 7)
        for name in names {
            let result = try store.query(try String(contentsOf: Self.queriesFolder.appendingPathComponent(name), encoding: .utf8))
            #expect(!result.columns.isEmpty, "\(name)")
        }
    }

    static let mixed = QueryResult(columns: ["n", "seconds", "missing", "name"],
                                   rows: [[.integer(42), .real(0.0455585), .null, .text("<a & \"b\">")]])

    @Test func jsonKeepsTypesAndFullPrecision() throws {
        let json = renderJSON(Self.mixed)
        #expect(json == #"[{"n":42,"seconds":0.0455585,"missing":null,"name":"<a & \"b\">"}]"#)
        let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]]
        #expect(parsed?.first?["n"] as? Int == 42)
        #expect(parsed?.first?["missing"] is NSNull)
    }

    @Test func humanFormatsRoundToThreeDecimalsAndCSVKeepsFullPrecision() {
        #expect(renderTable(Self.mixed).split(separator: "\n").last?.contains("0.046") == true)
        #expect(!renderTable(Self.mixed).contains("0.0455585"))
        #expect(renderCSV(Self.mixed) == "n,seconds,missing,name\r\n42,0.0455585,,\"<a & \"\"b\"\">\"\r\n")
        let html = renderHTML(title: "T", sections: [("Query", Self.mixed)])
        #expect(html.contains("<td>0.046</td>"))
        #expect(html.contains("<td>&lt;a &amp; &quot;b&quot;&gt;</td>"))
        #expect(!html.contains("<a &"))
    }

    @Test func junitNamesAnInvalidFileAsAnErrorCase() {
        let xml = renderJUnit(suites: [], invalid: [("bad <1>.yaml", "bad.yaml:8:53: error: unknown field \"durtion\"")])
        #expect(xml.contains(#"errors="1""#))
        #expect(xml.contains(#"<testsuite name="bad &lt;1&gt;.yaml" tests="1" failures="0" errors="1""#))
        #expect(xml.contains(#"<error message="invalid scenario file; no seed was run" type="invalid-scenario">bad.yaml:8:53: error: unknown field &quot;durtion&quot;</error>"#))
    }
}
