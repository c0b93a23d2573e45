// Runs the engine's ping-pong reference workload once and prints its event rate:
//
//   faultline <F> M events/s
//   allocations: <A> per event (<N> mallocs in <E> events)
//
// 1,000 processes on one host; each, when its timer fires, sets its next timer at now + Exp(1 ms).
// A short warm-up run (its own simulation) comes first, then one fresh simulation runs 10,000,000
// events, timed from the first event to the last. compare-simpy.sh parses the first line.
//
// Options: --events N (default 10_000_000), --processes N (default 1_000), --seed N (default 1).
import FaultlineSim
import Foundation
import MallocInterposerSwift

struct Options {
    var events = 10_000_000
    var processes = 1_000
    var seed: UInt64 = 1

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next() else { Self.usage("missing value for \(flag)") }
            switch flag {
            case "--events":
                guard let parsed = Int(value.replacingOccurrences(of: "_", with: "")) else { Self.usage("bad --events \(value)") }
                events = parsed
            case "--processes":
                guard let parsed = Int(value) else { Self.usage("bad --processes \(value)") }
                processes = parsed
            case "--seed":
                guard let parsed = UInt64(value) else { Self.usage("bad --seed \(value)") }
                seed = parsed
            default:
                Self.usage("unknown option \(flag)")
            }
        }
        if events <= 0 || processes <= 0 { Self.usage("--events and --processes must be positive") }
    }

    static func usage(_ message: String) -> Never {
        FileHandle.standardError.write(Data("PingPongRate: \(message)\nusage: PingPongRate [--events N] [--processes N] [--seed N]\n".utf8))
        exit(64)
    }
}

/// Runs `events` events of a fresh ping-pong simulation; returns the wall time of the event loop,
/// the mallocs made during it, and the trace hash.
func runPingPong(processes: Int, events: Int, seed: UInt64) -> (seconds: Double, cpuSeconds: Double, mallocs: Int, traceHash: UInt64) {
    var (sim, world) = PingPongWorld.make(processCount: processes, seed: seed)
    // The `.started` event sets the first `processes` timers; it is not counted.
    sim.step(&world)
    let before = sim.processedEvents
    let clock = ContinuousClock()
    MallocInterposerSwift.reset()
    let cpuStart = threadCPUSeconds()
    let start = clock.now
    let outcome = sim.run(&world, until: .distantFuture, maxEvents: events)
    let elapsed = start.duration(to: clock.now)
    let cpuSeconds = threadCPUSeconds() - cpuStart
    let mallocs = MallocInterposerSwift.getStatistics().mallocCount
    precondition(outcome == .eventLimit && sim.processedEvents - before == events && world.firings == events,
                 "expected \(events) events, ran \(sim.processedEvents - before) (\(outcome))")
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    return (seconds, cpuSeconds, mallocs, sim.traceHash)
}

/// CPU time of the calling thread. Printed beside the wall time: when it is well below, the run was
/// descheduled (a busy machine) and the wall-clock rate understates the engine.
func threadCPUSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
}

let options = Options(CommandLine.arguments)
MallocInterposerSwift.hook()
_ = runPingPong(processes: options.processes, events: min(options.events, 1_000_000), seed: options.seed &+ 1)  // warm-up
let result = runPingPong(processes: options.processes, events: options.events, seed: options.seed)
MallocInterposerSwift.unhook()

let rate = Double(options.events) / result.seconds
print(String(format: "faultline %.2f M events/s", rate / 1e6))
print(String(format: "allocations: %.6f per event (%d mallocs in %d events)",
             Double(result.mallocs) / Double(options.events), result.mallocs, options.events))
print(String(format: "wall: %.3f s (thread CPU %.3f s: %.2f M events/s per CPU second) for %d events, %d processes, seed %llu, traceHash %016llx",
             result.seconds, result.cpuSeconds, Double(options.events) / result.cpuSeconds / 1e6,
             options.events, options.processes, options.seed, result.traceHash))
