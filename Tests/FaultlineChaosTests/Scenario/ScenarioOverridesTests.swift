import Testing
@testable import FaultlineChaos

/// Overrides applied to the YAML before the loader reads it (ScenarioOverrides.swift).
@Suite struct ScenarioOverridesTests {
    static let yaml = """
        apiVersion: faultline.dev/v1alpha1
        kind: Scenario
        metadata: {name: o}
        spec:
          duration: 20s
          cluster:
            masters: 3
            etcd: {heartbeat-interval: 100ms, election-timeout: 1000ms}
          faults:
            - {kind: node-crash, target: etcd-leader, at: 5s, duration: 3s}
        """

    @Test func numbersAndDurationsOnly() {
        for value in ["3", "0.25", "500ms", "1.5s", "2m", "250us"] { #expect(ScenarioOverride.isNumericOrDuration(value), "\(value)") }
        for value in ["", "ms", "fast", "1.2.3s", "lognormal", "true"] { #expect(!ScenarioOverride.isNumericOrDuration(value), "\(value)") }
    }

    @Test func anOverrideReachesThePlanAndNothingElseChanges() throws {
        let text = try ScenarioOverrides.apply([.init(path: "cluster.etcd.election-timeout", value: "500ms"),
                                                .init(path: "spec.faults.0.duration", value: "7s")], to: Self.yaml)
        let plan = try ScenarioLoader.plan(yaml: text, file: "o.yaml")
        let original = try ScenarioLoader.plan(yaml: Self.yaml, file: "o.yaml")
        #expect(plan.cluster.etcdFlags.electionTimeoutMs == 500)
        #expect(original.cluster.etcdFlags.electionTimeoutMs == 1000)
        #expect(plan.cluster.etcdFlags.heartbeatIntervalMs == original.cluster.etcdFlags.heartbeatIntervalMs)
        #expect(plan.duration == original.duration && plan.name == original.name)
    }

    @Test func badPathsSayWhy() {
        func message(_ path: String, _ value: String = "1s") -> String {
            do {
                _ = try ScenarioOverrides.apply([.init(path: path, value: value)], to: Self.yaml)
                return "applied"
            } catch {
                return "\(error)"
            }
        }
        #expect(message("cluster.etcd.nothing.deeper").contains("spec.cluster.etcd has no field nothing"))
        #expect(message("faults.1.at").contains("is a list of 1"))
        #expect(message("faults.0.kind").contains("spec.faults.0.kind is not a number or duration field"))
        #expect(message("duration.x").contains("spec.duration is a value"))
        #expect(message("cluster..masters").contains("a path names fields"))
    }
}
