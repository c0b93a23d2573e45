import FaultlineSim

/// Deliberately broken variants of the apiserver, to prove the checkers catch what they claim to
/// catch. Off by default; the correct code paths do not change when they are off.
public struct ApiServerBugs: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// `pods/binding` overwrites `spec.nodeName` even when the pod is already bound (a pod can be
    /// bound twice, to two nodes).
    public static let bindingIgnoresExistingNode = ApiServerBugs(rawValue: 1 << 0)
    /// The watch cache resumes a watch at the resourceVersion asked instead of after it (an
    /// off-by-one): the client gets the last event it saw again.
    public static let watchResumesAtResourceVersion = ApiServerBugs(rawValue: 1 << 1)
    /// `resourceVersion=""` reads are served from the watch cache without confirming with etcd
    /// (a consistent read may return stale state).
    public static let staleReadsForConsistentRequests = ApiServerBugs(rawValue: 1 << 2)

    /// The names used in scenario files.
    public static let byName: [(String, ApiServerBugs)] = [
        ("binding-ignores-existing-node", .bindingIgnoresExistingNode),
        ("watch-resumes-at-resource-version", .watchResumesAtResourceVersion),
        ("stale-reads-for-consistent-requests", .staleReadsForConsistentRequests),
    ]
}

/// Configuration of one kube-apiserver. Defaults are kube-apiserver 1.34's where a flag exists.
public struct ApiServerConfig: Sendable {
    /// `--etcd-servers`. Empty means the stacked topology's local member, on the apiserver's own host.
    public var etcdEndpoints: [HostID] = []
    /// How long the apiserver waits for one etcd request before answering 504 (etcd's own request
    /// timeout is 5 s + 2 x election timeout; client-go's default is unbounded, the apiserver's
    /// `--request-timeout` is 60 s; 5 s keeps a hung etcd visible to clients quickly).
    public var etcdRequestTimeoutMs: Int64 = 5_000
    /// `--etcd-readycheck-timeout` (and `--etcd-healthcheck-timeout`): 2 s.
    public var etcdReadyCheckTimeoutMs: Int64 = 2_000
    /// `--etcd-compaction-interval`: 5 minutes (0 disables compaction).
    public var compactionIntervalMs: Int64 = 300_000
    /// Events the watch cache keeps per resource (`--default-watch-cache-size` was 100; the cache now
    /// sizes itself between 100 and 100 Ki events to keep ~75 s of history; a fixed window here).
    public var watchCacheEventsPerResource: Int = 100
    /// `--max-requests-inflight`: non-mutating requests waiting on etcd.
    public var maxInflightReads: Int = 400
    /// `--max-mutating-requests-inflight`: mutating requests waiting on etcd.
    public var maxInflightMutations: Int = 200
    /// Open client connections (beyond: 429).
    public var maxConnections: Int = 10_000
    /// Watches on one connection (HTTP/2 streams per connection are bounded too; beyond: 429).
    public var maxWatchesPerConnection: Int = 100
    /// Watches in total (beyond: 429).
    public var maxWatches: Int = 10_000
    /// `GuaranteedUpdate` attempts for unconditional updates before giving up with 409.
    public var maxUpdateAttempts: Int = 5
    /// The authorizer (`--authorization-mode=Node,RBAC` with the scenario's extra grants).
    public var authorizer = RBACAuthorizer()
    public var bugs: ApiServerBugs = []
    /// `--default-not-ready-toleration-seconds` and `--default-unreachable-toleration-seconds` (300):
    /// the DefaultTolerationSeconds admission plugin's tolerations for new pods.
    public var defaultNotReadyTolerationSeconds: Int64 = 300
    public var defaultUnreachableTolerationSeconds: Int64 = 300

    public init(etcdEndpoints: [HostID] = []) { self.etcdEndpoints = etcdEndpoints }
}

/// The apiserver's timers. Each carries the process epoch (its start count), so a timer set before a
/// restart is ignored after it.
public enum ApiServerTimer: Sendable, Hashable, CustomStringConvertible {
    /// An etcd request (a client's read or write, the cache list, a compaction) timed out.
    case etcdRequestTimeout(requestID: UInt64)
    /// A readiness / health read of etcd timed out (`--etcd-readycheck-timeout`).
    case readyCheckTimeout(requestID: UInt64)
    /// The watch cache's etcd watch keepalive: ping, or give up on a silent stream.
    case cacheWatchKeepalive(watchID: UInt64)
    /// The watch cache re-lists or re-opens its etcd watch (after a failure, with back-off).
    case cacheReconnect(epoch: UInt32)
    /// The periodic compaction (`--etcd-compaction-interval`).
    case compaction(epoch: UInt32)

    public var traceDigest: UInt64 {
        switch self {
        case .etcdRequestTimeout(let id): return mixHash(0x201, id)
        case .readyCheckTimeout(let id): return mixHash(0x202, id)
        case .cacheWatchKeepalive(let id): return mixHash(0x203, id)
        case .cacheReconnect(let epoch): return mixHash(0x204, UInt64(epoch))
        case .compaction(let epoch): return mixHash(0x205, UInt64(epoch))
        }
    }

    public var description: String {
        switch self {
        case .etcdRequestTimeout(let id): return "apiserver-etcd-timeout #\(id & 0xffff_ffff)"
        case .readyCheckTimeout(let id): return "apiserver-readycheck-timeout #\(id & 0xffff_ffff)"
        case .cacheWatchKeepalive(let id): return "apiserver-cache-keepalive #\(id & 0xffff_ffff)"
        case .cacheReconnect: return "apiserver-cache-reconnect"
        case .compaction: return "apiserver-compaction"
        }
    }
}

/// What the apiserver reports for checkers and the timeline.
public enum ApiServerObservation: Sendable, Hashable {
    /// `/readyz` changed (the etcd check passed or failed).
    case readinessChanged(ready: Bool, reason: String)
    /// A request was answered (`code` 200/201 or the failure's code).
    case requestServed(requestID: UInt64, user: ApiUser, verb: ApiVerb, resource: ResourceKind, subresource: ApiSubresource?, code: ApiStatusCode)
    /// etcd confirmed a create, update or bind: the object as stored, with its new resourceVersion.
    case objectWritten(KubeObject)
    /// etcd confirmed a delete: the object as it was, with the delete revision as resourceVersion.
    case objectDeleted(KubeObject)
    /// A write timed out: it may or may not have taken effect (the client got 504).
    case writeOutcomeUnknown(requestID: UInt64, key: String)
    /// The watch cache listed etcd at `revision` and is serving (again).
    case cacheSynced(revision: Int64)
    /// The watch cache lost its etcd watch (`reason`); it resumes or re-lists.
    case cacheWatchBroken(reason: String)
    /// A compaction request was sent to etcd.
    case compactionRequested(revision: Int64)

    public var traceDigest: UInt64 {
        switch self {
        case .readinessChanged(let ready, let reason): return mixHash(0x301, stableHash(reason) ^ (ready ? 1 : 0))
        case .requestServed(let id, _, let verb, let resource, _, let code):
            return mixHash(mixHash(0x302, id), stableHash(verb.rawValue + resource.rawValue) ^ UInt64(code.rawValue))
        case .objectWritten(let object): return mixHash(0x303, object.traceDigest)
        case .objectDeleted(let object): return mixHash(0x304, object.traceDigest)
        case .writeOutcomeUnknown(let id, let key): return mixHash(mixHash(0x305, id), stableHash(key))
        case .cacheSynced(let revision): return mixHash(0x306, UInt64(bitPattern: revision))
        case .cacheWatchBroken(let reason): return mixHash(0x307, stableHash(reason))
        case .compactionRequested(let revision): return mixHash(0x308, UInt64(bitPattern: revision))
        }
    }
}

/// What one step of the apiserver asks its host to do. Reused between steps (`clear()` keeps capacity).
public struct ApiServerOutput: Sendable {
    public var toClients: [(HostID, ApiClientBound)] = []
    public var toEtcd: [(HostID, EtcdServerBound)] = []
    public var timers: [(afterMs: Int64, ApiServerTimer)] = []
    public var observations: [ApiServerObservation] = []

    public init() {}

    public mutating func clear() {
        toClients.removeAll(keepingCapacity: true)
        toEtcd.removeAll(keepingCapacity: true)
        timers.removeAll(keepingCapacity: true)
        observations.removeAll(keepingCapacity: true)
    }

    public var isEmpty: Bool { toClients.isEmpty && toEtcd.isEmpty && timers.isEmpty && observations.isEmpty }
}

/// Standard apiserver answers.
enum ApiErrors {
    static func timeout() -> ApiStatus { ApiStatus(.gatewayTimeout, reason: "Timeout", message: "etcdserver: request timed out") }
    static func unavailable(_ reason: String) -> ApiStatus { ApiStatus(.serviceUnavailable, reason: "ServiceUnavailable", message: "etcdserver: \(reason)") }
    static func tooMany() -> ApiStatus { ApiStatus(.tooManyRequests, reason: "TooManyRequests", message: "Too many requests, please try again later.") }
    static func notFound(_ resource: ResourceKind, _ name: String) -> ApiStatus {
        ApiStatus(.notFound, reason: "NotFound", message: "\(qualified(resource)) \"\(name)\" not found")
    }
    static func alreadyExists(_ resource: ResourceKind, _ name: String) -> ApiStatus {
        ApiStatus(.conflict, reason: "AlreadyExists", message: "\(qualified(resource)) \"\(name)\" already exists")
    }
    static func conflict(_ resource: ResourceKind, _ name: String) -> ApiStatus {
        ApiStatus(.conflict, reason: "Conflict",
                  message: "Operation cannot be fulfilled on \(qualified(resource)) \"\(name)\": the object has been modified; please apply your changes to the latest version and try again")
    }
    static func preconditionFailed(_ resource: ResourceKind, _ name: String, expected: Int64, actual: Int64) -> ApiStatus {
        ApiStatus(.conflict, reason: "Conflict",
                  message: "Operation cannot be fulfilled on \(qualified(resource)) \"\(name)\": Precondition failed: ResourceVersion in precondition: \(expected), ResourceVersion in object meta: \(actual)")
    }
    static func tooOld(_ asked: Int64, _ oldest: Int64) -> ApiStatus {
        ApiStatus(.gone, reason: "Expired", message: "too old resource version: \(asked) (\(oldest))")
    }
    static func initializing(_ resource: ResourceKind) -> ApiStatus {
        ApiStatus(.tooManyRequests, reason: "TooManyRequests", message: "storage is (re)initializing: \(resource.rawValue)")
    }
    static func internalError(_ message: String) -> ApiStatus { ApiStatus(.internalServerError, reason: "InternalError", message: message) }

    /// `pods`, `deployments.apps`: how apiserver messages name a resource.
    static func qualified(_ resource: ResourceKind) -> String {
        let group = RBACAuthorizer.apiGroup(of: resource)
        return group.isEmpty ? resource.rawValue : "\(resource.rawValue).\(group)"
    }
}
