import Testing
@testable import FaultlineReport

/// `report --compare` (SweepComparison.swift): metric by metric, a missing side as NULL, failure rates.
@Suite struct SweepComparisonTests {
    @Test func comparesMetricByMetric() {
        let a = SweepPageTests.sweep("a", values: [1, 2, 3, 4], failing: 1)
        var b = SweepPageTests.sweep("b", values: [2, 4, 6, 8])
        b.metrics.append(("api.available", [.init(runID: 9, seed: 9, seconds: 5)]))
        let result = SweepComparison.result(a, b)
        #expect(result.columns.first == "metric" && result.columns.count == 13)
        #expect(result.rows.map { $0[0] } == [.text("api.available"), .text("etcd.leader-elected"), .text("(failure rate)")])
        #expect(result.rows[0][1] == .integer(0) && result.rows[0][2] == .null && result.rows[0][11] == .null)
        let leader = result.rows[1]
        #expect(leader[2] == .real(2) && leader[7] == .real(4) && leader[11] == .real(2))
        #expect(leader[5] == .real(4) && leader[10] == .real(8))
        #expect(result.rows[2][2] == .real(0.2) && result.rows[2][7] == .real(0) && result.rows[2][11] == .real(-0.2))
    }
}
