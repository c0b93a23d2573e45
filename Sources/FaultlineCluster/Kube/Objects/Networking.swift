/// `spec.ports[]` of a Service.
public struct ServicePort: Sendable, Hashable {
    public var name: String
    public var port: Int
    public var targetPort: Int
    public init(name: String = "", port: Int, targetPort: Int) {
        self.name = name
        self.port = port
        self.targetPort = targetPort
    }
}

/// A `v1` Service (ClusterIP).
public struct Service: Sendable, Hashable {
    public enum TrafficPolicy: String, Sendable, Hashable { case cluster = "Cluster", local = "Local" }
    public var metadata: ObjectMeta
    public var selector: StringPairs
    public var ports: [ServicePort]
    public var internalTrafficPolicy: TrafficPolicy = .cluster

    public init(metadata: ObjectMeta, selector: StringPairs, ports: [ServicePort]) {
        self.metadata = metadata
        self.selector = selector
        self.ports = ports
    }
}

/// One endpoint of an EndpointSlice: a pod that backs the Service.
public struct Endpoint: Sendable, Hashable {
    public var podName: String
    public var nodeName: String
    public var address: String
    /// `conditions.ready`: the pod is Ready and not terminating.
    public var ready: Bool
    public init(podName: String, nodeName: String, address: String, ready: Bool) {
        self.podName = podName
        self.nodeName = nodeName
        self.address = address
        self.ready = ready
    }
}

/// A `discovery.k8s.io/v1` EndpointSlice (one per Service in the model; the label
/// `kubernetes.io/service-name` names the Service).
public struct EndpointSlice: Sendable, Hashable {
    public var metadata: ObjectMeta
    /// Sorted by pod name.
    public var endpoints: [Endpoint]
    public init(metadata: ObjectMeta, endpoints: [Endpoint]) {
        self.metadata = metadata
        self.endpoints = endpoints
    }
}
