import FaultlineSim
import Testing
@testable import FaultlineChaos

/// Two faults that hold one machine in colliding ways cannot both take effect: the loader refuses them
/// when it knows the machines, the injector skips the later one when they are drawn.
@Suite struct FaultOverlapTests {
    let base = ScenarioText.minimal()

    @Test func overlappingCrashesOfOneMachineAreRefusedNamingBoth() throws {
        let yaml = base + """
          faults:
            - {kind: node-crash, target: master-1, at: 30s, duration: 20s}
            - {kind: node-crash, target: master-1, at: 35s, duration: 20s}

        """
        let diagnostic = try #require(ScenarioText.single(yaml))
        #expect(diagnostic.path == "spec.faults[1]")
        #expect(diagnostic.line == 8 && diagnostic.column == 7)
        #expect(diagnostic.message.hasPrefix("node-crash of master-1 from 35s to 55s overlaps spec.faults[0] (line 7, column 7: node-crash of master-1 from 30s to 50s): master-1 is down then"))
    }

    @Test(arguments: [
        ("{kind: etcd-member-crash, target: master-2, at: 10s, duration: 10s}", "{kind: etcd-data-loss, target: master-2, at: 15s, duration: 10s}"),
        ("{kind: node-crash, target: master-2, at: 10s, duration: 10s}", "{kind: etcd-member-crash, target: master-2, at: 19s, duration: 10s}"),
        ("{kind: process-pause, target: master-2, at: 10s, duration: 10s}", "{kind: process-pause, target: master-2, at: 10s, duration: 1s}"),
        ("{kind: fsync-stall, target: master-2, at: 10s, duration: 10s}", "{kind: fsync-stall, target: master-2, at: 5s, duration: 10s}"),
        ("{kind: time-skew, target: master-2, offset: 5s, at: 10s, duration: 10s}", "{kind: time-skew, target: master-2, drift-ppm: 100, at: 12s, duration: 1s}"),
        ("{kind: node-crash, target: master-2, at: 10s}", "{kind: node-crash, target: master-2, at: 60s, duration: 10s}"),
    ])
    func collidingHoldsAreRefused(first: String, second: String) throws {
        let diagnostic = try #require(ScenarioText.single(base + "  faults:\n    - \(first)\n    - \(second)\n"))
        #expect(diagnostic.path == "spec.faults[1]")
        #expect(diagnostic.message.contains("overlaps spec.faults[0] (line 7, column 7: "))
    }

    @Test(arguments: [
        // One after the other (the heal runs before the next injection at the same instant).
        ("{kind: node-crash, target: master-1, at: 10s, duration: 10s}", "{kind: node-crash, target: master-1, at: 20s, duration: 10s}"),
        // Other machines, or holds that do not collide: both take effect.
        ("{kind: node-crash, target: master-1, at: 10s, duration: 10s}", "{kind: node-crash, target: master-2, at: 10s, duration: 10s}"),
        ("{kind: node-crash, target: master-1, at: 10s, duration: 10s}", "{kind: network-partition, target: master-1, at: 12s, duration: 10s}"),
        ("{kind: network-loss, target: master-1, probability: 0.1, at: 10s, duration: 10s}", "{kind: network-delay, target: master-1, latency: 5ms, at: 12s, duration: 10s}"),
        ("{kind: process-pause, target: master-1, at: 10s, duration: 10s}", "{kind: time-skew, target: master-1, offset: 1s, at: 12s, duration: 10s}"),
        // Drawn targets are judged at injection time.
        ("{kind: node-crash, target: random-master, at: 10s, duration: 10s}", "{kind: node-crash, target: master-1, at: 12s, duration: 10s}"),
    ])
    func faultsThatCanBothTakeEffectAreAccepted(first: String, second: String) throws {
        let plan = try ScenarioText.plan(base + "  faults:\n    - \(first)\n    - \(second)\n")
        #expect(plan.faults.count == 2)
    }

    @Test func aZoneTargetOverlapsItsWorkers() throws {
        let yaml = base + """
          cluster: {masters: 3, controlPlane: true}
          nodes:
            - {namePrefix: worker-a, count: 2, zone: zone-a, capacity: {cpu: "4", memory: 16Gi}}
          faults:
            - {kind: node-crash, target: "zone:zone-a", at: 10s, duration: 10s}
            - {kind: kubelet-service-kill, target: worker-a-2, at: 15s, duration: 10s}

        """
        let diagnostic = try #require(ScenarioText.single(yaml))
        #expect(diagnostic.path == "spec.faults[1]")
        #expect(diagnostic.message.hasPrefix("kubelet-service-kill of worker-a-2 from 15s to 25s overlaps spec.faults[0]"))
    }

    // MARK: Drawn targets, at injection time

    /// Four crashes of a random master at one instant on three masters: at least one draws a master
    /// already down. It is skipped: recorded with its reason, never healed, no recovery measured.
    @Test func aDrawnTargetAlreadyHeldIsSkippedAndRecorded() {
        var plan = RunPlan(name: "random-overlap", duration: .seconds(20), memberCount: 3)
        plan.faults = (0..<4).map { _ in PlannedFault(effect: .crash(.randomMaster), at: .seconds(5), duration: .seconds(5)) }
        let result = ChaosRunner.run(plan, seed: 1)
        let skipped = result.faults.filter { $0.skipped != nil }
        let injected = result.faults.filter { $0.skipped == nil }
        #expect(result.faults.count == 4)
        #expect(!skipped.isEmpty)
        #expect(Set(injected.map(\.target)).count == injected.count, "each injected crash hit its own master: \(result.faults)")
        for fault in skipped {
            #expect(fault.healedAt == nil)
            #expect(fault.skipped?.contains("is active: \(fault.target) is down then") == true, "\(fault)")
            #expect(!result.recoveries.contains { $0.faultID == fault.id })
            #expect(result.timeline.contains { $0.kind == "fault-skipped" && $0.detail.hasPrefix(fault.id + " ") })
        }
        for fault in injected { #expect(fault.healedAt == .start + .seconds(10)) }
    }
}
