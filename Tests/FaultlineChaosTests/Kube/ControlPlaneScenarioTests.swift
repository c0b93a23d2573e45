import FaultlineCluster
import FaultlineSim
import Foundation
import Testing
@testable import FaultlineChaos

/// The shipped control-plane scenarios: each passes, and its recoveries match what Kubernetes' defaults
/// predict (lease-duration 15 s, retry-period 2 s, HAProxy inter 2 s fall 3, kubelet back-off 10 s).
@Suite struct ControlPlaneScenarioTests {
    static func plan(_ name: String) throws -> RunPlan {
        try ScenarioLoader.plan(path: ShippedScenarioTests.root.appendingPathComponent("Scenarios/\(name).yaml").path)
    }

    static func seconds(_ result: RunResult, _ metric: MetricID) -> Double? {
        result.recoveries.first { $0.metric == metric.name }.map { Double($0.duration.nanoseconds) / 1e9 }
    }

    static func expectPass(_ result: RunResult) {
        for outcome in result.invariants { #expect(outcome.holds, "\(result.scenario): \(outcome.name): \(outcome.detail)") }
    }

    @Test func leadersMasterCrashHandsBothLeasesOverAfterTheLeaseDuration() throws {
        let result = ChaosRunner.run(try Self.plan("cp-leaders-master-crash"), seed: 1)
        Self.expectPass(result)
        // A candidate waits until the record was unchanged for 15 s on its own clock, then at most one
        // jittered retry (2 s x [1, 2.2)) to notice.
        let scheduler = try #require(Self.seconds(result, Metric.schedulerLeaderAcquired))
        #expect(scheduler >= 13 && scheduler <= 25, "\(scheduler)")
        let manager = try #require(Self.seconds(result, Metric.controllerManagerLeaderAcquired))
        #expect(manager >= 0 && manager <= 25, "\(manager)")
        #expect(result.timeline.contains { $0.kind == "lease-acquired" && $0.at > .start + .seconds(40) })
    }

    @Test func apiserverKillIsSeenByTheLoadBalancerAndRestartedByTheKubelet() throws {
        let result = ChaosRunner.run(try Self.plan("cp-apiserver-kill"), seed: 1)
        Self.expectPass(result)
        // Refused connections fail each 2 s check at once: down after 3 checks (4-8 s); the kubelet
        // restarts the static pod after its 10 s back-off (noticed on its 1 s relist), then 2 good checks.
        let removed = try #require(Self.seconds(result, Metric.lbBackendRemoved))
        #expect(removed >= 3 && removed <= 9, "\(removed)")
        let down = result.timeline.first { $0.kind == "lb-backend-down" }
        let up = result.timeline.first { $0.kind == "lb-backend-up" && $0.at > (down?.at ?? .distantFuture) }
        let back = try #require(up).at - .start
        #expect(back >= .seconds(50) && back <= .seconds(60), "\(back)")
    }

    @Test func etcdQuorumLossStopsTheApiWithoutDoubleBindingAndRecovers() throws {
        let result = ChaosRunner.run(try Self.plan("cp-etcd-quorum-loss"), seed: 1)
        Self.expectPass(result)
        // No write can complete while two of three members are down (30 s).
        let available = try #require(Self.seconds(result, Metric.apiAvailable))
        #expect(available >= 30, "\(available)")
        #expect(result.invariants.contains { $0.name == InvariantName.podsNoDoubleBinding.name && $0.holds })
    }

    @Test(arguments: ["cp-etcd-leader-crash-rollout", "cp-master-split-from-masters", "cp-lb-crash", "cp-leader-clock-jump"])
    func scenarioPasses(name: String) throws {
        let result = ChaosRunner.run(try Self.plan(name), seed: 2)
        Self.expectPass(result)
        #expect(result.timeline.contains { $0.kind == "pod-bound" })
    }
}

/// Every deliberately broken control-plane variant is caught by the invariant its shipped scenario
/// names, within a few seeds; the same scenario with the bugs removed keeps that invariant.
@Suite struct ControlPlaneCheckersCanFailTests {
    static func unsafePlan(_ name: String) throws -> RunPlan {
        try ScenarioLoader.plan(path: ShippedScenarioTests.root.appendingPathComponent("Scenarios/unsafe/\(name).yaml").path)
    }

    static func withoutBugs(_ plan: RunPlan) -> RunPlan {
        var fixed = plan
        fixed.cluster.controlPlane?.apiserverBugs = []
        fixed.cluster.controlPlane?.schedulerBugs = []
        fixed.cluster.controlPlane?.leaderElection.bugs = []
        fixed.cluster.workers.kubelet.bugs = []
        return fixed
    }

    @Test(arguments: [
        ("cp-takeover-without-waiting", InvariantName.leasesSingleHolder),
        ("cp-leader-ignores-deadline", InvariantName.leaderActsOnlyWhileLeading),
        ("cp-double-binding", InvariantName.podsNoDoubleBinding),
        ("cp-overcommit", InvariantName.nodesNoOvercommit),
        ("cp-stale-api-read", InvariantName.apiLinearizable),
        ("cp-watch-replay", InvariantName.resourceVersionMonotonic),
    ])
    func brokenVariantIsCaught(scenario: String, invariant: InvariantID) throws {
        let plan = try Self.unsafePlan(scenario)
        var caughtAt: UInt64?
        for seed: UInt64 in 1...3 {
            let result = ChaosRunner.run(plan, seed: seed)
            if result.invariants.contains(where: { $0.name == invariant.name && !$0.holds }) {
                caughtAt = seed
                break
            }
        }
        #expect(caughtAt != nil, "\(invariant) never failed for \(scenario) in seeds 1...3 (reproduce: faultline sweep Scenarios/unsafe/\(scenario).yaml --seeds 1..3)")
        let fixed = ChaosRunner.run(Self.withoutBugs(plan), seed: caughtAt ?? 1)
        let outcome = fixed.invariants.first { $0.name == invariant.name }
        #expect(outcome?.holds == true, "\(scenario) without its bugs: \(outcome?.detail ?? "not checked")")
    }
}
