import Foundation
import FaultlineCluster
import FaultlineSim
import Testing
@testable import FaultlineChaos

/// The incremental linearizability checker of a run against `LinearizabilityCheck.check` over the
/// run's whole client history (kept with `recordHistory`), on seeds of three etcd scenarios (4 per
/// scenario by default, to keep the debug suite short; `FAULTLINE_EQUIVALENCE_SEEDS=50` runs the
/// sweep quoted in the architecture notes),
/// shortened: the nemesis soak (crashes, partitions, pauses, stalls, clock skew), a leader crash, and
/// the unsafe data rollback that loses acknowledged writes (violations). Each run's history is also
/// checked again with one read mutated (never written, overwritten), so violations are compared on
/// every seed.
@Suite struct IncrementalEquivalenceTests {
    static func plan(_ name: String) throws -> RunPlan {
        var plan = try ScenarioLoader.plan(path: ShippedScenarioTests.root.appendingPathComponent("Scenarios/\(name).yaml").path)
        if plan.nemesis != nil {
            plan.duration = .seconds(100)
            plan.nemesis!.safetyPhase = .seconds(70)
        }
        return plan
    }

    /// Seeds per scenario: `FAULTLINE_EQUIVALENCE_SEEDS` if set to a positive number, else 4.
    static var seedCount: UInt64 {
        let requested = ProcessInfo.processInfo.environment["FAULTLINE_EQUIVALENCE_SEEDS"].flatMap { UInt64($0) } ?? 0
        return requested > 0 ? requested : 4
    }

    @Test(arguments: ["etcd-nemesis-soak", "etcd-leader-crash", "unsafe/etcd-data-rollback"])
    func incrementalVerdictsMatchTheWholeHistory(scenario: String) throws {
        let plan = try Self.plan(scenario)
        var compared = 0, violations = 0
        for seed: UInt64 in 1...Self.seedCount {
            let result = ChaosRunner.run(plan, seed: seed, recordHistory: true)
            let history = result.operations
            let outcome = try #require(result.invariants.first { $0.name == InvariantName.linearizable.name })
            let whole = LinearizabilityCheck.check(history)
            switch whole {
            case .linearizable(let count):
                #expect(outcome.holds && outcome.detail == "\(count) operations linearizable", "\(scenario) seed \(seed): \(outcome.detail)")
            case .violation:
                violations += 1
                #expect(!outcome.holds && outcome.violations == 1, "\(scenario) seed \(seed): the whole history is not linearizable, incremental: \(outcome.detail)")
            case .unknown:
                continue
            }
            compared += 1
            // The same history with one read mutated, fed in the order the run observed it.
            for mutation in [GeneratedHistory.Mutation.neverWritten, .overwritten] {
                var random = SimRandom(seed: seed, stream: "equivalence")
                guard let (mutated, _) = GeneratedHistory(operations: history, effect: []).mutated(mutation, random: &random) else { continue }
                let expected = LinearizabilityVerdict(LinearizabilityCheck.check(mutated))
                let (found, _) = checkIncrementally(mutated, clients: plan.workload.clients, inCompletionOrder: false)
                #expect(LinearizabilityVerdict(found) == expected, "\(scenario) seed \(seed) \(mutation): \(found)")
                if expected == .violation { violations += 1 }
            }
        }
        // Nearly every seed is decided, and the mutations give at least one violation per seed.
        #expect(compared * 10 >= Int(Self.seedCount) * 9, "\(scenario): \(compared) seeds decided")
        #expect(violations >= Int(Self.seedCount), "\(scenario): \(violations) violations compared")
    }
}
