/// SplitMix64: used only to expand seeds into generator state and to derive stream seeds.
@usableFromInline
struct SplitMix64 {
    @usableFromInline var state: UInt64
    @inlinable init(state: UInt64) { self.state = state }
    @inlinable mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A 64-bit FNV-1a hash of a string's UTF-8 bytes. Stable across processes and platforms, unlike
/// `Hasher`, which Swift seeds per process; used to name RNG streams and to digest payloads.
@inlinable
public func stableHash(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01B3
    }
    return hash
}

/// Mixes one 64-bit word into a running hash (the finaliser of SplitMix64 / MurmurHash3).
/// Stable across processes; used by the trace hash and payload digests.
@inlinable
public func mixHash(_ hash: UInt64, _ word: UInt64) -> UInt64 {
    var z = (hash ^ word) &+ 0x9E37_79B9_7F4A_7C15 &+ (hash << 6) &+ (hash >> 2)
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// A seeded xoshiro256** generator: the only source of randomness in a simulation.
///
/// Each component draws from its own stream, derived from the run's seed and a stable stream name,
/// so adding a component, or a draw inside one, does not perturb any other component's draws.
/// Invariant: the state is never all zero (SplitMix64 seeding guarantees it).
public struct SimRandom: RandomNumberGenerator, Sendable {
    @usableFromInline var s0: UInt64
    @usableFromInline var s1: UInt64
    @usableFromInline var s2: UInt64
    @usableFromInline var s3: UInt64

    /// The generator for stream `stream` of run `seed`.
    public init(seed: UInt64, stream: String) {
        self.init(rawSeed: mixHash(seed, stableHash(stream)))
    }

    /// A generator seeded directly from one 64-bit value.
    public init(rawSeed: UInt64) {
        var mixer = SplitMix64(state: rawSeed)
        s0 = mixer.next()
        s1 = mixer.next()
        s2 = mixer.next()
        s3 = mixer.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
    }

    /// A child stream derived from this generator's next output and a name; the parent advances once.
    public mutating func derive(_ name: String) -> SimRandom {
        SimRandom(rawSeed: mixHash(next(), stableHash(name)))
    }

    @inlinable
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    @inlinable func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A uniform double in [0, 1) with 53 random bits.
    @inlinable public mutating func unitInterval() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform double in (0, 1]: safe to take the logarithm of.
    @inlinable public mutating func unitIntervalOpenAtZero() -> Double {
        Double((next() >> 11) + 1) * 0x1.0p-53
    }

    /// True with probability `probability` (clamped to [0, 1]).
    @inlinable public mutating func bernoulli(_ probability: Double) -> Bool {
        if probability <= 0 { return false }
        if probability >= 1 { return true }
        return unitInterval() < probability
    }

    /// A uniform integer in `range` (Lemire's unbiased method via the standard library).
    @inlinable public mutating func uniform(_ range: ClosedRange<Int64>) -> Int64 {
        Int64.random(in: range, using: &self)
    }

    /// A uniform integer in `range`.
    @inlinable public mutating func uniform(_ range: Range<Int>) -> Int {
        Int.random(in: range, using: &self)
    }

    /// An exponential variate with the given mean.
    @inlinable public mutating func exponential(mean: Double) -> Double {
        -mean * log(unitIntervalOpenAtZero())
    }

    /// A normal variate (Box–Muller; one of the pair is discarded so each call costs the same draws).
    @inlinable public mutating func normal(mean: Double, standardDeviation: Double) -> Double {
        let u1 = unitIntervalOpenAtZero()
        let u2 = unitInterval()
        let radius = (-2 * log(u1)).squareRoot()
        return mean + standardDeviation * radius * cos(2 * Double.pi * u2)
    }

    /// A log-normal variate whose logarithm has the given mean and standard deviation.
    @inlinable public mutating func logNormal(mu: Double, sigma: Double) -> Double {
        exp(normal(mean: mu, standardDeviation: sigma))
    }

    /// A uniformly chosen element, or nil for an empty collection.
    @inlinable public mutating func choose<C: RandomAccessCollection>(from collection: C) -> C.Element? {
        guard !collection.isEmpty else { return nil }
        let offset = uniform(0..<collection.count)
        return collection[collection.index(collection.startIndex, offsetBy: offset)]
    }

    /// A uniformly shuffled copy (Fisher–Yates from this stream only).
    public mutating func shuffled<T>(_ elements: [T]) -> [T] {
        var copy = elements
        copy.shuffle(using: &self)
        return copy
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
