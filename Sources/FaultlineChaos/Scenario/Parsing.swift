import FaultlineSim
import Foundation

/// Parses Go / Kubernetes duration strings: `500ms`, `10s`, `1.5s`, `2m`, `1h30m`, `250us`, `100ns`.
///
/// Invariant: the result is exact to the nanosecond for decimal inputs with up to 9 fraction digits,
/// and at most `maximum`; anything else is rejected with a reason, never truncated silently.
public enum DurationText {
    public static let maximum = SimDuration.seconds(7 * 24 * 3600)

    static let units: [(suffix: String, nanoseconds: Int64)] = [
        ("ns", 1), ("us", 1_000), ("µs", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000),
    ]

    public static func parse(_ text: String) -> Result<SimDuration, ParseFailure> {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return .failure(ParseFailure("expected a duration like \"30s\", found an empty value")) }
        var rest = Substring(trimmed)
        var total: Int64 = 0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty else { return .failure(ParseFailure("expected a duration like \"30s\" or \"1h30m\", found \"\(text)\"")) }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { $0.isLetter || $0 == "µ" }
            rest = rest.dropFirst(unitText.count)
            guard let unit = units.first(where: { $0.suffix == unitText }) else {
                return .failure(ParseFailure("unknown or missing unit \"\(unitText)\" in \"\(text)\"; use ns, us, ms, s, m or h"))
            }
            guard let nanoseconds = scaled(String(number), by: unit.nanoseconds) else {
                return .failure(ParseFailure("\"\(text)\" is not a valid duration"))
            }
            let (sum, overflow) = total.addingReportingOverflow(nanoseconds)
            guard !overflow, sum <= maximum.nanoseconds else {
                return .failure(ParseFailure("\"\(text)\" is longer than the maximum of 168h"))
            }
            total = sum
        }
        return .success(SimDuration(nanoseconds: total))
    }

    /// `number` (decimal, optional fraction) times `unit`, exactly, or nil on overflow / bad syntax.
    static func scaled(_ number: String, by unit: Int64) -> Int64? {
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = Int64(parts[0].isEmpty ? "0" : String(parts[0])) else { return nil }
        var (value, overflow) = whole.multipliedReportingOverflow(by: unit)
        guard !overflow else { return nil }
        if parts.count == 2 {
            let fraction = parts[1]
            guard !fraction.isEmpty, fraction.allSatisfy(\.isNumber), fraction.count <= 12 else { return nil }
            var scale: Int64 = 1
            for _ in 0..<fraction.count { scale *= 10 }
            guard let digits = Int64(fraction) else { return nil }
            let part = Double(digits) / Double(scale) * Double(unit)
            (value, overflow) = value.addingReportingOverflow(Int64(part.rounded()))
            guard !overflow else { return nil }
        }
        return value
    }

    /// Formats as the shortest exact Go-style string (`1m30s`, `500ms`).
    public static func format(_ duration: SimDuration) -> String {
        var ns = duration.nanoseconds
        if ns == 0 { return "0s" }
        var text = ""
        for (suffix, size) in [("h", Int64(3_600_000_000_000)), ("m", 60_000_000_000), ("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000), ("ns", 1)] where ns >= size {
            text += "\(ns / size)\(suffix)"
            ns %= size
        }
        return text
    }
}

/// Why a value could not be parsed.
public struct ParseFailure: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// A set of seeds from the command line: `42`, `1,2,7`, `1..1000` (inclusive), or a mix `1..10,20`.
///
/// Invariant: at most `maximumCount` seeds, each listed once, in the order first written.
public struct SeedSpec: Sendable, Equatable {
    public static let maximumCount = 1_000_000
    public var seeds: [UInt64]

    public static func parse(_ text: String) throws(ParseFailure) -> SeedSpec {
        var seeds: [UInt64] = []
        var seen = Set<UInt64>()
        let pieces = text.split(separator: ",", omittingEmptySubsequences: false)
        for rawPiece in pieces {
            let piece = rawPiece.trimmingCharacters(in: .whitespaces)
            guard !piece.isEmpty else { throw ParseFailure("empty seed in \"\(text)\"") }
            let bounds = piece.components(separatedBy: "..")
            switch bounds.count {
            case 1:
                guard let seed = UInt64(piece) else { throw ParseFailure("\"\(piece)\" is not a seed (a whole number from 0 to \(UInt64.max))") }
                if seen.insert(seed).inserted { seeds.append(seed) }
            case 2:
                guard let low = UInt64(bounds[0]), let high = UInt64(bounds[1]) else {
                    throw ParseFailure("\"\(piece)\" is not a seed range like 1..1000")
                }
                guard low <= high else { throw ParseFailure("range \"\(piece)\" is empty: \(low) is greater than \(high)") }
                guard high - low < UInt64(maximumCount) else { throw ParseFailure("range \"\(piece)\" has more than \(maximumCount) seeds") }
                for seed in low...high where seen.insert(seed).inserted { seeds.append(seed) }
            default:
                throw ParseFailure("\"\(piece)\" is not a seed or a range like 1..1000")
            }
            guard seeds.count <= maximumCount else { throw ParseFailure("more than \(maximumCount) seeds") }
        }
        return SeedSpec(seeds: seeds)
    }
}
