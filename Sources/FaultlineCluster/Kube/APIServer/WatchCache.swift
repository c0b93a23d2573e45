import DequeModule
import FaultlineSim

/// One change as the watch cache keeps it (the cacher's `watchCacheEvent`).
struct CachedEvent: Sendable, Hashable {
    enum Kind: Sendable, Hashable { case added, modified, deleted }
    var kind: Kind
    /// The new state; for a delete, the last state with `resourceVersion` = the delete revision.
    var object: KubeObject
    /// The state before the change (nil for an add).
    var previous: KubeObject?
    var revision: Int64

    /// What a watcher with `request`'s selectors sees of this event (the cacher's
    /// `convertToWatchEvent`): an object moving into the selection is ADDED, one moving out of it is
    /// DELETED (its previous state at this event's revision), nil when it is outside before and after.
    func watchEvent(for request: ApiRequest) -> ApiWatchEvent? {
        let currentPasses = kind != .deleted && request.selects(object)
        let previousPasses = previous.map(request.selects) ?? false
        switch (currentPasses, previousPasses) {
        case (true, false): return .added(object)
        case (true, true): return .modified(object)
        case (false, true):
            var gone = previous!
            gone.metadata.resourceVersion = revision
            return .deleted(gone)
        case (false, false): return nil
        }
    }
}

/// The watch cache of one resource: the current objects by key, and a bounded window of recent events.
///
/// Invariants: `keys` is sorted and holds exactly the keys of `objects` (the dictionary is used for
/// lookups only, never iterated); `events` is in revision order and holds at most `capacity` events;
/// a watch from revision R can be served iff R >= `windowStart` (every event after R is still held).
struct ResourceCache: Sendable {
    var keys: [String] = []
    var objects: [String: KubeObject] = [:]
    var events = Deque<CachedEvent>()
    var windowStart: Int64 = 0

    func lowerBound(_ key: String) -> Int {
        var low = 0, high = keys.count
        while low < high {
            let middle = (low + high) / 2
            if keys[middle] < key { low = middle + 1 } else { high = middle }
        }
        return low
    }

    mutating func set(_ key: String, _ object: KubeObject?) {
        let position = lowerBound(key)
        let exists = position < keys.count && keys[position] == key
        switch (object, exists) {
        case (let object?, true): objects[key] = object
        case (let object?, false): objects[key] = object; keys.insert(key, at: position)
        case (nil, true): objects[key] = nil; keys.remove(at: position)
        case (nil, false): break
        }
    }
}

/// The apiserver's watch cache (`pkg/storage/cacher`), fed by one etcd list and watch.
///
/// Invariants: `revision` only grows between re-lists; events are applied in revision order, and an
/// event at or below `revision` is a duplicate and ignored.
struct WatchCache: Sendable {
    let capacity: Int
    /// True once a list has been applied (and until the next re-list starts).
    var synced = false
    /// The newest revision the cache reflects.
    var revision: Int64 = 0
    var resources: [ResourceCache]

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        resources = Array(repeating: ResourceCache(), count: ResourceKind.allCases.count)
    }

    static func position(_ resource: ResourceKind) -> Int { ResourceKind.allCases.firstIndex(of: resource)! }

    /// The resource a registry key belongs to (`/registry/pods/default/web` → pods).
    static func resource(ofKey key: String) -> ResourceKind? {
        guard key.hasPrefix("/registry/") else { return nil }
        let rest = key.dropFirst("/registry/".count)
        guard let slash = rest.firstIndex(of: "/") else { return nil }
        return ResourceKind(rawValue: String(rest[..<slash]))
    }

    /// A stored object with its resourceVersion set from etcd's `mod_revision` (the storage layer
    /// never trusts the version inside the value).
    static func object(_ kv: KeyValue) -> KubeObject? {
        guard var object = kv.value.object else { return nil }
        object.metadata.resourceVersion = kv.modRevision
        return object
    }

    subscript(resource: ResourceKind) -> ResourceCache {
        get { resources[Self.position(resource)] }
        set { resources[Self.position(resource)] = newValue }
    }

    func object(_ resource: ResourceKind, key: String) -> KubeObject? { self[resource].objects[key] }

    /// Matching objects in key order.
    func list(_ request: ApiRequest) -> [KubeObject] {
        let cache = self[request.resource]
        let prefix = request.resource.registryPrefix(namespace: request.namespace)
        var result: [KubeObject] = []
        var position = cache.lowerBound(prefix)
        while position < cache.keys.count, cache.keys[position].hasPrefix(prefix) {
            if let object = cache.objects[cache.keys[position]], request.selects(object) { result.append(object) }
            position += 1
        }
        return result
    }

    /// A re-list (`watchCache.Replace`): the objects become exactly `kvs` at `revision`; the event
    /// windows are emptied and start at `revision`.
    mutating func replace(with kvs: [KeyValue], revision: Int64) {
        resources = Array(repeating: ResourceCache(), count: ResourceKind.allCases.count)
        for kv in kvs {
            guard let resource = Self.resource(ofKey: kv.key), let object = Self.object(kv) else { continue }
            resources[Self.position(resource)].set(kv.key, object)
        }
        for position in resources.indices { resources[position].windowStart = revision }
        self.revision = revision
        synced = true
    }

    /// Applies one etcd change; returns the cached event (nil for duplicates and keys outside the
    /// model's resources, and for the delete of a key the cache never held).
    mutating func apply(_ event: WatchEvent) -> (ResourceKind, CachedEvent)? {
        guard event.revision > revision || (event.revision == revision && lastRevisionHasRoom(event)) else { return nil }
        revision = event.revision
        guard let resource = Self.resource(ofKey: event.key) else { return nil }
        let position = Self.position(resource)
        let previous = resources[position].objects[event.key]
        let cached: CachedEvent
        switch event.kind {
        case .put:
            guard var object = event.value.object else { return nil }
            object.metadata.resourceVersion = event.revision
            resources[position].set(event.key, object)
            cached = CachedEvent(kind: previous == nil ? .added : .modified, object: object, previous: previous, revision: event.revision)
        case .delete:
            guard var last = previous else { return nil }
            last.metadata.resourceVersion = event.revision
            resources[position].set(event.key, nil)
            cached = CachedEvent(kind: .deleted, object: last, previous: previous, revision: event.revision)
        }
        resources[position].events.append(cached)
        while resources[position].events.count > capacity {
            let evicted = resources[position].events.removeFirst()
            resources[position].windowStart = evicted.revision
        }
        return (resource, cached)
    }

    /// Several keys can change at one revision (a lease revoke deletes all its keys): a second event at
    /// the current revision is new unless the cache already recorded that key at that revision.
    private func lastRevisionHasRoom(_ event: WatchEvent) -> Bool {
        guard let resource = Self.resource(ofKey: event.key) else { return false }
        return !self[resource].events.contains { $0.revision == event.revision && $0.object.registryKey == event.key }
    }

    /// The events after `after` for `request`, or the oldest revision a watch could start from when
    /// `after` is older than the window (410 Gone).
    func events(after: Int64, for request: ApiRequest) -> Result<[ApiWatchEvent], ApiStatus> {
        let cache = self[request.resource]
        if after < cache.windowStart { return .failure(ApiErrors.tooOld(after, cache.windowStart)) }
        var result: [ApiWatchEvent] = []
        for event in cache.events where event.revision > after {
            if let converted = event.watchEvent(for: request) { result.append(converted) }
        }
        return .success(result)
    }

    /// Every event in the window, from its start (what the broken cache replays).
    func allEvents(for request: ApiRequest) -> [ApiWatchEvent] {
        self[request.resource].events.compactMap { $0.watchEvent(for: request) }
    }
}
