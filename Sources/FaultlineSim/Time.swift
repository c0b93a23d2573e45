/// A span of simulated time in integer nanoseconds.
///
/// Invariant: arithmetic is exact (no floating point) so that two processes computing the same
/// schedule agree bit for bit. Conversions from floating point round toward zero, once, at the edge.
public struct SimDuration: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    @inlinable public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static let zero = SimDuration(nanoseconds: 0)

    @inlinable public static func nanoseconds(_ value: Int64) -> SimDuration { SimDuration(nanoseconds: value) }
    @inlinable public static func microseconds(_ value: Int64) -> SimDuration { SimDuration(nanoseconds: value * 1_000) }
    @inlinable public static func milliseconds(_ value: Int64) -> SimDuration { SimDuration(nanoseconds: value * 1_000_000) }
    @inlinable public static func seconds(_ value: Int64) -> SimDuration { SimDuration(nanoseconds: value * 1_000_000_000) }
    /// Integer literals pick this overload (Int is their default type), avoiding ambiguity with `Double`.
    @inlinable public static func seconds(_ value: Int) -> SimDuration { .seconds(Int64(value)) }
    @inlinable public static func minutes(_ value: Int64) -> SimDuration { .seconds(value * 60) }

    /// Converts seconds given as a floating-point number; rounds toward zero to whole nanoseconds.
    /// - Precondition: `value` is finite and the result fits in 64 bits.
    @inlinable public static func seconds(_ value: Double) -> SimDuration {
        precondition(value.isFinite && abs(value) < 9.2e9, "duration out of range: \(value) s")
        return SimDuration(nanoseconds: Int64(value * 1e9))
    }

    @inlinable public var seconds: Double { Double(nanoseconds) / 1e9 }
    @inlinable public var milliseconds: Double { Double(nanoseconds) / 1e6 }

    @inlinable public static func < (lhs: SimDuration, rhs: SimDuration) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
    @inlinable public static func + (lhs: SimDuration, rhs: SimDuration) -> SimDuration {
        SimDuration(nanoseconds: lhs.nanoseconds + rhs.nanoseconds)
    }
    @inlinable public static func - (lhs: SimDuration, rhs: SimDuration) -> SimDuration {
        SimDuration(nanoseconds: lhs.nanoseconds - rhs.nanoseconds)
    }
    @inlinable public static func * (lhs: SimDuration, rhs: Int64) -> SimDuration {
        SimDuration(nanoseconds: lhs.nanoseconds * rhs)
    }
    @inlinable public static func += (lhs: inout SimDuration, rhs: SimDuration) { lhs.nanoseconds += rhs.nanoseconds }

    public var description: String { formatSeconds(nanoseconds) }
}

/// A point in simulated time: nanoseconds since the start of the run.
///
/// Invariant: the engine's current instant never decreases; every event runs at or after it.
public struct SimInstant: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanosecondsSinceStart: Int64

    @inlinable public init(nanosecondsSinceStart: Int64) { self.nanosecondsSinceStart = nanosecondsSinceStart }

    public static let start = SimInstant(nanosecondsSinceStart: 0)
    /// Later than any instant a run can reach; used as "never".
    public static let distantFuture = SimInstant(nanosecondsSinceStart: Int64.max)

    @inlinable public var seconds: Double { Double(nanosecondsSinceStart) / 1e9 }

    @inlinable public static func < (lhs: SimInstant, rhs: SimInstant) -> Bool {
        lhs.nanosecondsSinceStart < rhs.nanosecondsSinceStart
    }
    /// Saturates at `distantFuture` rather than overflowing.
    @inlinable public static func + (lhs: SimInstant, rhs: SimDuration) -> SimInstant {
        let (sum, overflow) = lhs.nanosecondsSinceStart.addingReportingOverflow(rhs.nanoseconds)
        return SimInstant(nanosecondsSinceStart: overflow ? Int64.max : sum)
    }
    @inlinable public static func - (lhs: SimInstant, rhs: SimDuration) -> SimInstant {
        SimInstant(nanosecondsSinceStart: lhs.nanosecondsSinceStart - rhs.nanoseconds)
    }
    @inlinable public static func - (lhs: SimInstant, rhs: SimInstant) -> SimDuration {
        SimDuration(nanoseconds: lhs.nanosecondsSinceStart - rhs.nanosecondsSinceStart)
    }

    public var description: String { "t=" + formatSeconds(nanosecondsSinceStart) }
}

/// Formats nanoseconds as seconds with millisecond precision, e.g. `12.345s`, without Foundation.
func formatSeconds(_ nanoseconds: Int64) -> String {
    let negative = nanoseconds < 0
    let magnitude = nanoseconds.magnitude
    let wholeSeconds = magnitude / 1_000_000_000
    let milliseconds = (magnitude % 1_000_000_000) / 1_000_000
    var fraction = String(milliseconds)
    while fraction.count < 3 { fraction = "0" + fraction }
    return (negative ? "-" : "") + "\(wholeSeconds).\(fraction)s"
}
