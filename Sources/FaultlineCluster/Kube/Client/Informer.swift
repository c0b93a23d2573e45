import FaultlineSim

/// client-go's `wait.NewExponentialBackoffManager(800ms, 30s, 2min, 2.0, 1.0)`, the reflector's
/// back-off: each wait is the current step jittered into `[step, step * (1 + jitter))`, then the step
/// doubles up to the cap; after `resetAfterMs` without a back-off, the step starts over.
///
/// Invariant: `initialMs <= currentStepMs <= capMs`.
public struct BackoffManager: Sendable, Hashable {
    public let initialMs: Int64
    public let capMs: Int64
    public let resetAfterMs: Int64
    /// `Jitter` as tenths: 10 = 1.0 (a wait is up to twice the step).
    public let jitterTenths: Int64
    public private(set) var currentStepMs: Int64
    var lastBackoffStart: SimInstant?

    public init(initialMs: Int64 = 800, capMs: Int64 = 30_000, resetAfterMs: Int64 = 120_000, jitterTenths: Int64 = 10) {
        precondition(initialMs > 0 && capMs >= initialMs && jitterTenths >= 0, "back-off bounds out of order")
        self.initialMs = initialMs
        self.capMs = capMs
        self.resetAfterMs = resetAfterMs
        self.jitterTenths = jitterTenths
        self.currentStepMs = initialMs
    }

    /// The next wait in milliseconds (`Backoff()`), drawing the jitter from `random`.
    public mutating func nextWaitMs(now: SimInstant, random: inout SimRandom) -> Int64 {
        if let last = lastBackoffStart, (now - last).nanoseconds > resetAfterMs * 1_000_000 {
            currentStepMs = initialMs
        }
        lastBackoffStart = now
        let step = currentStepMs
        currentStepMs = min(capMs, currentStepMs * 2)
        let spanMs = step * jitterTenths / 10
        return spanMs > 0 ? step + random.uniform(0...(spanMs - 1)) : step
    }
}

/// What one informer lists and watches, and how.
public struct InformerConfig: Sendable, Hashable {
    public var resource: ResourceKind
    public var user: ApiUser
    /// Empty: all namespaces.
    public var namespace: String = ""
    public var labelSelector = StringPairs()
    /// kubelets: `spec.nodeName=<node>`.
    public var nodeNameSelector: String?
    /// The first list after start: `.any` is client-go's `resourceVersion="0"` (served from the
    /// apiserver's watch cache, however stale: the hazard of kubernetes issue 59848); `.consistent`
    /// forces a quorum read (and every later list is consistent too).
    public var initialListConsistency: ReadConsistency = .any
    public var backoff = BackoffManager()

    public init(resource: ResourceKind, user: ApiUser) {
        self.resource = resource
        self.user = user
    }
}

/// A timer an informer asks for; stale ones (an older `epoch`) are ignored.
public enum InformerTimer: Sendable, Hashable {
    /// The back-off ended: list or watch again.
    case resume(epoch: UInt64)
}

/// A handler notification (`ResourceEventHandler`) or an observation for checkers.
public enum InformerEvent: Sendable, Hashable {
    case added(KubeObject)
    case updated(old: KubeObject, new: KubeObject)
    /// For a relist, the last state the store had (client-go's `DeletedFinalStateUnknown`).
    case deleted(KubeObject)
    /// `HasSynced` became true: the first list is in the store. Emitted once per start.
    case synced
    /// A resourceVersion the reflector received: a list's revision (`fromWatch: false`) or a watch
    /// event's or bookmark's (`fromWatch: true`). A checker can verify that a watch only moves forward
    /// and that a relist does not go back in time (kubernetes issue 59848).
    case observedResourceVersion(ResourceKind, Int64, fromWatch: Bool)
}

public enum InformerOutput: Sendable {
    /// Send this list or watch (one at a time); its answers come back through the `request…` and
    /// `watch…` inputs. `id` is left 0 for the client to assign.
    case request(ApiRequest)
    case setTimer(afterMs: Int64, InformerTimer)
    case event(InformerEvent)
}

/// client-go's Reflector + Indexer for one resource kind and selector, as a pure state machine: it asks
/// for one list or watch at a time and keeps the store in key order.
///
/// The loop (`ListAndWatch` under `BackoffUntil`):
/// - List (the first with `initialListConsistency`; a relist with `.any` and `resourceVersion` = the
///   last one synced, client-go's "not older than" relist; `.consistent` after a list answered 410).
///   The answer replaces the store: added/updated for listed objects (in list order; unchanged objects
///   notify nothing), then deleted for objects gone (in key order). Then watch from the list's revision.
/// - Watch events apply one by one; each moves `lastSyncResourceVersion`.
/// - A watch that ends `.ok` is re-opened at once from the last resourceVersion; one that ends 410 Gone
///   (or whose request fails with a non-retryable status) relists after a back-off; any other end
///   (5xx, broken stream, lost connection, timeout) re-watches from the last resourceVersion after a
///   back-off. A failed list relists after a back-off.
///
/// Left out: resync periods, pagination, watch `timeoutSeconds`, streaming lists, transforms.
///
/// Invariants: at most one request in flight; the store holds at most one object per key, sorted by
/// key; `synced` is emitted once after the first successful list.
public struct Informer: Sendable {
    enum Phase: Sendable, Hashable {
        case idle
        case listing
        case watching
        /// Waiting for `.resume(epoch)`; then list (`relist`) or watch.
        case backingOff(epoch: UInt64, relist: Bool)
    }

    public let config: InformerConfig
    var random: SimRandom
    var backoff: BackoffManager
    var phase: Phase = .idle
    var epoch: UInt64 = 0
    /// Keys and objects in ascending key order (parallel arrays).
    var keys: [String] = []
    public private(set) var objects: [KubeObject] = []
    public private(set) var hasSynced = false
    /// The resourceVersion of the last list or watch event applied (0: never listed).
    public private(set) var lastSyncResourceVersion: Int64 = 0
    /// Set when a list answered 410 Gone: the next list is consistent.
    public private(set) var lastSyncResourceVersionUnavailable = false

    public init(config: InformerConfig, random: SimRandom) {
        self.config = config
        self.random = random
        self.backoff = config.backoff
    }

    /// The stored object with this key (`ResourceKind.registryKey`), if any.
    public func object(forKey key: String) -> KubeObject? {
        let index = lowerBound(key)
        return index < keys.count && keys[index] == key ? objects[index] : nil
    }

    public func object(namespace: String, name: String) -> KubeObject? {
        object(forKey: config.resource.registryKey(namespace: namespace, name: name))
    }

    // MARK: - Inputs

    /// Starts the first list. - Precondition: idle (new, or after `restart`).
    public mutating func start(now: SimInstant, into outputs: inout [InformerOutput]) {
        precondition(phase == .idle, "start called twice")
        list(into: &outputs)
    }

    /// The list or watch request succeeded: `.list` for a list, `.watching` for a watch.
    public mutating func requestCompleted(_ result: ApiResult, now: SimInstant, into outputs: inout [InformerOutput]) {
        switch (phase, result) {
        case (.listing, .list(let listed, let revision)):
            replace(with: listed, into: &outputs)
            lastSyncResourceVersion = revision
            lastSyncResourceVersionUnavailable = false
            outputs.append(.event(.observedResourceVersion(config.resource, revision, fromWatch: false)))
            if !hasSynced {
                hasSynced = true
                outputs.append(.event(.synced))
            }
            watch(into: &outputs)
        case (.watching, .watching):
            return
        case (.idle, _), (.listing, _), (.watching, _), (.backingOff, _):
            return  // not an answer to the request in flight
        }
    }

    /// The list or watch request failed.
    public mutating func requestFailed(_ failure: ClientFailure, now: SimInstant, into outputs: inout [InformerOutput]) {
        switch phase {
        case .listing:
            if case .status(let status) = failure, status.code == .gone { lastSyncResourceVersionUnavailable = true }
            backOff(relist: true, now: now, into: &outputs)
        case .watching:
            let relist: Bool
            switch failure {
            case .timedOut, .connectionReset: relist = false
            case .status(let status): relist = status.code == .gone || !status.code.isRetryable
            }
            backOff(relist: relist, now: now, into: &outputs)
        case .idle, .backingOff:
            return
        }
    }

    /// Events of the open watch, in stream order.
    public mutating func watchEvents(_ events: [ApiWatchEvent], now: SimInstant, into outputs: inout [InformerOutput]) {
        guard phase == .watching else { return }
        for event in events {
            switch event {
            case .added(let object), .modified(let object):
                upsert(object, into: &outputs)
            case .deleted(let object):
                let index = lowerBound(object.registryKey)
                if index < keys.count && keys[index] == object.registryKey {
                    keys.remove(at: index)
                    objects.remove(at: index)
                }
                outputs.append(.event(.deleted(object)))
            case .bookmark:
                break
            }
            lastSyncResourceVersion = event.resourceVersion
            outputs.append(.event(.observedResourceVersion(config.resource, event.resourceVersion, fromWatch: true)))
        }
    }

    /// The open watch ended.
    public mutating func watchClosed(_ reason: WatchCloseReason, now: SimInstant, into outputs: inout [InformerOutput]) {
        guard phase == .watching else { return }
        switch reason {
        case .ended(let status) where status.code == .ok:
            watch(into: &outputs)
        case .ended(let status):
            backOff(relist: status.code == .gone, now: now, into: &outputs)
        case .streamBroken, .connectionLost:
            backOff(relist: false, now: now, into: &outputs)
        }
    }

    public mutating func timerFired(_ timer: InformerTimer, now: SimInstant, into outputs: inout [InformerOutput]) {
        switch timer {
        case .resume(let firedEpoch):
            guard case .backingOff(let current, let relist) = phase, current == firedEpoch else { return }
            if relist { list(into: &outputs) } else { watch(into: &outputs) }
        }
    }

    /// The process restarted: the store, the sync state and the back-off are forgotten (timers set before
    /// are ignored); call `start` again.
    public mutating func restart() {
        phase = .idle
        epoch &+= 1
        keys.removeAll()
        objects.removeAll()
        hasSynced = false
        lastSyncResourceVersion = 0
        lastSyncResourceVersionUnavailable = false
        backoff = config.backoff
    }

    // MARK: - Internals

    func baseRequest(_ verb: ApiVerb) -> ApiRequest {
        var request = ApiRequest(id: 0, user: config.user, verb: verb, resource: config.resource, namespace: config.namespace)
        request.labelSelector = config.labelSelector
        request.nodeNameSelector = config.nodeNameSelector
        return request
    }

    mutating func list(into outputs: inout [InformerOutput]) {
        var request = baseRequest(.list)
        if config.initialListConsistency == .consistent || lastSyncResourceVersionUnavailable {
            request.consistency = .consistent
        } else {
            // "0" the first time; later, not older than what this reflector already saw.
            request.consistency = .any
            request.resourceVersion = lastSyncResourceVersion
        }
        phase = .listing
        outputs.append(.request(request))
    }

    mutating func watch(into outputs: inout [InformerOutput]) {
        var request = baseRequest(.watch)
        request.resourceVersion = lastSyncResourceVersion
        phase = .watching
        outputs.append(.request(request))
    }

    mutating func backOff(relist: Bool, now: SimInstant, into outputs: inout [InformerOutput]) {
        epoch &+= 1
        phase = .backingOff(epoch: epoch, relist: relist)
        outputs.append(.setTimer(afterMs: backoff.nextWaitMs(now: now, random: &random), .resume(epoch: epoch)))
    }

    func lowerBound(_ key: String) -> Int { Self.binarySearch(keys, key) }

    mutating func upsert(_ object: KubeObject, into outputs: inout [InformerOutput]) {
        let key = object.registryKey
        let index = lowerBound(key)
        if index < keys.count && keys[index] == key {
            let old = objects[index]
            objects[index] = object
            outputs.append(.event(.updated(old: old, new: object)))
        } else {
            keys.insert(key, at: index)
            objects.insert(object, at: index)
            outputs.append(.event(.added(object)))
        }
    }

    /// client-go's `Replace`: the listed objects become the store.
    mutating func replace(with listed: [KubeObject], into outputs: inout [InformerOutput]) {
        var listedKeys: [String] = []
        listedKeys.reserveCapacity(listed.count)
        for object in listed {
            listedKeys.append(object.registryKey)
            if object != self.object(forKey: object.registryKey) { upsert(object, into: &outputs) }
        }
        listedKeys.sort()
        var index = 0
        while index < keys.count {
            let key = keys[index]
            let position = Self.binarySearch(listedKeys, key)
            if position < listedKeys.count && listedKeys[position] == key {
                index += 1
            } else {
                let gone = objects.remove(at: index)
                keys.remove(at: index)
                outputs.append(.event(.deleted(gone)))
            }
        }
    }

    /// The first index whose key is not below `key`.
    static func binarySearch(_ sorted: [String], _ key: String) -> Int {
        var low = 0
        var high = sorted.count
        while low < high {
            let mid = (low + high) / 2
            if sorted[mid] < key { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
