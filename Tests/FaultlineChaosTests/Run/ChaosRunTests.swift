import FaultlineCluster
import FaultlineSim
import Testing
@testable import FaultlineChaos

@Suite struct ChaosRunTests {
    static func leaderCrashPlan() -> RunPlan {
        var plan = RunPlan(name: "leader-crash", duration: .seconds(60), memberCount: 3)
        plan.faults = [PlannedFault(effect: .crash(.etcdLeader), at: .seconds(20), duration: .seconds(15))]
        plan.expectations = [RecoveryExpectation(metric: Metric.etcdLeaderElected, within: .seconds(5))]
        return plan
    }

    @Test func leaderCrashElectsANewLeaderAndStaysSafe() {
        let result = ChaosRunner.run(Self.leaderCrashPlan(), seed: 1, recordHistory: true)
        for outcome in result.invariants {
            #expect(outcome.holds, "\(outcome.name): \(outcome.detail)")
        }
        let elected = result.recoveries.first { $0.metric == Metric.etcdLeaderElected.name }
        #expect(elected != nil)
        if let elected { #expect(elected.duration > .milliseconds(900) && elected.duration < .seconds(4), "\(elected.duration)") }
        #expect(result.operations.count > 200)
        #expect(result.faults.count == 1)
        print(result.recoveries, result.events, result.operations.filter { $0.returned == nil }.count)
    }
}
