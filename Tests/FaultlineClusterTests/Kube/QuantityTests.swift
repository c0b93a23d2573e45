import Testing
@testable import FaultlineCluster

/// Expected values follow apimachinery's `resource.Quantity` semantics: `MilliValue` and `Value`
/// round up (ceil) to the unit asked for.
@Suite struct QuantityTests {
    @Test(arguments: [
        ("500m", 500), ("0.1", 100), ("1", 1000), ("2", 2000), ("1.5", 1500), (".5", 500), ("1.", 1000),
        ("1e3", 1_000_000), ("1E3", 1_000_000), ("5e-3", 5), ("+250m", 250), ("-0", 0), ("0", 0),
        ("1k", 1_000_000), ("1u", 1), ("1n", 1), ("0.0001", 1), ("1.0001m", 2), ("100n", 1), ("1Ki", 1_024_000),
        ("0.5e1", 5000), ("007", 7000),
    ] as [(String, Int64)])
    func milliCPU(_ text: String, _ expected: Int64) throws {
        #expect(try Quantity.parseMilliCPU(text).get() == expected)
    }

    @Test(arguments: [
        ("1Gi", 1_073_741_824), ("1.5Gi", 1_610_612_736), ("128Mi", 134_217_728), ("1Ki", 1024), ("1k", 1000),
        ("1M", 1_000_000), ("1G", 1_000_000_000), ("1e3", 1000), ("100m", 1), ("1500m", 2), ("0.5Ki", 512),
        ("1Ei", 1_152_921_504_606_846_976), ("8E", 8_000_000_000_000_000_000), ("0.1Ki", 103), ("123", 123),
        ("1Ti", 1_099_511_627_776), ("2Pi", 2_251_799_813_685_248),
    ] as [(String, Int64)])
    func bytes(_ text: String, _ expected: Int64) throws {
        #expect(try Quantity.parseBytes(text).get() == expected)
    }

    @Test func countsAreWholeQuantities() throws {
        #expect(try Quantity.parseCount("110").get() == 110)
        #expect(try Quantity.parseCount("1k").get() == 1000)
        #expect(throws: QuantityError.self) { try Quantity.parseCount("1.5").get() }
        #expect(throws: QuantityError.self) { try Quantity.parseCount("-1").get() }
    }

    @Test(arguments: [
        ("12x", "unknown suffix \"x\""), ("5OOm", "unknown suffix \"OOm\""), ("1K", "unknown suffix \"K\""),
        ("1KB", "unknown suffix \"KB\""), ("", "empty"), ("abc", "expected a number"), (".", "expected a number"),
        ("-", "expected a number"), ("1e", "unknown suffix \"e\""), ("1e3.5", "unknown suffix"), ("1 Gi", "unknown suffix \" Gi\""),
        (" 1", "expected a number"), ("1mi", "unknown suffix \"mi\""), ("--1", "expected a number"), ("1e99999", "out of range"),
        ("-1", "greater than or equal to 0"), ("-500m", "greater than or equal to 0"), ("10E", "too large"), ("9223372036854775808", "too large"),
        ("9.3e18", "too large"),
    ] as [(String, String)])
    func refusals(_ text: String, _ reason: String) {
        let result = Quantity.parseBytes(text)
        guard case .failure(let failure) = result else {
            Issue.record("\"\(text)\" should be refused, got \(result)")
            return
        }
        #expect(failure.description.hasPrefix("\"\(text)\" is not a quantity: "))
        #expect(failure.description.contains(reason), "\(failure)")
    }

    @Test func theUnknownSuffixMessageSaysWhatToUse() {
        guard case .failure(let failure) = Quantity.parseMilliCPU("12x") else { Issue.record("accepted"); return }
        #expect(failure.description == "\"12x\" is not a quantity: unknown suffix \"x\" (use m, k, M, G, Ki, Mi, Gi ...)")
    }

    @Test func theLargestValuesFitAndOneMoreDoesNot() throws {
        #expect(try Quantity.parseBytes("9223372036854775807").get() == Int64.max)
        #expect(try Quantity.parseMilliCPU("9223372036854775807m").get() == Int64.max)
        #expect(throws: QuantityError.self) { try Quantity.parseMilliCPU("9223372036854776").get() }
        // Tiny but non-zero values still ask for something: one unit, as upstream rounds up.
        #expect(try Quantity.parseBytes("1e-900").get() == 1)
        #expect(try Quantity.parseMilliCPU("0.000000000000000000000000000001").get() == 1)
    }

    @Test func signedValuesKeepTheirSignAndRoundAwayFromZero() throws {
        let quantity = try Quantity.parse("-1.5m").get()
        #expect(quantity.isNegative)
        #expect(quantity.scaled(by: 3)?.value == -2)
        #expect(quantity.scaled(by: 3)?.exact == false)
        #expect(try Quantity.parse("-1.5").get().scaled(by: 3)?.value == -1500)
        #expect(try Quantity.parse("1.5Gi").get().format == .binarySI)
        #expect(try Quantity.parse("1e3").get().format == .decimalExponent)
        #expect(try Quantity.parse("1k").get().format == .decimalSI)
    }

    @Test(arguments: [
        (500, "500m"), (2000, "2"), (1500, "1500m"), (0, "0"), (1_000_000, "1k"), (100, "100m"), (-250, "-250m"), (4_000_000_000, "4M"),
    ] as [(Int64, String)])
    func formatsCPU(_ milliCPU: Int64, _ expected: String) throws {
        #expect(Quantity.formatMilliCPU(milliCPU) == expected)
        #expect(try Quantity.parse(expected).get().scaled(by: 3)?.value == milliCPU)
    }

    @Test(arguments: [
        (1_073_741_824, "1Gi"), (1_610_612_736, "1536Mi"), (1500, "1500"), (1000, "1k"), (512, "512"), (0, "0"),
        (1_152_921_504_606_846_976, "1Ei"), (2_048_000, "2000Ki"), (Int64.max, "9223372036854775807"),
    ] as [(Int64, String)])
    func formatsBytes(_ bytes: Int64, _ expected: String) throws {
        #expect(Quantity.formatBytes(bytes) == expected)
        #expect(try Quantity.parseBytes(expected).get() == bytes)
    }

    @Test func hostileTextIsRefusedCheaply() throws {
        let long = String(repeating: "9", count: 100_000)
        #expect(throws: QuantityError.self) { try Quantity.parseBytes(long).get() }
        let digits = "0." + String(repeating: "0", count: 200) + "1"
        #expect(try Quantity.parseBytes(digits).get() == 1)
    }
}
