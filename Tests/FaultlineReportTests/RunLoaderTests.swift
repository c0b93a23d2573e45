import Foundation
import Testing
@testable import FaultlineReport

/// Runs read back from the store (RunLoader.swift, SweepData.swift) and migration v5's tables and view.
@Suite struct RunLoaderTests {
    @Test func aRunReadsBackAsItWasRecorded() throws {
        let dir = try ReportStoreTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try ReportStore(path: dir.appendingPathComponent("r.sqlite").path)
        var record = PageFixtures.run()
        record.scenario = "etcd-leader-crash [cluster.etcd.election-timeout=500ms]"
        try store.record(record, startedAt: "2026-01-01T00:00:00Z")
        let loaded = try #require(try store.runRecord(1))
        #expect(loaded == record)
        #expect(try store.runRecord(2) == nil)
        let reproduce = try store.failingRuns().exactRows.first?.last
        #expect(reproduce == "faultline run Scenarios/etcd-leader-crash.yaml --seed 7 --set cluster.etcd.election-timeout=500ms")
        #expect(RunPage.reproduce(loaded) == reproduce)
    }

    @Test func variantsAndSweepsComeInAFixedOrder() throws {
        let dir = try ReportStoreTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try ReportStore(path: dir.appendingPathComponent("s.sqlite").path)
        var records: [RunRecord] = []
        for (variant, values) in [("s [x=2]", [3.0, 1.0]), ("s", [2.0, 2.0]), ("s [x=1]", [0.5, 0.7]), ("s2", [9.0])] {
            for (index, value) in values.enumerated() {
                var record = ReportStoreTests.record(seed: UInt64(index + 1), scenario: variant, verdict: index == 1 && variant == "s [x=2]" ? "safety" : "pass",
                                                     recoveries: [value])
                record.scenario = variant
                records.append(record)
            }
        }
        try store.record(contentsOf: records, startedAt: "t")
        #expect(try store.variants(of: "s") == ["s", "s [x=2]", "s [x=1]"])
        #expect(try store.variants(of: "nothing").isEmpty)
        let sweep = try store.sweep("s [x=2]")
        #expect(sweep.runs == 2 && sweep.seeds == [1, 2])
        #expect(sweep.metrics.map(\.name) == ["etcd.leader-elected"])
        #expect(sweep.metrics[0].samples.map(\.seconds) == [1.0, 3.0])
        #expect(sweep.failures.map(\.seed) == [2])
        #expect(sweep.failures.first?.invariant == "raft.election-safety")
        #expect(sweep.invariants.first { $0.name == "raft.election-safety" }.map { ($0.runs, $0.held) } ?? (0, 0) == (2, 1))
    }
}
