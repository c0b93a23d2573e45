import FaultlineSim

/// The status of a node condition (`True`, `False`, `Unknown`).
public enum ConditionStatus: String, Sendable, Hashable {
    case isTrue = "True", isFalse = "False", unknown = "Unknown"
}

/// `node.status`.
public struct NodeStatus: Sendable, Hashable {
    public var capacity: ResourceList
    public var allocatable: ResourceList
    /// The Ready condition.
    public var ready: ConditionStatus = .isTrue
    public var readyReason: String = ""
    /// When the kubelet last posted a status (the Ready condition's lastHeartbeatTime).
    public var lastHeartbeat: SimInstant = .start
    /// When the Ready condition last changed.
    public var readyTransition: SimInstant = .start

    public init(capacity: ResourceList, allocatable: ResourceList) {
        self.capacity = capacity
        self.allocatable = allocatable
    }
}

/// A `v1` Node.
public struct Node: Sendable, Hashable {
    public var metadata: ObjectMeta
    public var unschedulable: Bool = false
    public var taints: [Taint] = []
    public var status: NodeStatus

    public init(metadata: ObjectMeta, status: NodeStatus) {
        self.metadata = metadata
        self.status = status
    }

    /// `topology.kubernetes.io/zone`, or "" when the node has none.
    public var zone: String { metadata.labels["topology.kubernetes.io/zone"] ?? "" }
}

/// A `v1` Namespace.
public struct Namespace: Sendable, Hashable {
    public var metadata: ObjectMeta
    public init(metadata: ObjectMeta) { self.metadata = metadata }
}
