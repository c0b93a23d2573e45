import FaultlineSim

/// Deliberately broken node lifecycle controller variants, to prove the checkers can fail.
public struct NodeLifecycleBugs: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Ignores the "every zone is fully disrupted ⇒ stop tainting" rule of `handleDisruption`: when
    /// the masters lose every node at once (their own network, not the nodes, is broken), every node
    /// is tainted NoExecute and every pod evicted (the eviction storm of kubernetes issue 24200).
    public static let evictsInFullDisruption = NodeLifecycleBugs(rawValue: 1 << 0)
    public static let byName: [(String, NodeLifecycleBugs)] = [("evicts-in-full-disruption", .evictsInFullDisruption)]
}

/// A zone's health as upstream's `ComputeZoneState` sees it.
public enum ZoneState: String, Sendable, Hashable {
    case normal = "Normal"
    case partialDisruption = "PartialDisruption"
    case fullDisruption = "FullDisruption"

    /// `notReady` counts nodes whose Ready condition is not True. FullDisruption: none ready and some
    /// not ready; PartialDisruption: more than 2 not ready and at least `threshold` of the zone.
    public static func compute(ready: Int, notReady: Int, unhealthyThreshold: Double) -> ZoneState {
        if ready == 0 && notReady > 0 { return .fullDisruption }
        if notReady > 2 && Double(notReady) / Double(notReady + ready) >= unhealthyThreshold { return .partialDisruption }
        return .normal
    }
}

/// client-go's token bucket rate limiter with burst 1 (`NewTokenBucketRateLimiter(qps, 1)`), in exact
/// integer time: with a bucket of one token, "a token is available" is "`now` has reached the time
/// the last token was taken plus 1/rate".
///
/// Invariants: a rate <= 0 never accepts (`NewFakeNeverRateLimiter`); a new limiter starts full.
public struct TokenBucketLimiter: Sendable, Hashable {
    public private(set) var ratePerSecond: Double
    /// When the next token is available; nil: never.
    public private(set) var nextTokenAt: SimInstant?

    public init(ratePerSecond: Double, now: SimInstant) {
        self.ratePerSecond = ratePerSecond
        self.nextTokenAt = ratePerSecond > 0 ? now : nil
    }

    var interval: SimDuration { .nanoseconds(Int64((1e9 / ratePerSecond).rounded())) }

    public func available(at now: SimInstant) -> Bool { nextTokenAt.map { now >= $0 } ?? false }

    public mutating func tryAccept(now: SimInstant) -> Bool {
        guard available(at: now) else { return false }
        nextTokenAt = now + interval
        return true
    }

    /// `RateLimitedTimedQueue.SwapLimiter`: a new limiter at `ratePerSecond`, drained at once when the
    /// old one had no token (so a rate change never grants an extra token with burst 1).
    public mutating func swap(ratePerSecond newRate: Double, now: SimInstant) {
        guard newRate != ratePerSecond else { return }
        let waiting = !available(at: now)
        self = TokenBucketLimiter(ratePerSecond: newRate, now: now)
        if waiting && newRate > 0 { nextTokenAt = now + interval }
    }
}

/// One zone's `RateLimitedTimedQueue` of nodes waiting for a NoExecute taint: unique node names in
/// the order they were added, released one per limiter token.
///
/// Invariant: a node name appears at most once.
public struct ZoneTaintQueue: Sendable, Hashable {
    public private(set) var nodes: [String] = []
    public var limiter: TokenBucketLimiter

    public init(ratePerSecond: Double, now: SimInstant) { limiter = TokenBucketLimiter(ratePerSecond: ratePerSecond, now: now) }

    /// Adds `node` unless it is queued already; true if added.
    @discardableResult
    public mutating func add(_ node: String) -> Bool {
        guard !nodes.contains(node) else { return false }
        nodes.append(node)
        return true
    }

    public mutating func remove(_ node: String) { nodes.removeAll { $0 == node } }
    public mutating func clear() { nodes.removeAll() }

    /// Whether a pass could release something (queued nodes and a limiter that ever accepts).
    public var isProcessable: Bool { !nodes.isEmpty && limiter.ratePerSecond > 0 }

    /// `Try`: releases head nodes while the limiter has tokens. `blocked` heads (a write in flight)
    /// stop the pass without taking a token; they stay at the head.
    public mutating func release(now: SimInstant, blocked: (String) -> Bool) -> [String] {
        var released: [String] = []
        while let head = nodes.first, !blocked(head), limiter.tryAccept(now: now) {
            nodes.removeFirst()
            released.append(head)
        }
        return released
    }
}
