import Foundation
import Testing
@testable import FaultlineChaos
@testable import FaultlineCluster
import FaultlineSim

/// Overlapping faults on one machine: a host comes back when the last fault holding it down heals.
struct FaultInjectorTests {
    static let yaml = """
        apiVersion: faultline.dev/v1alpha1
        kind: Scenario
        metadata: {name: overlap}
        spec:
          duration: 2m
          cluster: {masters: 3, controlPlane: true}
          workload: {etcdClients: {clients: 0}}
          nodes:
            - {namePrefix: worker, count: 1, capacity: {cpu: "4", memory: 16Gi, pods: 110}}
          faults:
            - {kind: node-crash, target: random-worker, at: 30s, duration: 60s}
            - {kind: FAULT, target: random-worker, at: 40s, duration: 20s}
        """

    /// When `worker-1/kube-proxy` started (its first start and every restart), in seconds.
    static func starts(secondFault: String) throws -> [Double] {
        let plan = try ScenarioLoader.plan(yaml: yaml.replacingOccurrences(of: "FAULT", with: secondFault), file: "overlap.yaml")
        let proxy = try #require(plan.cluster.layout.hostNames.firstIndex(of: "worker-1/kube-proxy"))
        var starts: [Double] = []
        _ = ChaosRunner.run(plan, seed: 1) { record in
            guard record.kind == .started, record.source?.index == Int32(proxy) || record.target?.index == Int32(proxy) else { return }
            starts.append(Double(record.time.nanosecondsSinceStart) / 1e9)
        }
        return starts
    }

    /// A kube-proxy stop that ends while its machine is down leaves the process to the machine's
    /// restart: it used to restart the process on the dead machine, which then listed endpoints.
    @Test func aProcessStopEndingWhileTheMachineIsDownDoesNotStartTheProcess() throws {
        let starts = try Self.starts(secondFault: "kube-proxy-kill")
        #expect(starts.first == 0)
        #expect(!starts.contains { $0 > 30 && $0 < 90 }, "started on a crashed machine: \(starts)")
        #expect(starts.contains(90), "\(starts)")
    }
}
