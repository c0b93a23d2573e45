/// A Kubernetes resource quantity (`k8s.io/apimachinery` `resource.Quantity`), held exactly.
///
/// Grammar (as the apimachinery parser reads it):
///
///     <quantity> ::= <sign>? <number> <suffix>
///     <number>   ::= <digits> | <digits> "." <digits>? | "." <digits>
///     <suffix>   ::= "" | n | u | m | k | M | G | T | P | E        (decimal SI: 10^-9 .. 10^18)
///                  | Ki | Mi | Gi | Ti | Pi | Ei                   (binary SI: 2^10 .. 2^60)
///                  | ("e" | "E") <sign>? <digits>                  (decimal exponent: 1e3, 5E-3)
///
/// Invariant: the value is exactly `sign × digits × 10^decimalExponent × 2^binaryExponent`, with
/// `digits` free of leading and trailing zeros (empty for zero), so nothing is rounded until a
/// caller asks for a scaled integer.
///
/// Two deliberate differences from apimachinery, both refusing input it would accept silently:
/// a number with no digit at all (".", "-", "+") is an error here where Kubernetes reads zero, and a
/// value beyond `Int64` at the requested scale is an error here where Kubernetes caps it.
public struct Quantity: Sendable {
    public enum Format: Sendable, Hashable {
        case decimalSI, binarySI, decimalExponent
    }

    public let isNegative: Bool
    /// Significant decimal digits, most significant first, each 0...9.
    let digits: [UInt8]
    let decimalExponent: Int
    let binaryExponent: Int
    public let format: Format

    /// Longer text is refused before any arithmetic, so hostile input costs little.
    public static let maximumTextLength = 256
    /// Decimal exponents beyond this are refused: no resource amount needs them.
    static let maximumExponent = 1_000

    static let decimalSuffixes: [(suffix: String, exponent: Int)] = [
        ("n", -9), ("u", -6), ("m", -3), ("", 0), ("k", 3), ("M", 6), ("G", 9), ("T", 12), ("P", 15), ("E", 18),
    ]
    static let binarySuffixes: [(suffix: String, exponent: Int)] = [
        ("Ki", 10), ("Mi", 20), ("Gi", 30), ("Ti", 40), ("Pi", 50), ("Ei", 60),
    ]
    static let suffixHint = "use m, k, M, G, Ki, Mi, Gi ..."

    // MARK: Parsing

    /// Parses `text` exactly; never traps.
    public static func parse(_ text: String) -> Result<Quantity, QuantityError> {
        guard !text.isEmpty else { return .failure(QuantityError(text, "expected a number like 500m, 2 or 1.5Gi, found an empty value")) }
        guard text.utf8.count <= maximumTextLength else {
            return .failure(QuantityError(text, "longer than \(maximumTextLength) characters"))
        }
        var rest = Substring(text)
        var negative = false
        if let first = rest.first, first == "+" || first == "-" {
            negative = first == "-"
            rest = rest.dropFirst()
        }
        let whole = rest.prefix(while: isDigit)
        rest = rest.dropFirst(whole.count)
        var fraction = Substring("")
        if rest.first == "." {
            rest = rest.dropFirst()
            fraction = rest.prefix(while: isDigit)
            rest = rest.dropFirst(fraction.count)
        }
        guard !whole.isEmpty || !fraction.isEmpty else {
            return .failure(QuantityError(text, "expected a number like 500m, 2 or 1.5Gi"))
        }
        let suffix = String(rest)
        var decimalExponent = -fraction.count
        var binaryExponent = 0
        let format: Format
        if let decimal = decimalSuffixes.first(where: { $0.suffix == suffix }) {
            decimalExponent += decimal.exponent
            format = .decimalSI
        } else if let binary = binarySuffixes.first(where: { $0.suffix == suffix }) {
            binaryExponent = binary.exponent
            format = .binarySI
        } else if suffix.count > 1, suffix.first == "e" || suffix.first == "E" {
            let exponentText = suffix.dropFirst()
            let unsigned = exponentText.first == "+" || exponentText.first == "-" ? exponentText.dropFirst() : exponentText
            guard !unsigned.isEmpty, unsigned.allSatisfy(isDigit) else {
                return .failure(QuantityError(text, "unknown suffix \"\(suffix)\" (\(suffixHint), or an exponent like e3)"))
            }
            guard let exponent = Int(exponentText), abs(exponent) <= maximumExponent else {
                return .failure(QuantityError(text, "the exponent \(exponentText) is out of range"))
            }
            decimalExponent += exponent
            format = .decimalExponent
        } else {
            return .failure(QuantityError(text, "unknown suffix \"\(suffix)\" (\(suffixHint))"))
        }
        // Normalize: drop leading zeros, and fold trailing zeros into the exponent.
        var significant = (whole + fraction).utf8.map { $0 - UInt8(ascii: "0") }
        let leading = significant.prefix(while: { $0 == 0 }).count
        significant.removeFirst(leading)
        while significant.last == 0 {
            significant.removeLast()
            decimalExponent += 1
        }
        if significant.isEmpty { decimalExponent = 0 }
        return .success(Quantity(isNegative: negative && !significant.isEmpty, digits: significant, decimalExponent: decimalExponent,
                                 binaryExponent: significant.isEmpty ? 0 : binaryExponent, format: format))
    }

    private static func isDigit(_ character: Character) -> Bool { character >= "0" && character <= "9" }

    public var isZero: Bool { digits.isEmpty }

    /// The value times 10^`scale` rounded away from zero to an integer (apimachinery's `ScaledValue`:
    /// `MilliValue` is scale 3, `Value` scale 0), and whether no rounding happened; nil when it does
    /// not fit an `Int64`.
    public func scaled(by scale: Int) -> (value: Int64, exact: Bool)? {
        guard !digits.isEmpty else { return (0, true) }
        let exponent = decimalExponent + scale
        // The value lies in [10^(count-1+exponent), 10^(count+exponent) × 2^binaryExponent), and
        // 2^60 < 10^19: decide the extremes without arithmetic.
        if digits.count - 1 + exponent > 19 { return nil }
        if digits.count + exponent + 19 < 0 { return (isNegative ? -1 : 1, false) }
        var magnitude = Magnitude(digits: digits)
        for _ in stride(from: 0, to: binaryExponent, by: 10) { magnitude.multiply(by: 1024) }
        var exact = true
        if exponent >= 0 {
            for _ in 0..<exponent { magnitude.multiply(by: 10) }
        } else {
            for _ in 0..<(-exponent) where magnitude.divide(by: 10) != 0 { exact = false }
            if !exact { magnitude.add(1) }
        }
        guard let value = magnitude.int64 else { return nil }
        return (isNegative ? -value : value, exact)
    }

    // MARK: Resource helpers

    /// CPU in millicores, rounded up as `MilliValue` does ("0.1" is 100, "1u" is 1).
    /// Refuses negatives (a request or capacity) and values beyond `Int64` millicores.
    public static func parseMilliCPU(_ text: String) -> Result<Int64, QuantityError> {
        nonNegative(text, scale: 3, requireWhole: false)
    }

    /// Memory in bytes, rounded up as `Value` does ("100m" is 0.1 byte, hence 1).
    /// Refuses negatives and values beyond `Int64` bytes.
    public static func parseBytes(_ text: String) -> Result<Int64, QuantityError> {
        nonNegative(text, scale: 0, requireWhole: false)
    }

    /// A count such as the `pods` resource: quantity syntax ("110", "1k"), but whole and non-negative.
    public static func parseCount(_ text: String) -> Result<Int64, QuantityError> {
        nonNegative(text, scale: 0, requireWhole: true)
    }

    private static func nonNegative(_ text: String, scale: Int, requireWhole: Bool) -> Result<Int64, QuantityError> {
        let quantity: Quantity
        switch parse(text) {
        case .success(let parsed): quantity = parsed
        case .failure(let error): return .failure(error)
        }
        guard !quantity.isNegative else { return .failure(QuantityError(text, "must be greater than or equal to 0")) }
        guard let scaled = quantity.scaled(by: scale) else {
            return .failure(QuantityError(text, "too large (at most \(Int64.max) \(scale == 3 ? "millicores" : "units"))"))
        }
        guard scaled.exact || !requireWhole else { return .failure(QuantityError(text, "must be a whole number")) }
        return .success(scaled.value)
    }

    // MARK: Formatting

    /// Canonical text of a CPU amount: "500m", "2", "1500m", "1k" (the largest SI suffix that keeps
    /// the number whole, as apimachinery's `String()` prints a DecimalSI quantity).
    public static func formatMilliCPU(_ milliCPU: Int64) -> String {
        decimalText(milliCPU, exponent: -3)
    }

    /// Canonical text of a byte count: "1Gi", "1536Mi", "1500" and, below 1024, decimal SI ("1k",
    /// "512"), as apimachinery prints a BinarySI quantity.
    public static func formatBytes(_ bytes: Int64) -> String {
        guard bytes.magnitude >= 1024 else { return decimalText(bytes, exponent: 0) }
        var mantissa = bytes.magnitude
        var exponent = 0
        while mantissa % 1024 == 0 && exponent < 60 {
            mantissa /= 1024
            exponent += 10
        }
        let suffix = binarySuffixes.first(where: { $0.exponent == exponent })?.suffix ?? ""
        return (bytes < 0 ? "-" : "") + String(mantissa) + suffix
    }

    private static func decimalText(_ value: Int64, exponent start: Int) -> String {
        guard value != 0 else { return "0" }
        var mantissa = value.magnitude
        var exponent = start
        while mantissa % 1000 == 0 && exponent < 18 {
            mantissa /= 1000
            exponent += 3
        }
        let suffix = decimalSuffixes.first(where: { $0.exponent == exponent })?.suffix ?? ""
        return (value < 0 ? "-" : "") + String(mantissa) + suffix
    }
}

/// Why a text is not a usable quantity, in plain words.
public struct QuantityError: Error, Sendable, Hashable, CustomStringConvertible {
    public var text: String
    public var reason: String

    init(_ text: String, _ reason: String) {
        self.text = text
        self.reason = reason
    }

    public var description: String { "\"\(text)\" is not a quantity: \(reason)" }
}

/// A non-negative integer of any size, just enough arithmetic for exact scaling of quantities.
///
/// Invariant: `limbs` is little-endian base 2^32 with no trailing zero limbs (empty for zero).
struct Magnitude {
    var limbs: [UInt32] = []

    init(digits: [UInt8]) {
        for digit in digits {
            multiply(by: 10)
            add(UInt32(digit))
        }
    }

    mutating func multiply(by factor: UInt32) {
        var carry: UInt64 = 0
        for index in limbs.indices {
            let product = UInt64(limbs[index]) * UInt64(factor) + carry
            limbs[index] = UInt32(truncatingIfNeeded: product)
            carry = product >> 32
        }
        if carry != 0 { limbs.append(UInt32(carry)) }
        trim()
    }

    mutating func add(_ addend: UInt32) {
        var carry = UInt64(addend)
        var index = 0
        while carry != 0 {
            if index == limbs.count { limbs.append(0) }
            let sum = UInt64(limbs[index]) + carry
            limbs[index] = UInt32(truncatingIfNeeded: sum)
            carry = sum >> 32
            index += 1
        }
    }

    /// Divides in place; returns the remainder.
    mutating func divide(by divisor: UInt32) -> UInt32 {
        var remainder: UInt64 = 0
        for index in limbs.indices.reversed() {
            let current = remainder << 32 | UInt64(limbs[index])
            limbs[index] = UInt32(current / UInt64(divisor))
            remainder = current % UInt64(divisor)
        }
        trim()
        return UInt32(remainder)
    }

    private mutating func trim() {
        while limbs.last == 0 { limbs.removeLast() }
    }

    /// The value, when it fits an `Int64`.
    var int64: Int64? {
        guard limbs.count <= 2 else { return nil }
        let value = limbs.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (32 * UInt64($1.offset)) }
        return value <= UInt64(Int64.max) ? Int64(value) : nil
    }
}
