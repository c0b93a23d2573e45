import Testing
@testable import FaultlineSim

@Suite struct NetworkTests {
    @Test func deliversAfterLatencyInFIFOOrder() {
        let (sim, world0, hosts) = makeSim(["a", "b"])
        var world = world0
        sim.defaultLink = LinkConfig(latency: .uniform(min: .milliseconds(1), max: .milliseconds(50)))
        for index in 0..<100 { sim.send(Label("\(index)"), from: hosts[0], to: hosts[1]) }
        sim.run(&world, until: .start + .seconds(1))
        #expect(world.entries(on: hosts[1]) == (0..<100).map { "msg \($0) from a" })
        #expect(world.log.allSatisfy { $0.time >= .start + .milliseconds(1) && $0.time <= .start + .milliseconds(50) })
    }

    @Test func reorderingLinksCanReorder() {
        let (sim, world0, hosts) = makeSim(["a", "b"])
        var world = world0
        sim.defaultLink = LinkConfig(latency: .uniform(min: .milliseconds(1), max: .milliseconds(50)), allowsReordering: true)
        for index in 0..<100 { sim.send(Label("\(index)"), from: hosts[0], to: hosts[1]) }
        sim.run(&world, until: .start + .seconds(1))
        let received = world.entries(on: hosts[1])
        #expect(received.count == 100)
        #expect(received != (0..<100).map { "msg \($0) from a" })
    }

    @Test func lossAndDuplicationAreCountedAndConserved() {
        let (sim, world0, hosts) = makeSim(["a", "b"])
        var world = world0
        sim.configureLink(from: hosts[0], to: hosts[1], LinkConfig(latency: .constant(.milliseconds(1)), lossProbability: 0.3, duplicateProbability: 0.2))
        for index in 0..<2000 { sim.send(Label("\(index)"), from: hosts[0], to: hosts[1]) }
        #expect(sim.network.isConserved)
        sim.run(&world, until: .start + .seconds(1))
        let lost = sim.network.dropped(.loss)
        #expect(lost > 500 && lost < 700)
        #expect(sim.network.duplicated > 200 && sim.network.duplicated < 400)
        #expect(sim.network.delivered == 2000 - lost + sim.network.duplicated)
        #expect(sim.network.isConserved && sim.network.inFlight == 0)
        // The reverse direction keeps the default (lossless) link.
        sim.send(Label("back"), from: hosts[1], to: hosts[0])
        sim.run(&world, until: .start + .seconds(2))
        #expect(world.entries(on: hosts[0]) == ["msg back from b"])
    }

    @Test func isolateCutsBothWaysAndHealRestores() {
        let (sim, world0, hosts) = makeSim(["a", "b", "c"])
        var world = world0
        sim.isolate(HostSet([hosts[0]]))
        #expect(!sim.canReach(from: hosts[0], to: hosts[1]))
        #expect(!sim.canReach(from: hosts[2], to: hosts[0]))
        #expect(sim.canReach(from: hosts[1], to: hosts[2]))
        sim.send(Label("x"), from: hosts[0], to: hosts[1])
        sim.send(Label("y"), from: hosts[1], to: hosts[0])
        sim.send(Label("z"), from: hosts[1], to: hosts[2])
        sim.run(&world, until: .start + .milliseconds(10))
        #expect(world.log.map(\.what) == ["msg z from b"])
        #expect(sim.network.dropped(.partitionedAtSend) == 2)
        sim.heal()
        sim.send(Label("after"), from: hosts[0], to: hosts[1])
        sim.run(&world, until: .start + .milliseconds(20))
        #expect(world.contains("msg after from a"))
    }

    /// A message already in flight when a partition starts is dropped on arrival, as an iptables rule
    /// installed on the receiver drops packets that reach it afterwards. A message sent after the heal
    /// is delivered normally; one sent during the partition was already dropped at send.
    @Test func partitionStartingWhileAMessageIsInFlightDropsIt() {
        let (sim, world0, hosts) = makeSim(["a", "b"], latency: .milliseconds(10))
        var world = world0
        sim.send(Label("in-flight"), from: hosts[0], to: hosts[1])
        sim.run(&world, until: .start + .milliseconds(5))
        let rules = sim.isolate(HostSet([hosts[1]]))
        sim.run(&world, until: .start + .milliseconds(50))
        #expect(world.log.isEmpty)
        #expect(sim.network.dropped(.partitionedInFlight) == 1)
        // In flight when the partition heals: delivered.
        for id in rules { sim.removeLinkRule(id) }
        sim.send(Label("crosses-heal"), from: hosts[0], to: hosts[1])
        sim.run(&world, until: .start + .milliseconds(100))
        #expect(world.entries(on: hosts[1]) == ["msg crosses-heal from a"])
    }

    @Test func oneWayPartitionCutsOneDirectionOnly() {
        let (sim, world0, hosts) = makeSim(["a", "b"])
        var world = world0
        sim.partitionOneWay(from: HostSet([hosts[0]]), to: HostSet([hosts[1]]))
        sim.send(Label("blocked"), from: hosts[0], to: hosts[1])
        sim.send(Label("open"), from: hosts[1], to: hosts[0])
        sim.run(&world, until: .start + .milliseconds(10))
        #expect(world.log.map(\.what) == ["msg open from b"])
    }

    @Test func splitAndBridge() {
        let (sim, _, hosts) = makeSim(["a", "b", "c", "d", "e"])
        sim.partition([HostSet([hosts[0], hosts[1]]), HostSet([hosts[2], hosts[3], hosts[4]])])
        #expect(!sim.canReach(from: hosts[0], to: hosts[2]) && !sim.canReach(from: hosts[4], to: hosts[1]))
        #expect(sim.canReach(from: hosts[0], to: hosts[1]) && sim.canReach(from: hosts[2], to: hosts[4]))
        sim.heal()
        // Bridge: {a, b} and {d, e} cannot talk; c (in neither side) reaches everyone.
        sim.bridge(HostSet([hosts[0], hosts[1]]), HostSet([hosts[3], hosts[4]]))
        #expect(!sim.canReach(from: hosts[0], to: hosts[3]) && !sim.canReach(from: hosts[4], to: hosts[1]))
        #expect(sim.canReach(from: hosts[0], to: hosts[2]) && sim.canReach(from: hosts[2], to: hosts[4]))
        #expect(sim.canReach(from: hosts[4], to: hosts[2]) && sim.canReach(from: hosts[2], to: hosts[0]))
    }

    @Test func delayRuleAddsLatency() {
        let (sim, world0, hosts) = makeSim(["a", "b"])
        var world = world0
        let rule = sim.addLinkRule(from: HostSet([hosts[0]]), to: HostSet([hosts[1]]), .delay(.constant(.milliseconds(200))))
        sim.send(Label("slow"), from: hosts[0], to: hosts[1])
        sim.run(&world, until: .start + .seconds(1))
        #expect(world.log.first?.time == .start + .milliseconds(201))
        sim.removeLinkRule(rule)
        sim.send(Label("fast"), from: hosts[0], to: hosts[1])
        sim.run(&world, until: .start + .seconds(2))
        #expect(world.log.last?.time == .start + .seconds(1) + .milliseconds(1))
    }

    /// Every copy of a message is answered (and every answer waits on a timer first, as a client's retry
    /// does): with duplication 1.0 each round trip would double the traffic if a duplicate, or what its
    /// handling sent, could be duplicated again. Each original spawns one duplicate lineage instead, so
    /// after n round trips there are n + 1 exchanges in flight, not 2^n.
    @Test func aDuplicateAndWhatItCausesAreNeverDuplicatedAgain() {
        let (sim, world0, hosts) = makeSim(["a", "b"])
        var world = world0
        sim.defaultLink = LinkConfig(latency: .constant(.milliseconds(1)), duplicateProbability: 1.0)
        world.react = { event, sim in
            switch event.kind {
            case .message(let from, _): sim.setTimer(on: event.host, after: .milliseconds(1), Label(sim.name(of: from)))
            case .timer(_, let peer): sim.send(Label("ping"), from: event.host, to: sim.host(named: peer.text)!)
            case .started, .persisted: break
            }
        }
        sim.send(Label("ping"), from: hosts[0], to: hosts[1])
        // 20 round trips of 2 ms each: 2^20 messages per step without the rule.
        let outcome = sim.run(&world, until: .start + .microseconds(39_500), maxEvents: 100_000)
        #expect(outcome == .reachedDeadline)
        // Only the originals (one per hop) are duplicated: one per 2 ms step.
        #expect(sim.network.duplicated == 20)
        // Deliveries in step k: the original, its duplicate and the k - 1 older duplicate lineages.
        #expect(sim.network.delivered == (1...20).reduce(0) { $0 + $1 + 1 })
        #expect(sim.network.isConserved)
    }

    /// Links that never duplicate draw nothing for duplication, so runs without duplication replay as
    /// before; and what is sent between events (a control, the set-up) is an original again.
    @Test func sendsOutsideADuplicateLineageAreOriginals() {
        let (sim, world0, hosts) = makeSim(["a", "b"])
        var world = world0
        sim.defaultLink = LinkConfig(latency: .constant(.milliseconds(1)), duplicateProbability: 1.0)
        world.react = { event, sim in
            if case .message = event.kind, event.host == sim.host(named: "b") { sim.send(Label("pong"), from: event.host, to: sim.host(named: "a")!) }
        }
        sim.send(Label("ping"), from: hosts[0], to: hosts[1])
        sim.run(&world, until: .start + .milliseconds(10))
        // ping x2 (original + duplicate); the original's pong x2, the duplicate's pong x1.
        #expect(world.entries(on: hosts[0]) == ["msg pong from b", "msg pong from b", "msg pong from b"])
        sim.send(Label("again"), from: hosts[0], to: hosts[1])
        sim.run(&world, until: .start + .milliseconds(20))
        #expect(world.entries(on: hosts[1]).filter { $0 == "msg again from a" }.count == 2)
    }
}
