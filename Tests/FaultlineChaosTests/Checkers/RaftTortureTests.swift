import Foundation
import FaultlineCluster
import FaultlineSim
import Testing
@testable import FaultlineChaos

/// `Scenarios/raft-torture.yaml` catches every built-in Raft and etcd unsafe variant. A debug run of it
/// takes tens of seconds, so each variant runs here on seeds where the release sweep of
/// docs/ARCHITECTURE.md ("The deep nemesis") saw it caught; that sweep gives the rates:
///   for b in <variant>...; do faultline sweep <raft-torture with unsafe-bugs: [$b]> --seeds 1..100; done
///
/// The runs take minutes in a debug build, so they run only with `FAULTLINE_SLOW_TESTS=1`; every variant
/// is also caught, by default, in its own smaller scenario (`RaftRuleCheckersTests`,
/// `CheckersCanFailTests`).
@Suite struct RaftTortureTests {
    static let slow = ProcessInfo.processInfo.environment["FAULTLINE_SLOW_TESTS"] == "1"

    static func torture(_ bugs: RaftBugs) throws -> RunPlan {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        var plan = try ScenarioLoader.plan(path: root.appendingPathComponent("Scenarios/raft-torture.yaml").path)
        plan.flags.bugs = bugs
        return plan
    }

    /// Each variant, the invariant that must catch it, and a seed where the sweep saw it caught.
    static let cases: [(name: String, bug: RaftBugs, invariant: InvariantID, seed: UInt64)] = [
        ("vote-twice-in-term", .voteTwiceInTerm, InvariantName.electionSafety, 1),
        ("commit-older-term-by-counting", .commitOlderTermByCounting, InvariantName.commitRule, 1),
        ("read-without-read-index", .readWithoutReadIndex, InvariantName.linearizable, 1),
        ("watch-skips-snapshot-gap", .watchSkipsSnapshotGap, InvariantName.watchOrdered, 2),
        ("lease-not-extended-on-promote", .leaseNotExtendedOnPromote, InvariantName.leaseTTL, 1),
        ("ack-before-fsync", .ackBeforeFsync, InvariantName.persistBeforeSend, 1),
    ]

    @Test func everyBuiltInVariantIsListed() {
        #expect(Self.cases.map(\.name) == RaftBugs.byName.map(\.0))
    }

    @Test(.enabled(if: slow), arguments: 0..<6)
    func eachVariantIsCaughtByItsInvariant(_ index: Int) throws {
        let item = Self.cases[index]
        let result = ChaosRunner.run(try Self.torture(item.bug), seed: item.seed)
        let outcome = result.invariants.first { $0.name == item.invariant.name }
        #expect(outcome?.holds == false, "\(item.name), seed \(item.seed): \(outcome?.detail ?? "not checked")")
    }

    @Test(.enabled(if: slow)) func correctRaftPassesTheTorture() throws {
        let result = ChaosRunner.run(try Self.torture([]), seed: 1)
        for outcome in result.invariants where outcome.kind == .safety {
            #expect(outcome.holds, "\(outcome.name): \(outcome.detail)")
        }
        // The faults aimed at moments took effect: some new-leader or candidate faults were not skipped.
        #expect(result.faults.contains { $0.skipped == nil && $0.kind == "process-pause" })
    }
}
