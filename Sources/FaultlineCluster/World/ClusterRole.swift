/// What runs on a host: the world routes each event to the component of its host's role.
enum ClusterRole {
    case etcdMember(Int)
    case etcdClient(Int)
    case etcdWatcher(Int)
    case etcdLeaseHolder(Int)
    case apiserver(Int)
    case loadBalancer
    /// A master's kubelet restarting its static pods.
    case masterKubelet(Int)
    case scheduler(Int)
    case controllerManager(Int)
    case admin(Int)
    /// A worker's kubelet, kube-proxy and containerd, by worker index.
    case nodeKubelet(Int)
    case kubeProxy(Int)
    case containerd(Int)
    /// A traffic client: the pods of worker N (N < workers), or an outside client after them.
    case trafficClient(Int)
    case unassigned
}

extension ApiserverInput {
    /// The families an apiserver accepts: API traffic and its etcd client's answers.
    static func from(_ message: ClusterMessage) -> ApiserverInput? {
        switch message {
        case .api(let message): return .api(message)
        case .etcdClient(let message): return .etcd(message)
        case .etcdServer, .apiClient, .dataPlane: return nil
        }
    }
}

extension LoadBalancerInput {
    /// The families the load balancer relays: requests from clients, answers from backends.
    static func from(_ message: ClusterMessage) -> LoadBalancerInput? {
        switch message {
        case .api(let message): return .fromClient(message)
        case .apiClient(let message): return .fromBackend(message)
        case .etcdServer, .etcdClient, .dataPlane: return nil
        }
    }
}
