import FaultlineSim

/// kubelet flags and configuration fields the model uses (Kubernetes 1.34 defaults).
public struct KubeletFlags: Sendable, Hashable {
    /// `nodeStatusUpdateFrequency`: how often the kubelet computes its node status (and posts it when
    /// it changed).
    public var nodeStatusUpdateFrequencyMs: Int64 = 10_000
    /// `nodeStatusReportFrequency`: the longest it goes without posting an unchanged status.
    public var nodeStatusReportFrequencyMs: Int64 = 300_000
    /// `nodeLeaseDurationSeconds`; the lease is renewed every quarter of it (10 s).
    public var nodeLeaseDurationSeconds: Int64 = 40
    /// `--runtime-request-timeout` is 2 min upstream; the runtime is reported down when its status has
    /// not been read for `runtimeDownAfterMs` (kubelet's `baseRuntimeSyncThreshold`, 30 s), checked
    /// every 5 s (`updateRuntimeUp`).
    public var runtimeDownAfterMs: Int64 = 30_000
    public var bugs: KubeletBugs = []
    public init() {}

    /// The node lease's renew interval: a quarter of its duration (kubelet's `renewIntervalFraction`).
    public var leaseRenewIntervalMs: Int64 { nodeLeaseDurationSeconds * 250 }
}

/// Deliberately broken kubelet variants (`unsafe-bugs`), each caught by a shipped scenario.
public struct KubeletBugs: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// Admits every pod bound to the node, whatever its requests (no `OutOfcpu` rejection): with a
    /// scheduler that ignores resource fit, running pods overcommit the node.
    public static let skipsAdmission = KubeletBugs(rawValue: 1 << 0)
    public static let byName: [(String, KubeletBugs)] = [("skips-admission", .skipsAdmission)]
}

/// kube-proxy flags (`--iptables-sync-period` 30 s, `--iptables-min-sync-period` 1 s).
public struct KubeProxyFlags: Sendable, Hashable {
    public var syncPeriodMs: Int64 = 30_000
    public var minSyncPeriodMs: Int64 = 1_000
    public var bugs: KubeProxyBugs = []
    public init() {}
}

/// Deliberately broken kube-proxy variants.
public struct KubeProxyBugs: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// Flushes the node's Service rules when it starts, before its informers have synced (real
    /// kube-proxy keeps the old rules until it has a full view): restarted while the control plane is
    /// down, it blackholes every Service on its node.
    public static let flushesRulesOnStart = KubeProxyBugs(rawValue: 1 << 0)
    /// Syncs only on its periodic timer (`--iptables-sync-period`, 30 s), not after a Service or
    /// EndpointSlice change: deleted pods keep receiving traffic for up to 30 s.
    public static let syncsOnlyPeriodically = KubeProxyBugs(rawValue: 1 << 1)
    public static let byName: [(String, KubeProxyBugs)] = [("flushes-rules-on-start", .flushesRulesOnStart),
                                                            ("syncs-only-periodically", .syncsOnlyPeriodically)]
}

/// One stream of requests to a Service.
public struct TrafficSpec: Sendable, Hashable {
    public enum Origin: String, Sendable, Hashable {
        /// From client pods spread over the workers (one per worker, each at rate / workers), through
        /// the rules of their own node.
        case inside
        /// From a client outside the cluster, through a NodePort on the workers in turn.
        case outside
    }
    public var namespace: String
    public var service: String
    public var requestsPerSecond: Double
    public var origin: Origin
    /// How long a client waits for an answer.
    public var timeoutMs: Int64 = 1_000
    public init(namespace: String = "default", service: String, requestsPerSecond: Double, origin: Origin) {
        self.namespace = namespace
        self.service = service
        self.requestsPerSecond = requestsPerSecond
        self.origin = origin
    }
    /// `namespace/name`.
    public var serviceKey: String { namespace + "/" + service }
}

/// The worker side of a cluster: kubelet, runtime, kube-proxy settings and the traffic.
public struct WorkerSpec: Sendable {
    public var kubelet = KubeletFlags()
    public var kubeProxy = KubeProxyFlags()
    /// How long pulling a pod's image takes when the node does not have it yet.
    public var imagePullLatency: LatencyDistribution = .uniform(min: .seconds(1), max: .seconds(3))
    /// How long creating and starting a pod's containers takes (sandbox, create, start).
    public var containerStartLatency: LatencyDistribution = .uniform(min: .milliseconds(300), max: .seconds(1))
    /// How long after its container starts a pod passes its first readiness probe.
    public var readinessDelayMs: Int64 = 0
    public var traffic: [TrafficSpec] = []
    public init() {}
}

/// What happened to one Service request.
public enum TrafficOutcome: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Answered by a running container.
    case served
    /// The node's rules had no endpoint for the Service (connection refused).
    case refused
    /// The chosen endpoint's container was not running there (connection reset by a live node).
    case deadPod
    /// No answer within the client's timeout (dead node, partition, loss).
    case timedOut

    public var description: String {
        switch self {
        case .served: return "served"
        case .refused: return "refused"
        case .deadPod: return "dead-pod"
        case .timedOut: return "timed-out"
        }
    }
}

/// One finished Service request, as its client saw it.
public struct TrafficRecord: Sendable, Hashable {
    /// Index of the stream in `WorkerSpec.traffic`.
    public var stream: Int
    public var serviceKey: String
    public var sentAt: SimInstant
    public var outcome: TrafficOutcome
    /// The pod (`namespace/name`) the rules chose, if any, and the node whose rules chose it.
    public var pod: String?
    public var routedBy: String
}

/// What the worker components report.
public enum WorkerObservation {
    /// A pod's container started running on `node` (its requests count against the node).
    case containerStarted(node: String, pod: String, uid: UInt64, requests: ResourceList)
    /// It stopped running (`reason`: stopped, killed, node crashed, ...).
    case containerStopped(node: String, pod: String, uid: UInt64, exitCode: Int, reason: String)
    /// A Service request finished.
    case request(TrafficRecord)
    /// The kubelet found its container runtime down or back up.
    case runtimeStatus(node: String, up: Bool)
    /// kube-proxy wrote the node's Service rules (`endpoints`: ready endpoints over all Services).
    case rulesProgrammed(node: String, services: Int, endpoints: Int)
    /// kube-proxy's EndpointSlice informer on `node` received a change of `service` (`namespace/name`):
    /// these pods (`namespace/name`) stopped, respectively started, being ready endpoints.
    case endpointsSeen(node: String, service: String, removed: [String], restored: [String])
    /// The kube-proxy process of `node` stopped (crash or kill): the node keeps its last rules, and no
    /// one updates them until a kube-proxy runs again.
    case kubeProxyStopped(node: String)
    /// The node's Service rules are gone (its machine crashed: the netfilter tables with it).
    case rulesCleared(node: String)
}

/// Timers of the worker processes.
public enum WorkerTimer: Sendable, Hashable, CustomStringConvertible {
    /// containerd finished pulling and starting attempt `attempt` of a pod (worker index, runtime token).
    case containerReady(token: UInt64)
    /// An outside or inside client sends its next request of stream `stream`.
    case trafficTick(stream: Int)
    /// A client's request `request` has waited its timeout.
    case requestTimeout(request: UInt64)

    public var traceDigest: UInt64 {
        switch self {
        case .containerReady(let token): return mixHash(0x601, token)
        case .trafficTick(let stream): return mixHash(0x602, UInt64(stream))
        case .requestTimeout(let request): return mixHash(0x603, request)
        }
    }

    public var description: String {
        switch self {
        case .containerReady(let token): return "container-ready #\(token)"
        case .trafficTick(let stream): return "traffic-tick stream \(stream)"
        case .requestTimeout(let request): return "request-timeout #\(request)"
        }
    }
}

/// Service traffic on the data plane.
public enum DataPlaneMessage: Sendable, CustomStringConvertible {
    /// A request of `stream` for `serviceKey`. `pod` is set once a node's rules chose an endpoint
    /// (then it goes to that pod's node); nil while it is on its way to the entry node (NodePort).
    case request(id: UInt64, stream: Int, client: HostID, pod: String?, routedBy: String)
    /// The answer to request `id`.
    case response(id: UInt64, TrafficOutcome, pod: String?, routedBy: String)

    public var traceDigest: UInt64 {
        switch self {
        case .request(let id, let stream, let client, let pod, _):
            return mixHash(mixHash(mixHash(0x611, id), UInt64(stream) << 32 | UInt64(client.index)), pod.map(stableHash) ?? 0)
        case .response(let id, let outcome, _, _):
            return mixHash(mixHash(0x612, id), UInt64(outcome.rawValue))
        }
    }

    public var description: String {
        switch self {
        case .request(let id, let stream, _, let pod, _): return "request #\(id) stream \(stream)\(pod.map { " to \($0)" } ?? "")"
        case .response(let id, let outcome, _, _): return "response #\(id) \(outcome)"
        }
    }
}
