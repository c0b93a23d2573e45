import FaultlineSim
import Testing
@testable import FaultlineChaos

@Suite struct InvariantLedgerTests {
    @Test func keepsFirstViolationAndCountsTheRest() {
        var ledger = InvariantLedger()
        ledger.declare(InvariantName.electionSafety)
        ledger.declare(InvariantName.converges)
        ledger.violate(InvariantName.electionSafety, at: .start + .seconds(3), "two leaders in term 4")
        ledger.violate(InvariantName.electionSafety, at: .start + .seconds(9), "two leaders in term 7")
        let outcomes = ledger.all
        #expect(outcomes.map(\.name) == ["raft.election-safety", "etcd.converges"])
        #expect(outcomes[0].violations == 2)
        #expect(outcomes[0].firstViolationAt == .start + .seconds(3))
        #expect(outcomes[0].detail == "two leaders in term 4")
        #expect(outcomes[1].holds)
        #expect(ledger.hasSafetyViolation)
    }

    @Test func notesDoNotOverwriteViolations() {
        var ledger = InvariantLedger()
        ledger.declare(InvariantName.linearizable)
        ledger.violate(InvariantName.linearizable, at: .start, "stale read")
        ledger.note(InvariantName.linearizable, "100 operations linearizable")
        #expect(ledger.all[0].detail == "stale read")
    }

    @Test func verdictIsTheMostSevere() {
        var result = RunResult(scenario: "s", scenarioPath: "s.yaml", seed: 1)
        result.invariants = [InvariantOutcome(name: "a", kind: .safety)]
        #expect(result.verdict == .pass)
        result.invariants.append(InvariantOutcome(name: "b", kind: .liveness, violations: 1))
        #expect(result.verdict == .liveness)
        #expect(result.verdict.exitCode == 3)
        result.invariants.append(InvariantOutcome(name: "c", kind: .safety, violations: 2))
        #expect(result.verdict == .safety)
        #expect(result.verdict.exitCode == 1)
        result.traceHash = 0xAB
        #expect(result.traceHashHex == "00000000000000ab")
    }
}

@Suite struct RecoveryTrackerTests {
    @Test func measuresFromInjectionAndCompletesOnce() {
        var tracker = RecoveryTracker()
        tracker.arm(faultID: "f1", metric: Metric.etcdLeaderElected, injectedAt: .start + .seconds(30))
        tracker.arm(faultID: "f1", metric: Metric.apiAvailable, injectedAt: .start + .seconds(30))
        #expect(tracker.isWaiting(for: Metric.etcdLeaderElected))
        tracker.satisfy(Metric.etcdLeaderElected, at: .start + .milliseconds(31_500))
        tracker.satisfy(Metric.etcdLeaderElected, at: .start + .seconds(40))
        #expect(tracker.recoveries == [Recovery(faultID: "f1", metric: "etcd.leader-elected", duration: .milliseconds(1500))])
        #expect(!tracker.isWaiting(for: Metric.etcdLeaderElected))
        #expect(tracker.unrecovered.map(\.metric) == ["api.available"])
    }

    @Test func eventsThatStartedBeforeTheFaultDoNotCount() {
        var tracker = RecoveryTracker()
        tracker.arm(faultID: "f1", metric: Metric.apiAvailable, injectedAt: .start + .seconds(30))
        // A write issued at 29 s that completes at 31 s says nothing about recovery from a fault at 30 s.
        tracker.satisfy(Metric.apiAvailable, at: .start + .seconds(31), notBefore: .start + .seconds(29))
        #expect(tracker.recoveries.isEmpty)
        tracker.satisfy(Metric.apiAvailable, at: .start + .seconds(33), notBefore: .start + .seconds(32))
        #expect(tracker.recoveries.map(\.duration) == [.seconds(3)])
    }
}
