// Prints the trace hashes of the engine's reference workloads for fixed seeds: run it before and after
// a change to the engine's hot paths; the output must not change (determinism is not negotiable).
//
//   swift run -c release EngineTraceHashes
import FaultlineSim

func hex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}

for seed: UInt64 in [1, 2, 77] {
    var (sim, world) = PingPongWorld.make(processCount: 1_000, seed: seed)
    sim.run(&world, until: .distantFuture, maxEvents: 2_000_001)
    print("pingpong seed=\(seed) events=\(sim.processedEvents) now=\(sim.now.nanosecondsSinceStart) traceHash=\(hex(sim.traceHash))")
}

for seed: UInt64 in [1, 2, 77] {
    for chaos in [false, true] {
        var (sim, world) = NetworkWorld.make(hostCount: 16, messagesPerHost: 8, chaos: chaos, seed: seed)
        sim.defaultLink = LinkConfig(
            latency: .logNormal(median: .milliseconds(1), sigma: 0.6, floor: .microseconds(100)),
            lossProbability: 0.02, duplicateProbability: 0.02, allowsReordering: false)
        sim.run(&world, until: .start + .seconds(20))
        let n = sim.network
        print("network chaos=\(chaos) seed=\(seed) events=\(sim.processedEvents) sent=\(n.sent) delivered=\(n.delivered) dropped=\(n.dropped) conserved=\(n.isConserved) traceHash=\(hex(sim.traceHash))")
    }
}
