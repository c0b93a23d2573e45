import Foundation
@testable import FaultlineCluster
import FaultlineSim
import Testing
@testable import FaultlineChaos

/// `raft.persist-before-send` and `raft.commit-rule`: each decides its rule on hand-made inputs, and
/// each catches its unsafe variant in the shipped scenario that names it (and holds without the bug).
@Suite struct RaftRuleCheckersTests {
    typealias Message = RaftMessage<EtcdRequest>

    static func durable(term: UInt64, vote: MemberID?, lastIndex: UInt64, entryTerm: UInt64 = 1) -> RaftDurableState<EtcdRequest> {
        var state = RaftDurableState<EtcdRequest>()
        state.hardState = HardState(term: term, vote: vote, commit: 0)
        state.entries = (0..<lastIndex).map { RaftEntry(term: entryTerm, index: $0 + 1, command: nil) }
        return state
    }

    @Test func aVoteThatDidNotSurviveTheRestartIsReported() {
        var checker = PersistBeforeSendChecker(memberCount: 3)
        checker.observeSent(member: 1, [Message(from: MemberID(2), to: MemberID(1), term: 4, kind: .voteResponse(granted: true))])
        checker.observeRestart(member: 1, durable: Self.durable(term: 4, vote: nil, lastIndex: 0), at: .start + .seconds(1))
        let found = checker.takeViolations()
        #expect(found.count == 1)
        #expect(found.first?.detail.contains("granted its vote in term 4 to m1") == true, "\(found)")
    }

    @Test func aTermThatWasNotDurableIsReported() {
        var checker = PersistBeforeSendChecker(memberCount: 3)
        checker.observeSent(member: 0, [Message(from: MemberID(1), to: MemberID(2), term: 7, kind: .vote(lastIndex: 3, lastTerm: 6))])
        checker.observeRestart(member: 0, durable: Self.durable(term: 6, vote: nil, lastIndex: 3), at: .start)
        #expect(checker.takeViolations().first?.detail.contains("restarted in term 6") == true)
    }

    @Test func acknowledgedEntriesMissingAfterTheRestartAreReported() {
        var checker = PersistBeforeSendChecker(memberCount: 3)
        checker.observeSent(member: 2, [Message(from: MemberID(3), to: MemberID(1), term: 2, kind: .appendResponse(index: 9, rejected: false, hintIndex: 0, hintTerm: 0))])
        checker.observeRestart(member: 2, durable: Self.durable(term: 2, vote: MemberID(1), lastIndex: 7), at: .start)
        #expect(checker.takeViolations().first?.detail.contains("through 9 in term 2") == true)
    }

    @Test func durableStateThatCoversEveryPromisePasses() {
        var checker = PersistBeforeSendChecker(memberCount: 3)
        checker.observeSent(member: 1, [
            Message(from: MemberID(2), to: MemberID(1), term: 4, kind: .voteResponse(granted: true)),
            Message(from: MemberID(2), to: MemberID(1), term: 4, kind: .appendResponse(index: 5, rejected: false, hintIndex: 0, hintTerm: 0)),
            // Rejections and pre-votes promise nothing: a pre-vote carries a term never adopted.
            Message(from: MemberID(2), to: MemberID(1), term: 4, kind: .appendResponse(index: 50, rejected: true, hintIndex: 5, hintTerm: 4)),
            Message(from: MemberID(2), to: MemberID(3), term: 9, kind: .preVote(lastIndex: 5, lastTerm: 4)),
        ])
        checker.observeRestart(member: 1, durable: Self.durable(term: 4, vote: MemberID(1), lastIndex: 5), at: .start)
        #expect(checker.takeViolations().isEmpty)
        // An acknowledgement of an earlier term is superseded by a later leader's, which may truncate.
        checker.observeSent(member: 1, [Message(from: MemberID(2), to: MemberID(3), term: 5, kind: .appendResponse(index: 3, rejected: false, hintIndex: 0, hintTerm: 0))])
        checker.observeRestart(member: 1, durable: Self.durable(term: 5, vote: MemberID(3), lastIndex: 3), at: .start)
        #expect(checker.takeViolations().isEmpty)
    }

    static func ready(term: UInt64, role: RaftRole, commit: UInt64?, newest: (index: UInt64, term: UInt64)?) -> RaftReady<EtcdRequest> {
        var ready = RaftReady<EtcdRequest>(softState: SoftState(leader: role == .leader ? MemberID(1) : nil, role: role), term: term)
        ready.hardState = commit.map { HardState(term: term, vote: MemberID(1), commit: $0) }
        if let newest { ready.committedEntries = [RaftEntry(term: newest.term, index: newest.index, command: nil)] }
        return ready
    }

    @Test func aLeaderCommittingAnEntryOfAnEarlierTermIsReported() {
        var checker = CommitRuleChecker(memberCount: 3)
        checker.observe(member: 0, ready: Self.ready(term: 3, role: .leader, commit: nil, newest: nil), at: .start)
        checker.observe(member: 0, ready: Self.ready(term: 3, role: .leader, commit: 10, newest: (10, 2)), at: .start)
        let found = checker.takeViolations()
        #expect(found.first?.property == InvariantName.commitRule)
        #expect(found.first?.detail.contains("entry 10@2") == true, "\(found)")
    }

    @Test func ownTermCommitsAndFollowerCommitsPass() {
        var checker = CommitRuleChecker(memberCount: 3)
        // A follower learns older-term commits from its leader; the first Ready as leader may carry them.
        checker.observe(member: 1, ready: Self.ready(term: 2, role: .follower, commit: 4, newest: (4, 1)), at: .start)
        checker.observe(member: 1, ready: Self.ready(term: 3, role: .leader, commit: 6, newest: (6, 2)), at: .start)
        checker.observe(member: 1, ready: Self.ready(term: 3, role: .leader, commit: 9, newest: (9, 3)), at: .start)
        #expect(checker.takeViolations().isEmpty)
        #expect(checker.advancesChecked == 1)
    }

    // MARK: - The shipped unsafe scenarios

    static func scenario(_ name: String) throws -> RunPlan {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return try ScenarioLoader.plan(path: root.appendingPathComponent("Scenarios/unsafe/\(name).yaml").path)
    }

    /// The invariants violated in each seed, by name.
    static func violated(_ plan: RunPlan, seeds: ClosedRange<UInt64>) -> [[String]] {
        seeds.map { seed in ChaosRunner.run(plan, seed: seed).invariants.filter { !$0.holds && $0.kind == .safety }.map(\.name) }
    }

    /// The release sweep of seeds 1...8 catches it in 6 (persist-before-send first in each; in seeds 6
    /// and 8 the lost entries later break leader completeness too).
    @Test func acknowledgingBeforeTheFsyncIsCaughtAtTheRestart() throws {
        let plan = try Self.scenario("etcd-ack-before-fsync")
        #expect(plan.flags.bugs.contains(.ackBeforeFsync))
        for violations in Self.violated(plan, seeds: 1...2) {
            #expect(violations.contains(InvariantName.persistBeforeSend.name), "\(violations)")
        }
        var correct = plan
        correct.flags.bugs = []
        for violations in Self.violated(correct, seeds: 1...1) { #expect(violations.isEmpty, "\(violations)") }
    }

    /// Seed 1 of the shipped scenario (the sweep of seeds 1...4 catches one: the new leader must also
    /// produce a Ready between two acknowledgements of the lagging member for the commit to show).
    @Test func committingAnOlderTermByCountingIsCaughtByTheCommitRule() throws {
        let plan = try Self.scenario("etcd-commit-older-term")
        #expect(plan.flags.bugs.contains(.commitOlderTermByCounting))
        let caught = Self.violated(plan, seeds: 1...1)[0]
        #expect(caught.contains(InvariantName.commitRule.name), "\(caught)")
        var correct = plan
        correct.flags.bugs = []
        for violations in Self.violated(correct, seeds: 1...1) { #expect(violations.isEmpty, "\(violations)") }
    }

    /// The leader cut off from the other masters only, still read by its clients: every seed of 1...6
    /// catches stale reads in the release sweep.
    @Test func staleReadsFromADeposedLeaderAreCaught() throws {
        let plan = try Self.scenario("etcd-stale-read")
        #expect(plan.flags.bugs.contains(.readWithoutReadIndex))
        let caught = Self.violated(plan, seeds: 1...1)[0]
        #expect(caught.contains(InvariantName.linearizable.name), "\(caught)")
        var correct = plan
        correct.flags.bugs = []
        for violations in Self.violated(correct, seeds: 1...1) { #expect(violations.isEmpty, "\(violations)") }
    }
}
