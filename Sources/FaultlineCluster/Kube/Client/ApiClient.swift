import FaultlineSim

/// An opaque value the owner of an `ApiClient` picks to match answers with its requests.
///
/// Invariant: unique among the owner's calls in flight (a finished call's tag may be reused).
public struct RequestTag: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public static func < (lhs: RequestTag, rhs: RequestTag) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "tag#\(rawValue)" }
}

/// Why a call ended without a success answer.
public enum ClientFailure: Sendable, Hashable {
    /// No answer within `requestTimeoutMs`: the outcome is unknown (a write may have been applied).
    case timedOut
    /// The connection was reset, refused, or abandoned while the call was in flight and the call was
    /// not retried (a write, or a read out of retries): for a write the outcome is unknown too.
    case connectionReset
    /// The apiserver answered with a failure status (after the retries the status allowed).
    case status(ApiStatus)
}

/// Why an open watch stream ended. Each open watch ends exactly once.
public enum WatchCloseReason: Sendable, Hashable {
    /// The server ended the stream (`.ok`: a clean close such as a server-side timeout; 410 Gone: the
    /// resourceVersion was compacted away; 5xx: etcd lost or shutdown).
    case ended(ApiStatus)
    /// A sequence gap: the transport broke (the connection is abandoned with it).
    case streamBroken
    /// The connection carrying the stream was reset, or abandoned after another call timed out on it.
    case connectionLost
}

/// A timer an `ApiClient` asks its host to set. Timers cannot be cancelled: a timer for a call that
/// already ended (or that a `restart` forgot) is ignored when it fires.
public enum ApiClientTimer: Sendable, Hashable {
    /// The call's overall timeout (`requestTimeoutMs` after `send`, retries included).
    case deadline(call: UInt64)
    /// The call's retry back-off (`retryAfterMs`) ended: send the next attempt.
    case retry(call: UInt64)
    /// The connection's read-idle check (HTTP/2 `ReadIdleTimeout`): ping if nothing was heard.
    case idleCheck(connection: UInt64)
    /// The ping sent on the connection has waited `PingTimeout`.
    case pingTimeout(connection: UInt64)
}

/// What an `ApiClient` asks its host to do or tells its owner.
public enum ApiClientOutput: Sendable {
    /// Put this message on the wire to the client's endpoint.
    case send(ApiServerBound, to: HostID)
    /// Call `timerFired(timer)` after this many milliseconds.
    case setTimer(afterMs: Int64, ApiClientTimer)
    /// The final success answer of a call (`.object` or `.list`); for a watch, `.watching`: the stream is
    /// open and `watchEvents` then exactly one `watchClosed` follow for the tag.
    case completed(RequestTag, ApiResult)
    /// The call ended without success (for a watch: it never opened). Nothing more follows for the tag.
    case failed(RequestTag, ClientFailure)
    /// Events of an open watch, in stream order.
    case watchEvents(RequestTag, [ApiWatchEvent])
    /// The open watch ended.
    case watchClosed(RequestTag, WatchCloseReason)
}

/// Tunables of an `ApiClient` (client-go's `rest.Config` and `rest.Request` defaults where they exist).
public struct ApiClientConfig: Sendable, Hashable {
    /// The overall timeout of one call, retries included (client-go's `Request.Timeout`). client-go has
    /// no default; kubectl sets none either unless `--request-timeout`, but every controller and the
    /// scheduler bound their calls (leader election: the renew deadline; informers: a watch timeout).
    /// The model needs a bound so that a silent backend (partition, paused apiserver) is noticed:
    /// 10 s, about what an HTTP/2 health ping (`ReadIdleTimeout` 30 s + `PingTimeout` 15 s) would take
    /// to notice in a shorter form. It does not apply to a watch once it is open.
    public var requestTimeoutMs: Int64 = 10_000
    /// client-go's `Request.maxRetries` (10).
    public var maxRetries: Int = 10
    /// The wait before a retry: the apiserver's `Retry-After: 1` (client-go also fabricates a 1 s
    /// Retry-After for a read that hit a reset connection).
    public var retryAfterMs: Int64 = 1_000
    /// client-go retries ANY verb whose answer is 429 or 5xx with a `Retry-After` header (a typed
    /// client's body can be replayed). `ApiStatus` carries no header, so the model decides by verb:
    /// off (default), only get/list/watch are retried; on, writes too (as if every 429/5xx carried one).
    public var retryWritesOnRetryableStatus: Bool = false
    /// client-go's HTTP/2 connection health check (`HTTP2_READ_IDLE_TIMEOUT_SECONDS`, default 30 s,
    /// and `HTTP2_PING_TIMEOUT_SECONDS`, 15 s): after this long without a frame on the connection a
    /// PING is sent; without its ack within `pingTimeoutMs` the connection is closed as dead. This is
    /// what gets a watch off an apiserver whose machine died silently (no RST) within 45 s.
    public var readIdleTimeoutMs: Int64 = 30_000
    public var pingTimeoutMs: Int64 = 15_000

    public init() {}
}

/// A process's REST client (client-go's `rest.RESTClient` over one HTTP/2 connection) as a pure state
/// machine: no clock, no network, no randomness. The owner feeds inputs; outputs go to a buffer the
/// owner reuses.
///
/// Semantics:
/// - Every call runs on the current connection to `endpoint` (the load balancer, or a co-located
///   apiserver). The first request on a connection id opens it; ids are `host index << 32 | counter`.
/// - Every attempt gets a fresh request id (`host index << 32 | counter`), so a late answer to an
///   abandoned attempt is never taken for the answer to a later one.
/// - A call ends after `requestTimeoutMs` with `.timedOut` unless answered (retry waits included).
///   If an attempt was in flight, the connection is declared dead: `.close` is sent for it and later
///   requests use a NEW connection id (so the load balancer picks a backend again).
/// - A dead connection (timeout, `.reset`, watch sequence gap) takes its calls with it: open watches
///   close with `.connectionLost`, reads (get/list/unopened watch) are retried after `retryAfterMs`
///   (client-go retries GETs on connection reset/EOF), writes fail with `.connectionReset`. The model
///   does not distinguish "refused before anything was sent" (which client-go may retry for writes).
/// - A 429/5xx answer is retried after `retryAfterMs`, at most `maxRetries` times per call, for reads
///   (and writes if `retryWritesOnRetryableStatus`); every other failure status ends the call.
/// - A watch stream's messages carry sequence numbers from 0; a duplicate is dropped, a gap breaks the
///   stream (and the connection). Events that arrive before the `.watching` answer open the watch.
///
/// - The live connection is health-checked as client-go's HTTP/2 transport does: after
///   `readIdleTimeoutMs` without a message on it, a `.ping`; no `.pong` within `pingTimeoutMs` kills
///   it (its watches close with `.connectionLost`, so informers re-list through a working backend).
///
/// Left out: client-side rate limiting (QPS/burst), watch `timeoutSeconds`.
///
/// Invariants:
/// - Each tag passed to `send` gets exactly one `.completed` or `.failed`; a watch tag that got
///   `.completed(.watching)` then gets exactly one `.watchClosed`, and nothing after it.
/// - Every call with an attempt in flight is on `connectionID` (a dead connection's calls are resolved
///   or moved to a retry wait when it dies).
/// - Request and connection ids never repeat within a run, `restart` included.
public struct ApiClient: Sendable {
    struct Call: Sendable {
        /// The first attempt's request id: names the call's timers.
        let id: UInt64
        let tag: RequestTag
        /// The current attempt (its `id` is the attempt's request id).
        var request: ApiRequest
        /// The connection the current attempt is on; nil while waiting to retry.
        var connection: UInt64?
        var retries: Int = 0
        /// For a watch once open: the sequence number the stream's next message must carry.
        var expectedSequence: UInt32?

        var isRead: Bool {
            switch request.verb {
            case .get, .list, .watch: return true
            case .create, .update, .delete: return false
            }
        }
    }

    public let host: HostID
    public let endpoint: HostID
    public let config: ApiClientConfig
    var requestCounter: UInt32 = 0
    var connectionCounter: UInt32 = 0
    /// The live connection, nil until the next request opens one.
    public private(set) var connectionID: UInt64?
    /// Calls in flight, in `send` order (ascending `id`).
    var calls: [Call] = []
    /// When the live connection last carried a message to this client (or was opened).
    var lastHeardAt: SimInstant = .start
    /// Whether a ping is outstanding on the live connection.
    var pingOutstanding = false

    public init(host: HostID, endpoint: HostID, config: ApiClientConfig = ApiClientConfig()) {
        precondition(config.requestTimeoutMs > 0, "the request timeout must be positive")
        precondition(config.maxRetries >= 0 && config.retryAfterMs > 0, "retries need a positive wait")
        self.host = host
        self.endpoint = endpoint
        self.config = config
    }

    /// Calls not yet finished (open watches included).
    public var callsInFlight: Int { calls.count }

    /// The tags of open watch streams, in `send` order.
    public var openWatches: [RequestTag] { calls.filter { $0.expectedSequence != nil }.map(\.tag) }

    // MARK: - Inputs

    /// Starts a call. `request.id` is ignored (the client assigns one per attempt); the user, verb,
    /// resource, selectors and body are sent as given.
    public mutating func send(_ request: ApiRequest, tag: RequestTag, now: SimInstant, into outputs: inout [ApiClientOutput]) {
        precondition(!calls.contains(where: { $0.tag == tag }), "tag \(tag) is already in flight")
        var request = request
        request.id = nextRequestID()
        calls.append(Call(id: request.id, tag: tag, request: request))
        outputs.append(.setTimer(afterMs: config.requestTimeoutMs, .deadline(call: request.id)))
        transmit(callIndex: calls.count - 1, now: now, into: &outputs)
    }

    /// A message from the endpoint. Messages on other connections (an abandoned one) and answers to
    /// attempts no longer in flight are dropped.
    public mutating func receive(_ message: ApiClientBound, now: SimInstant, into outputs: inout [ApiClientOutput]) {
        if let connection = message.connection, connection == connectionID { lastHeardAt = now }
        switch message {
        case .response(let connection, let requestID, let result):
            guard let index = callIndex(connection: connection, requestID: requestID) else { return }
            switch result {
            case .failure(let status):
                attemptFailed(callIndex: index, status: status, into: &outputs)
            case .watching:
                if calls[index].request.verb == .watch {
                    openWatch(callIndex: index, into: &outputs)
                } else {
                    finish(callIndex: index, .completed(calls[index].tag, result), into: &outputs)
                }
            case .object, .list:
                finish(callIndex: index, .completed(calls[index].tag, result), into: &outputs)
            }
        case .watchEvents(let connection, let requestID, let sequence, let events):
            guard let index = callIndex(connection: connection, requestID: requestID),
                  calls[index].request.verb == .watch,
                  acceptSequence(callIndex: index, sequence, into: &outputs) else { return }
            openWatch(callIndex: index, into: &outputs)
            calls[index].expectedSequence = sequence &+ 1
            outputs.append(.watchEvents(calls[index].tag, events))
        case .watchEnded(let connection, let requestID, let sequence, let status):
            guard let index = callIndex(connection: connection, requestID: requestID),
                  calls[index].request.verb == .watch,
                  acceptSequence(callIndex: index, sequence, into: &outputs) else { return }
            if calls[index].expectedSequence == nil {
                // Ended before it opened: an answer to the watch request, retried like one.
                attemptFailed(callIndex: index, status: status, into: &outputs)
            } else {
                finish(callIndex: index, .watchClosed(calls[index].tag, .ended(status)), into: &outputs)
            }
        case .reset(let connection):
            guard connection == connectionID else { return }
            connectionDied(sendClose: false, into: &outputs)
        case .pong(let connection):
            guard connection == connectionID, pingOutstanding else { return }
            pingOutstanding = false
            outputs.append(.setTimer(afterMs: config.readIdleTimeoutMs, .idleCheck(connection: connection)))
        case .probeResult:
            return  // health checks are the load balancer's, never a client's
        }
    }

    public mutating func timerFired(_ timer: ApiClientTimer, now: SimInstant, into outputs: inout [ApiClientOutput]) {
        switch timer {
        case .deadline(let id):
            guard let index = calls.firstIndex(where: { $0.id == id }), calls[index].expectedSequence == nil else { return }
            let call = calls.remove(at: index)
            outputs.append(.failed(call.tag, .timedOut))
            if call.connection != nil { connectionDied(sendClose: true, into: &outputs) }
        case .retry(let id):
            guard let index = calls.firstIndex(where: { $0.id == id }), calls[index].connection == nil else { return }
            calls[index].request.id = nextRequestID()
            transmit(callIndex: index, now: now, into: &outputs)
        case .idleCheck(let connection):
            guard connection == connectionID, !pingOutstanding else { return }
            let idleMs = (now - lastHeardAt).nanoseconds / 1_000_000
            if idleMs < config.readIdleTimeoutMs {
                outputs.append(.setTimer(afterMs: config.readIdleTimeoutMs - idleMs, .idleCheck(connection: connection)))
            } else {
                pingOutstanding = true
                outputs.append(.send(.ping(connection: connection), to: endpoint))
                outputs.append(.setTimer(afterMs: config.pingTimeoutMs, .pingTimeout(connection: connection)))
            }
        case .pingTimeout(let connection):
            guard connection == connectionID, pingOutstanding else { return }
            connectionDied(sendClose: true, into: &outputs)
        }
    }

    /// The owner closes its connection on purpose (kubelet's `closeAllConns` after repeated heartbeat
    /// failures, to get off an apiserver that fails): calls on it end as on a dead connection, and the
    /// next request opens a new one (the load balancer picks a backend again).
    public mutating func closeConnection(into outputs: inout [ApiClientOutput]) {
        connectionDied(sendClose: true, into: &outputs)
    }

    /// The process restarted: every call is forgotten without outputs (its owner is gone too) and the
    /// next request opens a new connection. Counters survive so ids stay unique per run. Whether the
    /// old connection is closed (process exit) or left dangling (host crash) is the host's choice:
    /// read `connectionID` before calling this.
    public mutating func restart() {
        calls.removeAll()
        connectionID = nil
        pingOutstanding = false
    }

    /// This client belongs to a new incarnation of the process on the same host: its ids continue after
    /// the previous incarnation's, as a restarted process opens new TCP connections. With the counters
    /// reset, the first connection reused the dead incarnation's id, which the load balancer and the
    /// apiserver (never told it closed, after a machine crash) still held: the old watches' events
    /// reached the new process.
    public mutating func continueIDs(after previous: ApiClient) {
        precondition(previous.host == host, "ids continue only on the same host")
        requestCounter = previous.requestCounter
        connectionCounter = previous.connectionCounter
    }

    // MARK: - Internals

    mutating func nextRequestID() -> UInt64 {
        requestCounter &+= 1
        return UInt64(UInt32(bitPattern: host.index)) << 32 | UInt64(requestCounter)
    }

    func callIndex(connection: UInt64, requestID: UInt64) -> Int? {
        calls.firstIndex { $0.connection == connection && $0.request.id == requestID }
    }

    /// Sends the call's current attempt on the live connection, opening one if needed.
    mutating func transmit(callIndex index: Int, now: SimInstant, into outputs: inout [ApiClientOutput]) {
        let connection: UInt64
        if let live = connectionID {
            connection = live
        } else {
            connectionCounter &+= 1
            connection = UInt64(UInt32(bitPattern: host.index)) << 32 | UInt64(connectionCounter)
            connectionID = connection
            lastHeardAt = now
            pingOutstanding = false
            outputs.append(.setTimer(afterMs: config.readIdleTimeoutMs, .idleCheck(connection: connection)))
        }
        calls[index].connection = connection
        outputs.append(.send(.request(connection: connection, calls[index].request), to: endpoint))
    }

    mutating func finish(callIndex index: Int, _ output: ApiClientOutput, into outputs: inout [ApiClientOutput]) {
        calls.remove(at: index)
        outputs.append(output)
    }

    mutating func openWatch(callIndex index: Int, into outputs: inout [ApiClientOutput]) {
        guard calls[index].expectedSequence == nil else { return }
        calls[index].expectedSequence = 0
        outputs.append(.completed(calls[index].tag, .watching))
    }

    /// Checks a stream message's sequence number (0 first): true to process it (the caller advances
    /// `expectedSequence`). A duplicate is dropped; a gap breaks the stream and, with it, the
    /// connection (a watch that had not opened yet is then retried like any read on a dead connection).
    mutating func acceptSequence(callIndex index: Int, _ sequence: UInt32, into outputs: inout [ApiClientOutput]) -> Bool {
        let expected = calls[index].expectedSequence ?? 0
        if sequence < expected { return false }
        if sequence > expected {
            if calls[index].expectedSequence != nil {
                let call = calls.remove(at: index)
                outputs.append(.watchClosed(call.tag, .streamBroken))
            }
            connectionDied(sendClose: true, into: &outputs)
            return false
        }
        return true
    }

    /// A failure answer to the current attempt: retry after `retryAfterMs` when client-go would.
    mutating func attemptFailed(callIndex index: Int, status: ApiStatus, into outputs: inout [ApiClientOutput]) {
        let call = calls[index]
        let verbAllows = call.isRead || config.retryWritesOnRetryableStatus
        if status.code.isRetryable && verbAllows && call.retries < config.maxRetries {
            calls[index].retries += 1
            calls[index].connection = nil
            outputs.append(.setTimer(afterMs: config.retryAfterMs, .retry(call: call.id)))
        } else {
            finish(callIndex: index, .failed(call.tag, .status(status)), into: &outputs)
        }
    }

    /// The live connection is dead: forget it (closing it unless it was reset) and resolve every call
    /// that had an attempt on it, in `send` order.
    mutating func connectionDied(sendClose: Bool, into outputs: inout [ApiClientOutput]) {
        guard let dead = connectionID else { return }
        connectionID = nil
        pingOutstanding = false
        if sendClose { outputs.append(.send(.close(connection: dead), to: endpoint)) }
        var index = 0
        while index < calls.count {
            guard calls[index].connection == dead else {
                index += 1
                continue
            }
            let call = calls[index]
            if call.expectedSequence != nil {
                calls.remove(at: index)
                outputs.append(.watchClosed(call.tag, .connectionLost))
            } else if call.isRead && call.retries < config.maxRetries {
                calls[index].retries += 1
                calls[index].connection = nil
                outputs.append(.setTimer(afterMs: config.retryAfterMs, .retry(call: call.id)))
                index += 1
            } else {
                calls.remove(at: index)
                outputs.append(.failed(call.tag, .connectionReset))
            }
        }
    }
}
