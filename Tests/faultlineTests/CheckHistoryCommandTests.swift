import Foundation
import Testing

/// `faultline check-history FILE` (CheckHistoryCommand.swift, HistoryReader.swift).
@Suite struct CheckHistoryCommandTests {
    static func line(_ client: Int, _ op: String, _ value: String, call: Int, ret: Int?, ok: Bool = true, expected: String = "") -> String {
        "{\"client\":\(client),\"op\":\"\(op)\",\"key\":\"k1\",\"value\":\"\(value)\",\"expected\":\"\(expected)\",\"ok\":\(ok),\"call\":\(call),\"return\":\(ret.map(String.init) ?? "null")}"
    }

    static func write(_ lines: [String], in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("h.jsonl").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func aLinearizableHistoryPasses() throws {
        let dir = try Fixtures.folder("hist")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try Self.write([Self.line(0, "put", "a", call: 10, ret: 20), Self.line(1, "get", "a", call: 30, ret: 40),
                                   Self.line(1, "put", "b", call: 50, ret: nil)], in: dir)
        let result = try CLI.run(["check-history", path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("linearizable: 3 operations on 1 keys"))
    }

    @Test func aStaleReadFailsWithTheShrunkCounterexample() throws {
        let dir = try Fixtures.folder("hist")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try Self.write([Self.line(0, "put", "a", call: 10, ret: 20), Self.line(2, "get", "a", call: 21, ret: 22),
                                   Self.line(0, "put", "b", call: 30, ret: 40), Self.line(1, "get", "a", call: 50, ret: 60)], in: dir)
        let html = dir.appendingPathComponent("c.html").path
        let result = try CLI.run(["check-history", path, "--html", html])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdout.contains("NOT linearizable"))
        #expect(result.stdout.contains("client 1 get k1 -> \"a\""))
        #expect(!result.stdout.contains("client 2 get"), "the harmless read is shrunk away")
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.contains("class=\"op-bar\""))
    }

    @Test func malformedLinesNameTheLineAndField() throws {
        let dir = try Fixtures.folder("hist")
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = Self.line(0, "put", "a", call: 10, ret: 20)
        let cases: [(String, String)] = [
            ("not json", "line 2: not a JSON object"),
            (good.replacingOccurrences(of: "\"ok\":true,", with: ""), "line 2: missing field \"ok\""),
            (good.replacingOccurrences(of: "\"ok\":true", with: "\"ok\":1"), "line 2: field \"ok\" must be true or false"),
            (good.replacingOccurrences(of: "\"call\":10", with: "\"call\":1.5"), "line 2: field \"call\" must be a whole number of nanoseconds"),
            (good.replacingOccurrences(of: "\"put\"", with: "\"append\""), "line 2: field \"op\" is \"append\""),
            (good.replacingOccurrences(of: "\"return\":20", with: "\"return\":5"), "line 2: \"return\" (5) is before \"call\" (10)"),
            (good.replacingOccurrences(of: ",\"return\":20", with: ""), "line 2: missing field \"return\""),
        ]
        for (bad, message) in cases {
            let path = try Self.write([good, bad], in: dir)
            let result = try CLI.run(["check-history", path])
            #expect(result.status == 65, "\(bad): \(result.stdout)")
            #expect(result.stderr.contains("\(path):\(message.dropFirst(5))"), "\(bad): \(result.stderr)")
        }
        let missing = try CLI.run(["check-history", dir.appendingPathComponent("nope.jsonl").path])
        #expect(missing.status == 65)
    }

    @Test func aHistoryFromRunPassesCheckHistory() throws {
        let dir = try Fixtures.folder("hist")
        defer { try? FileManager.default.removeItem(at: dir) }
        let scenario = try Fixtures.tinyScenario(in: dir)
        let history = dir.appendingPathComponent("run.jsonl").path
        _ = try CLI.run(["run", scenario, "--seed", "2", "--no-db", "--history", history])
        let result = try CLI.run(["check-history", history])
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
    }
}
