import FaultlineCluster
import FaultlineSim

/// The etcd clients' outcomes in one second of simulated time (by call time): answered or unknown
/// (timed out: it may or may not have taken effect).
public struct ClientSecond: Sendable, Equatable {
    public var second: Int64
    public var ok: Int
    public var unknown: Int

    public init(second: Int64, ok: Int, unknown: Int) {
        self.second = second
        self.ok = ok
        self.unknown = unknown
    }
}

/// One sampled etcd request: when it was called, by which client, and its latency (nil: unknown outcome).
public struct LatencySample: Sendable, Equatable {
    public var calledAt: Double
    public var client: Int
    public var op: String
    public var latencyMs: Double?

    public init(calledAt: Double, client: Int, op: String, latencyMs: Double?) {
        self.calledAt = calledAt
        self.client = client
        self.op = op
        self.latencyMs = latencyMs
    }
}

/// A scenario field a what-if sweep (`--vary`) or `run --set` overrode, by its path under `spec`.
public struct RunParameter: Sendable, Equatable {
    public var path: String
    public var value: String

    public init(path: String, value: String) {
        self.path = path
        self.value = value
    }
}

/// Bounded summaries of a run's client history for its page.
///
/// Invariants: the output depends only on the operations (sorted here by call time, then client, so
/// the input order does not matter); `latencySample` returns at most `maximumSamples` rows, spread
/// evenly over the run (every k-th operation in call order).
public enum ClientSeries {
    public static let maximumSamples = 500

    public static func seconds(_ operations: [ClientOperation]) -> [ClientSecond] {
        var buckets: [Int64: ClientSecond] = [:]
        for operation in operations {
            let second = operation.called.nanosecondsSinceStart / 1_000_000_000
            var bucket = buckets[second] ?? ClientSecond(second: second, ok: 0, unknown: 0)
            if operation.returned == nil { bucket.unknown += 1 } else { bucket.ok += 1 }
            buckets[second] = bucket
        }
        return buckets.keys.sorted().map { buckets[$0]! }
    }

    public static func latencySample(_ operations: [ClientOperation], maximum: Int = maximumSamples) -> [LatencySample] {
        guard maximum > 0, !operations.isEmpty else { return [] }
        let ordered = operations.sorted { ($0.called, $0.client) < ($1.called, $1.client) }
        let stride = (ordered.count + maximum - 1) / maximum
        return Swift.stride(from: 0, to: ordered.count, by: stride).map { index in
            let operation = ordered[index]
            let latency = operation.returned.map { Double($0.nanosecondsSinceStart - operation.called.nanosecondsSinceStart) / 1e6 }
            return LatencySample(calledAt: Double(operation.called.nanosecondsSinceStart) / 1e9, client: operation.client,
                                 op: operation.kind.rawValue, latencyMs: latency)
        }
    }
}
