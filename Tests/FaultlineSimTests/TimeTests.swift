import Testing
@testable import FaultlineSim

@Suite struct TimeTests {
    @Test func unitsConvertExactly() {
        #expect(SimDuration.seconds(2).nanoseconds == 2_000_000_000)
        #expect(SimDuration.milliseconds(1500) == .seconds(1) + .milliseconds(500))
        #expect(SimDuration.seconds(1.5).nanoseconds == 1_500_000_000)
        #expect(SimDuration.minutes(2) == .seconds(120))
    }

    @Test func instantArithmeticAndSaturation() {
        let t = SimInstant.start + .seconds(3)
        #expect(t - SimInstant.start == .seconds(3))
        #expect((SimInstant.distantFuture + .seconds(1)) == .distantFuture)
        #expect(t < t + .nanoseconds(1))
    }

    @Test func formatting() {
        #expect(SimDuration.milliseconds(12_345).description == "12.345s")
        #expect(SimDuration.milliseconds(-5).description == "-0.005s")
        #expect((SimInstant.start + .milliseconds(7)).description == "t=0.007s")
    }
}
