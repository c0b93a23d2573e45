import FaultlineCluster
import FaultlineSim
import Testing
@testable import FaultlineChaos

/// `at: {time: T, jitter: J}`: each seed injects the fault at a uniform instant in [T, T + J), from the
/// fault's own stream; the loader judges the fault at every instant it may take.
@Suite struct FaultJitterTests {
    let base = ScenarioText.minimal()

    @Test func aJitteredTimeIsReadWithItsWindow() throws {
        let plan = try ScenarioText.plan(base + """
          faults:
            - {kind: node-crash, target: etcd-leader, at: {time: 30s, jitter: 100ms}, duration: 20s}
            - {kind: node-crash, target: master-1, at: 70s, duration: 5s}

        """)
        #expect(plan.faults[0].at == .seconds(30) && plan.faults[0].jitter == .milliseconds(100))
        #expect(plan.faults[1].at == .seconds(70) && plan.faults[1].jitter == .zero)
    }

    @Test(arguments: [
        ("at: {time: 30s, jitter: -1s}, duration: 5s", "spec.faults[0].at.jitter"),
        ("at: {jitter: 1s}, duration: 5s", "spec.faults[0].at"),
        ("at: {time: 30s, jiter: 1s}, duration: 5s", "spec.faults[0].at.jiter"),
        ("at: {time: 110s, jitter: 10s}, duration: 5s", "spec.faults[0].duration"),
        ("at: {time: 118s, jitter: 5s}", "spec.faults[0].at"),
    ])
    func badWindowsAreRefusedAtTheirField(fault: String, path: String) throws {
        let found = ScenarioText.rejected(base + "  faults:\n    - {kind: node-crash, target: master-1, \(fault)}\n")
        #expect(found.contains { $0.path == path }, "\(found)")
    }

    @Test func aWindowThatCanHealAfterTheEndSaysSo() throws {
        let diagnostic = try #require(ScenarioText.single(base + "  faults:\n    - {kind: node-crash, target: master-1, at: {time: 110s, jitter: 10s}, duration: 5s}\n"))
        #expect(diagnostic.message == "the fault could heal as late as 2m5s, after the run ends at 2m")
    }

    @Test func jitterBesideAtPointsToTheWindow() throws {
        let diagnostic = try #require(ScenarioText.single(base + "  faults:\n    - {kind: node-crash, target: master-1, at: 30s, jitter: 1s, duration: 5s}\n"))
        #expect(diagnostic.path == "spec.faults[0].jitter")
        #expect(diagnostic.message.contains("write at: {time: 30s, jitter: 100ms}"))
    }

    /// Overlap rule: a jittered fault is active from its earliest injection to its latest heal.
    @Test func faultsThatSomeDrawsMakeOverlapAreRefused() throws {
        let diagnostic = try #require(ScenarioText.single(base + """
          faults:
            - {kind: node-crash, target: master-1, at: {time: 10s, jitter: 2s}, duration: 10s}
            - {kind: node-crash, target: master-1, at: 21s, duration: 5s}

        """))
        #expect(diagnostic.path == "spec.faults[1]")
        #expect(diagnostic.message.contains("(line 7, column 7: node-crash of master-1 from 10s to 22s)"))
        // Clear of the latest heal: accepted.
        let plan = try ScenarioText.plan(base + """
          faults:
            - {kind: node-crash, target: master-1, at: {time: 10s, jitter: 2s}, duration: 10s}
            - {kind: node-crash, target: master-1, at: 22s, duration: 5s}

        """)
        #expect(plan.faults.count == 2)
    }

    static func schedule(_ plan: RunPlan, seed: UInt64) -> FaultSchedule {
        FaultSchedule(plan: plan, nemesisRandom: SimRandom(seed: seed, stream: "chaos.nemesis"),
                      faultRandom: { SimRandom(seed: seed, stream: "chaos.fault.\($0).jitter") })
    }

    @Test func eachSeedDrawsAnInstantInTheWindowFromTheFaultsOwnStream() {
        var plan = RunPlan(name: "jitter", duration: .seconds(60))
        plan.faults = [
            PlannedFault(effect: .crash(.named("master-1")), at: .seconds(10), duration: .seconds(5), jitter: .milliseconds(100)),
            PlannedFault(effect: .crash(.named("master-2")), at: .seconds(20), duration: .seconds(5)),
        ]
        var firsts: [SimDuration] = []
        for seed: UInt64 in 1...200 {
            let faults = Self.schedule(plan, seed: seed).faults
            #expect(faults[0].at >= .seconds(10) && faults[0].at < .seconds(10) + .milliseconds(100))
            #expect(faults[0].duration == .seconds(5))
            #expect(faults[1].at == .seconds(20), "a fault without jitter never moves")
            firsts.append(faults[0].at)
            #expect(Self.schedule(plan, seed: seed).faults[0].at == faults[0].at, "same seed, same instant")
        }
        // Uniform over the window: both halves are hit, and the draws differ.
        let offsets = firsts.map { ($0 - .seconds(10)).nanoseconds }
        #expect(offsets.filter { $0 < 50_000_000 }.count > 60 && offsets.filter { $0 >= 50_000_000 }.count > 60)
        #expect(Set(offsets).count > 190)
        // Jitter on the second fault does not move the first one's draw.
        var more = plan
        more.faults[1].jitter = .seconds(1)
        #expect(Self.schedule(more, seed: 7).faults[0].at == Self.schedule(plan, seed: 7).faults[0].at)
    }

    @Test func theHealFollowsTheDrawnInjection() {
        var plan = RunPlan(name: "jitter", duration: .seconds(60))
        plan.faults = [PlannedFault(effect: .crash(.named("master-1")), at: .seconds(10), duration: .seconds(5), jitter: .seconds(1))]
        let schedule = Self.schedule(plan, seed: 3)
        let inject = schedule.controls.first { if case .inject = $0.action { true } else { false } }
        let heal = schedule.controls.first { if case .heal = $0.action { true } else { false } }
        #expect(inject != nil && heal != nil)
        if let inject, let heal { #expect(heal.at - inject.at == .seconds(5)) }
    }
}
