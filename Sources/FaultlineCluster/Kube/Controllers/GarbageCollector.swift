import FaultlineSim

/// What the garbage collector knows of one object: its identity and owners.
public struct OwnedObject: Sendable, Hashable {
    public var kind: ResourceKind
    public var namespace: String
    public var name: String
    public var uid: UInt64
    public var ownerReferences: [OwnerReference]
    /// A delete already started (deletionTimestamp set): deleting again would do nothing.
    public var beingDeleted: Bool

    public init(kind: ResourceKind, namespace: String, name: String, uid: UInt64, ownerReferences: [OwnerReference], beingDeleted: Bool = false) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.uid = uid
        self.ownerReferences = ownerReferences
        self.beingDeleted = beingDeleted
    }

    public init(_ object: KubeObject) {
        let meta = object.metadata
        self.init(kind: object.resource, namespace: meta.namespace, name: meta.name, uid: meta.uid,
                  ownerReferences: meta.ownerReferences, beingDeleted: meta.deletionTimestamp != nil)
    }
}

/// The garbage collector's background cascading deletion (the default of `kubectl delete`): once
/// every owner of an object is gone, the object is deleted; dependents of dependents follow in
/// later passes, as each level disappears.
public enum GarbageCollector {
    /// Deletes for the objects that have owners, none of which still exists (by uid: an owner
    /// recreated under the same name is a different owner), and are not already being deleted.
    /// Sorted by kind, namespace, name and uid.
    public static func orphanDeletions(_ objects: [OwnedObject], existingUIDs: Set<UInt64>) -> [ControllerAction] {
        let orphans = objects.filter { object in
            !object.beingDeleted && !object.ownerReferences.isEmpty
                && object.ownerReferences.allSatisfy { !existingUIDs.contains($0.uid) }
        }
        let sorted = orphans.sorted { a, b in
            if a.kind != b.kind { return a.kind < b.kind }
            if a.namespace != b.namespace { return a.namespace < b.namespace }
            if a.name != b.name { return a.name < b.name }
            return a.uid < b.uid
        }
        return sorted.map { .delete($0.kind, namespace: $0.namespace, name: $0.name, uid: $0.uid) }
    }
}
