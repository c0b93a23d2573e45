import Collections
import FaultlineSim

/// client-go's `ItemExponentialFailureRateLimiter`: the n-th requeue of a key (n from 0) waits
/// `baseMs * 2^n`, capped at `maxMs`; `forget` starts the key over. Defaults are
/// `DefaultControllerRateLimiter`'s: 5 ms doubling up to 1000 s.
public struct ExponentialFailureRateLimiter<Key: Hashable & Sendable>: Sendable {
    public let baseMs: Int64
    public let maxMs: Int64
    /// Lookup only, never iterated.
    var failures: [Key: Int] = [:]

    public init(baseMs: Int64 = 5, maxMs: Int64 = 1_000_000) {
        precondition(baseMs > 0 && maxMs >= baseMs, "rate limiter bounds out of order")
        self.baseMs = baseMs
        self.maxMs = maxMs
    }

    /// `When(key)`: the wait before the key's next requeue; counts one more failure.
    public mutating func when(_ key: Key) -> Int64 {
        let count = failures[key, default: 0]
        failures[key] = count + 1
        // baseMs << count, without overflow.
        var delay = baseMs
        for _ in 0..<min(count, 62) {
            delay *= 2
            if delay >= maxMs { return maxMs }
        }
        return min(delay, maxMs)
    }

    public func numRequeues(_ key: Key) -> Int { failures[key, default: 0] }

    public mutating func forget(_ key: Key) { failures[key] = nil }
}

/// A timer a work queue asks for: move delayed keys whose time came into the queue.
public enum WorkQueueOutput: Sendable, Hashable {
    /// Call `timerFired(now:)` after this many milliseconds (one timer per delayed add; extra
    /// wake-ups are harmless).
    case setTimer(afterMs: Int64)
}

/// client-go's rate-limited work queue (`workqueue.NewRateLimitingQueue` with the exponential
/// per-item limiter) for one controller, as a pure state machine; workers are the host's.
///
/// Semantics (`workqueue.Type` + `delaying_queue` + `rate_limiting_queue`):
/// - `add(key)`: a key already waiting in the queue is not added again (dedup). A key being processed
///   (taken by `get` and not yet `done`) is marked dirty and re-queued when `done` is called, so one key
///   is never processed by two workers at once, and a change during processing is not lost.
/// - `get()` takes keys in FIFO order of (first) addition.
/// - `addAfter(key, delayMs)` adds the key once the delay passed; a key already waiting keeps the
///   earlier time. `addRateLimited(key)` is `addAfter(key, limiter.when(key))`: 5 ms, 10 ms, 20 ms…
///   `forget(key)` resets the key's failures (call it on success).
///
/// Left out: the overall token bucket (10 qps, burst 100) of `DefaultControllerRateLimiter`, shutdown.
///
/// Invariants: a key appears in `queue` at most once; a key is never both queued and processing;
/// `waiting` holds at most one entry per key. Sets and dictionaries are for lookups only: every
/// order that reaches outputs comes from `queue` or `waiting` (arrays).
public struct WorkQueue<Key: Hashable & Sendable>: Sendable {
    struct Waiting: Sendable {
        var key: Key
        var readyAt: SimInstant
        /// Insertion order, to break ties in `readyAt` deterministically.
        var serial: UInt64
    }

    var queue: Deque<Key> = []
    /// Keys that need processing: queued, or re-added while processing.
    var dirty: Set<Key> = []
    var processing: Set<Key> = []
    /// Delayed adds, in no particular order (scanned on every timer).
    var waiting: [Waiting] = []
    var serial: UInt64 = 0
    public private(set) var rateLimiter: ExponentialFailureRateLimiter<Key>

    public init(rateLimiter: ExponentialFailureRateLimiter<Key> = ExponentialFailureRateLimiter()) {
        self.rateLimiter = rateLimiter
    }

    /// Keys ready to be taken (`Len()`).
    public var count: Int { queue.count }
    public var isEmpty: Bool { queue.isEmpty }
    /// Keys waiting for a delayed add.
    public var waitingCount: Int { waiting.count }
    public func isProcessing(_ key: Key) -> Bool { processing.contains(key) }
    public func numRequeues(_ key: Key) -> Int { rateLimiter.numRequeues(key) }

    // MARK: - Inputs

    public mutating func add(_ key: Key) {
        guard dirty.insert(key).inserted else { return }
        if processing.contains(key) { return }
        queue.append(key)
    }

    /// The next key to process, or nil when none is ready; the caller must call `done` with it.
    public mutating func get() -> Key? {
        guard let key = queue.popFirst() else { return nil }
        processing.insert(key)
        dirty.remove(key)
        return key
    }

    /// Processing of `key` finished; if it was added meanwhile, it is queued again.
    public mutating func done(_ key: Key) {
        processing.remove(key)
        if dirty.contains(key) { queue.append(key) }
    }

    /// Forgets the key's failures (the back-off starts over at 5 ms).
    public mutating func forget(_ key: Key) {
        rateLimiter.forget(key)
    }

    /// Adds `key` after `delayMs` (at once when `delayMs <= 0`).
    public mutating func addAfter(_ key: Key, delayMs: Int64, now: SimInstant, into outputs: inout [WorkQueueOutput]) {
        guard delayMs > 0 else { return add(key) }
        let readyAt = now + .milliseconds(delayMs)
        if let index = waiting.firstIndex(where: { $0.key == key }) {
            if readyAt < waiting[index].readyAt {
                waiting[index].readyAt = readyAt
                outputs.append(.setTimer(afterMs: delayMs))
            }
            return
        }
        serial &+= 1
        waiting.append(Waiting(key: key, readyAt: readyAt, serial: serial))
        outputs.append(.setTimer(afterMs: delayMs))
    }

    /// Requeues `key` after its per-key exponential back-off (a failed reconcile).
    public mutating func addRateLimited(_ key: Key, now: SimInstant, into outputs: inout [WorkQueueOutput]) {
        addAfter(key, delayMs: rateLimiter.when(key), now: now, into: &outputs)
    }

    /// Moves every delayed key whose time came into the queue, earliest first.
    public mutating func timerFired(now: SimInstant) {
        let ready = waiting.filter { $0.readyAt <= now }
        guard !ready.isEmpty else { return }
        waiting.removeAll { $0.readyAt <= now }
        for entry in ready.sorted(by: { ($0.readyAt, $0.serial) < ($1.readyAt, $1.serial) }) {
            add(entry.key)
        }
    }
}
