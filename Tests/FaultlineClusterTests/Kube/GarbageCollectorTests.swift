import FaultlineSim
import Testing
@testable import FaultlineCluster

private func object(_ kind: ResourceKind, _ name: String, uid: UInt64, owners: [UInt64], beingDeleted: Bool = false) -> OwnedObject {
    OwnedObject(kind: kind, namespace: "shop", name: name, uid: uid,
                ownerReferences: owners.map { OwnerReference(kind: .replicasets, name: "owner-\($0)", uid: $0) }, beingDeleted: beingDeleted)
}

@Suite struct GarbageCollectorTests {
    @Test func onlyObjectsWhoseEveryOwnerIsGoneAreDeleted() {
        let objects = [
            object(.pods, "web-b", uid: 11, owners: [1]),        // owner 1 gone
            object(.pods, "web-a", uid: 10, owners: [1]),        // owner 1 gone
            object(.pods, "kept", uid: 12, owners: [2]),         // owner 2 exists
            object(.pods, "half", uid: 13, owners: [1, 2]),      // one owner left: kept
            object(.pods, "standalone", uid: 14, owners: []),    // never owned: kept
            object(.pods, "going", uid: 15, owners: [1], beingDeleted: true),
            object(.replicasets, "rs", uid: 2, owners: [99]),    // its Deployment is gone
        ]
        let actions = GarbageCollector.orphanDeletions(objects, existingUIDs: [2, 10, 11, 12, 13, 14, 15])
        #expect(actions == [
            .delete(.pods, namespace: "shop", name: "web-a", uid: 10),
            .delete(.pods, namespace: "shop", name: "web-b", uid: 11),
            .delete(.replicasets, namespace: "shop", name: "rs", uid: 2),
        ])
    }

    @Test func anOwnerRecreatedUnderTheSameNameDoesNotAdoptOrphans() {
        var pod = Pod(metadata: ObjectMeta(name: "p", namespace: "shop"), spec: PodSpec(containers: []))
        pod.metadata.uid = 5
        pod.metadata.ownerReferences = [OwnerReference(kind: .replicasets, name: "rs", uid: 1)]
        // A ReplicaSet named "rs" exists again, with uid 3: the pod's owner (uid 1) is still gone.
        let actions = GarbageCollector.orphanDeletions([OwnedObject(.pod(pod))], existingUIDs: [3, 5])
        #expect(actions == [.delete(.pods, namespace: "shop", name: "p", uid: 5)])
    }
}
