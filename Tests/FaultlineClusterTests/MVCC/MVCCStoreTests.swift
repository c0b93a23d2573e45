import FaultlineSim
import Testing
@testable import FaultlineCluster

/// The MVCC store against its documented contract (MVCCStore.swift) and etcd's behaviour: one revision
/// per write request, reads at any retained revision, compare-and-swap transactions, compaction and
/// the change feed. Leases are deliberately not covered here (their API is being reworked).
@Suite struct MVCCStoreTests {
    /// Applies a request and returns the response.
    @discardableResult
    static func apply(_ store: inout MVCCStore, _ request: EtcdRequest) -> EtcdResponse { store.apply(request) }

    static func put(_ store: inout MVCCStore, _ key: String, _ value: String) {
        let before = store.revision
        let response = store.apply(.put(key: key, value: .text(value)))
        #expect(response.error == nil)
        #expect(store.revision == before + 1)
    }

    // MARK: Revisions

    @Test func revisionStartsAtOneAndIncreasesByOnePerWrite() {
        var store = MVCCStore()
        #expect(store.revision == 1)
        #expect(store.compactedRevision == 0)
        for index in 0..<10 {
            let response = store.apply(.put(key: "k\(index % 3)", value: "v\(index)"))
            #expect(response.revision == Int64(index) + 2)
            #expect(store.revision == Int64(index) + 2)
        }
        // Reads never move the revision.
        _ = store.get("k0")
        _ = try? store.range("a", end: "z")
        _ = try? store.events(from: 2, key: "k0")
        #expect(store.revision == 11)
    }

    @Test func putGetCarriesCreateModRevisionAndVersion() throws {
        var store = MVCCStore()
        Self.put(&store, "a", "1")                 // rev 2
        Self.put(&store, "b", "x")                 // rev 3
        Self.put(&store, "a", "2")                 // rev 4
        let a = try #require(store.get("a"))
        #expect(a.value == "2")
        #expect(a.createRevision == 2)
        #expect(a.modRevision == 4)
        #expect(a.version == 2)
        #expect(a.lease == 0)
        #expect(store.get("missing") == nil)
        // Deleting then re-creating starts a new generation: new createRevision, version back to 1.
        #expect(store.apply(.deleteRange(key: "a", end: nil)).deleted == 1)  // rev 5
        #expect(store.get("a") == nil)
        Self.put(&store, "a", "3")                 // rev 6
        let recreated = try #require(store.get("a"))
        #expect(recreated.createRevision == 6)
        #expect(recreated.modRevision == 6)
        #expect(recreated.version == 1)
    }

    @Test func getAtAnOldRevisionSeesThatRevision() throws {
        var store = MVCCStore()
        Self.put(&store, "k", "one")    // rev 2
        Self.put(&store, "k", "two")    // rev 3
        store.apply(.deleteRange(key: "k", end: nil))  // rev 4
        Self.put(&store, "k", "four")   // rev 5
        #expect(try store.read("k", at: 1) == nil)
        #expect(try store.read("k", at: 2)?.value == "one")
        #expect(try store.read("k", at: 3)?.value == "two")
        #expect(try store.read("k", at: 3)?.version == 2)
        #expect(try store.read("k", at: 4) == nil)
        #expect(try store.read("k", at: 5)?.value == "four")
        #expect(try store.read("k")?.value == "four")
        #expect(throws: MVCCError.futureRevision) { try store.read("k", at: 6) }
        #expect(store.get("k", at: 6) == nil)
    }

    // MARK: Ranges

    @Test func rangeIsHalfOpenInKeyOrderAndSkipsDeletedKeys() throws {
        var store = MVCCStore()
        for key in ["b", "a/2", "a/1", "a", "a/3", "c"] { Self.put(&store, key, "v-" + key) }
        store.apply(.deleteRange(key: "a/2", end: nil))
        // Prefix range as etcd clients build it: [prefix, prefix with its last byte incremented).
        #expect(try store.range("a/", end: "a0").map(\.key) == ["a/1", "a/3"])
        #expect(try store.range("a", end: "b").map(\.key) == ["a", "a/1", "a/3"])
        #expect(try store.range("a", end: "c").map(\.key) == ["a", "a/1", "a/3", "b"])  // end is excluded
        #expect(try store.range("a", end: "c", limit: 2).map(\.key) == ["a", "a/1"])
        #expect(try store.range("b", end: nil).map(\.value) == ["v-b"])
        #expect(try store.range("zz", end: nil).isEmpty)
        #expect(try store.range("d", end: "z").isEmpty)
        // At an old revision the deleted key is back.
        let before = store.revision - 1
        #expect(try store.range("a/", end: "a0", at: before).map(\.key) == ["a/1", "a/2", "a/3"])
    }

    // MARK: Deletes

    @Test func deleteRangeDeletesEveryKeyInOneRevision() throws {
        var store = MVCCStore()
        for key in ["p/1", "p/2", "p/3", "q"] { Self.put(&store, key, key) }  // revs 2...5
        let response = store.apply(.deleteRange(key: "p/", end: "p0"))
        #expect(response.deleted == 3)
        #expect(response.revision == 6)
        #expect(store.revision == 6)
        #expect(try store.range("p/", end: "p0").isEmpty)
        #expect(store.get("q")?.value == "q")
        let events = try store.events(from: 6, key: "a", end: "z")
        #expect(events.map(\.key) == ["p/1", "p/2", "p/3"])
        #expect(events.allSatisfy { $0.kind == .delete && $0.revision == 6 })
    }

    /// etcd does not create a revision for a delete that deletes nothing (the store's contract: the
    /// revision moves only for write requests that change something).
    @Test func deletingMissingKeysDoesNotBumpTheRevision() {
        var store = MVCCStore()
        Self.put(&store, "k", "v")
        let single = store.apply(.deleteRange(key: "nope", end: nil))
        #expect(single.deleted == 0 && single.revision == 2 && single.error == nil)
        let range = store.apply(.deleteRange(key: "x", end: "y"))
        #expect(range.deleted == 0 && range.revision == 2)
        store.apply(.deleteRange(key: "k", end: nil))
        #expect(store.revision == 3)
        // Deleting an already deleted key does nothing either.
        let again = store.apply(.deleteRange(key: "k", end: nil))
        #expect(again.deleted == 0 && store.revision == 3)
        #expect(store.changes.count == 2)
    }

    // MARK: Transactions

    @Test func txnOnModRevisionTakesTheSuccessBranchWhenUnchanged() throws {
        var store = MVCCStore()
        Self.put(&store, "k", "v1")  // rev 2
        let seen = try #require(store.get("k"))
        let response = store.apply(.txn(Txn(
            compare: [.modRevision(key: "k", .equal, seen.modRevision)],
            success: [.put(key: "k", value: "v2"), .put(key: "other", value: "o"), .get(key: "k")],
            failure: [.get(key: "k")])))
        #expect(response.succeeded)
        // A txn with several writes is one revision.
        #expect(response.revision == 3)
        #expect(store.get("k")?.modRevision == 3)
        #expect(store.get("other")?.modRevision == 3)
        // The get inside the txn sees the txn's own earlier put.
        #expect(response.kvs.map(\.value) == ["v2"])
    }

    @Test func txnOnModRevisionTakesTheFailureBranchWhenChanged() throws {
        var store = MVCCStore()
        Self.put(&store, "k", "v1")
        let stale = try #require(store.get("k")).modRevision
        Self.put(&store, "k", "v2")  // somebody else wrote
        let response = store.apply(.txn(Txn(
            compare: [.modRevision(key: "k", .equal, stale)],
            success: [.put(key: "k", value: "lost-update")],
            failure: [.get(key: "k")])))
        #expect(!response.succeeded)
        #expect(response.kvs.map(\.value) == ["v2"])
        #expect(store.get("k")?.value == "v2")
        // A read-only branch does not move the revision.
        #expect(response.revision == 3 && store.revision == 3)
    }

    @Test func txnValueCompares() {
        var store = MVCCStore()
        Self.put(&store, "k", "b")
        func holds(_ compare: Compare) -> Bool {
            store.apply(.txn(Txn(compare: [compare], success: [], failure: []))).succeeded
        }
        #expect(holds(.value(key: "k", .equal, "b")))
        #expect(!holds(.value(key: "k", .equal, "c")))
        #expect(holds(.value(key: "k", .notEqual, "c")))
        #expect(holds(.value(key: "k", .greater, "a")))
        #expect(holds(.value(key: "k", .less, "c")))
        // etcd: a value compare on a missing key fails, whatever the operator.
        #expect(!holds(.value(key: "missing", .equal, "")))
        #expect(!holds(.value(key: "missing", .notEqual, "x")))
        // Revision and version compares treat a missing key as 0 (create-if-absent idiom).
        #expect(holds(.modRevision(key: "missing", .equal, 0)))
        #expect(holds(.createRevision(key: "missing", .equal, 0)))
        #expect(holds(.version(key: "missing", .equal, 0)))
        #expect(holds(.version(key: "k", .equal, 1)))
        #expect(!holds(.createRevision(key: "k", .equal, 0)))
        // All compares must hold.
        #expect(holds(.modRevision(key: "k", .equal, 2)))
        #expect(!holds(.modRevision(key: "k", .less, 2)))
        let both = store.apply(.txn(Txn(compare: [.value(key: "k", .equal, "b"), .version(key: "k", .equal, 5)],
                                        success: [.put(key: "k", value: "no")], failure: [])))
        #expect(!both.succeeded)
        #expect(store.get("k")?.value == "b")
        #expect(store.revision == 2)
    }

    @Test func txnCreateIfAbsentWinsOnce() {
        var store = MVCCStore()
        let create = Txn(compare: [.createRevision(key: "lock", .equal, 0)],
                         success: [.put(key: "lock", value: "me")], failure: [.get(key: "lock")])
        let first = store.apply(.txn(create))
        #expect(first.succeeded && first.revision == 2)
        var second = create
        second.success = [.put(key: "lock", value: "you")]
        let loser = store.apply(.txn(second))
        #expect(!loser.succeeded)
        #expect(loser.kvs.first?.value == "me")
        #expect(store.revision == 2)
    }

    @Test func txnDeleteOfMissingKeyIsNotAWrite() {
        var store = MVCCStore()
        Self.put(&store, "k", "v")
        let nothing = store.apply(.txn(Txn(compare: [], success: [.delete(key: "missing")], failure: [])))
        #expect(nothing.succeeded && nothing.revision == 2)
        let deletes = store.apply(.txn(Txn(compare: [], success: [.delete(key: "missing"), .delete(key: "k")], failure: [])))
        #expect(deletes.revision == 3)
        #expect(store.get("k") == nil)
    }

    // MARK: Compaction

    @Test func compactionFailsReadsBelowItAndKeepsReadsAtOrAbove() throws {
        var store = MVCCStore()
        Self.put(&store, "a", "a1")  // 2
        Self.put(&store, "b", "b1")  // 3
        Self.put(&store, "a", "a2")  // 4
        store.apply(.deleteRange(key: "b", end: nil))  // 5
        Self.put(&store, "a", "a3")  // 6
        let versionsBefore = store.versionCount
        let response = store.apply(.compact(revision: 5))
        #expect(response.error == nil)
        #expect(store.compactedRevision == 5)
        #expect(store.revision == 6, "compaction is not a write")
        for revision: Int64 in 1...4 {
            #expect(throws: MVCCError.compacted) { try store.read("a", at: revision) }
            #expect(throws: MVCCError.compacted) { try store.range("a", end: "z", at: revision) }
        }
        // At the compacted revision the latest version at or below it is kept.
        #expect(try store.read("a", at: 5)?.value == "a2")
        #expect(try store.read("b", at: 5) == nil)
        #expect(try store.read("a", at: 6)?.value == "a3")
        #expect(try store.range("a", end: "z", at: 5).map(\.key) == ["a"])
        // A kept version keeps its metadata.
        #expect(try store.read("a", at: 5)?.modRevision == 4)
        #expect(try store.read("a", at: 5)?.createRevision == 2)
        #expect(store.versionCount < versionsBefore)
        // The deleted key's history is gone entirely, and the key can be created again.
        Self.put(&store, "b", "b2")
        #expect(store.get("b")?.version == 1)
        #expect(try store.range("a", end: "z").map(\.key) == ["a", "b"])
    }

    @Test func compactionTargetsMustMoveForwardAndNotPassTheRevision() {
        var store = MVCCStore()
        for index in 0..<5 { Self.put(&store, "k", "\(index)") }  // revs 2...6
        #expect(store.apply(.compact(revision: 7)).error == .futureRevision)
        #expect(store.compactedRevision == 0)
        #expect(store.apply(.compact(revision: 4)).error == nil)
        #expect(store.apply(.compact(revision: 4)).error == .compacted)
        #expect(store.apply(.compact(revision: 3)).error == .compacted)
        #expect(store.compactedRevision == 4)
        #expect(store.apply(.compact(revision: 6)).error == nil)
        #expect(store.get("k")?.value == "4")
        #expect(store.versionCount == 1)
    }

    // MARK: Change feed

    @Test func changeFeedIsOrderedWithoutGapsForAKeyAndARange() throws {
        var store = MVCCStore()
        Self.put(&store, "a", "1")  // 2
        Self.put(&store, "b", "1")  // 3
        Self.put(&store, "a", "2")  // 4
        store.apply(.deleteRange(key: "a", end: nil))  // 5
        Self.put(&store, "c", "1")  // 6
        let onA = try store.events(from: 1, key: "a")
        #expect(onA.map(\.revision) == [2, 4, 5])
        #expect(onA.map(\.kind) == [.put, .put, .delete])
        #expect(onA.map(\.value) == ["1", "2", ""])
        #expect(try store.events(from: 4, key: "a").map(\.revision) == [4, 5])
        #expect(try store.events(from: 6, key: "a").isEmpty)
        #expect(try store.events(from: 1, key: "a", end: "c").map(\.revision) == [2, 3, 4, 5])
        #expect(try store.events(from: 1, key: "a", end: "d").map(\.revision) == [2, 3, 4, 5, 6])
        #expect(try store.events(from: 7, key: "a", end: "d").isEmpty)
    }

    @Test func changeFeedBelowTheCompactedRevisionIsRefused() throws {
        var store = MVCCStore()
        for index in 0..<6 { Self.put(&store, "k\(index % 2)", "\(index)") }  // revs 2...7
        store.apply(.compact(revision: 4))
        for from: Int64 in 0..<4 {
            #expect(throws: MVCCError.compacted) { try store.events(from: from, key: "k0") }
            #expect(throws: MVCCError.compacted) { try store.events(from: from, key: "a", end: "z") }
        }
        // As in etcd, a watch may start at the compacted revision itself: its changes are kept.
        #expect(try store.events(from: 4, key: "a", end: "z").map(\.revision) == [4, 5, 6, 7])
        #expect(try store.events(from: 5, key: "a", end: "z").map(\.revision) == [5, 6, 7])
        #expect(try store.events(from: 5, key: "k0").map(\.revision) == [6])
    }

    // MARK: Model-based

    /// A random mix of puts, deletes, range deletes, transactions and compactions, checked after every
    /// request against a plain dictionary snapshot per revision: each retained revision reads back as
    /// the model says, and the change feed from any retained revision has every revision once, in order.
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func randomOperationsMatchASnapshotModel(seed: UInt64) throws {
        var random = SimRandom(seed: seed, stream: "mvcc-model")
        var store = MVCCStore()
        var snapshots: [Int64: [String: String]] = [1: [:]]
        var current: [String: String] = [:]
        let keys = (0..<6).map { "k\($0)" }
        for step in 0..<300 {
            let key = keys[random.uniform(0..<keys.count)]
            let roll = random.uniform(0..<100)
            var next = current
            let request: EtcdRequest
            if roll < 45 {
                request = .put(key: key, value: "v\(step)")
                next[key] = "v\(step)"
            } else if roll < 60 {
                request = .deleteRange(key: key, end: nil)
                next[key] = nil
            } else if roll < 67 {
                request = .deleteRange(key: "k2", end: "k4")
                next["k2"] = nil
                next["k3"] = nil
            } else if roll < 95 {
                let expected = random.bernoulli(0.5) ? current[key] ?? "none" : "v\(step - 1)"
                request = .txn(Txn(compare: [.value(key: key, .equal, expected)],
                                   success: [.put(key: key, value: "t\(step)")], failure: [.get(key: key)]))
                if current[key] == expected { next[key] = "t\(step)" }
            } else {
                let target = store.compactedRevision + Int64(random.uniform(0..<25))
                request = .compact(revision: target)
            }
            let before = store.revision
            let response = store.apply(request)
            let wrote = next != current
            #expect(store.revision == before + (wrote ? 1 : 0), "seed \(seed) step \(step): \(request)")
            #expect(response.revision == store.revision)
            if wrote {
                current = next
                snapshots[store.revision] = current
            }
        }
        #expect(store.revision > 100)
        // Every retained revision reads back as the model says; compacted ones fail.
        var state: [String: String] = [:]
        for revision in 1...store.revision {
            if let snapshot = snapshots[revision] { state = snapshot }
            if revision < store.compactedRevision {
                #expect(throws: MVCCError.compacted) { try store.read(keys[0], at: revision) }
                continue
            }
            let read = try store.range("k", end: "l", at: revision)
            let expected = state.sorted { $0.key < $1.key }
            #expect(read.map(\.key) == expected.map(\.key), "seed \(seed) revision \(revision)")
            #expect(read.map(\.value.text) == expected.map(\.value), "seed \(seed) revision \(revision)")
            #expect(read.allSatisfy { $0.modRevision <= revision && $0.createRevision <= $0.modRevision })
        }
        // The feed from the first retained revision covers every later revision, each once per key, in order.
        let from = max(store.compactedRevision + 1, 2)
        let events = try store.events(from: from, key: "k", end: "l")
        #expect(Set(events.map(\.revision)) == Set(from...store.revision))
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.revision <= $1.revision })
        // Replaying the feed over the state at from - 1 gives the current state.
        var replayed = snapshots.filter { $0.key < from }.max { $0.key < $1.key }?.value ?? [:]
        for event in events { replayed[event.key] = event.kind == .put ? event.value.text : nil }
        #expect(replayed == current)
    }
}
