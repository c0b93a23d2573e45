@testable import FaultlineReport
import Testing
@testable import faultline

/// `run`'s text output: columns line up whatever the width of fault ids.
@Suite struct TextRenderTests {
    @Test func recoveryAndFaultColumnsLineUpPastF9() {
        var record = RunRecord(scenario: "s", scenarioPath: "s.yaml", seed: 1, version: "v", traceHash: "0", events: 1,
                               simulatedSeconds: 1, wallSeconds: 0, verdict: "pass")
        record.faults = (1...11).map { .init(id: "f\($0)", kind: "node-crash", target: "master-1", injectedAt: Double($0), healedAt: nil) }
        record.recoveries = (1...11).map { .init(fault: "f\($0)", metric: "etcd.leader-elected", seconds: 1.5) }
        let lines = TextRender.run(record, scenarioPath: "s.yaml").split(separator: "\n").map(String.init)
        let recoveries = lines.filter { $0.contains("etcd.leader-elected") }
        #expect(recoveries.count == 11)
        #expect(Set(recoveries.map { $0.range(of: "etcd.leader-elected")!.lowerBound.utf16Offset(in: $0) }).count == 1, "\(recoveries)")
        #expect(Set(recoveries.map(\.count)).count == 1, "\(recoveries)")
        let faults = lines.filter { $0.contains("node-crash") }
        #expect(Set(faults.map { $0.range(of: "node-crash")!.lowerBound.utf16Offset(in: $0) }).count == 1, "\(faults)")
    }
}
