import FaultlineCluster
import FaultlineSim
import Testing
@testable import FaultlineChaos

/// What a run keeps does not grow with simulated time: the timeline is capped per kind, the client
/// history is kept only on request, and the checkers drop what they can no longer need.
@Suite struct BoundedStateTests {
    @Test func theTimelineKeepsTheFirstAndLastRowsOfEachKind() {
        var log = TimelineLog(headLimit: 3, tailLimit: 2)
        for second in 0..<10 {
            log.append(TimelineEntry(at: .start + .seconds(Int64(second)), kind: "leader-elected", subject: "master-\(second % 3 + 1)", detail: "etcd"))
            if second % 4 == 0 { log.append(TimelineEntry(at: .start + .seconds(Int64(second)), kind: "fault-injected", subject: "master-1", detail: "f\(second)")) }
        }
        let entries = log.entries
        #expect(log.count == 13)
        let leaders = entries.filter { $0.kind == "leader-elected" }.map(\.at)
        #expect(leaders == [0, 1, 2, 8, 9].map { .start + .seconds($0) })
        #expect(entries.filter { $0.kind == "fault-injected" }.count == 3)
        let elided = entries.first { $0.kind == "timeline-elided" }
        #expect(elided?.subject == "leader-elected" && elided?.at == .start + .seconds(3))
        #expect(elided?.detail.hasPrefix("5 rows not kept, from t=3.000s to t=7.000s") == true, "\(elided?.detail ?? "")")
        // Rows stay in append order, the elision row where the dropped rows were.
        #expect(entries.map(\.at) == entries.map(\.at).sorted())
        // Under the caps, the timeline is exactly what was appended.
        var short = TimelineLog(headLimit: 3, tailLimit: 2)
        let rows = (0..<5).map { TimelineEntry(at: .start + .seconds(Int64($0)), kind: "k", subject: "s", detail: "\($0)") }
        for row in rows { short.append(row) }
        #expect(short.entries == rows)
    }

    @Test func theClientHistoryIsKeptOnlyOnRequest() {
        let plan = ChaosRunTests.leaderCrashPlan()
        #expect(ChaosRunner.run(plan, seed: 2).operations.isEmpty)
        let kept = ChaosRunner.run(plan, seed: 2, recordHistory: true)
        #expect(kept.operations.count > 200)
    }

    /// A nemesis soak with small snapshots: the Raft checker's per-index records stay within a few
    /// snapshot intervals, the watch checker's truth within its trim batch, and the linearizability
    /// checkers hold a few segments, while tens of thousands of entries commit.
    @Test func checkersStayBoundedInASoak() throws {
        var plan = try IncrementalEquivalenceTests.plan("etcd-nemesis-soak")
        plan.duration = .seconds(360)
        plan.nemesis!.safetyPhase = .seconds(330)
        plan.cluster.etcdFlags.snapshotCount = 500
        plan.cluster.etcdFlags.snapshotCatchUpEntries = 100
        var run = ChaosRun(plan: plan, seed: 3, traceSink: nil, recordHistory: false)
        // A smaller trim batch, so that a few minutes of changes are trimmed several times.
        for index in run.world.observer.checkers.indices {
            guard var watch = run.world.observer.checkers[index] as? WatchOrderCheck else { continue }
            watch.checker.trimBatch = 256
            run.world.observer.checkers[index] = watch
        }
        let result = run.execute()
        #expect(result.verdict == .pass, "\(result.invariants.filter { !$0.holds })")
        var sawRaft = false, sawWatch = false, sawLinearizable = false
        for checker in run.world.observer.checkers {
            if let raft = checker as? RaftSafetyCheck {
                sawRaft = true
                #expect(raft.checker.retainedIndexes < 3 * 500 + 2 * Int(RaftSafetyChecker.pruneBatch), "\(raft.checker.retainedIndexes) index records")
                #expect(raft.checker.prunedThrough > 2_000)
            } else if let watch = checker as? WatchOrderCheck {
                sawWatch = true
                #expect(watch.checker.truth.count < 1_000, "\(watch.checker.truth.count) of \(watch.checker.committedChanges) changes kept")
                #expect(watch.checker.truthBase > 1_000, "\(watch.checker.truthBase) of \(watch.checker.committedChanges) changes dropped")
            } else if let linearizable = checker as? LinearizableCheck {
                sawLinearizable = true
                #expect(linearizable.checker.retainedOperations < 1_000, "\(linearizable.checker.retainedOperations) of \(linearizable.checker.observed) operations kept")
            }
        }
        #expect(sawRaft && sawWatch && sawLinearizable)
    }
}
