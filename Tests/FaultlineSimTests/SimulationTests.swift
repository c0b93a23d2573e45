import Testing
@testable import FaultlineSim

@Suite struct TimerTests {
    @Test func timersFireInTimeOrderWithTiesByInsertion() {
        let (sim, world0, hosts) = makeSim(["a"])
        var world = world0
        sim.setTimer(on: hosts[0], after: .milliseconds(20), Label("late"))
        sim.setTimer(on: hosts[0], after: .milliseconds(10), Label("first-tie"))
        sim.setTimer(on: hosts[0], after: .milliseconds(10), Label("second-tie"))
        #expect(sim.run(&world, until: .start + .seconds(1)) == .quiescent)
        #expect(world.entries(on: hosts[0]) == ["timer first-tie", "timer second-tie", "timer late"])
        #expect(world.log.map(\.time) == [ms(10), ms(10), ms(20)])
        #expect(sim.now == .start + .seconds(1))
    }

    @Test func cancelledTimersNeverFireAndStaleCancelsAreHarmless() {
        let (sim, world0, hosts) = makeSim(["a"])
        var world = world0
        let cancelled = sim.setTimer(on: hosts[0], after: .milliseconds(5), Label("cancelled"))
        let kept = sim.setTimer(on: hosts[0], after: .milliseconds(6), Label("kept"))
        sim.cancelTimer(cancelled)
        sim.run(&world, until: .start + .milliseconds(10))
        sim.cancelTimer(kept)  // already fired: ignored
        sim.cancelTimer(cancelled)  // twice: ignored
        // The freed slot is reused; the stale handle must not cancel the new timer.
        sim.setTimer(on: hosts[0], after: .milliseconds(1), Label("reused"))
        sim.cancelTimer(cancelled)
        sim.run(&world, until: .start + .milliseconds(20))
        #expect(world.entries(on: hosts[0]) == ["timer kept", "timer reused"])
    }

    @Test func runUntilStopsOnConditionAndRespectsEventBudget() {
        let (sim, world0, hosts) = makeSim(["a"])
        var world = world0
        world.react = { event, sim in
            if case .timer = event.kind { sim.setTimer(on: event.host, after: .milliseconds(1), Label("tick")) }
        }
        sim.setTimer(on: hosts[0], after: .milliseconds(1), Label("tick"))
        let outcome = sim.runUntil(&world, deadline: .distantFuture) { $0.log.count >= 5 }
        #expect(outcome == .conditionMet)
        #expect(world.log.count == 5)
        #expect(sim.runUntil(&world, deadline: .distantFuture, maxEvents: 3) { _ in false } == .eventLimit)
        #expect(world.log.count == 8)
    }

    @Test func queueBoundIsReportedNotIgnored() {
        let (sim, world0, hosts) = makeSim(["a"])
        var world = world0
        sim.limits.maxPendingEvents = 10
        for index in 0..<11 { sim.setTimer(on: hosts[0], after: .milliseconds(Int64(index)), Label("t")) }
        guard case .limitExceeded = sim.run(&world, until: .start + .seconds(1)) else {
            Issue.record("expected the bound to stop the run")
            return
        }
    }
}

@Suite struct CrashRestartTests {
    @Test func crashDropsTimersPersistsAndMessagesThenRestartStartsAfresh() {
        let (sim, world0, hosts) = makeSim(["a", "b"])
        var world = world0
        sim.setTimer(on: hosts[0], after: .milliseconds(5), Label("volatile"))
        sim.persist(on: hosts[0], token: 7)
        sim.setStorageLatency(hosts[0], .constant(.milliseconds(3)))
        sim.persist(on: hosts[0], token: 8)
        sim.send(Label("hello"), from: hosts[1], to: hosts[0])
        sim.crash(hosts[0])
        sim.run(&world, until: .start + .milliseconds(10))
        // Both persists were still in flight (their completion events had not run) when the crash
        // hit, so both writes are lost, even the one with zero latency.
        #expect(world.entries(on: hosts[0]).isEmpty)
        #expect(sim.network.dropped(.receiverDown) == 1)
        sim.restart(hosts[0])
        sim.send(Label("again"), from: hosts[1], to: hosts[0])
        sim.run(&world, until: .start + .milliseconds(20))
        #expect(world.entries(on: hosts[0]) == ["started", "msg again from b"])
        #expect(sim.incarnation(of: hosts[0]) == 1)
        #expect(sim.network.isConserved)
    }

    @Test func messageInFlightToAHostThatRestartsIsDropped() {
        let (sim, world0, hosts) = makeSim(["a", "b"], latency: .milliseconds(10))
        var world = world0
        sim.send(Label("old-connection"), from: hosts[1], to: hosts[0])
        sim.run(&world, until: .start + .milliseconds(2))
        sim.crash(hosts[0])
        sim.restart(hosts[0])
        sim.run(&world, until: .start + .milliseconds(20))
        #expect(world.entries(on: hosts[0]) == ["started"])
        #expect(sim.network.dropped(.receiverRestarted) == 1)
    }

    @Test func messageFromASenderThatCrashesInFlightIsDropped() {
        let (sim, world0, hosts) = makeSim(["a", "b"], latency: .milliseconds(10))
        var world = world0
        sim.send(Label("m"), from: hosts[1], to: hosts[0])
        sim.run(&world, until: .start + .milliseconds(2))
        sim.crash(hosts[1])
        sim.run(&world, until: .start + .milliseconds(20))
        #expect(world.entries(on: hosts[0]).isEmpty)
        #expect(sim.network.dropped(.senderCrashedInFlight) == 1)
        sim.send(Label("from-the-dead"), from: hosts[1], to: hosts[0])
        #expect(sim.network.dropped(.senderDown) == 1)
    }
}

@Suite struct PauseResumeTests {
    @Test func pausedHostRunsNothingAndCatchesUpInOrderOnResume() {
        let (sim, world0, hosts) = makeSim(["a", "b"])
        var world = world0
        sim.pause(hosts[0])
        sim.setTimer(on: hosts[0], after: .milliseconds(2), Label("t1"))
        sim.send(Label("m1"), from: hosts[1], to: hosts[0])  // arrives at 1 ms
        sim.setTimer(on: hosts[0], after: .milliseconds(3), Label("t2"))
        sim.persist(on: hosts[0], token: 1)
        sim.run(&world, until: .start + .seconds(5))
        #expect(world.entries(on: hosts[0]).isEmpty)
        sim.resume(hosts[0])
        sim.run(&world, until: .start + .seconds(6))
        // Order of original due times: persist (t=0), message (1 ms), t1 (2 ms), t2 (3 ms).
        #expect(world.entries(on: hosts[0]) == ["persisted 1", "msg m1 from b", "timer t1", "timer t2"])
        #expect(world.log.allSatisfy { $0.time == .start + .seconds(5) })
        #expect(sim.network.isConserved)
    }

    @Test func cancellingATimerWhilePausedStillCancelsIt() {
        let (sim, world0, hosts) = makeSim(["a"])
        var world = world0
        sim.pause(hosts[0])
        let handle = sim.setTimer(on: hosts[0], after: .milliseconds(1), Label("gone"))
        sim.run(&world, until: .start + .milliseconds(5))
        sim.cancelTimer(handle)
        sim.resume(hosts[0])
        sim.run(&world, until: .start + .milliseconds(10))
        #expect(world.log.isEmpty)
    }

    @Test func crashWhilePausedDiscardsTheBacklog() {
        let (sim, world0, hosts) = makeSim(["a", "b"])
        var world = world0
        sim.pause(hosts[0])
        sim.send(Label("m"), from: hosts[1], to: hosts[0])
        sim.run(&world, until: .start + .milliseconds(5))
        sim.crash(hosts[0])
        sim.restart(hosts[0])
        sim.run(&world, until: .start + .milliseconds(10))
        #expect(world.entries(on: hosts[0]) == ["started"])
        #expect(sim.network.dropped(.receiverDown) == 1)
        #expect(sim.network.isConserved)
    }
}

@Suite struct ClockTests {
    @Test func localClockAppliesOffsetAndDrift() {
        let (sim, world0, hosts) = makeSim(["a", "b"])
        var world = world0
        sim.setClock(hosts[0], offset: .seconds(30), driftPpm: 0)
        sim.setClock(hosts[1], offset: .zero, driftPpm: 100_000)  // runs 10% fast
        sim.run(&world, until: .start + .seconds(10))
        #expect(sim.localTime(of: hosts[0]) == .start + .seconds(40))
        #expect(sim.localTime(of: hosts[1]) == .start + .seconds(11))
    }

    @Test func timersMeasureLocalDurations() {
        let (sim, world0, hosts) = makeSim(["fast", "slow"])
        var world = world0
        sim.setClock(hosts[0], offset: .zero, driftPpm: 100_000)
        sim.setClock(hosts[1], offset: .seconds(-100), driftPpm: -500_000)
        sim.setTimer(on: hosts[0], after: .seconds(11), Label("fast"))
        sim.setTimer(on: hosts[1], after: .seconds(5), Label("slow"))
        sim.run(&world, until: .start + .seconds(20))
        #expect(world.log.map(\.time) == [ms(10_000), ms(10_000)])
    }
}

@Suite struct StorageTests {
    @Test func persistsTakeTheirLatencyCompleteInOrderAndStall() {
        let (sim, world0, hosts) = makeSim(["a"])
        var world = world0
        sim.setStorageLatency(hosts[0], .constant(.milliseconds(4)))
        sim.persist(on: hosts[0], token: 1)
        sim.setStorageLatency(hosts[0], .constant(.milliseconds(1)))
        sim.persist(on: hosts[0], token: 2)  // faster device, but fsyncs complete in order
        sim.run(&world, until: .start + .milliseconds(10))
        #expect(world.log.map(\.what) == ["persisted 1", "persisted 2"])
        #expect(world.log.map(\.time) == [ms(4), ms(4)])
        sim.stallStorage(hosts[0], until: .start + .seconds(2))
        sim.persist(on: hosts[0], token: 3)
        sim.run(&world, until: .start + .seconds(3))
        #expect(world.log.last == RecordingWorld.Entry(time: .start + .seconds(2), host: hosts[0], what: "persisted 3"))
    }
}
