import FaultlineSim
import Testing
@testable import FaultlineCluster

@Suite struct MVCCLeaseTests {
    @Test func aPutWithAMissingLeaseFailsWithoutABump() {
        var store = MVCCStore()
        let response = store.apply(.put(key: "a", value: "1", lease: 42))
        #expect(response.error == .leaseNotFound)
        #expect(store.revision == 1)
        #expect(store.get("a") == nil)
    }

    @Test func revokingALeaseDeletesItsKeysInOneRevision() throws {
        var store = MVCCStore()
        #expect(store.apply(.leaseGrant(id: 7, ttlSeconds: 10)).error == nil)
        #expect(store.apply(.leaseGrant(id: 7, ttlSeconds: 10)).error == .leaseExists)
        _ = store.apply(.put(key: "a", value: "1", lease: 7))
        _ = store.apply(.put(key: "b", value: "2", lease: 7))
        _ = store.apply(.put(key: "c", value: "3"))
        // Re-putting "b" without the lease detaches it: the revocation must leave it alone.
        _ = store.apply(.put(key: "b", value: "2'"))
        #expect(store.get("a")?.lease == 7)
        let before = store.revision
        let response = store.apply(.leaseRevoke(id: 7))
        #expect(response.deleted == 1)
        #expect(store.revision == before + 1)
        #expect(store.get("a") == nil)
        #expect(store.get("b")?.value == "2'")
        #expect(store.get("c")?.value == "3")
        #expect(store.leaseTTLSeconds(7) == nil)
        #expect(store.apply(.leaseRevoke(id: 7)).error == .leaseNotFound)
        // Watchers see the revocation as a delete at the new revision.
        #expect(try store.events(from: before + 1, key: "a", end: "d").map(\.kind) == [.delete])
    }

    @Test func leaseIDsAreKeptInIncreasingOrder() {
        var store = MVCCStore()
        for id: Int64 in [30, 10, 20] { _ = store.apply(.leaseGrant(id: id, ttlSeconds: 5)) }
        #expect(store.leaseIDs == [10, 20, 30])
        _ = store.apply(.leaseRevoke(id: 20))
        #expect(store.leaseIDs == [10, 30])
        #expect(store.leaseTTLSeconds(30) == 5)
    }
}
