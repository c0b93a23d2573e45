import FaultlineSim

/// A client connection, as the apiserver knows it: the host that sent on it (the load balancer when
/// relayed, or a co-located process) and the client's connection id.
struct ConnectionKey: Sendable, Hashable {
    let host: HostID
    let connection: UInt64
}

/// One request being served, with where its answer goes.
struct ClientCall: Sendable {
    let key: ConnectionKey
    let request: ApiRequest
    let isMutation: Bool
}

/// What a write does to the object it read (see `ApiServer.decide`).
enum WriteIntent: Sendable, Hashable { case update, status, bind, delete }

/// Why the apiserver is waiting on an etcd request.
enum EtcdPurpose: Sendable {
    /// get / list through etcd (a linearizable Range).
    case read(ClientCall)
    /// create: the `createRevision == 0` txn; `object` is what was put.
    case create(ClientCall, object: KubeObject)
    /// The read before a write (`GuaranteedUpdate`'s `getState`).
    case readForWrite(ClientCall, WriteIntent, attempt: Int)
    /// The compare-and-swap of a write; `written` is the put object (nil for a delete), `previous` what
    /// it replaced.
    case write(ClientCall, WriteIntent, attempt: Int, written: KubeObject?, previous: KubeObject)
    /// The readiness / health read of etcd.
    case health
    /// The watch cache's list.
    case cacheList
    case compact(revision: Int64)
}

/// One client watch, served from the watch cache.
struct ClientWatch: Sendable {
    let key: ConnectionKey
    let request: ApiRequest
    var sequence: UInt32 = 0
    /// Events at or below this revision are not sent (a watch from a revision the cache has not
    /// reached yet waits for it).
    var after: Int64
}

/// A kube-apiserver (1.34, etcd3 storage) as a pure state machine: requests in, etcd requests and
/// answers out. It owns no clock, socket or timer; the host delivers messages and timers and performs
/// the outputs.
///
/// Invariants:
/// - Nothing is reported as done before etcd confirmed it: a create/update/bind/delete answers success
///   only after its txn succeeded; a write whose answer never came is reported as a 504 timeout (its
///   outcome is unknown), never as "did not happen".
/// - Every table is bounded (`ApiServerConfig` limits); crossing a bound answers 429.
/// - Determinism: outputs never come from Dictionary or Set iteration; ids come from counters; uids
///   from `random` only.
/// - A restart (`start`) forgets every volatile table: connections, watches, pending etcd requests and
///   the watch cache; the epoch in every id makes late answers and timers from before it ignored.
public struct ApiServer: Sendable {
    public let index: Int
    public let host: HostID
    public let config: ApiServerConfig
    var random: SimRandom
    let endpoints: [HostID]

    /// Number of starts; part of every id.
    var epoch: UInt32 = 0
    var started = false
    var requestCounter: UInt32 = 0
    var endpointPosition = 0
    var pending: [UInt64: EtcdPurpose] = [:]
    var inflightReads = 0
    var inflightMutations = 0
    /// Open connections and the number of watches on each.
    var connections: [ConnectionKey: Int] = [:]
    /// Client watches, in creation order.
    var watches = ClientWatches()
    var cache: WatchCache
    var cacheSync = CacheSyncState()
    var health = HealthState()
    /// The revision seen at the previous compaction tick (what the next tick compacts to).
    var compactionCandidate: Int64 = 0

    public init(index: Int, host: HostID, config: ApiServerConfig, random: SimRandom) {
        self.index = index
        self.host = host
        self.config = config
        self.random = random
        self.endpoints = config.etcdEndpoints.isEmpty ? [host] : config.etcdEndpoints
        self.cache = WatchCache(capacity: config.watchCacheEventsPerResource)
    }

    /// `/readyz`: the last etcd check passed.
    public var isReady: Bool { started && health.ready }
    /// The watch cache has listed etcd and serves.
    public var isCacheSynced: Bool { cache.synced }
    /// The newest revision the watch cache reflects.
    public var cacheRevision: Int64 { cache.revision }
    /// Client watches open now.
    public var watchCount: Int { watches.count }
    /// etcd requests in flight.
    public var pendingEtcdRequests: Int { pending.count }

    // MARK: - Lifecycle

    /// The process (re)starts: every volatile table is fresh; the watch cache starts listing etcd and
    /// the compaction timer starts.
    public mutating func start(now: SimInstant, into output: inout ApiServerOutput) {
        epoch &+= 1
        started = true
        requestCounter = 0
        endpointPosition = 0
        pending = [:]
        inflightReads = 0
        inflightMutations = 0
        connections = [:]
        watches.removeAll()
        cache = WatchCache(capacity: config.watchCacheEventsPerResource)
        cacheSync = CacheSyncState()
        let wasReady = health.ready
        health = HealthState()
        compactionCandidate = 0
        if wasReady { output.observations.append(.readinessChanged(ready: false, reason: health.reason)) }
        startCacheList(now: now, into: &output)
        if config.compactionIntervalMs > 0 { output.timers.append((config.compactionIntervalMs, .compaction(epoch: epoch))) }
    }

    /// The process stopped (crash or shutdown): nothing is served until `start`.
    public mutating func stop() {
        started = false
    }

    // MARK: - Inputs

    public mutating func receive(_ message: ApiServerBound, from: HostID, now: SimInstant, into output: inout ApiServerOutput) {
        guard started else { return }
        switch message {
        case .request(let connection, let request):
            handle(request, on: ConnectionKey(host: from, connection: connection), now: now, into: &output)
        case .probe(let probeID, let mode):
            probe(probeID, mode: mode, from: from, now: now, into: &output)
        case .ping(let connection):
            output.toClients.append((from, .pong(connection: connection)))
        case .close(let connection):
            let key = ConnectionKey(host: from, connection: connection)
            guard connections.removeValue(forKey: key) != nil else { return }
            watches.removeAll(on: key)
        }
    }

    public mutating func receive(_ message: EtcdClientBound, now: SimInstant, into output: inout ApiServerOutput) {
        guard started else { return }
        switch message {
        case .kvResponse(let requestID, let result):
            guard let purpose = pending.removeValue(forKey: requestID) else { return }  // timed out, or before a restart
            etcdAnswered(purpose, result: result, now: now, into: &output)
        case .watch(let watchID, let sequence, let response):
            cacheWatchMessage(watchID, sequence: sequence, response, now: now, into: &output)
        case .response, .leaseResponse:
            return  // not the apiserver's
        }
    }

    public mutating func timerFired(_ timer: ApiServerTimer, now: SimInstant, into output: inout ApiServerOutput) {
        guard started else { return }
        switch timer {
        case .etcdRequestTimeout(let requestID), .readyCheckTimeout(let requestID):
            guard let purpose = pending.removeValue(forKey: requestID) else { return }
            rotateEndpoint()
            etcdTimedOut(requestID, purpose, now: now, into: &output)
        case .cacheWatchKeepalive(let watchID):
            cacheKeepalive(watchID, now: now, into: &output)
        case .cacheReconnect(let timerEpoch):
            guard timerEpoch == epoch else { return }
            cacheReconnect(now: now, into: &output)
        case .compaction(let timerEpoch):
            guard timerEpoch == epoch else { return }
            compactionTick(now: now, into: &output)
        }
    }

    // MARK: - etcd requests

    var currentEndpoint: HostID { endpoints[endpointPosition % endpoints.count] }

    /// The etcd client balances over `--etcd-servers`; after a failure the next one is tried.
    mutating func rotateEndpoint() {
        endpointPosition = (endpointPosition + 1) % endpoints.count
    }

    /// A KV request id: the KV bit, the host, the epoch, a counter.
    mutating func nextRequestID() -> UInt64 {
        requestCounter &+= 1
        return KVRequest.idBit | (UInt64(UInt32(truncatingIfNeeded: host.index)) & 0x7fff) << 48
            | UInt64(epoch & 0xffff) << 32 | UInt64(requestCounter)
    }

    /// Sends `operation` to the current endpoint and arms its timeout.
    mutating func sendEtcd(_ operation: KVRequest.Operation, for purpose: EtcdPurpose, into output: inout ApiServerOutput) {
        let id = nextRequestID()
        pending[id] = purpose
        output.toEtcd.append((currentEndpoint, .kv(KVRequest(id: id, operation: operation), replyTo: host)))
        if case .health = purpose {
            output.timers.append((config.etcdReadyCheckTimeoutMs, .readyCheckTimeout(requestID: id)))
        } else {
            output.timers.append((config.etcdRequestTimeoutMs, .etcdRequestTimeout(requestID: id)))
        }
    }

    mutating func etcdAnswered(_ purpose: EtcdPurpose, result: KVResult, now: SimInstant, into output: inout ApiServerOutput) {
        if case .unavailable = result { rotateEndpoint() }
        switch purpose {
        case .read(let call): readAnswered(call, result, into: &output)
        case .create(let call, let object): createAnswered(call, object, result, into: &output)
        case .readForWrite(let call, let intent, let attempt): readForWriteAnswered(call, intent, attempt, result, now: now, into: &output)
        case .write(let call, let intent, let attempt, let written, let previous):
            writeAnswered(call, intent, attempt, written: written, previous: previous, result, now: now, into: &output)
        case .health: healthAnswered(result, now: now, into: &output)
        case .cacheList: cacheListAnswered(result, now: now, into: &output)
        case .compact: break  // errors ignored, as the compactor does
        }
    }

    mutating func etcdTimedOut(_ requestID: UInt64, _ purpose: EtcdPurpose, now: SimInstant, into output: inout ApiServerOutput) {
        switch purpose {
        case .read(let call), .readForWrite(let call, _, _):
            finish(call, .failure(ApiErrors.timeout()), into: &output)
        case .create(let call, _), .write(let call, _, _, _, _):
            let key = call.request.object?.registryKey ?? call.request.resource.registryKey(namespace: call.request.namespace, name: call.request.name)
            output.observations.append(.writeOutcomeUnknown(requestID: call.request.id, key: key))
            finish(call, .failure(ApiErrors.timeout()), into: &output)
        case .health: healthFailed(reason: "etcd: request timed out", now: now, into: &output)
        case .cacheList: cacheListFailed(now: now, into: &output)
        case .compact: break
        }
    }

    // MARK: - Answers

    /// Answers a call (when its connection is still open) and releases its in-flight slot.
    mutating func finish(_ call: ClientCall, _ result: ApiResult, into output: inout ApiServerOutput) {
        if call.isMutation { inflightMutations -= 1 } else { inflightReads -= 1 }
        answer(call.key, call.request, result, into: &output)
    }

    /// Sends an answer to a request that holds no in-flight slot.
    mutating func answer(_ key: ConnectionKey, _ request: ApiRequest, _ result: ApiResult, into output: inout ApiServerOutput) {
        let code: ApiStatusCode
        switch result {
        case .failure(let status): code = status.code
        case .object, .list, .watching:
            code = request.verb == .create ? .created : .ok
        }
        output.observations.append(.requestServed(requestID: request.id, user: request.user, verb: request.verb,
                                                  resource: request.resource, subresource: request.subresource, code: code))
        guard connections[key] != nil else { return }  // closed meanwhile: the answer is dropped
        output.toClients.append((key.host, .response(connection: key.connection, requestID: request.id, result)))
    }
}
