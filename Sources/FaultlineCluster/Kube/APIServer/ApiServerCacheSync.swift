import FaultlineSim

/// The watch cache's reflector: one linearizable list of `/registry/`, then one etcd watch from the
/// list's revision on.
///
/// One stream for every resource: an etcd member keeps one watch stream per client host (a new
/// stream from a host replaces its old one), so the apiserver watches the whole `/registry/` prefix
/// and splits events by resource; upstream runs one watch per resource, multiplexed on one gRPC
/// connection, which behaves the same under faults.
///
/// Invariants: at most one list or one stream at a time; a broken stream resumes from the revision
/// after the cache's (no re-list); only a compacted resume re-lists, and then every client watch is
/// ended (the cacher terminates its watchers on a re-list).
struct CacheSyncState: Sendable {
    static let keepaliveIntervalMs: Int64 = 10_000
    static let keepaliveDeadlineMs: Int64 = 40_000
    static let initialBackoffMs: Int64 = 1_000
    static let maxBackoffMs: Int64 = 30_000

    var listing = false
    var watchID: UInt64?
    var streamCounter: UInt32 = 0
    var expectedSequence: UInt32 = 0
    var lastHeard: SimInstant = .start
    var failures = 0
    var reconnectArmed = false
}

extension ApiServer {
    static let registryPrefix = "/registry/"

    mutating func startCacheList(now: SimInstant, into output: inout ApiServerOutput) {
        cacheSync.listing = true
        cacheSync.watchID = nil
        sendEtcd(.range(key: Self.registryPrefix, end: Self.prefixEnd(Self.registryPrefix), serializable: false), for: .cacheList, into: &output)
    }

    mutating func cacheListAnswered(_ result: KVResult, now: SimInstant, into output: inout ApiServerOutput) {
        guard case .ok(let response) = result, response.error == nil else { return cacheListFailed(now: now, into: &output) }
        cacheSync.listing = false
        cacheSync.failures = 0
        cache.replace(with: response.kvs, revision: response.revision)
        output.observations.append(.cacheSynced(revision: response.revision))
        openCacheWatch(now: now, into: &output)
    }

    mutating func cacheListFailed(now: SimInstant, into output: inout ApiServerOutput) {
        cacheSync.listing = false
        scheduleCacheReconnect(into: &output)
    }

    /// Opens the etcd watch from the revision after the cache's.
    mutating func openCacheWatch(now: SimInstant, into output: inout ApiServerOutput) {
        cacheSync.streamCounter &+= 1
        let id = UInt64(1) << 62 | (UInt64(UInt32(truncatingIfNeeded: host.index)) & 0x3fff) << 48
            | UInt64(epoch & 0xffff) << 32 | UInt64(cacheSync.streamCounter)
        cacheSync.watchID = id
        cacheSync.expectedSequence = 0
        cacheSync.lastHeard = now
        let create = WatchCreate(watchID: id, key: Self.registryPrefix, end: Self.prefixEnd(Self.registryPrefix),
                                 startRevision: cache.revision + 1, requireLeader: true)
        output.toEtcd.append((currentEndpoint, .watchCreate(create)))
        output.timers.append((CacheSyncState.keepaliveIntervalMs, .cacheWatchKeepalive(watchID: id)))
    }

    /// The stream is lost: try the next endpoint after a back-off, resuming (or re-listing when `relist`).
    mutating func cacheWatchBroken(_ reason: String, relist: Bool, into output: inout ApiServerOutput) {
        cacheSync.watchID = nil
        output.observations.append(.cacheWatchBroken(reason: reason))
        if relist {
            cache.synced = false
            endAllWatches(ApiStatus(.serviceUnavailable, reason: "ServiceUnavailable", message: "watch closed: the watch cache is re-initializing"), into: &output)
        } else {
            rotateEndpoint()
        }
        scheduleCacheReconnect(into: &output)
    }

    mutating func scheduleCacheReconnect(into output: inout ApiServerOutput) {
        guard !cacheSync.reconnectArmed else { return }
        cacheSync.reconnectArmed = true
        let backoff = min(CacheSyncState.maxBackoffMs, CacheSyncState.initialBackoffMs << min(cacheSync.failures, 5))
        cacheSync.failures += 1
        output.timers.append((backoff, .cacheReconnect(epoch: epoch)))
    }

    mutating func cacheReconnect(now: SimInstant, into output: inout ApiServerOutput) {
        cacheSync.reconnectArmed = false
        guard !cacheSync.listing, cacheSync.watchID == nil else { return }
        if cache.synced { openCacheWatch(now: now, into: &output) } else { startCacheList(now: now, into: &output) }
    }

    mutating func cacheKeepalive(_ watchID: UInt64, now: SimInstant, into output: inout ApiServerOutput) {
        guard cacheSync.watchID == watchID else { return }
        if (now - cacheSync.lastHeard).nanoseconds > CacheSyncState.keepaliveDeadlineMs * 1_000_000 {
            return cacheWatchBroken("keepalive deadline exceeded", relist: false, into: &output)
        }
        output.toEtcd.append((currentEndpoint, .watchPing(watchID: watchID)))
        output.timers.append((CacheSyncState.keepaliveIntervalMs, .cacheWatchKeepalive(watchID: watchID)))
    }

    mutating func cacheWatchMessage(_ watchID: UInt64, sequence: UInt32, _ response: WatchResponse, now: SimInstant, into output: inout ApiServerOutput) {
        guard cacheSync.watchID == watchID else { return }  // a stream given up on
        cacheSync.lastHeard = now
        if sequence != WatchResponse.unsequenced {
            // A reliable ordered stream: a duplicate is dropped; a gap means the connection broke.
            if sequence < cacheSync.expectedSequence { return }
            if sequence > cacheSync.expectedSequence { return cacheWatchBroken("stream gap", relist: false, into: &output) }
            cacheSync.expectedSequence += 1
        }
        switch response {
        case .created, .progress:
            cacheSync.failures = 0
        case .events(let events):
            var batch: [(ResourceKind, CachedEvent)] = []
            batch.reserveCapacity(events.count)
            for event in events {
                if let applied = cache.apply(event) { batch.append(applied) }
            }
            deliver(batch, into: &output)
        case .canceled(let reason, _):
            cacheWatchBroken("etcd watch canceled: \(reason.rawValue)", relist: reason == .compacted, into: &output)
        }
    }
}
