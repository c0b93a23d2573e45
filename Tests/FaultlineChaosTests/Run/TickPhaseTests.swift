import FaultlineCluster
import FaultlineSim
import Testing
@testable import FaultlineChaos

/// Members start their Raft ticks at random phases (their own streams) and at a new phase after each
/// restart; `aligned` keeps the lockstep of members started together.
@Suite struct TickPhaseTests {
    /// Per member (`master-1`, ...), the instants of its Raft ticks. Member hosts are registered in member
    /// order, so the hosts that tick, by id, are the members in order.
    static func ticks(_ plan: RunPlan, seed: UInt64) -> [String: [SimInstant]] {
        var byHost: [Int32: [SimInstant]] = [:]
        _ = ChaosRunner.run(plan, seed: seed) { record in
            guard record.kind == .timer, record.detail == "raft-tick", let host = record.target else { return }
            byHost[host.index, default: []].append(record.time)
        }
        var result: [String: [SimInstant]] = [:]
        for (position, host) in byHost.keys.sorted().enumerated() { result["master-\(position + 1)"] = byHost[host] }
        return result
    }

    static func plan(_ phase: TickPhase, faults: [PlannedFault] = []) -> RunPlan {
        var plan = RunPlan(name: "ticks", duration: .seconds(6))
        plan.flags.tickPhase = phase
        plan.workload.clients = 1
        plan.faults = faults
        plan.convergenceBound = .seconds(3)
        return plan
    }

    /// The phase of an instant within the 100 ms tick.
    static func phase(_ instant: SimInstant) -> Int64 { instant.nanosecondsSinceStart % 100_000_000 }

    @Test func membersStartAtIndependentPhasesWithinTheirFirstTick() {
        var firstTicks: [[Int64]] = []
        for seed: UInt64 in 1...5 {
            let ticks = Self.ticks(Self.plan(.random), seed: seed)
            #expect(ticks.count == 3)
            let firsts = ticks.keys.sorted().map { ticks[$0]!.first!.nanosecondsSinceStart }
            #expect(firsts.allSatisfy { $0 > 0 && $0 <= 100_000_000 }, "\(firsts)")
            #expect(Set(firsts).count == 3, "seed \(seed): members tick in lockstep: \(firsts)")
            // Then every tick interval, at the same phase.
            for name in ticks.keys.sorted() {
                let times = ticks[name]!
                #expect(zip(times, times.dropFirst()).allSatisfy { $1 - $0 == .milliseconds(100) })
            }
            firstTicks.append(firsts)
        }
        #expect(Set(firstTicks.map { $0[0] }).count == 5, "a member's phase changes with the seed")
    }

    @Test func alignedMembersTickTogether() {
        let ticks = Self.ticks(Self.plan(.aligned), seed: 1)
        let firsts = ticks.keys.sorted().map { ticks[$0]!.first! }
        #expect(firsts.allSatisfy { $0 == .start + .milliseconds(100) }, "\(firsts)")
    }

    @Test func aRestartedMemberTicksAtANewPhase() {
        let crash = PlannedFault(effect: .crash(.named("master-2")), at: .seconds(2), duration: .seconds(1))
        var changed = 0
        for seed: UInt64 in 1...5 {
            let times = Self.ticks(Self.plan(.random, faults: [crash]), seed: seed)["master-2"]!
            let before = times.filter { $0 < .start + .seconds(2) }
            let after = times.filter { $0 > .start + .seconds(3) }
            #expect(!before.isEmpty && !after.isEmpty)
            #expect(after.first! - (.start + .seconds(3)) <= .milliseconds(100), "the first tick within one interval of the restart")
            if let last = before.last, let first = after.first, Self.phase(last) != Self.phase(first) { changed += 1 }
        }
        #expect(changed == 5, "a restart lands at a new phase")
    }

    @Test func theSameSeedTicksTheSameWay() {
        #expect(Self.ticks(Self.plan(.random), seed: 9) == Self.ticks(Self.plan(.random), seed: 9))
    }
}
