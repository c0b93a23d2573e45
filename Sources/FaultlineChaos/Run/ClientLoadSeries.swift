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

/// Bounded summaries of the etcd clients' history, built as operations complete (the history itself
/// is kept only for `--history`): a count per second of call time, and a sample of request latencies.
///
/// Invariants:
/// - Memory is O(seconds simulated) for the counts and O(`maximumSamples`) for the sample, whatever
///   the number of operations.
/// - The sample keeps the operations whose arrival number is a multiple of `stride`; `stride` doubles
///   (and the kept ones are thinned to its multiples) whenever `2 × maximumSamples` are held, so the
///   sample is spread evenly over the run. Only arrival order (deterministic) decides what is kept.
/// - Output is sorted (seconds ascending; samples by call time, then client); the dictionary is for
///   lookups only.
public struct ClientLoadSeries: Sendable {
    public static let maximumSamples = 500

    var buckets: [Int64: ClientSecond] = [:]
    var kept: [(arrival: Int, operation: ClientOperation)] = []
    var stride = 1
    var arrivals = 0
    let maximumSamples: Int

    public init(maximumSamples: Int = ClientLoadSeries.maximumSamples) {
        self.maximumSamples = max(1, maximumSamples)
    }

    public mutating func observe(_ operation: ClientOperation) {
        let second = operation.called.nanosecondsSinceStart / 1_000_000_000
        var bucket = buckets[second] ?? ClientSecond(second: second, ok: 0, unknown: 0)
        if operation.returned == nil { bucket.unknown += 1 } else { bucket.ok += 1 }
        buckets[second] = bucket

        defer { arrivals += 1 }
        guard arrivals % stride == 0 else { return }
        kept.append((arrivals, operation))
        if kept.count >= 2 * maximumSamples {
            stride *= 2
            kept.removeAll { $0.arrival % stride != 0 }
        }
    }

    /// Counts per second of call time, ascending.
    public var seconds: [ClientSecond] { buckets.keys.sorted().map { buckets[$0]! } }

    /// At most `maximumSamples` latencies, evenly spread, ordered by call time then client.
    public var samples: [LatencySample] {
        let ordered = kept.map(\.operation).sorted { ($0.called, $0.client) < ($1.called, $1.client) }
        let step = max(1, (ordered.count + maximumSamples - 1) / maximumSamples)
        return Swift.stride(from: 0, to: ordered.count, by: step).map { index in
            let operation = ordered[index]
            let latency = operation.returned.map { Double($0.nanosecondsSinceStart - operation.called.nanosecondsSinceStart) / 1e6 }
            return LatencySample(calledAt: Double(operation.called.nanosecondsSinceStart) / 1e9, client: operation.client,
                                 op: operation.kind.rawValue, latencyMs: latency)
        }
    }
}
