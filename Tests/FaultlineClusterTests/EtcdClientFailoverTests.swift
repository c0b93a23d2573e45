import FaultlineSim
import Testing
@testable import FaultlineCluster

/// A client whose request timed out moves past the member that went silent and avoids it for a while,
/// as clientv3's balancer skips a connection that is not READY.
@Suite struct EtcdClientFailoverTests {
    static func client(endpoint: Int) -> EtcdClientState {
        var client = EtcdClientState(index: endpoint, host: HostID(index: 0), memberCount: 3, keys: 1, random: SimRandom(seed: 1, stream: "t"))
        client.endpoint = endpoint
        return client
    }

    @Test func aTimeoutMovesPastTheSilentMemberNotPastTheEndpoint() {
        // The client's endpoint is member 0, which redirected it to the (dead) leader, member 1.
        var client = Self.client(endpoint: 0)
        client.failOver(from: 1, memberCount: 3, now: .start + .seconds(35))
        #expect(client.endpoint == 2, "the next endpoint after the silent member, never the silent member again")
        #expect(client.avoiding(at: .start + .seconds(35)) == 1)
        #expect(client.avoiding(at: .start + .seconds(54)) == 1)
        #expect(client.avoiding(at: .start + .seconds(55)) == nil, "avoided for 20 s, then usable again")
    }

    @Test func aSingleMemberIsNeverAvoided() {
        var client = EtcdClientState(index: 0, host: HostID(index: 0), memberCount: 1, keys: 1, random: SimRandom(seed: 1, stream: "t"))
        client.failOver(from: 0, memberCount: 1, now: .start)
        #expect(client.endpoint == 0 && client.avoiding(at: .start) == nil)
    }
}
