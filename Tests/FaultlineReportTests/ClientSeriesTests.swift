import FaultlineCluster
import FaultlineSim
import Testing
@testable import FaultlineReport

/// Client series (ClientSeries.swift): per-second outcomes and a bounded, spread latency sample.
@Suite struct ClientSeriesTests {
    static func op(_ client: Int, calledMs: Int64, returnedMs: Int64?) -> ClientOperation {
        ClientOperation(client: client, kind: .get, key: "k1", value: "", ok: true,
                        called: SimInstant(nanosecondsSinceStart: calledMs * 1_000_000),
                        returned: returnedMs.map { SimInstant(nanosecondsSinceStart: $0 * 1_000_000) })
    }

    @Test func secondsCountAnsweredAndUnknownByCallTime() {
        let operations = [Self.op(0, calledMs: 2_500, returnedMs: nil), Self.op(1, calledMs: 100, returnedMs: 150),
                          Self.op(2, calledMs: 900, returnedMs: 1_200), Self.op(0, calledMs: 2_100, returnedMs: 2_101)]
        #expect(ClientSeries.seconds(operations) == [ClientSecond(second: 0, ok: 2, unknown: 0), ClientSecond(second: 2, ok: 1, unknown: 1)])
    }

    @Test func latencySampleIsBoundedSpreadAndOrderIndependent() {
        let operations = (0..<1_234).map { Self.op($0 % 5, calledMs: Int64($0) * 10, returnedMs: $0 % 100 == 0 ? nil : Int64($0) * 10 + 3) }
        let sample = ClientSeries.latencySample(operations, maximum: 500)
        #expect(sample.count <= 500 && sample.count >= 400)
        #expect(sample.first?.calledAt == 0 && sample.last!.calledAt > 12)
        #expect(sample[1].latencyMs == 3)
        #expect(sample.contains { $0.latencyMs == nil })
        #expect(ClientSeries.latencySample(operations.reversed(), maximum: 500) == sample)
        #expect(ClientSeries.latencySample([], maximum: 500).isEmpty)
    }
}
