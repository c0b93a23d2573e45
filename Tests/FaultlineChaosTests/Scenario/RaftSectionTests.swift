import FaultlineCluster
import FaultlineSim
import Foundation
import Testing
@testable import FaultlineChaos

/// `spec.cluster.raft`: timings beyond etcd's flags, with Raft's rules rather than etcd's.
@Suite struct RaftSectionTests {
    let base = ScenarioText.minimal()

    @Test func theRaftPaperTimingsAreReadInTicks() throws {
        let plan = try ScenarioText.plan(base + """
          cluster:
            masters: 5
            raft: {tickInterval: 1ms, heartbeatInterval: 75ms, electionTimeout: {min: 150ms, max: 300ms}}

        """)
        let timing = try #require(plan.flags.raftTiming)
        #expect(timing.tickInterval == .milliseconds(1) && timing.heartbeatTicks == 75)
        #expect(timing.electionTicksMin == 150 && timing.electionTicksMax == 300)
        #expect(plan.flags.tickPhase == .random)
        // Below etcd's 5x rule, but Raft's own rule (heartbeat < minimum timeout) holds.
        #expect(plan.flags.timing == timing)
    }

    @Test func withoutTimingsEtcdsFlagsGiveTheTiming() throws {
        let plan = try ScenarioText.plan(base + "  cluster: {etcd: {heartbeat-interval: 50ms, election-timeout: 500ms}, raft: {tickPhase: aligned}}\n")
        #expect(plan.flags.raftTiming == nil && plan.flags.tickPhase == .aligned)
        #expect(plan.flags.timing == RaftTiming(tickInterval: .milliseconds(50), heartbeatTicks: 1, electionTicksMin: 10, electionTicksMax: 20))
    }

    @Test func theTickDefaultsToTheHeartbeat() throws {
        let plan = try ScenarioText.plan(base + "  cluster: {raft: {heartbeatInterval: 6ms, electionTimeout: {min: 12ms, max: 24ms}}}\n")
        #expect(plan.flags.timing == RaftTiming(tickInterval: .milliseconds(6), heartbeatTicks: 1, electionTicksMin: 2, electionTicksMax: 4))
    }

    @Test(arguments: [
        ("{heartbeatInterval: 75ms, electionTimeout: {min: 150ms, max: 300ms}, tickInterval: 1ms, tickPhase: alignd}", "spec.cluster.raft.tickPhase", "did you mean \"aligned\"?"),
        ("{tickInterval: 1ms, electionTimeout: {min: 150ms, max: 300ms}}", "spec.cluster.raft", "missing required field \"heartbeatInterval\""),
        ("{tickInterval: 1ms, heartbeatInterval: 75ms, electionTimeout: {min: 150ms}}", "spec.cluster.raft.electionTimeout", "missing required field \"max\""),
        ("{tickInterval: 2ms, heartbeatInterval: 75ms, electionTimeout: {min: 150ms, max: 300ms}}", "spec.cluster.raft.heartbeatInterval", "75ms is not a whole number of ticks of 2ms"),
        ("{tickInterval: 1ms, heartbeatInterval: 75ms, electionTimeout: {min: 300ms, max: 150ms}}", "spec.cluster.raft.electionTimeout", "min (300ms) must not exceed max (150ms)"),
        ("{tickInterval: 1ms, heartbeatInterval: 150ms, electionTimeout: {min: 150ms, max: 300ms}}", "spec.cluster.raft.heartbeatInterval", "must be shorter than electionTimeout.min"),
        ("{tickInterval: 10us, heartbeatInterval: 75ms, electionTimeout: {min: 150ms, max: 300ms}}", "spec.cluster.raft.tickInterval", "shorter than 100us"),
        ("{tickInterval: 1ms, heartbeatInterval: 0s, electionTimeout: {min: 150ms, max: 300ms}}", "spec.cluster.raft.heartbeatInterval", "must be longer than zero"),
    ])
    func badTimingsAreRefusedAtTheirField(raft: String, path: String, message: String) throws {
        let diagnostic = try #require(ScenarioText.single(base + "  cluster: {raft: \(raft)}\n"))
        #expect(diagnostic.path == path)
        #expect(diagnostic.message.contains(message), "\(diagnostic.message)")
    }

    @Test func etcdTimingsAndRaftTimingsAreNotBothGiven() throws {
        let diagnostic = try #require(ScenarioText.single(base + """
          cluster:
            raft: {heartbeatInterval: 75ms, electionTimeout: {min: 150ms, max: 300ms}}
            etcd: {election-timeout: 2000ms}

        """))
        #expect(diagnostic.path == "spec.cluster.etcd.election-timeout" && diagnostic.line == 8)
        #expect(diagnostic.message.contains("replaces etcd's --election-timeout"))
    }

    @Test func etcdsOwnFlagsKeepEtcdsFiveTimesRule() throws {
        let diagnostic = try #require(ScenarioText.single(base + "  cluster: {etcd: {heartbeat-interval: 75ms, election-timeout: 150ms}}\n"))
        #expect(diagnostic.message.contains("must be at least 5 x heartbeat-interval"))
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The shipped Figure 16 scenarios: the paper's setup and numbers in their header, the timing they
    /// name, the crash drawn within one heartbeat interval.
    @Test(arguments: [("150-150", 150, 150, 75), ("150-155", 150, 155, 75), ("150-175", 150, 175, 75),
                      ("150-200", 150, 200, 75), ("150-300", 150, 300, 75), ("12-24", 12, 24, 6)])
    func theRaftPaperScenariosSayWhatThePaperDid(name: String, low: Int, high: Int, heartbeat: Int64) throws {
        let path = Self.root.appendingPathComponent("Scenarios/raft-paper/raft-paper-\(name).yaml").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("# Paper result for \(low)-\(high) ms:"))
        #expect(text.contains("broadcast time (network round trip plus disk write) about 15 ms"))
        let plan = try ScenarioLoader.plan(path: path)
        #expect(plan.memberCount == 5 && !plan.flags.preVote && !plan.flags.checkQuorum)
        #expect(plan.flags.timing == RaftTiming(tickInterval: .milliseconds(1), heartbeatTicks: Int(heartbeat), electionTicksMin: low, electionTicksMax: high))
        // f1-f4 start the members one after another; f5 crashes the leader within one heartbeat interval.
        #expect(plan.faults.count == 5 && plan.faults[4].jitter == .milliseconds(heartbeat))
        #expect(plan.faults[4].effect == .crash(.etcdLeader))
        #expect(plan.measuredMetrics.contains(Metric.etcdLeaderWon))
    }
}
