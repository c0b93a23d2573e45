import FaultlineSim
import Testing
@testable import FaultlineCluster

/// The `spec.nodeName` index the node lifecycle and taint eviction controllers read pods through.
struct PodNodeIndexTests {
    static func pod(_ name: String, node: String?) -> KubeObject { ClientWatchesTests.pod(name, node: node) }

    @Test func followsBindingsMovesAndDeletes() {
        var index = PodNodeIndex()
        index.apply(.added(Self.pod("c", node: "worker-1")))
        index.apply(.added(Self.pod("a", node: "worker-1")))
        index.apply(.added(Self.pod("b", node: nil)))
        #expect(index.podKeys(on: "worker-1") == ["/registry/pods/default/a", "/registry/pods/default/c"])
        index.apply(.updated(old: Self.pod("b", node: nil), new: Self.pod("b", node: "worker-1")))
        #expect(index.podKeys(on: "worker-1") == ["/registry/pods/default/a", "/registry/pods/default/b", "/registry/pods/default/c"])
        index.apply(.updated(old: Self.pod("a", node: "worker-1"), new: Self.pod("a", node: "worker-2")))
        #expect(index.podKeys(on: "worker-2") == ["/registry/pods/default/a"])
        index.apply(.deleted(Self.pod("c", node: "worker-1")))
        #expect(index.podKeys(on: "worker-1") == ["/registry/pods/default/b"])
        index.apply(.added(Self.pod("b", node: "worker-1")))  // a relist's duplicate add
        #expect(index.podKeys(on: "worker-1") == ["/registry/pods/default/b"])
    }
}
