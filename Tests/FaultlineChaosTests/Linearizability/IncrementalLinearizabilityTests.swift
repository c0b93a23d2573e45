import FaultlineCluster
import FaultlineSim
import Testing
@testable import FaultlineChaos

/// The verdict class of an outcome, for comparing the incremental and whole-history checks (the
/// violation found may be on another key, and its counterexample is cut at the last cut).
enum LinearizabilityVerdict: Equatable {
    case linearizable(Int), violation, unknown
    init(_ outcome: LinearizabilityCheck.Outcome) {
        switch outcome {
        case .linearizable(let count): self = .linearizable(count)
        case .violation: self = .violation
        case .unknown: self = .unknown
        }
    }
}

/// Feeds a history to the incremental checker in completion order (or as given) (a known operation completes when
/// it returns, an unknown one when it is given up, here at its call), as a run observes it.
func checkIncrementally(_ history: [ClientOperation], clients: Int, inCompletionOrder: Bool = true) -> (outcome: LinearizabilityCheck.Outcome, peak: Int) {
    let order = !inCompletionOrder ? Array(history.indices)
        : history.indices.sorted { (history[$0].returned ?? history[$0].called, $0) < (history[$1].returned ?? history[$1].called, $1) }
    var checker = IncrementalLinearizability(clients: clients)
    var peak = 0
    for index in order {
        checker.observe(history[index])
        peak = max(peak, checker.retainedOperations)
    }
    return (checker.finish(), peak)
}

func registerOp(_ client: Int, _ kind: ClientOperationKind, _ value: String, _ called: Int64, _ returned: Int64?, expected: String = "", ok: Bool = true) -> ClientOperation {
    ClientOperation(client: client, kind: kind, key: "x", value: value, expected: expected, ok: ok,
                    called: .start + .milliseconds(called), returned: returned.map { .start + .milliseconds($0) })
}

@Suite struct IncrementalLinearizabilityTests {
    /// A sequential history of `count` rounds (a put, then a get of it) by three clients taking turns.
    static func rounds(_ count: Int, from start: Int64) -> [ClientOperation] {
        (0..<count).flatMap { round -> [ClientOperation] in
            let t = start + Int64(round) * 10
            return [registerOp(round % 3, .put, "r\(round)", t, t + 2), registerOp((round + 1) % 3, .get, "r\(round)", t + 4, t + 6)]
        }
    }

    /// An unknown-outcome write stays pending across cuts: it may take effect long after its call.
    @Test func anUnknownWriteMayTakeEffectAfterManyCuts() {
        var history = [registerOp(2, .put, "late", 0, nil)]
        history += Self.rounds(200, from: 10)
        history.append(registerOp(1, .get, "late", 5_000, 5_002))
        #expect(LinearizabilityVerdict(LinearizabilityCheck.check(history)) == .linearizable(history.count))
        let (outcome, peak) = checkIncrementally(history, clients: 3)
        #expect(LinearizabilityVerdict(outcome) == .linearizable(history.count), "\(outcome)")
        #expect(peak < 100, "the prefix must have been cut: \(peak) operations retained")
        // ... but only once: after it was observed and overwritten, it cannot come back.
        history += [registerOp(0, .put, "after", 5_010, 5_012), registerOp(1, .get, "late", 5_020, 5_022)]
        #expect(LinearizabilityVerdict(LinearizabilityCheck.check(history)) == .violation)
        #expect(LinearizabilityVerdict(checkIncrementally(history, clients: 3).outcome) == .violation)
    }

    /// A failed compare-and-swap can only be explained by an unknown write applied just before it.
    @Test func anOldUnknownWriteExplainsALaterFailedCompareAndSwap() {
        var history = [registerOp(0, .put, "a", 0, 2), registerOp(2, .put, "u", 3, nil)]
        history += (0..<100).map { registerOp($0 % 3, .get, "a", 10 + Int64($0) * 10, 12 + Int64($0) * 10) }
        history.append(registerOp(1, .cas, "b", 2_000, 2_002, expected: "a", ok: false))
        history.append(registerOp(1, .get, "u", 2_010, 2_012))
        #expect(LinearizabilityVerdict(LinearizabilityCheck.check(history)) == .linearizable(history.count))
        #expect(LinearizabilityVerdict(checkIncrementally(history, clients: 3).outcome) == .linearizable(history.count))
        history[history.count - 1].value = "a"
        #expect(LinearizabilityVerdict(LinearizabilityCheck.check(history)) == .violation)
        #expect(LinearizabilityVerdict(checkIncrementally(history, clients: 3).outcome) == .violation)
    }

    /// A violation deep into a history is found at its cut, with a small counterexample.
    @Test func aViolationAfterACutHasASmallCounterexample() throws {
        var history = Self.rounds(300, from: 0)
        history[401].value = "r7"
        let (outcome, _) = checkIncrementally(history, clients: 3)
        guard case .violation(_, let detail) = outcome else { Issue.record("\(outcome)"); return }
        #expect(detail.hasPrefix("key x is not linearizable; smallest failing sub-history ("), "\(detail)")
        #expect(detail.contains("get x -> \"r7\""), "\(detail)")
        #expect(detail.contains("after the prefix checked up to"), "\(detail)")
    }

    /// Generated histories (unknown writes included), correct and with one mutated read: the same
    /// verdict as the whole-history check, in bounded memory.
    @Test func generatedHistoriesGetTheWholeHistoryLinearizabilityVerdict() {
        var violations = 0
        for seed: UInt64 in 1...30 {
            let generated = GeneratedHistory.make(seed: seed, count: 400, keys: 1 + Int(seed % 4), window: 1 + Int(seed % 5),
                                                  unknownRate: seed % 2 == 0 ? 0.03 : 0)
            var histories = [generated.operations]
            for mutation in GeneratedHistory.Mutation.allCases {
                var random = SimRandom(seed: seed, stream: "incremental-\(mutation)")
                if let (history, _) = generated.mutated(mutation, random: &random) { histories.append(history) }
            }
            for (position, history) in histories.enumerated() {
                let whole = LinearizabilityVerdict(LinearizabilityCheck.check(history))
                let (outcome, peak) = checkIncrementally(history, clients: 16)
                #expect(LinearizabilityVerdict(outcome) == whole, "seed \(seed) history \(position): \(outcome) but whole \(whole)")
                if whole == .violation { violations += 1 }
                if position == 0 { #expect(peak < 200, "seed \(seed): \(peak) of 400 operations retained") }
            }
        }
        #expect(violations >= 50, "\(violations) violations compared")
    }
}
