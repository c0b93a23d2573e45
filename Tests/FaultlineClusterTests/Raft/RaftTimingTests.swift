import FaultlineSim
import Testing
@testable import FaultlineCluster

/// The randomised election timeout: etcd's [T, 2T) by default, [min, max) from a `raft:` section,
/// exactly min when min = max.
@Suite struct RaftTimingTests {
    /// The timeouts a follower draws over `count` resets.
    static func draws(_ configure: (inout RaftConfig) -> Void, count: Int = 2_000) -> [Int] {
        var config = RaftConfig(id: MemberID(1), voters: [MemberID(1), MemberID(2), MemberID(3)])
        configure(&config)
        var node = RaftNode<Op>(config: config, restoring: RaftDurableState<Op>(), random: SimRandom(seed: 5, stream: "timing"))
        var seen: [Int] = []
        for _ in 0..<count {
            node.resetTimers()
            seen.append(node.randomizedElectionTimeout)
        }
        return seen
    }

    @Test func etcdsDefaultIsOneToTwoElectionTimeouts() {
        let seen = Self.draws { $0.electionTicks = 10 }
        #expect(Set(seen) == Set(10..<20))
    }

    @Test func aRangeIsDrawnInMinToMax() {
        let seen = Self.draws { $0.electionTicks = 150; $0.electionTicksMax = 155 }
        #expect(Set(seen) == Set(150..<155))
    }

    @Test func noRandomnessWhenMinIsMax() {
        let seen = Self.draws { $0.electionTicks = 150; $0.electionTicksMax = 150 }
        #expect(Set(seen) == [150])
    }

    @Test func etcdFlagsGiveEtcdsTiming() {
        var flags = EtcdFlags()
        #expect(flags.timing == RaftTiming(tickInterval: .milliseconds(100), heartbeatTicks: 1, electionTicksMin: 10, electionTicksMax: 20))
        flags.raftTiming = RaftTiming(tickInterval: .milliseconds(1), heartbeatTicks: 75, electionTicksMin: 150, electionTicksMax: 300)
        var config = RaftConfig(id: MemberID(1), voters: [MemberID(1)])
        flags.timing.apply(to: &config)
        #expect(config.electionTicks == 150 && config.electionTicksMax == 300 && config.heartbeatTicks == 75)
    }
}
