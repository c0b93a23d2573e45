import FaultlineSim
import Testing
@testable import FaultlineCluster

/// The apiserver's dispatch index: a cache event visits only the watches it may concern, in creation
/// order, so indexed dispatch sends exactly what visiting every watch sends.
struct ClientWatchesTests {
    static func pod(_ name: String, node: String?) -> KubeObject {
        var pod = Pod(metadata: ObjectMeta(name: name, namespace: "default"), spec: PodSpec(containers: [Container(name: "app", image: "nginx")]))
        pod.spec.nodeName = node
        return .pod(pod)
    }

    static func watch(_ id: UInt64, _ resource: ResourceKind, node: String? = nil, host: Int = 1) -> ClientWatch {
        var request = ApiRequest(id: id, user: .scheduler, verb: .watch, resource: resource)
        request.nodeNameSelector = node
        return ClientWatch(key: ConnectionKey(host: HostID(index: host), connection: id), request: request, after: 0)
    }

    static func event(_ object: KubeObject, previous: KubeObject? = nil, revision: Int64 = 5) -> (ResourceKind, CachedEvent) {
        (object.resource, CachedEvent(kind: previous == nil ? .added : .modified, object: object, previous: previous, revision: revision))
    }

    var watches = ClientWatches()

    init() {
        watches.append(Self.watch(1, .pods))                      // 0: the scheduler's pods
        watches.append(Self.watch(2, .pods, node: "worker-1"))    // 1: kubelet of worker-1
        watches.append(Self.watch(3, .leases))                    // 2
        watches.append(Self.watch(4, .pods, node: "worker-2"))    // 3: kubelet of worker-2
        watches.append(Self.watch(5, .services))                  // 4
    }

    @Test func podEventsVisitOnlyTheirNodesKubelet() {
        #expect(watches.candidates(for: [Self.event(Self.pod("a", node: "worker-2"))]) == [0, 3])
        #expect(watches.candidates(for: [Self.event(Self.pod("a", node: nil))]) == [0])
    }

    @Test func aPodMovingBetweenNodesVisitsBothKubelets() {
        let moved = Self.event(Self.pod("a", node: "worker-1"), previous: Self.pod("a", node: "worker-2"))
        #expect(watches.candidates(for: [moved]) == [0, 1, 3])
    }

    @Test func aBatchVisitsEachWatchOnceInCreationOrder() {
        let batch = [Self.event(Self.pod("a", node: "worker-2")), Self.event(Self.pod("b", node: "worker-1")),
                     Self.event(.lease(Lease(metadata: ObjectMeta(name: "worker-1", namespace: "kube-node-lease"), holderIdentity: "worker-1", leaseDurationSeconds: 40)))]
        #expect(watches.candidates(for: batch) == [0, 1, 2, 3])
    }

    @Test mutating func closingAConnectionReindexes() {
        watches.removeAll(on: ConnectionKey(host: HostID(index: 1), connection: 2))
        #expect(watches.count == 4)
        // worker-2's kubelet moved from position 3 to 2.
        #expect(watches.candidates(for: [Self.event(Self.pod("a", node: "worker-2"))]) == [0, 2])
        #expect(watches.candidates(for: [Self.event(Self.pod("a", node: "worker-1"))]) == [0])
        #expect(watches[2].request.id == 4)
    }

    @Test mutating func sequencesAdvancePerWatch() {
        #expect(watches.takeSequence(at: 1) == 0)
        #expect(watches.takeSequence(at: 1) == 1)
        #expect(watches.takeSequence(at: 0) == 0)
    }
}
