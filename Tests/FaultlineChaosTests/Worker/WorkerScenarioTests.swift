import Foundation
import Testing
@testable import FaultlineChaos
@testable import FaultlineCluster
import FaultlineSim

/// The worker scenarios behave as a real cluster does, and every broken worker variant is caught.
@Suite struct WorkerScenarioTests {
    static func plan(_ relative: String) throws -> RunPlan {
        try ScenarioLoader.plan(path: ShippedScenarioTests.root.appendingPathComponent(relative).path)
    }

    static func recovery(_ result: RunResult, _ metric: MetricID) -> Double? {
        result.recoveries.first { $0.metric == metric.name }?.duration.seconds
    }

    /// Kubernetes 1.34 defaults: NotReady 50 s after the last lease renewal (monitor period 5 s, lease
    /// renewed every 10 s), eviction 300 s after the taint, replacements Ready seconds later.
    @Test func kubeletLossFollowsTheUpstreamTimeline() throws {
        let result = ChaosRunner.run(try Self.plan("Scenarios/worker-kubelet-loss.yaml"), seed: 1)
        #expect(result.verdict == .pass, "\(result.invariants.filter { !$0.holds })")
        let notReady = try #require(Self.recovery(result, Metric.nodeNotReady))
        #expect(notReady >= 40 && notReady <= 56, "node.not-ready after \(notReady) s")
        let evicted = try #require(Self.recovery(result, Metric.podsEvicted))
        #expect(evicted >= notReady + 299 && evicted <= notReady + 302, "pods.evicted after \(evicted) s")
        let rescheduled = try #require(Self.recovery(result, Metric.podsRescheduled))
        #expect(rescheduled > evicted && rescheduled < evicted + 30, "pods.rescheduled after \(rescheduled) s")
        // The orphaned containers kept serving: traffic never dropped below 99% after start-up.
        let late = result.traffic.filter { $0.second > 30 && $0.served * 100 < ($0.served + $0.refused + $0.deadPod + $0.timedOut) * 99 }
        #expect(late.isEmpty, "seconds below 99%: \(late.prefix(3))")
    }

    /// A crashed worker's endpoints time out until the node controller removes them.
    @Test func workerCrashLosesTrafficUntilTheEndpointsGo() throws {
        let result = ChaosRunner.run(try Self.plan("Scenarios/worker-crash.yaml"), seed: 1)
        #expect(result.verdict == .pass, "\(result.invariants.filter { !$0.holds })")
        let available = try #require(Self.recovery(result, Metric.serviceAvailable))
        #expect(available >= 40 && available <= 70, "service.available after \(available) s")
        #expect(result.traffic.contains { $0.timedOut > 0 && $0.second >= 60 })
    }

    /// container-kill: the kubelet restarts the container at once (first CrashLoopBackOff step);
    /// pod-kill: the pod is force-deleted and its ReplicaSet replaces it.
    @Test func containerAndPodKillsRecover() throws {
        let base = try String(contentsOfFile: ShippedScenarioTests.root.appendingPathComponent("Scenarios/worker-runtime-crash.yaml").path, encoding: .utf8)
        let yaml = base.replacingOccurrences(of: "duration: 6m", with: "duration: 2m")
            .replacingOccurrences(of: "    - {kind: runtime-kill, target: node-running:web, at: 60s, duration: 3m}\n",
                                  with: "    - {kind: container-kill, target: node-running:web, pod: web, at: 30s}\n    - {kind: pod-kill, target: random-worker, pod: web, at: 40s}\n")
            .replacingOccurrences(of: "    - {metric: node.not-ready, within: 50s}\n", with: "    - {metric: deployment.available, within: 30s}\n")
        let plan = try ScenarioLoader.plan(yaml: yaml, file: "kills.yaml")
        let result = ChaosRunner.run(plan, seed: 1)
        #expect(result.verdict == .pass, "\(result.invariants.filter { !$0.holds })")
        let killed = result.timeline.filter { $0.kind == "container-stopped" && $0.detail.contains("killed") }
        #expect(killed.count == 1, "\(killed)")
        #expect(result.faults.count == 2)
    }

    /// After an etcd quorum loss, the new node controller leader may mark a node Unknown before it sees
    /// the node's first renewed Lease. The kubelet decides what to post against the server's copy of its
    /// Node, so it puts Ready back at its next 10 s status sync; deciding against its own last post, it
    /// waited 5 minutes while the controller marked the node's pods NotReady every 5 s (seeds 7, 16).
    @Test(arguments: [UInt64(7), 16])
    func kubeletRestoresReadyAfterTheControllerMarkedItUnknown(seed: UInt64) throws {
        let result = ChaosRunner.run(try Self.plan("Scenarios/cp-etcd-quorum-loss.yaml"), seed: seed)
        let converges = result.invariants.first { $0.name == InvariantName.kubeConverges.name }
        #expect(converges?.holds == true, "\(converges?.detail ?? "not checked")")
    }

    @Test(arguments: [
        ("worker-proxy-flush", InvariantName.servicesKeepServing),
        ("worker-stale-endpoints", InvariantName.servicesNoStaleEndpoints),
        ("worker-eviction-storm", InvariantName.evictionsNoStormInFullDisruption),
    ])
    func brokenVariantIsCaught(scenario: String, invariant: InvariantID) throws {
        let plan = try Self.plan("Scenarios/unsafe/\(scenario).yaml")
        var caughtAt: UInt64?
        for seed: UInt64 in 1...3 {
            let result = ChaosRunner.run(plan, seed: seed)
            if result.invariants.contains(where: { $0.name == invariant.name && !$0.holds }) {
                caughtAt = seed
                break
            }
        }
        #expect(caughtAt != nil, "\(invariant) never failed for \(scenario) in seeds 1...3 (reproduce: faultline sweep Scenarios/unsafe/\(scenario).yaml --seeds 1..3)")
        var fixed = plan
        fixed.cluster.controlPlane?.schedulerBugs = []
        fixed.cluster.controlPlane?.nodeLifecycle.bugs = []
        fixed.cluster.workers.kubelet.bugs = []
        fixed.cluster.workers.kubeProxy.bugs = []
        let outcome = ChaosRunner.run(fixed, seed: caughtAt ?? 1).invariants.first { $0.name == invariant.name }
        #expect(outcome?.holds == true, "\(scenario) without its bugs: \(outcome?.detail ?? "not checked")")
    }
}
