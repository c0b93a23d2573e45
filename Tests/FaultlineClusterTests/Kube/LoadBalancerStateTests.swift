import FaultlineSim
import Testing
@testable import FaultlineCluster

private func ms(_ value: Int64) -> SimInstant { .start + .milliseconds(value) }

private func probes(_ outputs: [LoadBalancerOutput]) -> [(backend: Int, probeID: UInt64)] {
    outputs.compactMap {
        if case .sendProbe(let backend, let probeID, _, _) = $0 { return (backend, probeID) }
        return nil
    }
}

private func stateChanges(_ outputs: [LoadBalancerOutput]) -> [LoadBalancerOutput] {
    outputs.filter {
        if case .backendStateChanged = $0 { return true }
        return false
    }
}

/// Runs the check timer every `inter` from `fromMs` through `toMs`, answering each probe at once with
/// `healthy(backend, now)`; returns every output, and the times of state changes.
private func runChecks(
    _ lb: inout LoadBalancerState, fromMs: Int64, toMs: Int64, healthy: (Int, Int64) -> Bool
) -> [(atMs: Int64, output: LoadBalancerOutput)] {
    var log: [(Int64, LoadBalancerOutput)] = []
    var now = fromMs
    while now <= toMs {
        var out: [LoadBalancerOutput] = []
        lb.checkTimerFired(now: ms(now), into: &out)
        for probe in probes(out) {
            lb.probeAnswered(backend: probe.backend, probeID: probe.probeID, healthy: healthy(probe.backend, now), now: ms(now), into: &out)
        }
        log += out.map { (now, $0) }
        now += lb.config.checkIntervalMs
    }
    return log
}

@Suite struct LoadBalancerStateTests {
    @Test func backendsStartUpAndStartProbesEveryBackend() {
        var lb = LoadBalancerState(config: LoadBalancerConfig(backendCount: 3))
        var out: [LoadBalancerOutput] = []
        lb.start(now: ms(0), into: &out)
        #expect(lb.upBackends == [0, 1, 2])
        #expect(out == [
            .sendProbe(backend: 0, probeID: 1, mode: .httpReadyz, timeoutMs: 5_000),
            .sendProbe(backend: 1, probeID: 2, mode: .httpReadyz, timeoutMs: 5_000),
            .sendProbe(backend: 2, probeID: 3, mode: .httpReadyz, timeoutMs: 5_000),
            .setCheckTimer(afterMs: 2_000),
        ])
    }

    @Test func threeFailedChecksMarkDownAfterSixSecondsAndTwoSuccessesMarkUp() {
        var lb = LoadBalancerState(config: LoadBalancerConfig(backendCount: 2))
        var out: [LoadBalancerOutput] = []
        lb.start(now: ms(0), into: &out)
        for probe in probes(out) { lb.probeAnswered(backend: probe.backend, probeID: probe.probeID, healthy: true, now: ms(0), into: &out) }
        // Backend 1 fails from t = 0+ until t = 10 s.
        let log = runChecks(&lb, fromMs: 2_000, toMs: 20_000) { backend, now in backend == 0 || now >= 10_000 }
        let changes = log.filter { if case .backendStateChanged = $0.output { return true } else { return false } }
        #expect(changes.map(\.atMs) == [6_000, 12_000])
        #expect(changes.map(\.output) == [.backendStateChanged(backend: 1, up: false), .backendStateChanged(backend: 1, up: true)])
        #expect(lb.isUp(0) && lb.isUp(1))
        #expect(lb.lastStateChange(backend: 1) == ms(12_000))
    }

    @Test func aSuccessBetweenFailuresResetsTheCount() {
        var lb = LoadBalancerState(config: LoadBalancerConfig(backendCount: 1))
        var out: [LoadBalancerOutput] = []
        lb.start(now: ms(0), into: &out)
        // fail, fail, ok, fail, fail: never three in a row.
        let pattern: [Bool] = [false, false, true, false, false]
        var answers = pattern.makeIterator()
        lb.probeAnswered(backend: 0, probeID: 1, healthy: answers.next()!, now: ms(0), into: &out)
        let log = runChecks(&lb, fromMs: 2_000, toMs: 8_000) { _, _ in answers.next()! }
        #expect(log.allSatisfy { if case .backendStateChanged = $0.output { return false } else { return true } })
        #expect(lb.isUp(0))
        _ = runChecks(&lb, fromMs: 10_000, toMs: 10_000) { _, _ in false }
        #expect(!lb.isUp(0), "the third consecutive failure")
    }

    @Test func timeoutsCountAsFailuresAndAPendingProbeIsNotDoubled() {
        var lb = LoadBalancerState(config: LoadBalancerConfig(backendCount: 1))
        var out: [LoadBalancerOutput] = []
        lb.start(now: ms(0), into: &out)
        out.removeAll()
        // The probe is black-holed: the next timer sends nothing for this backend.
        lb.checkTimerFired(now: ms(2_000), into: &out)
        #expect(out == [.setCheckTimer(afterMs: 2_000)])
        var probeID: UInt64 = 1
        for attempt in 1...3 {
            out.removeAll()
            lb.probeTimedOut(backend: 0, probeID: probeID, now: ms(Int64(attempt) * 5_000), into: &out)
            #expect(stateChanges(out).isEmpty == (attempt < 3))
            lb.checkTimerFired(now: ms(Int64(attempt) * 5_000 + 1), into: &out)
            probeID = probes(out)[0].probeID
        }
        #expect(!lb.isUp(0))
        // A stale answer to an old probe is ignored.
        out.removeAll()
        lb.probeAnswered(backend: 0, probeID: 1, healthy: true, now: ms(16_000), into: &out)
        lb.probeAnswered(backend: 0, probeID: 2, healthy: true, now: ms(16_000), into: &out)
        #expect(out.isEmpty)
    }

    @Test func roundRobinSkipsDownBackendsAndRefusesWhenNoneIsUp() {
        var lb = LoadBalancerState(config: LoadBalancerConfig(backendCount: 3))
        var out: [LoadBalancerOutput] = []
        lb.start(now: ms(0), into: &out)
        out.removeAll()
        for id: UInt64 in 1...6 { lb.openConnection(id, now: ms(0), into: &out) }
        #expect(out == (1...6).map { .forward(connectionID: UInt64($0), backend: ($0 - 1) % 3) })
        // Backend 1 fails its checks from the first one on.
        lb.probeAnswered(backend: 0, probeID: 1, healthy: true, now: ms(0), into: &out)
        lb.probeAnswered(backend: 1, probeID: 2, healthy: false, now: ms(0), into: &out)
        lb.probeAnswered(backend: 2, probeID: 3, healthy: true, now: ms(0), into: &out)
        _ = runChecks(&lb, fromMs: 2_000, toMs: 6_000) { backend, _ in backend != 1 }
        #expect(lb.upBackends == [0, 2])
        out.removeAll()
        for id: UInt64 in 7...10 { lb.openConnection(id, now: ms(7_000), into: &out) }
        #expect(out.map { if case .forward(_, let backend) = $0 { return backend } else { return -1 } } == [0, 2, 0, 2])
        // Everything down.
        _ = runChecks(&lb, fromMs: 8_000, toMs: 14_000) { _, _ in false }
        #expect(lb.upBackends.isEmpty)
        out.removeAll()
        lb.openConnection(11, now: ms(15_000), into: &out)
        #expect(out == [.refuse(connectionID: 11, reason: .noBackendUp)])
        #expect(lb.refusedNoBackend == 1)
        #expect(lb.backend(of: 11) == nil)
    }

    @Test func connectionsStayPinnedWhenTheirBackendIsMarkedDown() {
        var lb = LoadBalancerState(config: LoadBalancerConfig(backendCount: 2))
        var out: [LoadBalancerOutput] = []
        lb.start(now: ms(0), into: &out)
        for id: UInt64 in [30, 10, 20, 40] { lb.openConnection(id, now: ms(0), into: &out) }
        #expect(lb.connectionCount(backend: 0) == 2 && lb.connectionCount(backend: 1) == 2)
        out.removeAll()
        lb.probeAnswered(backend: 0, probeID: 1, healthy: false, now: ms(0), into: &out)
        let log = runChecks(&lb, fromMs: 2_000, toMs: 4_000) { backend, _ in backend == 1 }
        #expect(!lb.isUp(0))
        #expect(log.allSatisfy { if case .reset = $0.output { return false } else { return true } })
        #expect(lb.backend(of: 30) == 0 && lb.backend(of: 20) == 0)
        #expect(lb.connectionCount(backend: 0) == 2)
    }

    @Test func shutdownSessionsResetsADownBackendsConnectionsInIDOrder() {
        var config = LoadBalancerConfig(backendCount: 2)
        config.shutdownSessionsOnMarkedDown = true
        var lb = LoadBalancerState(config: config)
        var out: [LoadBalancerOutput] = []
        lb.start(now: ms(0), into: &out)
        for id: UInt64 in [30, 11, 20, 41, 5] { lb.openConnection(id, now: ms(0), into: &out) }
        // Backend 0 holds 30, 20, 5.
        lb.probeAnswered(backend: 0, probeID: 1, healthy: false, now: ms(0), into: &out)
        let log = runChecks(&lb, fromMs: 2_000, toMs: 4_000) { backend, _ in backend == 1 }
        let resets = log.compactMap { if case .reset(let id, let backend) = $0.output { return (id, backend) } else { return nil } }
        #expect(resets.map(\.0) == [5, 20, 30] && resets.allSatisfy { $0.1 == 0 })
        #expect(lb.connectionCount(backend: 0) == 0 && lb.connectionCount == 2)
    }

    @Test func theConnectionTableIsBounded() {
        var config = LoadBalancerConfig(backendCount: 2)
        config.maxConnections = 3
        var lb = LoadBalancerState(config: config)
        var out: [LoadBalancerOutput] = []
        lb.start(now: ms(0), into: &out)
        out.removeAll()
        for id: UInt64 in 1...4 { lb.openConnection(id, now: ms(0), into: &out) }
        #expect(out.last == .refuse(connectionID: 4, reason: .connectionLimit))
        #expect(lb.refusedAtLimit == 1 && lb.connectionCount == 3)
        lb.connectionClosed(2)
        out.removeAll()
        lb.openConnection(5, now: ms(0), into: &out)
        // The refused connection did not move the cursor: 1 went to 0, 2 to 1, 3 to 0, so 5 goes to 1.
        #expect(out == [.forward(connectionID: 5, backend: 1)])
    }

    @Test func aBackendResetClosesTheClientSideWithoutTouchingHealth() {
        var lb = LoadBalancerState(config: LoadBalancerConfig(backendCount: 2))
        var out: [LoadBalancerOutput] = []
        lb.start(now: ms(0), into: &out)
        lb.openConnection(1, now: ms(0), into: &out)
        out.removeAll()
        lb.backendConnectionFailed(1, into: &out)
        #expect(out == [.reset(connectionID: 1, backend: 0)])
        #expect(lb.connectionCount == 0 && lb.isUp(0))
        out.removeAll()
        lb.backendConnectionFailed(1, into: &out)
        lb.connectionClosed(1)
        #expect(out.isEmpty)
    }

    @Test func backendsConfiguredDownNeedTwoChecksAndTCPModeIsCarried() {
        var config = LoadBalancerConfig(backendCount: 1)
        config.backendsStartUp = false
        config.checkMode = .tcp
        var lb = LoadBalancerState(config: config)
        var out: [LoadBalancerOutput] = []
        lb.start(now: ms(0), into: &out)
        #expect(out.first == .sendProbe(backend: 0, probeID: 1, mode: .tcp, timeoutMs: 5_000))
        lb.openConnection(1, now: ms(0), into: &out)
        #expect(out.last == .refuse(connectionID: 1, reason: .noBackendUp))
        lb.probeAnswered(backend: 0, probeID: 1, healthy: true, now: ms(0), into: &out)
        #expect(!lb.isUp(0))
        let log = runChecks(&lb, fromMs: 2_000, toMs: 2_000) { _, _ in true }
        #expect(log.map(\.output).contains(.backendStateChanged(backend: 0, up: true)))
        #expect(HealthCheckMode.httpReadyz.path == "/readyz" && HealthCheckMode.tcp.path == nil)
    }
}
