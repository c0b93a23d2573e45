import FaultlineSim

/// Everything that crosses the simulated network: one case per family of messages, each a sub-enum
/// owned by one component. The world routes a family to the component role that accepts it, so a
/// component switches only over its own cases.
///
/// Invariant: the digest of an etcd message is the digest of its sub-enum (so the etcd model's traces
/// did not change when the world became multi-component); newer families mix in a family tag.
public enum ClusterMessage: TraceDigestible, Sendable, CustomStringConvertible {
    /// To an etcd member: Raft traffic from peers, client requests, watch and lease requests.
    case etcdServer(EtcdServerBound)
    /// From an etcd member to one of its clients (test clients, watchers, lease holders, apiservers).
    case etcdClient(EtcdClientBound)
    /// To a kube-apiserver, or to the load balancer that relays it.
    indirect case api(ApiServerBound)
    /// From a kube-apiserver (or the load balancer) to an API client.
    indirect case apiClient(ApiClientBound)
    /// Service traffic between clients and worker nodes.
    case dataPlane(DataPlaneMessage)

    @inlinable public var traceDigest: UInt64 {
        switch self {
        case .etcdServer(let message): return message.traceDigest
        case .etcdClient(let message): return message.traceDigest
        case .api(let message): return message.traceDigest
        case .apiClient(let message): return message.traceDigest
        case .dataPlane(let message): return message.traceDigest
        }
    }

    public var description: String {
        switch self {
        case .etcdServer(let message): return message.description
        case .etcdClient(let message): return message.description
        case .api(let message): return message.description
        case .apiClient(let message): return message.description
        case .dataPlane(let message): return message.description
        }
    }

    @inlinable public var api: ApiServerBound? {
        if case .api(let message) = self { return message }
        return nil
    }

    @inlinable public var dataPlane: DataPlaneMessage? {
        if case .dataPlane(let message) = self { return message }
        return nil
    }

    @inlinable public var apiClient: ApiClientBound? {
        if case .apiClient(let message) = self { return message }
        return nil
    }

    /// The etcd-server family, or nil.
    @inlinable public var etcdServer: EtcdServerBound? {
        if case .etcdServer(let message) = self { return message }
        return nil
    }

    /// The etcd-client family, or nil.
    @inlinable public var etcdClient: EtcdClientBound? {
        if case .etcdClient(let message) = self { return message }
        return nil
    }
}

/// Every timer of the cluster: one case per component family.
///
/// Invariant: as for messages, an etcd timer's digest is its sub-enum's.
public enum ClusterTimer: TraceDigestible, Sendable, CustomStringConvertible {
    case etcd(EtcdTimer)
    case lb(LoadBalancerTimer)
    case supervisor(SupervisorTimer)
    case process(ProcessTimer)
    case apiserver(ApiServerTimer)
    case worker(WorkerTimer)

    @inlinable public var traceDigest: UInt64 {
        switch self {
        case .process(let timer): return timer.traceDigest
        case .apiserver(let timer): return timer.traceDigest
        case .etcd(let timer): return timer.traceDigest
        case .lb(let timer): return timer.traceDigest
        case .supervisor(let timer): return timer.traceDigest
        case .worker(let timer): return timer.traceDigest
        }
    }

    public var description: String {
        switch self {
        case .etcd(let timer): return timer.description
        case .lb(let timer): return timer.description
        case .supervisor(let timer): return timer.description
        case .process(let timer): return timer.description
        case .apiserver(let timer): return "\(timer)"
        case .worker(let timer): return timer.description
        }
    }

    @inlinable public var process: ProcessTimer? {
        if case .process(let timer) = self { return timer }
        return nil
    }

    @inlinable public var apiserver: ApiServerTimer? {
        if case .apiserver(let timer) = self { return timer }
        return nil
    }

    @inlinable public var supervisor: SupervisorTimer? {
        if case .supervisor(let timer) = self { return timer }
        return nil
    }

    @inlinable public var etcd: EtcdTimer? {
        if case .etcd(let timer) = self { return timer }
        return nil
    }

    @inlinable public var worker: WorkerTimer? {
        if case .worker(let timer) = self { return timer }
        return nil
    }

    @inlinable public var lb: LoadBalancerTimer? {
        if case .lb(let timer) = self { return timer }
        return nil
    }
}

/// The one simulation type of the whole cluster: one queue, one trace hash.
public typealias ClusterSim = Simulation<ClusterMessage, ClusterTimer>

/// An engine event narrowed to one component's families.
public enum ComponentEvent<Message, Timer> {
    case started
    case message(from: HostID, Message)
    case timer(TimerHandle, Timer)
    case persisted(token: UInt64)
}

extension SimEventKind where Message == ClusterMessage, TimerTag == ClusterTimer {
    /// The event as one component sees it, or nil when the message or timer belongs to another family
    /// (a wiring bug: the world reports it).
    @inlinable func narrowed<M, T>(_ message: (ClusterMessage) -> M?, _ timer: (ClusterTimer) -> T?) -> ComponentEvent<M, T>? {
        switch self {
        case .started: return .started
        case .message(let from, let payload): return message(payload).map { .message(from: from, $0) }
        case .timer(let handle, let tag): return timer(tag).map { .timer(handle, $0) }
        case .persisted(let token): return .persisted(token: token)
        }
    }
}
