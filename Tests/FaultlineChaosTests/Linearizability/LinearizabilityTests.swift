import FaultlineCluster
import FaultlineSim
import Testing
@testable import FaultlineChaos

/// A tiny DSL for hand-written histories: times are in milliseconds of simulated time.
private func at(_ milliseconds: Int64) -> SimInstant { SimInstant(nanosecondsSinceStart: milliseconds * 1_000_000) }

private func get(_ key: String, _ value: String, _ call: Int64, _ ret: Int64?, client: Int = 0) -> ClientOperation {
    ClientOperation(client: client, kind: .get, key: key, value: value, ok: true, called: at(call), returned: ret.map(at))
}

private func put(_ key: String, _ value: String, _ call: Int64, _ ret: Int64?, client: Int = 0) -> ClientOperation {
    ClientOperation(client: client, kind: .put, key: key, value: value, ok: ret != nil, called: at(call), returned: ret.map(at))
}

private func delete(_ key: String, _ call: Int64, _ ret: Int64?, client: Int = 0) -> ClientOperation {
    ClientOperation(client: client, kind: .delete, key: key, value: "", ok: ret != nil, called: at(call), returned: ret.map(at))
}

private func cas(_ key: String, _ expected: String, _ value: String, ok: Bool, _ call: Int64, _ ret: Int64?, client: Int = 0) -> ClientOperation {
    ClientOperation(client: client, kind: .cas, key: key, value: value, expected: expected, ok: ok, called: at(call), returned: ret.map(at))
}

private func isLinearizable(_ history: [ClientOperation]) -> Bool {
    if case .linearizable = LinearizabilityCheck.check(history) { return true }
    return false
}

/// The violation's detail, or nil when the history was found linearizable (or undecided).
private func violation(_ history: [ClientOperation]) -> String? {
    if case .violation(_, let detail) = LinearizabilityCheck.check(history) { return detail }
    return nil
}

/// How `describe` prints one operation of the counterexample (the tests look for the offending op).
private func line(_ operation: ClientOperation) -> String {
    let window = "[\(operation.called), \(operation.returned.map(\.description) ?? "unknown")]"
    switch operation.kind {
    case .get: return "client \(operation.client) get \(operation.key) -> \"\(operation.value)\" \(window)"
    case .put: return "client \(operation.client) put \(operation.key) = \"\(operation.value)\" \(window)"
    case .delete: return "client \(operation.client) delete \(operation.key) \(window)"
    case .cas:
        return "client \(operation.client) cas \(operation.key) \"\(operation.expected)\" -> \"\(operation.value)\" \(operation.ok ? "ok" : "failed") \(window)"
    }
}

/// The number of operations in a violation's sub-history, from "(N ops)".
private func subHistorySize(_ detail: String) -> Int? {
    guard let open = detail.range(of: "sub-history ("), let close = detail.range(of: " ops)", range: open.upperBound..<detail.endIndex) else { return nil }
    return Int(detail[open.upperBound..<close.lowerBound])
}

@Suite struct KnownHistoryTests {
    @Test func emptyAndSequentialHistoriesAreLinearizable() {
        #expect(LinearizabilityCheck.check([]) == .linearizable(checkedOperations: 0))
        let history = [
            get("x", "", 0, 1),
            put("x", "1", 2, 3),
            get("x", "1", 4, 5),
            cas("x", "1", "2", ok: true, 6, 7),
            cas("x", "1", "3", ok: false, 8, 9),
            get("x", "2", 10, 11),
            delete("x", 12, 13),
            get("x", "", 14, 15),
            cas("x", "2", "4", ok: false, 16, 17),
        ]
        #expect(LinearizabilityCheck.check(history) == .linearizable(checkedOperations: history.count))
    }

    @Test func staleReadIsCaught() throws {
        let stale = get("x", "1", 4, 5, client: 2)
        let history = [put("x", "1", 0, 1), put("x", "2", 2, 3, client: 1), stale]
        let detail = try #require(violation(history))
        #expect(detail.contains("key x is not linearizable"))
        #expect(detail.contains(line(stale)))
        // The reported instant is the latest return in the counterexample.
        if case .violation(let instant, _) = LinearizabilityCheck.check(history) { #expect(instant == at(5)) }
    }

    @Test func readOfAValueNeverWrittenOrNotYetWrittenIsCaught() {
        #expect(violation([put("x", "1", 0, 1), get("x", "9", 2, 3)]) != nil)
        // A read that returned before the write was even called cannot see it.
        #expect(violation([get("x", "1", 0, 1), put("x", "1", 2, 3)]) != nil)
        // An acknowledged write that a later read does not see is lost.
        #expect(violation([put("x", "1", 0, 1), get("x", "", 2, 3)]) != nil)
        // Values must not flip back: 1 then 2 then 1 again, with only one write of each.
        #expect(violation([put("x", "1", 0, 10), put("x", "2", 0, 10, client: 1),
                           get("x", "2", 11, 12), get("x", "1", 13, 14)]) != nil)
    }

    @Test func concurrentOperationsMayTakeEffectInEitherOrder() {
        // The write of 2 overlaps both reads: each may see the old or the new value...
        let base = [put("x", "1", 0, 1), put("x", "2", 2, 10, client: 1)]
        #expect(isLinearizable(base + [get("x", "1", 3, 4, client: 2)]))
        #expect(isLinearizable(base + [get("x", "2", 3, 4, client: 2)]))
        // ...but once a read has seen the new value, a later read must not see the old one.
        #expect(!isLinearizable(base + [get("x", "2", 3, 4, client: 2), get("x", "1", 5, 6, client: 3)]))
        // After the write returned, the old value is gone.
        #expect(!isLinearizable(base + [get("x", "1", 11, 12, client: 2)]))
        // Two concurrent writes, then reads agreeing on either as the last one.
        let race = [put("x", "a", 0, 5), put("x", "b", 1, 6, client: 1)]
        #expect(isLinearizable(race + [get("x", "a", 7, 8)]))
        #expect(isLinearizable(race + [get("x", "b", 7, 8)]))
        #expect(!isLinearizable(race + [get("x", "a", 7, 8), get("x", "b", 9, 10)]))
    }

    @Test func operationsTouchingAtTheSameInstantAreConcurrent() {
        // A call at the instant another operation returns may be ordered before it.
        #expect(isLinearizable([put("x", "1", 0, 5), get("x", "", 5, 6, client: 1)]))
        #expect(!isLinearizable([put("x", "1", 0, 5), get("x", "", 6, 7, client: 1)]))
    }

    @Test func casAnomaliesAreCaught() {
        let start = put("x", "a", 0, 1)
        // Two compare-and-swaps from the same expected value cannot both succeed.
        #expect(!isLinearizable([start, cas("x", "a", "b", ok: true, 2, 5), cas("x", "a", "c", ok: true, 3, 6, client: 1)]))
        // One winner, one loser: fine in either order of their windows.
        #expect(isLinearizable([start, cas("x", "a", "b", ok: true, 2, 5), cas("x", "a", "c", ok: false, 3, 6, client: 1)]))
        #expect(isLinearizable([start, cas("x", "a", "b", ok: false, 2, 5), cas("x", "a", "c", ok: true, 3, 6, client: 1)]))
        // A failed cas while the value matched and nothing else wrote is wrong.
        #expect(!isLinearizable([start, cas("x", "a", "b", ok: false, 2, 3)]))
        // A failed cas is fine if a concurrent write changed the value first.
        #expect(isLinearizable([start, put("x", "z", 2, 6, client: 1), cas("x", "a", "b", ok: false, 3, 4)]))
        // A succeeded cas whose expected value was never there is wrong.
        #expect(!isLinearizable([start, cas("x", "q", "b", ok: true, 2, 3)]))
        // A cas on a missing key never matches, not even "".
        #expect(!isLinearizable([cas("x", "", "b", ok: true, 0, 1)]))
        #expect(isLinearizable([cas("x", "", "b", ok: false, 0, 1)]))
        // A successful cas must be visible to a later read.
        #expect(!isLinearizable([start, cas("x", "a", "b", ok: true, 2, 3), get("x", "a", 4, 5)]))
        #expect(isLinearizable([start, cas("x", "a", "b", ok: true, 2, 3), get("x", "b", 4, 5)]))
    }

    @Test func writesWithUnknownOutcomeMayOrMayNotTakeEffect() {
        let before = put("x", "1", 0, 1)
        let lost = put("x", "2", 2, nil, client: 1)
        // Took effect, or not (yet), or not at all: all fine.
        #expect(isLinearizable([before, lost, get("x", "2", 5, 6)]))
        #expect(isLinearizable([before, lost, get("x", "1", 5, 6)]))
        #expect(isLinearizable([before, lost, get("x", "1", 5, 6), get("x", "2", 100, 101)]))
        // At most once: once seen, it cannot un-happen.
        #expect(!isLinearizable([before, lost, get("x", "2", 5, 6), get("x", "1", 7, 8)]))
        // Never before its call.
        #expect(!isLinearizable([before, get("x", "2", 2, 3), put("x", "2", 4, nil, client: 1)]))
        // The same for delete and cas.
        let unknownDelete = delete("x", 2, nil, client: 1)
        #expect(isLinearizable([before, unknownDelete, get("x", "", 5, 6)]))
        #expect(isLinearizable([before, unknownDelete, get("x", "1", 5, 6)]))
        #expect(!isLinearizable([before, unknownDelete, get("x", "", 5, 6), get("x", "1", 7, 8)]))
        let unknownCas = cas("x", "1", "3", ok: false, 2, nil, client: 1)
        #expect(isLinearizable([before, unknownCas, get("x", "3", 5, 6)]))
        #expect(isLinearizable([before, unknownCas, get("x", "1", 5, 6)]))
        // An unknown cas whose compare could not hold cannot have written.
        let hopeless = cas("x", "nope", "3", ok: false, 2, nil, client: 1)
        #expect(!isLinearizable([before, hopeless, get("x", "3", 5, 6)]))
    }

    /// The checker's contract: an operation with an unknown outcome "may take effect at any point after
    /// its call or never". A read that never returned has no value to agree with: it must not constrain
    /// the history. (The etcd client drops timed-out reads, but the checker accepts any history.)
    @Test func readsWithUnknownOutcomeConstrainNothing() {
        #expect(isLinearizable([put("x", "1", 0, 1), get("x", "", 2, nil, client: 1)]))
        #expect(isLinearizable([put("x", "1", 0, 1), get("x", "whatever", 2, nil, client: 1), get("x", "1", 3, 4)]))
        #expect(!isLinearizable([put("x", "1", 0, 1), get("x", "", 2, nil, client: 1), get("x", "", 3, 4)]))
    }

    @Test func keysAreCheckedIndependently() throws {
        let fine = [put("x", "1", 0, 10), get("x", "1", 11, 12), put("z", "5", 3, 4), get("z", "5", 5, 6)]
        #expect(LinearizabilityCheck.check(fine) == .linearizable(checkedOperations: 4))
        // Interleaved in time with operations on another key, a stale read on y is still caught, and blamed on y.
        let stale = get("y", "1", 7, 8, client: 3)
        let history = fine + [put("y", "1", 1, 2, client: 1), put("y", "2", 3, 5, client: 2), stale]
        let detail = try #require(violation(history))
        #expect(detail.hasPrefix("key y is not linearizable"))
        #expect(detail.contains(line(stale)))
        #expect(!detail.contains("get x") && !detail.contains("put z"))
        // The same value on two keys is two registers: reading x's value on y is not allowed.
        #expect(!isLinearizable([put("x", "v", 0, 1), get("y", "v", 2, 3)]))
    }

    @Test func theSearchBoundYieldsUnknownNotAVerdict() {
        // Many concurrent writes and a read that matches none of them force an exhaustive search.
        var history = (0..<10).map { put("x", "v\($0)", 0, 100, client: $0) }
        history.append(get("x", "none", 101, 102, client: 99))
        let outcome = LinearizabilityCheck.check(history, maxStates: 50)
        guard case .unknown(let reason) = outcome else {
            Issue.record("expected the bound to be reached, got \(outcome)")
            return
        }
        #expect(reason.contains("50 states") && reason.contains("x"))
        #expect(violation(history) != nil, "with the default bound the read is found impossible")
    }
}

// MARK: - Generated histories

/// Histories generated from a sequential register model: each operation takes effect at its own
/// instant, and its call and return are spread around that instant by a random window, so operations
/// overlap (run concurrently) by up to `window` neighbours. Such a history is linearizable by
/// construction; values are unique per write, so changing one read is observable in known ways.
struct GeneratedHistory {
    var operations: [ClientOperation]
    /// Per operation index, the instant it took effect (nil for an unknown write that never did).
    var effect: [SimInstant?]

    static func make(seed: UInt64, count: Int, keys: Int, window: Int, unknownRate: Double = 0) -> GeneratedHistory {
        var random = SimRandom(seed: seed, stream: "linearizability-history")
        var state: [String: String] = [:]
        var written: [String: [String]] = [:]
        var operations: [ClientOperation] = []
        var effect: [SimInstant?] = []
        let step: Int64 = 1_000_000  // ns between linearization points (1 ms, so described windows differ)
        for index in 0..<count {
            let key = "k\(random.uniform(0..<keys))"
            let point = Int64(index + 1) * step * Int64(window + 1)
            let called = SimInstant(nanosecondsSinceStart: point - Int64(random.uniform(0..<(window + 1))) * step)
            var returned: SimInstant? = SimInstant(nanosecondsSinceStart: point + Int64(random.uniform(0..<(window + 1))) * step)
            let client = index % 16
            let roll = random.uniform(0..<100)
            let current = state[key]
            var operation: ClientOperation
            var applies = true
            if roll < 45 {
                operation = ClientOperation(client: client, kind: .get, key: key, value: current ?? "", ok: true, called: called, returned: returned)
            } else {
                if random.bernoulli(unknownRate) {
                    returned = nil
                    applies = random.bernoulli(0.5)
                }
                let value = "w\(index)"
                if roll < 75 {
                    operation = ClientOperation(client: client, kind: .put, key: key, value: value, ok: true, called: called, returned: returned)
                    if applies { state[key] = value }
                } else if roll < 85 {
                    operation = ClientOperation(client: client, kind: .delete, key: key, value: "", ok: true, called: called, returned: returned)
                    if applies { state[key] = nil }
                } else {
                    let expected = random.bernoulli(0.6) ? (current ?? "") : (written[key]?.randomElement(using: &random) ?? "")
                    let matches = current != nil && current == expected
                    operation = ClientOperation(client: client, kind: .cas, key: key, value: value, expected: expected,
                                                ok: matches, called: called, returned: returned)
                    if applies && matches { state[key] = value }
                    if returned == nil { operation.ok = false }
                }
                written[key, default: []].append(value)
                if returned == nil && !applies { effect.append(nil); operations.append(operation); continue }
            }
            effect.append(SimInstant(nanosecondsSinceStart: point))
            operations.append(operation)
        }
        return GeneratedHistory(operations: operations, effect: effect)
    }

    /// Mutations of one read that provably break linearizability, each with the index of that read.
    enum Mutation: CaseIterable { case neverWritten, fromTheFuture, overwritten }

    func mutated(_ kind: Mutation, random: inout SimRandom) -> (history: [ClientOperation], index: Int)? {
        let reads = operations.indices.filter { operations[$0].kind == .get }
        for index in random.shuffled(reads) {
            let read = operations[index]
            let sameKey = operations.indices.filter { operations[$0].key == read.key }
            let known = { (i: Int) in operations[i].returned != nil && operations[i].kind == .put }
            var value: String?
            switch kind {
            case .neverWritten:
                value = "never-written"
            case .fromTheFuture:
                // A write called only after the read had returned.
                value = sameKey.first { known($0) && operations[$0].called > read.returned! }.map { operations[$0].value }
            case .overwritten:
                // A write that returned before a second acknowledged put was called, which returned before the read was called.
                for first in sameKey where known(first) && operations[first].returned! < read.called {
                    let overwrites = sameKey.contains { second in
                        known(second) && operations[second].called > operations[first].returned! && operations[second].returned! < read.called
                    }
                    if overwrites { value = operations[first].value; break }
                }
            }
            guard let value, value != read.value else { continue }
            var history = operations
            history[index].value = value
            return (history, index)
        }
        return nil
    }
}

@Suite struct GeneratedHistoryTests {
    @Test func generatedHistoriesAreLinearizableForManySeeds() {
        for seed: UInt64 in 1...60 {
            let generated = GeneratedHistory.make(seed: seed, count: 300, keys: 1 + Int(seed % 5), window: 1 + Int(seed % 6),
                                                  unknownRate: seed % 3 == 0 ? 0.02 : 0)
            let outcome = LinearizabilityCheck.check(generated.operations)
            #expect(outcome == .linearizable(checkedOperations: 300), "seed \(seed): \(outcome)")
        }
    }

    @Test(arguments: GeneratedHistory.Mutation.allCases)
    func oneMutatedReadIsCaughtWithASmallCounterexample(mutation: GeneratedHistory.Mutation) throws {
        var mutatedCount = 0
        for seed: UInt64 in 1...25 {
            let generated = GeneratedHistory.make(seed: seed, count: 200, keys: 1 + Int(seed % 3), window: 1 + Int(seed % 4),
                                                  unknownRate: seed % 4 == 0 ? 0.01 : 0)
            var random = SimRandom(seed: seed, stream: "mutation")
            guard let (history, index) = generated.mutated(mutation, random: &random) else { continue }
            mutatedCount += 1
            let offending = history[index]
            guard let detail = violation(history) else {
                Issue.record("seed \(seed) \(mutation): mutated read \(line(offending)) not caught")
                continue
            }
            #expect(detail.hasPrefix("key \(offending.key) is not linearizable"), "seed \(seed): \(detail)")
            #expect(detail.contains(line(offending)), "seed \(seed) \(mutation): offending op missing from \(detail)")
            let size = try #require(subHistorySize(detail))
            #expect(size <= 8, "seed \(seed) \(mutation): counterexample of \(size) ops")
            // Every read in the counterexample reads a value that some operation of the counterexample
            // wrote (or nothing), unless that value was never written at all: a counterexample must not
            // blame a read whose write was shrunk away.
            let writtenInFull = Set(history.filter { $0.kind == .put || $0.kind == .cas }.map(\.value))
            let ops = detail.components(separatedBy: "; ")
            for op in ops where op.contains(" get ") {
                guard let quoted = op.split(separator: "\"").dropFirst().first.map(String.init) else { continue }
                guard writtenInFull.contains(quoted) else { continue }
                #expect(ops.contains { $0.contains("= \"\(quoted)\"") || $0.contains("-> \"\(quoted)\" ok") },
                        "seed \(seed) \(mutation): read of \"\(quoted)\" without its write in \(detail)")
            }
        }
        #expect(mutatedCount >= 15, "too few histories could be mutated: \(mutatedCount)")
    }

    /// A read deep into a long single-key history: the counterexample must still be small.
    @Test func counterexampleStaysSmallDeepIntoALongHistory() throws {
        let generated = GeneratedHistory.make(seed: 99, count: 3_000, keys: 1, window: 3)
        var history = generated.operations
        let index = try #require(history.indices.last { history[$0].kind == .get && $0 > 2_500 })
        history[index].value = "never-written"
        let detail = try #require(violation(history))
        #expect(detail.contains(line(history[index])))
        let size = try #require(subHistorySize(detail))
        #expect(size <= 8, "counterexample of \(size) ops")
    }

    /// 100k operations over 100 keys (1k per key) with concurrency windows up to 4. No timing assertion:
    /// it must complete and pass.
    @Test func largeHistoryChecks() {
        let generated = GeneratedHistory.make(seed: 2024, count: 100_000, keys: 100, window: 4, unknownRate: 0.001)
        let clock = ContinuousClock()
        let started = clock.now
        let outcome = LinearizabilityCheck.check(generated.operations)
        #expect(outcome == .linearizable(checkedOperations: 100_000))
        print("large history: 100000 ops checked in \(clock.now - started)")
    }
}

@Suite struct ShrinkTests {
    /// The shrunk counterexample itself: a failing subset of the key's history that keeps the offending
    /// read, explains every value it reads by the write that produced it, and from which no single
    /// read can be removed (they are all needed to fail).
    @Test(arguments: GeneratedHistory.Mutation.allCases)
    func shrunkCounterexampleIsAFailingMinimalSubset(mutation: GeneratedHistory.Mutation) throws {
        var sizes: [Int] = []
        for seed: UInt64 in 30...45 {
            let generated = GeneratedHistory.make(seed: seed, count: 150, keys: 1, window: 1 + Int(seed % 4))
            var random = SimRandom(seed: seed, stream: "shrink")
            guard let (history, index) = generated.mutated(mutation, random: &random) else { continue }
            let shrunk = LinearizabilityCheck.shrink(history, maxStates: LinearizabilityCheck.defaultMaxStates)
            sizes.append(shrunk.count)
            #expect(shrunk.contains(history[index]), "seed \(seed)")
            #expect(Set(shrunk).isSubset(of: Set(history)))
            #expect(violation(shrunk) != nil, "seed \(seed): the counterexample must fail on its own")
            let writes = Set(shrunk.filter { $0.kind == .put || ($0.kind == .cas && $0.ok) }.map(\.value))
            for read in shrunk where read.kind == .get && !read.value.isEmpty && read.value != "never-written" {
                #expect(writes.contains(read.value), "seed \(seed): \(read.value) read without its write")
            }
            for position in shrunk.indices where LinearizabilityCheck.isRead(shrunk[position]) {
                var fewer = shrunk
                fewer.remove(at: position)
                #expect(violation(fewer) == nil, "seed \(seed): read \(line(shrunk[position])) is not needed")
            }
        }
        #expect(sizes.count >= 10)
        switch mutation {
        case .neverWritten: #expect(sizes.allSatisfy { $0 == 1 }, "\(sizes)")
        case .fromTheFuture: #expect(sizes.allSatisfy { $0 == 2 }, "\(sizes)")
        case .overwritten: #expect(sizes.allSatisfy { $0 >= 3 && $0 <= 4 }, "\(sizes)")
        }
    }
}
