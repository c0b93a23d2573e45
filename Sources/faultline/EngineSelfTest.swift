import ArgumentParser
import FaultlineSim

/// Runs one of the engine's reference workloads and prints its trace hash: the cross-process
/// determinism tests run it in separate processes and compare. Hidden from `--help`.
struct EngineSelfTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine-selftest",
        abstract: "Run an engine reference workload and print its trace hash.",
        shouldDisplay: false
    )

    enum Workload: String, ExpressibleByArgument, CaseIterable {
        case pingpong, network
    }

    @Option(help: "The run's seed.") var seed: UInt64 = 1
    @Option(help: "pingpong or network (network includes crashes, pauses and partitions).") var workload: Workload = .network
    @Option(help: "Simulated milliseconds to run.") var milliseconds: Int64 = 2_000

    func run() throws {
        let deadline = SimInstant.start + .milliseconds(milliseconds)
        switch workload {
        case .pingpong:
            var (sim, world) = PingPongWorld.make(processCount: 100, seed: seed)
            sim.run(&world, until: deadline)
            print(Self.line(sim))
        case .network:
            var (sim, world) = NetworkWorld.make(hostCount: 7, messagesPerHost: 3, chaos: true, seed: seed)
            sim.defaultLink = LinkConfig(
                latency: .logNormal(median: .milliseconds(1), sigma: 0.6, floor: .microseconds(100)),
                lossProbability: 0.02, duplicateProbability: 0.02, allowsReordering: false)
            sim.run(&world, until: deadline)
            print(Self.line(sim))
        }
    }

    static func line(_ sim: Simulation<Token, Token>) -> String {
        let hex = String(sim.traceHash, radix: 16)
        return "traceHash=\(String(repeating: "0", count: 16 - hex.count) + hex) events=\(sim.processedEvents) delivered=\(sim.network.delivered)"
    }
}
