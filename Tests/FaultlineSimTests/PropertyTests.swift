import Testing
@testable import FaultlineSim

/// Seeded properties of the engine over many seeds. A failure names the seed; reproduce it with
/// `swift test --filter PropertyTests` after narrowing `seeds` to that one.
@Suite struct PropertyTests {
    static let seeds: [UInt64] = Array(1...150)

    /// Wraps NetworkWorld to check, at every event, that time never goes back and messages are conserved.
    struct CheckedWorld: SimWorld {
        var inner: NetworkWorld
        var lastTime = SimInstant.start
        var violations: [String] = []
        mutating func handle(_ event: SimEvent<Token, Token>, in sim: Simulation<Token, Token>) {
            guard violations.count < 3 else { return inner.handle(event, in: sim) }
            if event.time < lastTime { violations.append("event at \(event.time) after \(lastTime)") }
            if event.time != sim.now { violations.append("event time \(event.time) differs from now \(sim.now)") }
            lastTime = event.time
            if !sim.network.isConserved { violations.append("conservation broken at \(event.time): \(sim.network)") }
            inner.handle(event, in: sim)
        }
    }

    @Test(arguments: seeds)
    func messagesAreConservedAndTimeNeverGoesBack(seed: UInt64) {
        let (sim, inner) = NetworkWorld.make(hostCount: 6, messagesPerHost: 3, chaos: true, seed: seed)
        sim.defaultLink = LinkConfig(
            latency: .exponential(floor: .microseconds(100), mean: .milliseconds(2)),
            lossProbability: 0.05, duplicateProbability: 0.05, allowsReordering: seed % 2 == 0)
        var world = CheckedWorld(inner: inner)
        sim.run(&world, until: .start + .seconds(3))
        #expect(world.violations.first == nil, "seed \(seed)")
        let counters = sim.network
        #expect(counters.isConserved, "seed \(seed): \(counters)")
        #expect(counters.sent + counters.duplicated == counters.delivered + counters.dropped + counters.inFlight)
        #expect(counters.delivered > 0)
    }

    @Test(arguments: Array(seeds.prefix(40)))
    func sameSeedSameTraceInOneProcess(seed: UInt64) {
        func hash() -> (UInt64, Int) {
            let (sim, world0) = NetworkWorld.make(hostCount: 5, messagesPerHost: 2, chaos: true, seed: seed)
            var world = world0
            sim.run(&world, until: .start + .seconds(2))
            return (sim.traceHash, sim.processedEvents)
        }
        let first = hash()
        #expect(first == hash())
        #expect(first.1 > 100)
    }

    @Test func differentSeedsGiveDifferentTraces() {
        var hashes = Set<UInt64>()
        for seed in PropertyTests.seeds.prefix(50) {
            let (sim, world0) = NetworkWorld.make(hostCount: 5, messagesPerHost: 2, chaos: true, seed: seed)
            var world = world0
            sim.run(&world, until: .start + .seconds(1))
            hashes.insert(sim.traceHash)
        }
        #expect(hashes.count == 50)
    }

    @Test func pingPongKeepsExactlyOneTimerPerProcess() {
        let (sim, world0) = PingPongWorld.make(processCount: 100, seed: 3)
        var world = world0
        sim.run(&world, until: .start + .milliseconds(50))
        #expect(world.firings > 1000)
        #expect(sim.pendingEventCount == 100)
    }
}
