import Foundation
import FaultlineCluster
import FaultlineSim
import Testing
@testable import FaultlineChaos

/// Proof that the checkers catch what they claim: each deliberately broken Raft variant, run under a
/// seeded nemesis, must be reported by the matching invariant within a bounded number of seeds, while
/// the correct implementation, under the same faults, must never be.
@Suite struct CheckersCanFailTests {
    static func nemesisPlan(bugs: RaftBugs, seconds: Int64 = 40, kinds: [String] = ["node-crash", "network-partition"]) -> RunPlan {
        var plan = RunPlan(name: "checker-proof", duration: .seconds(seconds), memberCount: 3)
        plan.flags.bugs = bugs
        plan.workload.clients = 4
        plan.workload.keys = 3
        plan.workload.thinkTime = .milliseconds(50)
        var nemesis = NemesisPlan(kinds: kinds, meanInterval: .seconds(3), maxConcurrent: 1, safetyPhase: .seconds(seconds - 10))
        nemesis.minDuration = .seconds(1)
        nemesis.maxDuration = .seconds(6)
        plan.nemesis = nemesis
        plan.convergenceBound = .seconds(8)
        return plan
    }

    /// The first seed in `seeds` whose run violates `invariant`, with the violation's detail.
    static func firstViolation(_ plan: RunPlan, _ invariant: InvariantID, seeds: ClosedRange<UInt64>) -> (UInt64, String)? {
        for seed in seeds {
            let result = ChaosRunner.run(plan, seed: seed)
            if let outcome = result.invariants.first(where: { $0.name == invariant.name && !$0.holds }) { return (seed, outcome.detail) }
        }
        return nil
    }

    /// Masters split into a minority and a majority while clients still reach everyone: a member in the
    /// minority that answers reads locally serves values the majority has since overwritten.
    ///
    /// Members tick in lockstep here (`TickPhase.aligned`, the experiment knob): the stale-read window
    /// lies between the majority's new leader committing and the cut-off leader's check-quorum step-down,
    /// and with random tick phases this closed-loop workload (clients block on writes to the minority)
    /// hits it in about 1 seed of 40 (0 of seeds 1-40). A nemesis that reaches it without lockstep is
    /// issue 12's safety half.
    static func splitPlan(bugs: RaftBugs) -> RunPlan {
        var plan = RunPlan(name: "stale-reads", duration: .seconds(40), memberCount: 3)
        plan.flags.bugs = bugs
        plan.flags.tickPhase = .aligned
        plan.workload.clients = 6
        plan.workload.keys = 3
        plan.workload.thinkTime = .milliseconds(50)
        plan.faults = [
            PlannedFault(effect: .partition(.split([["master-1"], ["master-2", "master-3"]])), at: .seconds(5), duration: .seconds(8)),
            PlannedFault(effect: .partition(.split([["master-2"], ["master-1", "master-3"]])), at: .seconds(18), duration: .seconds(8)),
        ]
        plan.convergenceBound = .seconds(10)
        return plan
    }

    /// The window is short: the cut-off leader answers reads locally only until check-quorum deposes it
    /// (one election timeout), and only reads after the majority's new leader committed a write are
    /// stale. Before raft freed an inflight slot on heartbeat responses, a follower stuck behind after
    /// the first split made these windows longer; with correct replication it takes more seeds.
    @Test func readsWithoutReadIndexAreCaughtAsNonLinearizable() {
        let found = Self.firstViolation(Self.splitPlan(bugs: .readWithoutReadIndex), InvariantName.linearizable, seeds: 1...40)
        #expect(found != nil, "a stale read from a member serving reads locally must be caught")
        if let found { #expect(found.1.contains("not linearizable")) }
    }

    /// Two leaders in one term need two candidates of the same term, i.e. followers campaigning within
    /// one vote round trip of each other: in lockstep (`TickPhase.aligned`) a tenth of leader losses do;
    /// with random tick phases about 0.1%, and this nemesis catches the bug in none of seeds 1-40. The
    /// lockstep is asked for explicitly until a deeper nemesis reaches it (issue 12's safety half).
    @Test func twoVotesInATermAreCaughtAsTwoLeaders() {
        var plan = Self.nemesisPlan(bugs: .voteTwiceInTerm, kinds: ["network-partition", "process-pause"])
        plan.flags.preVote = false
        plan.flags.tickPhase = .aligned
        let found = Self.firstViolation(plan, InvariantName.electionSafety, seeds: 1...40)
        #expect(found != nil, "two leaders in one term must be caught")
        if let found { #expect(found.1.contains("two leaders in term")) }
    }

    @Test(arguments: Array(1...3) as [UInt64])
    func correctReadIndexPassesTheSameSplits(seed: UInt64) {
        let result = ChaosRunner.run(Self.splitPlan(bugs: []), seed: seed)
        let linearizable = result.invariants.first { $0.name == InvariantName.linearizable.name }
        #expect(linearizable?.holds == true, "seed \(seed): \(linearizable?.detail ?? "")")
    }

    /// A watched follower is cut off while the leader snapshots and compacts its log, so it rejoins by
    /// installing a snapshot; its watcher stays on it (no leader required).
    static func snapshotCatchUpPlan(bugs: RaftBugs) -> RunPlan {
        var plan = RunPlan(name: "snapshot-catch-up", duration: .seconds(25), memberCount: 3)
        plan.flags.bugs = bugs
        plan.flags.snapshotCount = 50
        plan.flags.snapshotCatchUpEntries = 10
        plan.workload.clients = 4
        plan.workload.keys = 5
        plan.workload.thinkTime = .milliseconds(50)
        plan.workload.watchers = 2
        plan.workload.watchRequireLeader = false
        plan.invariants = InvariantName.etcdSafety + [InvariantName.watchOrdered]
        plan.faults = [PlannedFault(effect: .partition(.isolate(.named("master-3"))), at: .seconds(5), duration: .seconds(10))]
        plan.convergenceBound = .seconds(8)
        return plan
    }

    @Test func watchesSkippingASnapshotsChangesAreCaughtAsAGap() {
        let found = Self.firstViolation(Self.snapshotCatchUpPlan(bugs: .watchSkipsSnapshotGap), InvariantName.watchOrdered, seeds: 1...3)
        #expect(found != nil, "a watch that skips the changes a snapshot carried must be caught")
        if let found { #expect(found.1.contains("(a gap)")) }
    }

    @Test(arguments: Array(1...3) as [UInt64])
    func correctWatchesPassTheSnapshotCatchUp(seed: UInt64) {
        let result = ChaosRunner.run(Self.snapshotCatchUpPlan(bugs: []), seed: seed)
        let watch = result.invariants.first { $0.name == InvariantName.watchOrdered.name }
        #expect(watch?.holds == true, "seed \(seed): \(watch?.detail ?? "")")
        // The run must have exercised the watchers, not passed vacuously.
        #expect(watch?.detail.contains(" 0 events") == false)
    }

    /// Lease holders keep their leases alive through the leader; the leader crashes, then another is
    /// isolated: each new leader must extend every lease before expiring any.
    static func leaderChangePlan(bugs: RaftBugs) -> RunPlan {
        var plan = RunPlan(name: "lease-leader-change", duration: .seconds(45), memberCount: 3)
        plan.flags.bugs = bugs
        plan.workload.clients = 2
        plan.workload.leaseHolders = 4
        plan.workload.leaseTTLSeconds = 6
        plan.workload.leaseHoldTime = .seconds(15)
        plan.invariants = InvariantName.etcdSafety + [InvariantName.leaseTTL]
        plan.faults = [
            PlannedFault(effect: .crash(.etcdLeader), at: .seconds(10), duration: .seconds(8)),
            PlannedFault(effect: .partition(.isolate(.etcdLeader)), at: .seconds(25), duration: .seconds(8)),
        ]
        plan.convergenceBound = .seconds(8)
        return plan
    }

    @Test func leasesRevokedBeforeTheirTTLAfterALeaderChangeAreCaught() {
        let found = Self.firstViolation(Self.leaderChangePlan(bugs: .leaseNotExtendedOnPromote), InvariantName.leaseTTL, seeds: 1...3)
        #expect(found != nil, "a new leader that expires leases without extending them must be caught")
        if let found { #expect(found.1.contains("before the TTL its holder was acknowledged ran out")) }
    }

    @Test(arguments: Array(1...3) as [UInt64])
    func correctLessorPassesTheSameLeaderChanges(seed: UInt64) {
        let result = ChaosRunner.run(Self.leaderChangePlan(bugs: []), seed: seed)
        let lease = result.invariants.first { $0.name == InvariantName.leaseTTL.name }
        #expect(lease?.holds == true, "seed \(seed): \(lease?.detail ?? "")")
        // Leases were really granted, released and expired in the run.
        #expect(lease?.detail.hasPrefix("0 revocations") == false, "\(lease?.detail ?? "")")
    }

    /// The shipped unsafe scenario: a follower restored from an old data directory while the leader
    /// crashes. Where the rollback hits the leader's only reachable follower, committed writes are lost.
    @Test func aRolledBackDataDirectoryThatLosesCommittedEntriesIsCaught() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let plan = try ScenarioLoader.plan(path: root.appendingPathComponent("Scenarios/unsafe/etcd-data-rollback.yaml").path)
        var caught: [String] = []
        for seed: UInt64 in 1...8 {
            let result = ChaosRunner.run(plan, seed: seed)
            caught += result.invariants.filter { !$0.holds }.map(\.name)
        }
        #expect(caught.contains(InvariantName.stateMachineSafety.name), "\(caught)")
        #expect(caught.contains(InvariantName.leaderCompleteness.name), "\(caught)")
    }

    @Test(arguments: Array(1...12) as [UInt64])
    func correctRaftPassesTheSameNemesis(seed: UInt64) {
        var plan = Self.nemesisPlan(bugs: [])
        plan.nemesis?.kinds = ["node-crash", "network-partition", "process-pause", "fsync-stall", "network-loss"]
        // Watchers, frequent snapshots and a compactor that cancels lagging watches: the watch checker
        // must hold too.
        plan.workload.watchers = 2
        plan.workload.leaseHolders = 2
        plan.workload.leaseTTLSeconds = 5
        plan.workload.leaseHoldTime = .seconds(10)
        plan.flags.snapshotCount = 200
        plan.flags.snapshotCatchUpEntries = 20
        plan.flags.autoCompactionRetention = 50
        plan.flags.autoCompactionIntervalMs = 5_000
        plan.invariants = InvariantName.etcdSafety + [InvariantName.watchOrdered, InvariantName.leaseTTL]
        let result = ChaosRunner.run(plan, seed: seed)
        for outcome in result.invariants where outcome.kind == .safety {
            #expect(outcome.holds, "seed \(seed): \(outcome.name): \(outcome.detail)")
        }
    }
}
