import FaultlineSim

/// A client request to an etcd member (the gRPC KV call, reduced to what the model needs).
public struct EtcdClientRequest: Sendable, Hashable {
    /// Unique per run: client index in the high 32 bits, the client's request counter in the low.
    public var id: UInt64
    public var client: Int
    public var kind: ClientOperationKind
    public var key: String
    public var value: String
    public var expected: String
    /// For a cas: the `mod_revision` the key must still have (the apiserver's optimistic concurrency);
    /// 0 compares the value with `expected` instead.
    public var compareModRevision: Int64 = 0
}

/// A member's answer to a client.
public enum EtcdClientResult: Sendable, Hashable {
    /// The operation took effect (or, for a get, read `value`; for a cas, `succeeded` says whether the
    /// compare held). `modRevision` is the key's `mod_revision` as the operation left or read it: the
    /// write's revision for a put or a successful cas, the key's for a get, 0 for a missing key, a
    /// delete or a failed cas.
    case ok(value: String, succeeded: Bool, modRevision: Int64)
    /// This member is not the leader; `leader` is the one it knows of. Nothing took effect.
    case redirect(leader: Int)
    /// No leader known, or the proposal was definitely lost (overwritten by another term), or a read
    /// could not be confirmed. Nothing took effect: the client may retry elsewhere.
    case unavailable(reason: String)

    var traceDigest: UInt64 {
        switch self {
        case .ok(let value, let succeeded, let modRevision): return mixHash(stableHash(value) ^ (succeeded ? 1 : 0), UInt64(bitPattern: modRevision))
        case .redirect(let leader): return UInt64(leader) &+ 7
        case .unavailable(let reason): return stableHash(reason)
        }
    }
}

/// A lease request (etcd's Lease API, reduced to what a lease holder does).
public struct LeaseRequest: Sendable, Hashable {
    public enum Operation: Sendable, Hashable {
        /// LeaseGrant: a lease with this id and TTL (through the log).
        case grant(lease: Int64, ttlSeconds: Int64)
        /// Put with a lease: the key is deleted when the lease is revoked (through the log).
        case attach(lease: Int64, key: String, value: String)
        /// LeaseKeepAlive: the leader's lessor pushes the expiry to now + TTL (not through the log).
        case keepAlive(lease: Int64)
    }
    /// Unique per run: holder index + 1 in bits 40 and up, the holder's request counter below.
    public var id: UInt64
    public var holder: Int
    public var operation: Operation
}

/// A member's answer to a lease request.
public enum LeaseResult: Sendable, Hashable {
    /// Done; `ttlSeconds` is the lease's TTL (for a keepalive: the time it now has left).
    case ok(ttlSeconds: Int64)
    /// The lease does not exist (revoked, expired, or never granted).
    case notFound
    case redirect(leader: Int)
    case unavailable(reason: String)

    var traceDigest: UInt64 {
        switch self {
        case .ok(let ttl): return mixHash(31, UInt64(bitPattern: ttl))
        case .notFound: return 32
        case .redirect(let leader): return mixHash(33, UInt64(leader))
        case .unavailable(let reason): return mixHash(34, stableHash(reason))
        }
    }
}

/// A watch request (etcd's `WatchCreateRequest`): the changes to keys in [key, end) from
/// `startRevision` on; 0 means "from the member's next revision".
public struct WatchCreate: Sendable, Hashable {
    /// Unique per run: watcher index in the high 32 bits, the watcher's stream counter in the low.
    public var watchID: UInt64
    public var key: String
    public var end: String
    public var startRevision: Int64
    /// clientv3's `WithRequireLeader` (the apiserver sets it): the member cancels the watch when it has
    /// no leader, instead of serving a stream that silently stops.
    public var requireLeader: Bool
}

/// Why a member ended a watch.
public enum WatchCancelReason: String, Sendable, Hashable {
    /// The start revision was compacted away: the watcher must re-list and watch from now.
    case compacted
    /// The member lost its leader and the watch requires one.
    case noLeader = "no-leader"
    /// The member does not know the watch: it restarted since (the connection was torn down).
    case unknownWatch = "unknown-watch"
}

/// What a member sends on a watch stream.
public enum WatchResponse: Sendable, Hashable {
    /// The sequence number of a reply outside any stream (to a ping on a stream the member does not know).
    public static let unsequenced = UInt32.max

    /// The watch is registered; events follow from `startRevision` on.
    case created(startRevision: Int64)
    /// Changes, in revision order.
    case events([WatchEvent])
    /// An answer to a keepalive ping: the connection is alive; `revision` is the member's.
    case progress(revision: Int64)
    case canceled(WatchCancelReason, compactRevision: Int64)

    var traceDigest: UInt64 {
        switch self {
        case .created(let start): return mixHash(21, UInt64(bitPattern: start))
        case .events(let events):
            var hash: UInt64 = 22
            for event in events { hash = mixHash(hash, stableHash(event.key) ^ UInt64(bitPattern: event.revision) ^ event.value.digest) }
            return hash
        case .progress(let revision): return mixHash(23, UInt64(bitPattern: revision))
        case .canceled(let reason, let revision): return mixHash(mixHash(24, stableHash(reason.rawValue)), UInt64(bitPattern: revision))
        }
    }
}

/// What an etcd member receives: Raft traffic from its peers and requests from clients.
public enum EtcdServerBound: Sendable, CustomStringConvertible {
    case raft(RaftMessage<EtcdRequest>)
    case request(EtcdClientRequest)
    case leaseRequest(LeaseRequest)
    case watchCreate(WatchCreate)
    /// A watcher's keepalive (gRPC keepalive ping on the watch connection).
    case watchPing(watchID: UInt64)
    /// An apiserver's KV request; `replyTo` gets the answer (a follower forwards it to the leader).
    case kv(KVRequest, replyTo: HostID)

    public var traceDigest: UInt64 {
        switch self {
        case .kv(let request, let replyTo):
            return mixHash(request.traceDigest, UInt64(replyTo.index))
        case .raft(let message):
            return mixHash(1, message.traceDigest)
        case .request(let request):
            return mixHash(mixHash(2, request.id), stableHash(request.key) ^ stableHash(request.value))
        case .leaseRequest(let request):
            let operation: UInt64
            switch request.operation {
            case .grant(let lease, let ttl): operation = mixHash(UInt64(bitPattern: lease), UInt64(bitPattern: ttl))
            case .attach(let lease, let key, let value): operation = mixHash(UInt64(bitPattern: lease), stableHash(key) ^ stableHash(value))
            case .keepAlive(let lease): operation = mixHash(3, UInt64(bitPattern: lease))
            }
            return mixHash(mixHash(7, request.id), operation)
        case .watchCreate(let create):
            return mixHash(mixHash(mixHash(4, create.watchID), stableHash(create.key) ^ stableHash(create.end)), UInt64(bitPattern: create.startRevision))
        case .watchPing(let id):
            return mixHash(5, id)
        }
    }

    public var description: String {
        switch self {
        case .raft(let message): return "raft \(message)"
        case .request(let request): return "request #\(request.id) \(request.kind.rawValue) \(request.key)"
        case .leaseRequest(let request): return "lease-request #\(request.id) \(request.operation)"
        case .watchCreate(let create): return "watch-create #\(create.watchID) from \(create.startRevision)"
        case .watchPing(let id): return "watch-ping #\(id)"
        case .kv(let request, _): return "kv #\(request.id & ~KVRequest.idBit) \(request.operation)"
        }
    }
}

/// What an etcd member sends back to a client.
public enum EtcdClientBound: Sendable, CustomStringConvertible {
    case response(requestID: UInt64, EtcdClientResult)
    case leaseResponse(requestID: UInt64, LeaseResult)
    /// A message on a watch stream. `sequence` numbers a stream's messages from 0, as TCP would: the
    /// stream is reliable and ordered or it breaks (`unsequenced` marks a reply to an unknown stream).
    case watch(watchID: UInt64, sequence: UInt32, WatchResponse)
    case kvResponse(requestID: UInt64, KVResult)

    public var traceDigest: UInt64 {
        switch self {
        case .kvResponse(let id, let result):
            return mixHash(mixHash(0x71, id), result.traceDigest)
        case .response(let id, let result):
            return mixHash(mixHash(3, id), result.traceDigest)
        case .leaseResponse(let id, let result):
            return mixHash(mixHash(8, id), result.traceDigest)
        case .watch(let id, let sequence, let response):
            return mixHash(mixHash(6, id) ^ UInt64(sequence), response.traceDigest)
        }
    }

    public var description: String {
        switch self {
        case .response(let id, let result): return "response #\(id) \(result)"
        case .leaseResponse(let id, let result): return "lease-response #\(id) \(result)"
        case .kvResponse(let id, let result): return "kv-response #\(id & ~KVRequest.idBit) \(result)"
        case .watch(let id, _, let response):
            switch response {
            case .created(let start): return "watch #\(id) created from \(start)"
            case .events(let events): return "watch #\(id) \(events.count) events \(events.first?.revision ?? 0)...\(events.last?.revision ?? 0)"
            case .progress(let revision): return "watch #\(id) progress \(revision)"
            case .canceled(let reason, let revision): return "watch #\(id) canceled \(reason.rawValue) \(revision)"
            }
        }
    }
}

/// Timers of the etcd model.
public enum EtcdTimer: Sendable, Hashable, CustomStringConvertible {
    /// A member's Raft tick (every `heartbeat-interval`).
    case raftTick
    /// A client's think time is over: issue the next request.
    case clientIssue
    /// A client's request `id` timed out (its outcome becomes unknown).
    case clientTimeout(requestID: UInt64)
    /// A client retries its current request (after a redirect or an unavailable answer).
    case clientRetry(requestID: UInt64)
    /// A lease holder's next step (grant, attach, keepalive, or letting the lease go).
    case leaseStep
    /// A lease holder's request `id` timed out.
    case leaseTimeout(requestID: UInt64)
    /// A lease holder retries its request `id` (after a redirect or an unavailable answer).
    case leaseRetry(requestID: UInt64)
    /// A watcher's keepalive period is over: ping, or give up on a silent connection.
    case watchKeepalive(watchID: UInt64)
    /// A watcher opens a new stream (after a cancel or a dead connection, with back-off).
    case watchReconnect

    public var traceDigest: UInt64 {
        switch self {
        case .raftTick: return 11
        case .clientIssue: return 12
        case .clientTimeout(let id): return mixHash(13, id)
        case .clientRetry(let id): return mixHash(14, id)
        case .leaseStep: return 17
        case .leaseTimeout(let id): return mixHash(18, id)
        case .leaseRetry(let id): return mixHash(19, id)
        case .watchKeepalive(let id): return mixHash(15, id)
        case .watchReconnect: return 16
        }
    }

    public var description: String {
        switch self {
        case .raftTick: return "raft-tick"
        case .clientIssue: return "client-issue"
        case .clientTimeout(let id): return "client-timeout #\(id)"
        case .clientRetry(let id): return "client-retry #\(id)"
        case .leaseStep: return "lease-step"
        case .leaseTimeout(let id): return "lease-timeout #\(id)"
        case .leaseRetry(let id): return "lease-retry #\(id)"
        case .watchKeepalive(let id): return "watch-keepalive #\(id)"
        case .watchReconnect: return "watch-reconnect"
        }
    }
}
