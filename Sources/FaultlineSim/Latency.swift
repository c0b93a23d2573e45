/// A distribution of delays (network latency, storage latency), sampled from a seeded stream.
///
/// Invariant: every sample is at least zero nanoseconds; negative draws are clamped to `floor`.
public enum LatencyDistribution: Hashable, Sendable, CustomStringConvertible {
    /// Always the same delay.
    case constant(SimDuration)
    /// Uniform in [min, max].
    case uniform(min: SimDuration, max: SimDuration)
    /// `floor` plus an exponential tail with mean `mean`.
    case exponential(floor: SimDuration, mean: SimDuration)
    /// Normal with the given mean and standard deviation, never below `floor`.
    case normal(mean: SimDuration, standardDeviation: SimDuration, floor: SimDuration)
    /// Log-normal with the given median and shape `sigma` (the usual fit for datacenter RTTs),
    /// never below `floor`.
    case logNormal(median: SimDuration, sigma: Double, floor: SimDuration)

    public static let zero = LatencyDistribution.constant(.zero)

    @inlinable
    public func sample(_ random: inout SimRandom) -> SimDuration {
        switch self {
        case .constant(let value):
            return value
        case .uniform(let min, let max):
            guard max.nanoseconds > min.nanoseconds else { return min }
            return SimDuration(nanoseconds: random.uniform(min.nanoseconds...max.nanoseconds))
        case .exponential(let floor, let mean):
            let tail = random.exponential(mean: Double(mean.nanoseconds))
            return floor + SimDuration(nanoseconds: Int64(Swift.min(tail, 1e15)))
        case .normal(let mean, let standardDeviation, let floor):
            let value = random.normal(mean: Double(mean.nanoseconds), standardDeviation: Double(standardDeviation.nanoseconds))
            return SimDuration(nanoseconds: Swift.max(floor.nanoseconds, Int64(Swift.min(value, 1e15))))
        case .logNormal(let median, let sigma, let floor):
            let mu = log(Double(Swift.max(median.nanoseconds, 1)))
            let value = random.logNormal(mu: mu, sigma: sigma)
            return SimDuration(nanoseconds: Swift.max(floor.nanoseconds, Int64(Swift.min(value, 1e15))))
        }
    }

    /// The distribution's mean, for reports and sanity checks.
    public var mean: SimDuration {
        switch self {
        case .constant(let value): return value
        case .uniform(let min, let max): return SimDuration(nanoseconds: (min.nanoseconds + max.nanoseconds) / 2)
        case .exponential(let floor, let mean): return floor + mean
        case .normal(let mean, _, _): return mean
        case .logNormal(let median, let sigma, _):
            return SimDuration(nanoseconds: Int64(Double(median.nanoseconds) * exp(sigma * sigma / 2)))
        }
    }

    public var description: String {
        switch self {
        case .constant(let value): return "constant(\(value))"
        case .uniform(let min, let max): return "uniform(\(min)..\(max))"
        case .exponential(let floor, let mean): return "exponential(floor \(floor), mean \(mean))"
        case .normal(let mean, let sd, let floor): return "normal(mean \(mean), sd \(sd), floor \(floor))"
        case .logNormal(let median, let sigma, let floor): return "logNormal(median \(median), sigma \(sigma), floor \(floor))"
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
