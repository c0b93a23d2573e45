import FaultlineSim

/// A key's state at some revision, as etcd's `mvccpb.KeyValue`.
public struct KeyValue: Sendable, Hashable {
    public var key: String
    public var value: EtcdValue
    public var createRevision: Int64
    public var modRevision: Int64
    /// Number of modifications since creation (1 after the first put).
    public var version: Int64
    public var lease: Int64
}

/// One change recorded for watchers: what happened to `key` at `revision`.
public struct WatchEvent: Sendable, Hashable {
    public enum Kind: String, Sendable { case put, delete }
    public var kind: Kind
    public var key: String
    public var value: EtcdValue
    public var revision: Int64

    public init(kind: Kind, key: String, value: EtcdValue, revision: Int64) {
        self.kind = kind
        self.key = key
        self.value = value
        self.revision = revision
    }
}

/// etcd's multi-version key-value store, as a value type applied in Raft log order.
///
/// Invariants:
/// - `revision` increases by exactly one per write request (a txn with writes counts once) and never
///   otherwise; reads never change it.
/// - Every key's history is ordered by revision; reads at a revision below `compactedRevision` fail
///   with `.compacted`.
/// - `changes` holds every change at or after `compactedRevision` in revision order, so a watch from any
///   retained revision sees an ordered stream with no gaps and no duplicates.
/// - Keys are kept in a sorted array for ranges; the dictionary is used for lookups only, never iterated.
public struct MVCCStore: Sendable {
    struct Version: Sendable {
        var modRevision: Int64
        var createRevision: Int64
        var version: Int64
        var value: EtcdValue
        var lease: Int64
        var tombstone: Bool
    }

    struct Lease: Sendable {
        var ttlSeconds: Int64
        var keys: [String]
    }

    /// The current revision (etcd starts at 1 for an empty store).
    public private(set) var revision: Int64 = 1
    public private(set) var compactedRevision: Int64 = 0
    var history: [String: [Version]] = [:]
    var sortedKeys: [String] = []
    public private(set) var changes: [WatchEvent] = []
    var leases: [Int64: Lease] = [:]
    /// The granted leases' ids in increasing order (what the lessor iterates; the dictionary is not).
    public private(set) var leaseIDs: [Int64] = []

    public init() {}

    // MARK: Reads

    /// The key at `revision` (default: now), or nil if absent or deleted.
    public func get(_ key: String, at revision: Int64? = nil) -> KeyValue? {
        (try? read(key, at: revision)) ?? nil
    }

    /// Like `get`, but distinguishes a compacted or future revision from an absent key.
    public func read(_ key: String, at revision: Int64? = nil) throws(MVCCError) -> KeyValue? {
        let at = revision ?? self.revision
        if at < compactedRevision { throw .compacted }
        if at > self.revision { throw .futureRevision }
        guard let versions = history[key], let version = versions.last(where: { $0.modRevision <= at }), !version.tombstone else {
            return nil
        }
        return KeyValue(key: key, value: version.value, createRevision: version.createRevision,
                        modRevision: version.modRevision, version: version.version, lease: version.lease)
    }

    /// Keys in [start, end) (or the single key `start` when `end` is nil) at `revision`, in key order.
    public func range(_ start: String, end: String?, at revision: Int64? = nil, limit: Int = .max) throws(MVCCError) -> [KeyValue] {
        guard let end else { return try read(start, at: revision).map { [$0] } ?? [] }
        var result: [KeyValue] = []
        var position = lowerBound(start)
        while position < sortedKeys.count, sortedKeys[position] < end, result.count < limit {
            if let kv = try read(sortedKeys[position], at: revision) { result.append(kv) }
            position += 1
        }
        return result
    }

    /// The changes to keys in [start, end) (or to `start` alone) with revision >= `from`, in order.
    /// Throws `.compacted` when `from` is below the compacted revision (etcd's `ErrCompacted`: a watch
    /// may start at the compacted revision itself, whose changes are kept).
    public func events(from: Int64, key start: String, end: String? = nil) throws(MVCCError) -> [WatchEvent] {
        if from < compactedRevision { throw .compacted }
        // `changes` is sorted by revision: binary search for the first one at or after `from`.
        var low = 0, high = changes.count
        while low < high {
            let middle = (low + high) / 2
            if changes[middle].revision < from { low = middle + 1 } else { high = middle }
        }
        var result: [WatchEvent] = []
        for event in changes[low...] {
            let inRange = end.map { event.key >= start && event.key < $0 } ?? (event.key == start)
            if inRange { result.append(event) }
        }
        return result
    }

    func lowerBound(_ key: String) -> Int {
        var low = 0, high = sortedKeys.count
        while low < high {
            let middle = (low + high) / 2
            if sortedKeys[middle] < key { low = middle + 1 } else { high = middle }
        }
        return low
    }

    // MARK: Writes

    /// Applies one request from the Raft log.
    public mutating func apply(_ request: EtcdRequest) -> EtcdResponse {
        switch request {
        case .put(let key, let value, let lease):
            if lease != 0 {
                guard leases[lease] != nil else { return response(error: .leaseNotFound) }
                if !leases[lease]!.keys.contains(key) { leases[lease]!.keys.append(key) }
            }
            revision += 1
            put(key, value, lease: lease)
            return response()
        case .deleteRange(let key, let end):
            let keys = (try? range(key, end: end))?.map(\.key) ?? []
            guard !keys.isEmpty else { return response(deleted: 0) }
            revision += 1
            for key in keys { delete(key) }
            return response(deleted: keys.count)
        case .txn(let txn):
            return apply(txn)
        case .compact(let target):
            guard target > compactedRevision else { return response(error: .compacted) }
            guard target <= revision else { return response(error: .futureRevision) }
            compact(target)
            return response()
        case .leaseGrant(let id, let ttl):
            guard leases[id] == nil else { return response(error: .leaseExists) }
            leases[id] = Lease(ttlSeconds: ttl, keys: [])
            leaseIDs.insert(id, at: leaseIDs.firstIndex { $0 > id } ?? leaseIDs.count)
            return response()
        case .leaseRevoke(let id):
            guard let lease = leases.removeValue(forKey: id) else { return response(error: .leaseNotFound) }
            leaseIDs.removeAll { $0 == id }
            let attached = lease.keys.sorted().filter { get($0)?.lease == id }
            if !attached.isEmpty {
                revision += 1
                for key in attached { delete(key) }
            }
            return response(deleted: attached.count)
        }
    }

    mutating func apply(_ txn: Txn) -> EtcdResponse {
        let succeeded = txn.compare.allSatisfy(holds)
        let ops = succeeded ? txn.success : txn.failure
        var kvs: [KeyValue] = []
        var wrote = false
        for op in ops {
            switch op {
            case .get(let key):
                if let kv = get(key) { kvs.append(kv) }
            case .put(let key, let value):
                if !wrote { revision += 1; wrote = true }
                put(key, value, lease: 0)
            case .delete(let key):
                guard get(key) != nil else { continue }
                if !wrote { revision += 1; wrote = true }
                delete(key)
            }
        }
        var result = response()
        result.succeeded = succeeded
        result.kvs = kvs
        return result
    }

    /// etcd's compare semantics: a value compare on a missing key fails; revision and version compares
    /// treat a missing key as 0.
    func holds(_ compare: Compare) -> Bool {
        switch compare {
        case .value(let key, let op, let expected):
            guard let kv = get(key) else { return false }
            guard case .text(let text) = kv.value else { return false }
            return op.holds(text, expected)
        case .modRevision(let key, let op, let value):
            return op.holds(get(key)?.modRevision ?? 0, value)
        case .createRevision(let key, let op, let value):
            return op.holds(get(key)?.createRevision ?? 0, value)
        case .version(let key, let op, let value):
            return op.holds(get(key)?.version ?? 0, value)
        }
    }

    mutating func put(_ key: String, _ value: EtcdValue, lease: Int64) {
        // Appended in place (a copy-out and write-back would copy the key's whole history per put).
        let previous = history[key]?.last.flatMap { $0.tombstone ? nil : $0 }
        if history[key] == nil {
            sortedKeys.insert(key, at: lowerBound(key))
        }
        history[key, default: []].append(Version(modRevision: revision, createRevision: previous?.createRevision ?? revision,
                                                 version: (previous?.version ?? 0) + 1, value: value, lease: lease, tombstone: false))
        changes.append(WatchEvent(kind: .put, key: key, value: value, revision: revision))
    }

    mutating func delete(_ key: String) {
        history[key, default: []].append(Version(modRevision: revision, createRevision: 0, version: 0, value: "", lease: 0, tombstone: true))
        changes.append(WatchEvent(kind: .delete, key: key, value: "", revision: revision))
    }

    /// Drops history older than `target`, keeping each key's latest version at or below it.
    mutating func compact(_ target: Int64) {
        compactedRevision = target
        var kept: [String] = []
        for key in sortedKeys {
            guard var versions = history[key] else { continue }
            if let keep = versions.lastIndex(where: { $0.modRevision <= target }) {
                versions.removeFirst(keep)
                if versions.count == 1 && versions[0].tombstone {
                    history[key] = nil
                    continue
                }
            }
            history[key] = versions
            kept.append(key)
        }
        sortedKeys = kept
        changes.removeAll { $0.revision < target }
    }

    func response(deleted: Int = 0, error: MVCCError? = nil) -> EtcdResponse {
        EtcdResponse(revision: revision, succeeded: error == nil, kvs: [], deleted: deleted, error: error)
    }

    /// The TTL a lease was granted with, or nil when it does not exist (never granted, or revoked).
    public func leaseTTLSeconds(_ id: Int64) -> Int64? { leases[id]?.ttlSeconds }

    /// Number of versions held: what compaction keeps bounded.
    public var versionCount: Int { sortedKeys.reduce(0) { $0 + (history[$1]?.count ?? 0) } }
}
