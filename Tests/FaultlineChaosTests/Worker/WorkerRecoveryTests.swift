import FaultlineCluster
import FaultlineSim
import Testing
@testable import FaultlineChaos

/// `deployment.available` and `service.available` measure the end of a disruption; a fault that
/// disrupted nothing is credited with zero seconds at the end of the run, one that did only when the
/// disruption ends.
struct WorkerRecoveryTests {
    static func at(_ seconds: Int64) -> SimInstant { .start + .seconds(seconds) }

    func metrics(complete: Bool) -> WorkerMetrics {
        var metrics = WorkerMetrics()
        metrics.replicas = ["default/web": 0]
        metrics.complete = ["default/web": complete]
        return metrics
    }

    @Test func aFaultThatDisturbedNothingRecoversInZeroSeconds() {
        var metrics = metrics(complete: true)
        var recovery = RecoveryTracker()
        recovery.arm(faultID: "f1", metric: Metric.deploymentAvailable, injectedAt: Self.at(10))
        metrics.dirty = true
        metrics.sample(at: Self.at(20), &recovery)
        #expect(recovery.recoveries.isEmpty, "nothing ended yet: no shortfall began")
        metrics.finish(at: Self.at(60), &recovery)
        #expect(recovery.recoveries.map(\.duration) == [.zero])
        #expect(recovery.unrecovered.isEmpty)
    }

    @Test func aShortfallStillOpenAtTheEndStaysUnrecovered() {
        var metrics = metrics(complete: true)
        var recovery = RecoveryTracker()
        recovery.arm(faultID: "f1", metric: Metric.deploymentAvailable, injectedAt: Self.at(10))
        metrics.complete["default/web"] = false
        metrics.dirty = true
        metrics.sample(at: Self.at(12), &recovery)
        metrics.finish(at: Self.at(60), &recovery)
        #expect(recovery.recoveries.isEmpty)
        #expect(recovery.unrecovered.map(\.faultID) == ["f1"])
    }

    @Test func aShortfallThatEndsIsCreditedWhenItEnds() {
        var metrics = metrics(complete: false)
        var recovery = RecoveryTracker()
        recovery.arm(faultID: "f1", metric: Metric.deploymentAvailable, injectedAt: Self.at(10))
        metrics.dirty = true
        metrics.sample(at: Self.at(12), &recovery)
        metrics.complete["default/web"] = true
        metrics.dirty = true
        metrics.sample(at: Self.at(30), &recovery)
        metrics.finish(at: Self.at(60), &recovery)
        #expect(recovery.recoveries.map(\.duration) == [.seconds(20)])
    }
}
