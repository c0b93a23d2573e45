import FaultlineSim
import Testing
@testable import FaultlineCluster

/// The Raft paper's Figure 8, scripted: an entry of an older term that a later leader replicates to a
/// majority is NOT committed by counting replicas; a leader with a newer last term may still overwrite
/// it. The broken variant commits it by counting, applies it, and loses it when that happens.
@Suite struct RaftFigure8Tests {
    typealias Rewrite = @Sendable (RaftMessage<Op>) -> RaftMessage<Op>
    static let unchanged: Rewrite = { $0 }

    /// Ticks node `index` alone (so only it campaigns) and delivers, rewritten, until it leads.
    static func elect(_ harness: inout RaftHarness, _ index: Int, rewrite: Rewrite = unchanged) {
        for _ in 0..<200 where !harness.nodes[index].isLeader {
            harness.nodes[index].tick()
            harness.drain(index)
            deliver(&harness, rewrite: rewrite)
        }
        precondition(harness.nodes[index].isLeader, "node \(index) must win")
    }

    /// Delivers queued messages (and those they cause) in order, each through `rewrite`.
    static func deliver(_ harness: inout RaftHarness, rewrite: Rewrite = unchanged) {
        var budget = 10_000
        while !harness.inbox.isEmpty && budget > 0 {
            budget -= 1
            let message = harness.inbox.removeFirst()
            let from = Int(message.from.rawValue) - 1, to = Int(message.to.rawValue) - 1
            guard !harness.down.contains(from), !harness.down.contains(to) else { continue }
            harness.nodes[to].step(rewrite(message))
            harness.drain(to)
        }
    }

    /// Appends from `node` (to `targets`) lose the entries of the sender's own term on the way: the
    /// follower still answers, so the leader learns its match index, but never gets those entries.
    static func withholdOwnTermEntries(from node: Int, to targets: ClosedRange<Int> = 0...4) -> Rewrite {
        { message in
            guard message.from == MemberID(node + 1), targets.contains(Int(message.to.rawValue) - 1),
                  case .append(let prevIndex, let prevTerm, let entries, let commit) = message.kind else { return message }
            var kept: [RaftEntry<Op>] = []
            for entry in entries {
                guard entry.term != message.term else { break }
                kept.append(entry)
            }
            var rewritten = message
            rewritten.kind = .append(prevIndex: prevIndex, prevTerm: prevTerm, entries: kept,
                                     commit: min(commit, prevIndex + UInt64(kept.count)))
            return rewritten
        }
    }

    /// The first index two nodes applied with different entries, if any.
    static func conflict(_ harness: RaftHarness) -> String? {
        var seen: [UInt64: (term: UInt64, node: Int)] = [:]
        for node in 0..<harness.count {
            for entry in harness.appliedEntries[node] {
                if let first = seen[entry.index], first.term != entry.term {
                    return "index \(entry.index): node \(first.node) applied term \(first.term), node \(node) term \(entry.term)"
                }
                seen[entry.index] = seen[entry.index] ?? (entry.term, node)
            }
        }
        return nil
    }

    static func script(bugs: RaftBugs) -> (harness: RaftHarness, contested: UInt64, oldTermCommittedByCounting: Bool) {
        var harness = RaftHarness(count: 5, seed: 8, bugs: bugs) { config in
            config.preVote = false
            config.checkQuorum = false
            config.maxEntriesPerMessage = 1
        }
        // (a) n0 leads term t1; entry 1 commits everywhere; entry 2@t1 reaches only n1; n0 crashes.
        elect(&harness, 0)
        _ = harness.nodes[0].propose(Op(value: 1))
        harness.drain(0)
        deliver(&harness)
        _ = harness.nodes[0].propose(Op(value: 100))
        harness.drain(0)
        // The contested index (the paper's index 2; here after the leader's empty entry and entry 1).
        let contested = harness.nodes[0].lastIndex
        deliver(&harness, rewrite: withholdOwnTermEntries(from: 0, to: 2...4))
        harness.crash(0)
        // (b) n4 wins with n2 and n3 (n1's log is longer), appends entries of its term that reach
        // nobody, and crashes.
        elect(&harness, 4, rewrite: withholdOwnTermEntries(from: 4))
        _ = harness.nodes[4].propose(Op(value: 200))
        harness.drain(4)
        deliver(&harness, rewrite: withholdOwnTermEntries(from: 4))
        harness.crash(4)
        // (c) n0 restarts and wins a later term; it replicates 2@t1 to n1 and n2 (a majority with
        // itself) but none of its own term's entries.
        harness.restart(0)
        elect(&harness, 0, rewrite: withholdOwnTermEntries(from: 0))
        for _ in 0..<5 {
            harness.nodes[0].tick()
            harness.drain(0)
            deliver(&harness, rewrite: withholdOwnTermEntries(from: 0))
        }
        let committedByCounting = harness.nodes[0].hardState.commit >= contested
        // (d) n0 crashes; n4 returns and wins with its newer last term, overwriting index 2.
        harness.crash(0)
        harness.restart(4)
        elect(&harness, 4)
        for _ in 0..<10 {
            harness.nodes[4].tick()
            harness.drain(4)
            deliver(&harness)
        }
        return (harness, contested, committedByCounting)
    }

    @Test func anOlderTermEntryOnAMajorityIsNotCommittedByCounting() {
        let (harness, contested, committedByCounting) = Self.script(bugs: [])
        #expect(!committedByCounting)
        #expect(Self.conflict(harness) == nil)
        // The overwrite really happened: the new leader applied a later term's entry at that index.
        let first = harness.appliedEntries[1].first { $0.index == 1 }?.term ?? 0
        #expect(harness.appliedEntries[4].first { $0.index == contested }.map { $0.term > first } == true)
    }

    @Test func committingByCountingAppliesAnEntryThatIsLaterOverwritten() {
        let (harness, contested, committedByCounting) = Self.script(bugs: .commitOlderTermByCounting)
        #expect(committedByCounting)
        let conflict = Self.conflict(harness)
        #expect(conflict?.hasPrefix("index \(contested):") == true, "\(conflict ?? "no conflict")")
    }
}
