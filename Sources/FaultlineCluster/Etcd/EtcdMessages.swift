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
}

/// A member's answer to a client.
public enum EtcdClientResult: Sendable, Hashable {
    /// The operation took effect (or, for a get, read `value`; for a cas, `succeeded` says whether the
    /// compare held).
    case ok(value: String, succeeded: Bool)
    /// This member is not the leader; `leader` is the one it knows of. Nothing took effect.
    case redirect(leader: Int)
    /// No leader known, or the proposal was definitely lost (overwritten by another term), or a read
    /// could not be confirmed. Nothing took effect: the client may retry elsewhere.
    case unavailable(reason: String)
}

/// Everything that crosses the simulated network in the etcd model.
public enum EtcdNetworkMessage: TraceDigestible, Sendable, CustomStringConvertible {
    case raft(RaftMessage<EtcdRequest>)
    case request(EtcdClientRequest)
    case response(requestID: UInt64, EtcdClientResult)

    public var traceDigest: UInt64 {
        switch self {
        case .raft(let message):
            return mixHash(1, message.traceDigest)
        case .request(let request):
            return mixHash(mixHash(2, request.id), stableHash(request.key) ^ stableHash(request.value))
        case .response(let id, let result):
            let resultDigest: UInt64
            switch result {
            case .ok(let value, let succeeded): resultDigest = stableHash(value) ^ (succeeded ? 1 : 0)
            case .redirect(let leader): resultDigest = UInt64(leader) &+ 7
            case .unavailable(let reason): resultDigest = stableHash(reason)
            }
            return mixHash(mixHash(3, id), resultDigest)
        }
    }

    public var description: String {
        switch self {
        case .raft(let message): return "raft \(message)"
        case .request(let request): return "request #\(request.id) \(request.kind.rawValue) \(request.key)"
        case .response(let id, let result): return "response #\(id) \(result)"
        }
    }
}

/// Timers of the etcd model.
public enum EtcdTimer: TraceDigestible, Sendable, Hashable, CustomStringConvertible {
    /// A member's Raft tick (every `heartbeat-interval`).
    case raftTick
    /// A client's think time is over: issue the next request.
    case clientIssue
    /// A client's request `id` timed out (its outcome becomes unknown).
    case clientTimeout(requestID: UInt64)
    /// A client retries its current request (after a redirect or an unavailable answer).
    case clientRetry(requestID: UInt64)

    public var traceDigest: UInt64 {
        switch self {
        case .raftTick: return 11
        case .clientIssue: return 12
        case .clientTimeout(let id): return mixHash(13, id)
        case .clientRetry(let id): return mixHash(14, id)
        }
    }

    public var description: String {
        switch self {
        case .raftTick: return "raft-tick"
        case .clientIssue: return "client-issue"
        case .clientTimeout(let id): return "client-timeout #\(id)"
        case .clientRetry(let id): return "client-retry #\(id)"
        }
    }
}
