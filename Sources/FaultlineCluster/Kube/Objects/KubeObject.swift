import FaultlineSim

/// The resources the model stores, by their REST names (the `/registry/<resource>/` prefix).
public enum ResourceKind: String, Sendable, Hashable, CaseIterable, Comparable {
    case namespaces, nodes, pods, deployments, replicasets, services, endpointslices, leases
    case clusterroles, clusterrolebindings

    /// Cluster-scoped resources have no namespace in their key.
    public var isNamespaced: Bool {
        switch self {
        case .namespaces, .nodes, .clusterroles, .clusterrolebindings: return false
        case .pods, .deployments, .replicasets, .services, .endpointslices, .leases: return true
        }
    }

    /// The etcd key prefix of every object of this resource (`/registry/pods/`).
    public var registryPrefix: String { "/registry/\(rawValue)/" }

    /// The etcd key of one object: `/registry/<resource>/<namespace>/<name>`, or without the
    /// namespace for cluster-scoped resources (as the apiserver's storage does).
    public func registryKey(namespace: String, name: String) -> String {
        isNamespaced ? "/registry/\(rawValue)/\(namespace)/\(name)" : "/registry/\(rawValue)/\(name)"
    }

    /// The prefix of one namespace's objects (the whole resource for cluster-scoped ones).
    public func registryPrefix(namespace: String) -> String {
        isNamespaced && !namespace.isEmpty ? "/registry/\(rawValue)/\(namespace)/" : registryPrefix
    }

    /// The `kind` of the objects (`Pod`).
    public var kindName: String {
        switch self {
        case .namespaces: return "Namespace"
        case .nodes: return "Node"
        case .pods: return "Pod"
        case .deployments: return "Deployment"
        case .replicasets: return "ReplicaSet"
        case .services: return "Service"
        case .endpointslices: return "EndpointSlice"
        case .leases: return "Lease"
        case .clusterroles: return "ClusterRole"
        case .clusterrolebindings: return "ClusterRoleBinding"
        }
    }

    public static func < (lhs: ResourceKind, rhs: ResourceKind) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A typed Kubernetes object, as the apiserver stores it in etcd (no JSON on the hot path: the MVCC
/// value carries this value; `estimatedBytes` stands in for the serialized size where size matters).
public indirect enum KubeObject: Sendable, Hashable {
    case namespace(Namespace)
    case node(Node)
    case pod(Pod)
    case deployment(Deployment)
    case replicaSet(ReplicaSet)
    case service(Service)
    case endpointSlice(EndpointSlice)
    case lease(Lease)
    case clusterRole(Role)
    case clusterRoleBinding(RoleBinding)

    public var resource: ResourceKind {
        switch self {
        case .namespace: return .namespaces
        case .node: return .nodes
        case .pod: return .pods
        case .deployment: return .deployments
        case .replicaSet: return .replicasets
        case .service: return .services
        case .endpointSlice: return .endpointslices
        case .lease: return .leases
        case .clusterRole: return .clusterroles
        case .clusterRoleBinding: return .clusterrolebindings
        }
    }

    public var metadata: ObjectMeta {
        get {
            switch self {
            case .namespace(let object): return object.metadata
            case .node(let object): return object.metadata
            case .pod(let object): return object.metadata
            case .deployment(let object): return object.metadata
            case .replicaSet(let object): return object.metadata
            case .service(let object): return object.metadata
            case .endpointSlice(let object): return object.metadata
            case .lease(let object): return object.metadata
            case .clusterRole(let object): return object.metadata
            case .clusterRoleBinding(let object): return object.metadata
            }
        }
        set {
            switch self {
            case .namespace(var object): object.metadata = newValue; self = .namespace(object)
            case .node(var object): object.metadata = newValue; self = .node(object)
            case .pod(var object): object.metadata = newValue; self = .pod(object)
            case .deployment(var object): object.metadata = newValue; self = .deployment(object)
            case .replicaSet(var object): object.metadata = newValue; self = .replicaSet(object)
            case .service(var object): object.metadata = newValue; self = .service(object)
            case .endpointSlice(var object): object.metadata = newValue; self = .endpointSlice(object)
            case .lease(var object): object.metadata = newValue; self = .lease(object)
            case .clusterRole(var object): object.metadata = newValue; self = .clusterRole(object)
            case .clusterRoleBinding(var object): object.metadata = newValue; self = .clusterRoleBinding(object)
            }
        }
    }

    /// The etcd key the object is stored under.
    public var registryKey: String { resource.registryKey(namespace: metadata.namespace, name: metadata.name) }

    /// A rough size of the object as the apiserver would serialize it (protobuf), for size limits and
    /// memory estimates: never computed by serializing.
    public var estimatedBytes: Int {
        let meta = 200 + metadata.name.utf8.count + metadata.namespace.utf8.count + 40 * (metadata.labels.count + metadata.annotations.count)
        switch self {
        case .pod(let pod): return meta + 300 + 120 * pod.spec.containers.count
        case .node: return meta + 1_500
        case .endpointSlice(let slice): return meta + 80 * slice.endpoints.count
        case .deployment, .replicaSet: return meta + 500
        case .namespace, .service, .lease, .clusterRole, .clusterRoleBinding: return meta + 150
        }
    }

    /// A stable digest for the trace hash (never `Hasher`, which is seeded per process).
    public var traceDigest: UInt64 {
        var hash = mixHash(stableHash(resource.rawValue), stableHash(metadata.namespace) ^ (stableHash(metadata.name) &* 5))
        hash = mixHash(hash, UInt64(bitPattern: metadata.resourceVersion) ^ UInt64(bitPattern: metadata.generation) << 20)
        switch self {
        case .pod(let pod):
            hash = mixHash(hash, stableHash(pod.spec.nodeName ?? "") ^ stableHash(pod.status.phase.rawValue) ^ (pod.status.ready ? 1 : 0))
        case .node(let node):
            hash = mixHash(hash, stableHash(node.status.ready.rawValue) ^ UInt64(bitPattern: node.status.lastHeartbeat.nanosecondsSinceStart) ^ UInt64(node.taints.count))
        case .deployment(let deployment):
            hash = mixHash(hash, UInt64(deployment.spec.replicas) ^ UInt64(deployment.status.availableReplicas) << 16 ^ UInt64(deployment.status.updatedReplicas) << 32)
        case .replicaSet(let set):
            hash = mixHash(hash, UInt64(set.spec.replicas) ^ UInt64(set.status.replicas) << 16 ^ UInt64(set.status.availableReplicas) << 32)
        case .lease(let lease):
            hash = mixHash(hash, stableHash(lease.holderIdentity ?? "") ^ UInt64(bitPattern: lease.renewTime?.nanosecondsSinceStart ?? -1))
        case .endpointSlice(let slice):
            for endpoint in slice.endpoints { hash = mixHash(hash, stableHash(endpoint.podName) ^ (endpoint.ready ? 1 : 0)) }
        case .namespace, .service, .clusterRole, .clusterRoleBinding:
            break
        }
        return hash
    }
}
