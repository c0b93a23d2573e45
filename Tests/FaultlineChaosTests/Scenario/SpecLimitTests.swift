import Testing
@testable import FaultlineChaos

/// Values the loader refuses because the run could not honour them: a network duplicating more than
/// half its messages, etcd timings finer than etcd's milliseconds, liveness checks the load cannot meet.
@Suite struct SpecLimitTests {
    let base = ScenarioText.minimal()

    @Test func duplicationIsBoundedAtOneHalf() throws {
        let diagnostic = try #require(ScenarioText.single(base + "  network: {duplicate: 1.0}\n"))
        #expect(diagnostic.path == "spec.network.duplicate")
        #expect(diagnostic.message.hasPrefix("1.0 is more than 0.5: at most half of the messages may arrive twice"))
        #expect(diagnostic.line == 6 && diagnostic.column == 24)
        #expect(try ScenarioText.plan(base + "  network: {duplicate: 0.5}\n").link.duplicateProbability == 0.5)
    }

    @Test(arguments: ["500us", "1500us", "1900us", "1.5ms", "100000001ns"])
    func etcdTimingsFinerThanAMillisecondAreRefused(text: String) throws {
        let heartbeat = try #require(ScenarioText.single(base + "  cluster: {etcd: {heartbeat-interval: \(text)}}\n"))
        #expect(heartbeat.path == "spec.cluster.etcd.heartbeat-interval")
        #expect(heartbeat.message == "\(text) is finer than a millisecond; etcd takes --heartbeat-interval in whole milliseconds")
        let election = try #require(ScenarioText.single(base + "  cluster: {etcd: {election-timeout: 1s\(text)}}\n"))
        #expect(election.path == "spec.cluster.etcd.election-timeout" && election.message.contains("whole milliseconds"))
    }

    @Test func wholeMillisecondEtcdTimingsAreKept() throws {
        let plan = try ScenarioText.plan(base + "  cluster: {etcd: {heartbeat-interval: 2000us, election-timeout: 1.5s}}\n")
        #expect(plan.flags.heartbeatIntervalMs == 2 && plan.flags.electionTimeoutMs == 1_500)
    }

    @Test func aThinkTimeThatLeavesNoWriteBeforeConvergenceIsRefused() throws {
        let diagnostic = try #require(ScenarioText.single(base + "  workload: {etcdClients: {thinkTime: 25h}}\n"))
        #expect(diagnostic.path == "spec.workload.etcdClients.thinkTime")
        #expect(diagnostic.line == 6)
        #expect(diagnostic.message.hasPrefix("5 etcd clients with thinkTime 25h: 8.3e-04 writes expected within convergence (30s), but etcd.converges waits for one"))
        // A longer convergence bound makes the same load enough.
        #expect(throws: Never.self) { try ScenarioLoader.plan(yaml: base + "  workload: {etcdClients: {clients: 1, thinkTime: 10s}}\n  convergence: 1m\n", file: "t.yaml") }
    }

    @Test func clientsThatNeverWriteCannotConverge() throws {
        let diagnostic = try #require(ScenarioText.single(base + "  workload: {etcdClients: {clients: 2, mix: {get: 1, put: 0, delete: 0, cas: 0}}}\n"))
        #expect(diagnostic.path == "spec.workload.etcdClients.mix")
        #expect(diagnostic.message.contains("never write"))
    }

    @Test func apiAvailableNeedsAWritingClient() throws {
        let yaml = base + "  workload: {etcdClients: {clients: 0}}\n  expectations: [{metric: api.available, within: 10s}]\n"
        let diagnostic = try #require(ScenarioText.single(yaml))
        #expect(diagnostic.path == "spec.expectations[0].metric")
        #expect(diagnostic.message == "api.available needs a client write after each fault, but no client writes (no etcd clients)")
        #expect(diagnostic.line == 7)
        let slow = try #require(ScenarioText.single(base + "  workload: {etcdClients: {clients: 1, thinkTime: 20s}}\n  expectations: [{metric: api.available, within: 5s}]\n  convergence: 2m\n"))
        #expect(slow.path == "spec.expectations[0].metric" && slow.message.contains("writes expected within 5s"))
        // Without clients etcd.converges asks for a leader only: the scenario is fine.
        #expect(try ScenarioText.plan(base + "  workload: {etcdClients: {clients: 0}}\n").workload.clients == 0)
    }
}
