import FaultlineCluster
import FaultlineSim
import Testing
@testable import FaultlineChaos

/// Bad control-plane input is refused with the field path, the line and the reason; good input reads
/// into the control-plane spec with upstream defaults.
@Suite struct ControlPlaneReaderTests {
    static let file = "Scenarios/cp.yaml"

    static func scenario(cluster: String = "    controlPlane: true", body: String) -> String {
        """
        apiVersion: faultline.dev/v1alpha1
        kind: Scenario
        metadata: {name: cp}
        spec:
          duration: 2m
          cluster:
            masters: 3
        \(cluster)
        \(body)
        """
    }

    static let deployment = """
      workloads:
        - apiVersion: apps/v1
          kind: Deployment
          metadata: {name: web}
          spec:
            replicas: 2
            selector: {matchLabels: {app: web}}
            template:
              metadata: {labels: {app: web}}
              spec:
                containers:
                  - name: web
                    image: nginx:1.27
                    resources: {requests: {cpu: CPU, memory: 256Mi}}
    """

    static func rejected(_ yaml: String) -> [ScenarioDiagnostic] {
        do {
            _ = try ScenarioLoader.plan(yaml: yaml, file: file)
            Issue.record("expected a rejection")
            return []
        } catch {
            return error.diagnostics
        }
    }

    @Test func aValidControlPlaneReadsWithDefaults() throws {
        let plan = try ScenarioLoader.plan(yaml: Self.scenario(body: Self.deployment.replacingOccurrences(of: "CPU", with: "250m")
            + "\n  nodes:\n    - {namePrefix: worker, count: 2, capacity: {cpu: \"4\", memory: 16Gi}}"), file: Self.file)
        let controlPlane = try #require(plan.cluster.controlPlane)
        #expect(plan.cluster.layout.controlPlane)
        #expect(plan.cluster.layout.nodeNames == ["worker-1", "worker-2"])
        #expect(controlPlane.loadBalancer.checkIntervalMs == 2_000 && controlPlane.loadBalancer.fall == 3 && controlPlane.loadBalancer.rise == 2)
        #expect(controlPlane.leaderElection.leaseDurationMs == 15_000 && controlPlane.leaderElection.renewDeadlineMs == 10_000)
        #expect(controlPlane.workloads.count == 1)
        #expect(controlPlane.nodes.first?.status.allocatable.pods == 110)
        #expect(plan.checkedInvariants.contains(InvariantName.podsNoDoubleBinding))
    }

    @Test func aMalformedQuantityNamesThePathInsideTheManifestAndTheLine() {
        let found = Self.rejected(Self.scenario(body: Self.deployment.replacingOccurrences(of: "CPU", with: "5OOm")))
        let diagnostic = found.first { $0.path.hasSuffix("resources.requests.cpu") }
        #expect(diagnostic?.path == "spec.workloads[0].spec.template.spec.containers[0].resources.requests.cpu", "\(found)")
        #expect(diagnostic?.line != nil)
        #expect(diagnostic?.message.contains("5OOm") == true)
    }

    @Test func controlPlaneFlagsWithoutTheControlPlaneAreRefused() {
        let found = Self.rejected(Self.scenario(cluster: "    kube-apiserver: {etcd-servers: all}", body: ""))
        #expect(found.contains { $0.path == "spec.cluster.kube-apiserver" && $0.message.contains("controlPlane: true") }, "\(found)")
    }

    @Test func workloadsWithoutTheControlPlaneAreRefused() {
        let found = Self.rejected(Self.scenario(cluster: "", body: Self.deployment.replacingOccurrences(of: "CPU", with: "1")))
        #expect(found.contains { $0.path == "spec.workloads" && $0.message.contains("controlPlane") }, "\(found)")
    }

    @Test func aKillTakesNoDuration() {
        let found = Self.rejected(Self.scenario(body: "  faults:\n    - {kind: apiserver-kill, target: master-1, at: 10s, duration: 5s}"))
        #expect(found.contains { $0.path == "spec.faults[0].duration" && $0.message.contains("instantaneous") }, "\(found)")
    }

    @Test func controlPlaneFaultsNeedTheControlPlane() {
        let found = Self.rejected(Self.scenario(cluster: "", body: "  faults:\n    - {kind: lb-crash, at: 10s, duration: 5s}"))
        #expect(found.contains { $0.path == "spec.faults[0].kind" && $0.message.contains("control plane") }, "\(found)")
        let nemesis = Self.rejected(Self.scenario(cluster: "", body: "  nemesis: {faults: [scheduler-kill], meanInterval: 10s, safetyPhase: 60s}"))
        #expect(nemesis.contains { $0.path == "spec.nemesis.faults" && $0.message.contains("scheduler-kill") }, "\(nemesis)")
    }

    @Test func leaderElectionFlagsFollowClientGosRules() {
        let found = Self.rejected(Self.scenario(cluster: "    controlPlane: true\n    leader-election: {lease-duration: 10s, renew-deadline: 10s}", body: ""))
        #expect(found.contains { $0.path == "spec.cluster.leader-election.lease-duration" }, "\(found)")
    }

    @Test func leaderTargetsNeedTheControlPlane() {
        let found = Self.rejected(Self.scenario(cluster: "", body: "  faults:\n    - {kind: node-crash, target: scheduler-leader, at: 10s, duration: 5s}"))
        #expect(found.contains { $0.path == "spec.faults[0].target" && $0.message.contains("scheduler-leader") }, "\(found)")
    }

    @Test func aNodeDeclaredTwiceIsRefused() {
        let found = Self.rejected(Self.scenario(body: "  nodes:\n    - {name: worker-1, capacity: {cpu: \"2\", memory: 4Gi}}\n    - {name: worker-1, capacity: {cpu: \"2\", memory: 4Gi}}"))
        #expect(found.contains { $0.message.contains("declared twice") }, "\(found)")
    }

    @Test func controllerManagerFlagsReadWithUpstreamNames() throws {
        let defaults = try #require(try ScenarioLoader.plan(yaml: Self.scenario(body: ""), file: Self.file).cluster.controlPlane).nodeLifecycle
        #expect(defaults == NodeLifecycleFlags())
        #expect(defaults.nodeMonitorGracePeriodMs == 50_000 && defaults.nodeEvictionRatePerSecond == 0.1 && defaults.largeClusterSizeThreshold == 50)
        let cluster = """
            controlPlane: true
            kube-controller-manager:
              node-monitor-period: 2s
              node-monitor-grace-period: 20s
              node-startup-grace-period: 30s
              node-eviction-rate: 0.5
              secondary-node-eviction-rate: 0
              unhealthy-zone-threshold: 0.4
              large-cluster-size-threshold: 10
              unsafe-bugs: [evicts-in-full-disruption]
        """
        let flags = try #require(try ScenarioLoader.plan(yaml: Self.scenario(cluster: cluster, body: ""), file: Self.file).cluster.controlPlane).nodeLifecycle
        #expect(flags.nodeMonitorPeriodMs == 2_000 && flags.nodeMonitorGracePeriodMs == 20_000 && flags.nodeStartupGracePeriodMs == 30_000)
        #expect(flags.nodeEvictionRatePerSecond == 0.5 && flags.secondaryNodeEvictionRatePerSecond == 0)
        #expect(flags.unhealthyZoneThreshold == 0.4 && flags.largeClusterSizeThreshold == 10)
        #expect(flags.bugs == .evictsInFullDisruption)
    }

    @Test func badControllerManagerFlagsNameTheField() {
        let bad = """
            controlPlane: true
            kube-controller-manager:
              node-monitor-period: 10s
              node-monitor-grace-period: 10s
              node-eviction-rate: -1
              unhealthy-zone-threshold: 1.5
        """
        let found = Self.rejected(Self.scenario(cluster: bad, body: ""))
        let paths = found.map(\.path)
        #expect(paths.contains("spec.cluster.kube-controller-manager.node-monitor-grace-period"), "\(found)")
        #expect(paths.contains("spec.cluster.kube-controller-manager.node-eviction-rate"), "\(found)")
        #expect(paths.contains("spec.cluster.kube-controller-manager.unhealthy-zone-threshold"), "\(found)")
        #expect(!paths.contains("spec.cluster.kube-controller-manager.node-startup-grace-period"), "60 s > 10 s: \(found)")
    }
}
