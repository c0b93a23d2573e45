// Engine benchmarks (ordo-one/benchmark): `cd Benchmarks && swift package benchmark`.
//
// Each benchmark keeps one simulation running across its iterations, so what is measured is the
// engine in steady state: the model is built and warmed up (outside the measurement) on first use,
// and every iteration then runs the next `scaledIterations.count` events of the same run.
//
// scalingFactor is `.kilo` and one iteration runs 1,000 events, so:
//   - throughput is events per second (the "(M)" or "(K)" in its row is the unit);
//   - wallClock and mallocCountTotal (the rows marked `*`) are shown per event, rounded; pass
//     `--scale` to see them per iteration (1,000 events) instead, e.g. the exact malloc count.
// These steady-state benchmarks leave out peakMemoryResident: sampling it allocates (~16 mallocs per
// iteration) inside the measured region. `pingpong-10M` measures memory, on whole runs.
import Benchmark
import FaultlineSim

/// Events per benchmark iteration: `scalingFactor` is `.kilo`, so iterations run 1,000 events each.
private let eventsPerIteration = BenchmarkScalingFactor.kilo.rawValue

/// A simulation that stays alive across a benchmark's iterations.
///
/// Benchmarks run one at a time on one thread, and each closure owns its own state.
private final class SteadyRun<World: SimWorld> where World.Message == Token, World.TimerTag == Token {
    private let make: () -> (Simulation<Token, Token>, World)
    private let warmUpEvents: Int
    private var state: (sim: Simulation<Token, Token>, world: World)?

    init(warmUpEvents: Int, make: @escaping () -> (Simulation<Token, Token>, World)) {
        self.make = make
        self.warmUpEvents = warmUpEvents
    }

    /// Builds the simulation and runs the warm-up the first time; a no-op afterwards.
    func prepare() {
        guard state == nil else { return }
        var (sim, world) = make()
        sim.run(&world, until: .distantFuture, maxEvents: warmUpEvents)
        state = (sim, world)
    }

    /// Runs the next `events` events of the same run; returns how many events the world handled.
    @inline(never)
    func advance(events: Int) -> Int {
        let sim = state!.sim
        let before = sim.processedEvents
        sim.run(&state!.world, until: .distantFuture, maxEvents: events)
        return sim.processedEvents - before
    }
}

let benchmarks: @Sendable () -> Void = {
    let metrics: [BenchmarkMetric] = [.throughput, .wallClock, .mallocCountTotal]

    // 1,000 processes on one host, each setting its next timer at now + Exp(1 ms) when it fires:
    // 10,000 iterations of 1,000 events = 10,000,000 events of one run.
    let pingPong = SteadyRun(warmUpEvents: 1_000_000) { PingPongWorld.make(processCount: 1_000, seed: 1) }
    Benchmark(
        "pingpong",
        configuration: .init(metrics: metrics, warmupIterations: 100, scalingFactor: .kilo, maxDuration: .seconds(120), maxIterations: 10_000)
    ) { benchmark in
        pingPong.prepare()
        benchmark.startMeasurement()
        let handled = pingPong.advance(events: benchmark.scaledIterations.count)
        benchmark.stopMeasurement()
        precondition(handled == eventsPerIteration, "ping-pong ran \(handled) events, expected \(eventsPerIteration)")
    }

    // The whole 10,000,000-event ping-pong run as one iteration, built from scratch each time:
    // wall time of the run, every malloc in it (building the model and the ~16 of the memory sampler
    // included), peak resident memory.
    Benchmark(
        "pingpong-10M",
        configuration: .init(
            metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident],
            warmupIterations: 1, scalingFactor: .one, maxDuration: .seconds(60), maxIterations: 5)
    ) { _ in
        var (sim, world) = PingPongWorld.make(processCount: 1_000, seed: 1)
        sim.step(&world)  // `.started`: sets the first 1,000 timers
        sim.run(&world, until: .distantFuture, maxEvents: 10_000_000)
        precondition(world.firings == 10_000_000, "ping-pong ran \(world.firings) events")
        blackHole(sim.traceHash)
    }

    // 16 hosts, 64 messages each forever in flight through the simulated network (log-normal latency,
    // 0.5 ms median, FIFO links), every 16th message persisted (uniform 0.2-2 ms fsync), a 100 ms
    // heartbeat timer per host. Events are deliveries, persist completions and timers:
    // 2,000 iterations of 1,000 events = 2,000,000 events of one run.
    let network = SteadyRun(warmUpEvents: 200_000) {
        NetworkWorld.make(hostCount: 16, messagesPerHost: 64, chaos: false, seed: 1)
    }
    Benchmark(
        "network",
        configuration: .init(metrics: metrics, warmupIterations: 100, scalingFactor: .kilo, maxDuration: .seconds(60), maxIterations: 2_000)
    ) { benchmark in
        network.prepare()
        benchmark.startMeasurement()
        let handled = network.advance(events: benchmark.scaledIterations.count)
        benchmark.stopMeasurement()
        precondition(handled == eventsPerIteration, "network ran \(handled) events, expected \(eventsPerIteration)")
    }

    // The same network with a controller host injecting crashes, restarts, pauses and partitions
    // every 10-200 ms. Events of crashed incarnations are dropped unseen, so an iteration handles
    // somewhat fewer than 1,000 events (throughput counts queue entries popped, dropped ones included).
    let chaos = SteadyRun(warmUpEvents: 200_000) {
        NetworkWorld.make(hostCount: 16, messagesPerHost: 64, chaos: true, seed: 1)
    }
    Benchmark(
        "network-chaos",
        configuration: .init(metrics: metrics, warmupIterations: 100, scalingFactor: .kilo, maxDuration: .seconds(60), maxIterations: 2_000)
    ) { benchmark in
        chaos.prepare()
        benchmark.startMeasurement()
        blackHole(chaos.advance(events: benchmark.scaledIterations.count))
        benchmark.stopMeasurement()
    }
}
