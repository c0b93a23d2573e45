import FaultlineSim
import Testing
@testable import FaultlineCluster

/// Local clock readings in milliseconds.
private func ms(_ value: Int64) -> SimInstant { .start + .milliseconds(value) }

private func elector(_ identity: String, seed: UInt64 = 7, bugs: LeaderElectionBugs = [], optimisticRenew: Bool = true) -> LeaderElector {
    var config = LeaderElectionConfig(identity: identity, leaseName: "kube-scheduler")
    config.optimisticRenew = optimisticRenew
    var elector = LeaderElector(
        config: config,
        random: SimRandom(seed: seed, stream: "leader-election/\(identity)"))
    elector.enableUnsafeBugs(bugs)
    return elector
}

private func heldLease(by holder: String, renewMs: Int64, resourceVersion: Int64, transitions: Int = 0) -> Lease {
    var lease = Lease(metadata: ObjectMeta(name: "kube-scheduler", namespace: "kube-system"), holderIdentity: holder, leaseDurationSeconds: 15)
    lease.metadata.resourceVersion = resourceVersion
    lease.acquireTime = ms(0)
    lease.renewTime = ms(renewMs)
    lease.leaseTransitions = transitions
    return lease
}

private func writes(_ outputs: [LeaderElectorOutput]) -> [Lease] {
    outputs.compactMap {
        switch $0 {
        case .createLease(let lease), .updateLease(let lease): return lease
        case .getLease, .setRetryTimer, .startedLeading, .stoppedLeading, .newLeaderObserved: return nil
        }
    }
}

private func timers(_ outputs: [LeaderElectorOutput]) -> [Int64] {
    outputs.compactMap {
        if case .setRetryTimer(let afterMs) = $0 { return afterMs }
        return nil
    }
}

/// Makes `candidate` the leader at local time `atMs` through create, then completes the immediate
/// first renew round (an optimistic PUT, or GET then PUT); returns the stored lease.
private func becomeLeader(_ candidate: inout LeaderElector, atMs: Int64) -> Lease {
    var out: [LeaderElectorOutput] = []
    candidate.start(localNow: ms(atMs), into: &out)
    candidate.leaseRead(nil, localNow: ms(atMs), into: &out)
    var stored = writes(out)[0]
    stored.metadata.resourceVersion = 10
    out.removeAll()
    candidate.writeSucceeded(stored, localNow: ms(atMs), into: &out)
    #expect(out.contains(.startedLeading))
    if candidate.config.optimisticRenew {
        #expect(writes(out).count == 1, "renew() polls immediately after acquiring, with the fast path")
    } else {
        #expect(out.contains(.getLease), "renew() polls immediately after acquiring")
        out.removeAll()
        candidate.leaseRead(stored, localNow: ms(atMs), into: &out)
    }
    stored = writes(out)[0]
    #expect(stored.metadata.resourceVersion == 10)
    stored.metadata.resourceVersion = 11
    out.removeAll()
    candidate.writeSucceeded(stored, localNow: ms(atMs), into: &out)
    #expect(out == [.setRetryTimer(afterMs: 2_000)])
    return stored
}

/// Fails whatever request `out` holds, at once, until the elector stops sending requests; returns
/// how many requests it sent.
private func failRequests(_ a: inout LeaderElector, _ out: inout [LeaderElectorOutput], atMs now: Int64) -> Int {
    var sent = 0
    while true {
        if out.contains(.getLease) {
            sent += 1
            out.removeAll()
            a.readFailed(.error(.serviceUnavailable), localNow: ms(now), into: &out)
        } else if !writes(out).isEmpty {
            sent += 1
            out.removeAll()
            a.writeFailed(.error(.serviceUnavailable), localNow: ms(now), into: &out)
        } else {
            return sent
        }
    }
}

@Suite struct LeaderElectorTests {
    @Test func aMissingLeaseIsCreatedAndLeadingStarts() {
        var a = elector("a")
        var out: [LeaderElectorOutput] = []
        a.start(localNow: ms(500), into: &out)
        #expect(out == [.getLease])
        out.removeAll()
        a.leaseRead(nil, localNow: ms(600), into: &out)
        let created = writes(out)
        #expect(created.count == 1)
        #expect(created[0].holderIdentity == "a")
        #expect(created[0].acquireTime == ms(600) && created[0].renewTime == ms(600))
        #expect(created[0].leaseTransitions == 0 && created[0].leaseDurationSeconds == 15)
        #expect(created[0].metadata.namespace == "kube-system" && created[0].metadata.name == "kube-scheduler")
        #expect(!a.isLeading)
        out.removeAll()
        var stored = created[0]
        stored.metadata.resourceVersion = 3
        a.writeSucceeded(stored, localNow: ms(700), into: &out)
        #expect(out.prefix(2) == [.newLeaderObserved("a"), .startedLeading])
        #expect(out.last == .setRetryTimer(afterMs: 10_000))
        // The first renew is the fast path: a PUT from the created object, renewTime = now.
        let renew = writes(out)
        #expect(out.count == 4 && renew.count == 1)
        #expect(renew.first?.metadata.resourceVersion == 3 && renew.first?.renewTime == ms(700) && renew.first?.acquireTime == ms(600))
        #expect(a.isLeading)
        #expect(a.renewDeadlineLocal == ms(10_700))
    }

    @Test func aCandidateWaitsALeaseDurationOfUnchangedRecordOnItsOwnClock() {
        // The holder's renewTime is 1000 s behind the candidate's clock: irrelevant.
        var a = elector("a")
        var out: [LeaderElectorOutput] = []
        let held = heldLease(by: "b", renewMs: 0, resourceVersion: 42)
        a.start(localNow: ms(1_000_000), into: &out)
        out.removeAll()
        a.leaseRead(held, localNow: ms(1_000_000), into: &out)
        #expect(out.first == .newLeaderObserved("b"))
        #expect(writes(out).isEmpty)
        #expect(a.observedTimeLocal == ms(1_000_000))
        // Unchanged record read again just before 15 s: still valid.
        for readAtMs: Int64 in [1_003_000, 1_010_000, 1_014_999] {
            out.removeAll()
            a.retryTimerFired(localNow: ms(readAtMs), into: &out)
            #expect(out == [.getLease])
            out.removeAll()
            a.leaseRead(held, localNow: ms(readAtMs), into: &out)
            #expect(writes(out).isEmpty, "took over at \(readAtMs) ms")
        }
        out.removeAll()
        a.retryTimerFired(localNow: ms(1_015_000), into: &out)
        out.removeAll()
        a.leaseRead(held, localNow: ms(1_015_000), into: &out)
        let update = writes(out)
        #expect(update.count == 1)
        #expect(update[0].holderIdentity == "a")
        #expect(update[0].metadata.resourceVersion == 42, "the precondition is the observed resourceVersion")
        #expect(update[0].leaseTransitions == 1)
        #expect(update[0].acquireTime == ms(1_015_000) && update[0].renewTime == ms(1_015_000))
        #expect(out.contains { if case .updateLease = $0 { return true } else { return false } })
    }

    @Test func aRenewalRestartsTheCandidatesWait() {
        var a = elector("a")
        var out: [LeaderElectorOutput] = []
        a.start(localNow: ms(0), into: &out)
        a.leaseRead(heldLease(by: "b", renewMs: 0, resourceVersion: 1), localNow: ms(0), into: &out)
        a.retryTimerFired(localNow: ms(10_000), into: &out)
        // The holder renewed: a new renewTime (even one in the candidate's past) is a change.
        let renewed = heldLease(by: "b", renewMs: 1, resourceVersion: 2)
        a.leaseRead(renewed, localNow: ms(10_000), into: &out)
        #expect(a.observedTimeLocal == ms(10_000))
        out.removeAll()
        a.retryTimerFired(localNow: ms(20_000), into: &out)
        a.leaseRead(renewed, localNow: ms(20_000), into: &out)
        #expect(writes(out).isEmpty, "only 10 s since the change")
        a.retryTimerFired(localNow: ms(25_000), into: &out)
        a.leaseRead(renewed, localNow: ms(25_000), into: &out)
        #expect(writes(out).map(\.holderIdentity) == ["a"])
    }

    @Test func aForwardClockJumpOnTheCandidateMakesItTakeOverEarly() {
        // The hazard: observedTime and now come from the same (here jumping) local clock, so 2 s of
        // real time after first seeing the record, a +30 s jump makes a live holder's lease look expired.
        var a = elector("a")
        var out: [LeaderElectorOutput] = []
        let held = heldLease(by: "b", renewMs: 99_000, resourceVersion: 5)
        a.start(localNow: ms(100_000), into: &out)
        a.leaseRead(held, localNow: ms(100_000), into: &out)
        #expect(writes(out).isEmpty)
        out.removeAll()
        // Real time +2 s, local clock +32 s.
        a.retryTimerFired(localNow: ms(132_000), into: &out)
        a.leaseRead(held, localNow: ms(132_000), into: &out)
        #expect(writes(out).map(\.holderIdentity) == ["a"])
        // Without the jump, the same read 2 s later does not take over.
        var c = elector("c")
        var other: [LeaderElectorOutput] = []
        c.start(localNow: ms(100_000), into: &other)
        c.leaseRead(held, localNow: ms(100_000), into: &other)
        c.retryTimerFired(localNow: ms(102_000), into: &other)
        c.leaseRead(held, localNow: ms(102_000), into: &other)
        #expect(writes(other).isEmpty)
    }

    @Test func aReleasedLeaseIsTakenAtOnce() {
        var a = elector("a")
        var out: [LeaderElectorOutput] = []
        var released = heldLease(by: "", renewMs: 0, resourceVersion: 9, transitions: 4)
        released.holderIdentity = nil
        a.start(localNow: ms(0), into: &out)
        a.leaseRead(released, localNow: ms(0), into: &out)
        let update = writes(out)
        #expect(update.map(\.holderIdentity) == ["a"])
        #expect(update.first?.leaseTransitions == 5)
    }

    @Test(arguments: [true, false])
    func aLeaderRenewsEveryRetryPeriodKeepingAcquireTimeAndTransitions(optimistic: Bool) {
        var a = elector("a", optimisticRenew: optimistic)
        var stored = becomeLeader(&a, atMs: 0)
        var out: [LeaderElectorOutput] = []
        for round: Int64 in 1...3 {
            out.removeAll()
            let now = round * 2_000
            a.retryTimerFired(localNow: ms(now), into: &out)
            #expect(a.renewDeadlineLocal == ms(now + 10_000))
            if optimistic {
                #expect(out.count == 2 && writes(out).count == 1 && out.last == .setRetryTimer(afterMs: 10_000))
            } else {
                #expect(out == [.getLease, .setRetryTimer(afterMs: 10_000)])
                out.removeAll()
                a.leaseRead(stored, localNow: ms(now), into: &out)
            }
            let update = writes(out)
            #expect(update.first?.metadata.resourceVersion == stored.metadata.resourceVersion)
            #expect(update.count == 1)
            #expect(update[0].acquireTime == ms(0) && update[0].leaseTransitions == 0 && update[0].renewTime == ms(now))
            stored = update[0]
            stored.metadata.resourceVersion += 1
            out.removeAll()
            a.writeSucceeded(stored, localNow: ms(now), into: &out)
            #expect(out == [.setRetryTimer(afterMs: 2_000)])
            #expect(a.lastRenewLocal == ms(now))
        }
    }

    /// Drives a leader whose every request fails at once, from its last successful renew at 0.
    private func failingLeader(bugs: LeaderElectionBugs) -> (LeaderElector, stoppedAtMs: Int64?, writesAfterDeadline: Int) {
        var a = elector("a", bugs: bugs)
        _ = becomeLeader(&a, atMs: 0)
        var now: Int64 = 2_000
        var out: [LeaderElectorOutput] = []
        var late = 0
        while now <= 20_000 {
            out.removeAll()
            a.retryTimerFired(localNow: ms(now), into: &out)
            if out.contains(.stoppedLeading) { return (a, now, late) }
            let sent = failRequests(&a, &out, atMs: now)
            if now >= 12_000 { late += sent }
            if out.contains(.stoppedLeading) { return (a, now, late) }
            guard let wait = timers(out).last else { break }
            now += wait
        }
        return (a, nil, late)
    }

    @Test func aLeaderThatCannotRenewStopsAtTheRoundsDeadline() {
        // Last successful renew at 0; the next round starts at 2 s; it times out 10 s later.
        let (a, stoppedAt, late) = failingLeader(bugs: [])
        #expect(stoppedAt == 12_000)
        #expect(late == 0)
        #expect(!a.isLeading && a.hasStopped)
    }

    @Test func aHungRenewIsAbandonedAtTheDeadline() {
        var a = elector("a")
        _ = becomeLeader(&a, atMs: 0)
        var out: [LeaderElectorOutput] = []
        a.retryTimerFired(localNow: ms(2_000), into: &out)
        #expect(writes(out).count == 1 && out.last == .setRetryTimer(afterMs: 10_000))
        out.removeAll()
        // No answer; the deadline wake-up.
        a.retryTimerFired(localNow: ms(11_999), into: &out)
        #expect(a.isLeading)
        out.removeAll()
        a.retryTimerFired(localNow: ms(12_000), into: &out)
        #expect(out == [.stoppedLeading])
        // The late answer changes nothing.
        out.removeAll()
        a.writeSucceeded(heldLease(by: "a", renewMs: 2_000, resourceVersion: 12), localNow: ms(12_500), into: &out)
        a.leaseRead(heldLease(by: "a", renewMs: 0, resourceVersion: 11), localNow: ms(12_500), into: &out)
        a.retryTimerFired(localNow: ms(14_000), into: &out)
        #expect(out.isEmpty)
    }

    @Test func anAnswerAtTheDeadlineIsTooLate() {
        var a = elector("a")
        var stored = becomeLeader(&a, atMs: 0)
        var out: [LeaderElectorOutput] = []
        a.retryTimerFired(localNow: ms(2_000), into: &out)
        stored.metadata.resourceVersion += 1
        out.removeAll()
        a.writeSucceeded(stored, localNow: ms(12_000), into: &out)
        #expect(out == [.stoppedLeading])
    }

    @Test func ignoresRenewDeadlineKeepsLeadingPastTheDeadline() {
        let (a, stoppedAt, late) = failingLeader(bugs: .ignoresRenewDeadline)
        #expect(stoppedAt == nil)
        #expect(late > 0, "it keeps sending renewals after its deadline")
        #expect(a.isLeading)
        #expect(a.renewDeadlineLocal == ms(12_000))
    }

    @Test func takesOverWithoutWaitingGrabsAHeldLease() {
        var a = elector("a", bugs: .takesOverWithoutWaiting)
        var out: [LeaderElectorOutput] = []
        a.start(localNow: ms(0), into: &out)
        a.leaseRead(heldLease(by: "b", renewMs: 0, resourceVersion: 3), localNow: ms(0), into: &out)
        #expect(writes(out).map(\.holderIdentity) == ["a"])
    }

    @Test func acquireRetriesAreJitteredWithinTwoToFourPointFourSeconds() {
        var waits: [Int64] = []
        for seed: UInt64 in 1...40 {
            var a = elector("a", seed: seed)
            var out: [LeaderElectorOutput] = []
            a.start(localNow: ms(0), into: &out)
            var now: Int64 = 0
            for _ in 0..<5 {
                out.removeAll()
                a.readFailed(.error(.internalServerError), localNow: ms(now), into: &out)
                let wait = timers(out)
                #expect(wait.count == 1)
                waits.append(contentsOf: wait)
                now += wait[0]
                a.retryTimerFired(localNow: ms(now), into: &out)
            }
        }
        #expect(waits.allSatisfy { $0 >= 2_000 && $0 < 4_400 })
        #expect(waits.min()! < 2_300 && waits.max()! > 4_100, "draws cover the range")
        // Deterministic per seed.
        func firstWait(seed: UInt64) -> Int64 {
            var a = elector("a", seed: seed)
            var out: [LeaderElectorOutput] = []
            a.start(localNow: ms(0), into: &out)
            a.readFailed(.error(nil), localNow: ms(0), into: &out)
            return timers(out)[0]
        }
        #expect(firstWait(seed: 3) == firstWait(seed: 3))
    }

    @Test func aConflictLosesTheRaceAndTheLoserWaitsForTheWinner() {
        var a = elector("a")
        var b = elector("b")
        var outA: [LeaderElectorOutput] = []
        var outB: [LeaderElectorOutput] = []
        let expired = heldLease(by: "old", renewMs: 0, resourceVersion: 7)
        a.start(localNow: ms(0), into: &outA)
        b.start(localNow: ms(0), into: &outB)
        a.leaseRead(expired, localNow: ms(0), into: &outA)
        b.leaseRead(expired, localNow: ms(0), into: &outB)
        a.retryTimerFired(localNow: ms(15_000), into: &outA)
        b.retryTimerFired(localNow: ms(15_000), into: &outB)
        outA.removeAll()
        outB.removeAll()
        a.leaseRead(expired, localNow: ms(15_000), into: &outA)
        b.leaseRead(expired, localNow: ms(15_000), into: &outB)
        // Both send an update with precondition 7; the store takes a's first.
        var stored = writes(outA)[0]
        #expect(writes(outB)[0].metadata.resourceVersion == 7)
        stored.metadata.resourceVersion = 8
        a.writeSucceeded(stored, localNow: ms(15_010), into: &outA)
        #expect(a.isLeading)
        outB.removeAll()
        b.writeFailed(.conflict, localNow: ms(15_010), into: &outB)
        #expect(!b.isLeading)
        let wait = timers(outB)
        #expect(wait.count == 1 && wait[0] >= 2_000)
        // b now reads a's record: a new record, so b waits a full lease duration again.
        outB.removeAll()
        b.retryTimerFired(localNow: ms(18_000), into: &outB)
        b.leaseRead(stored, localNow: ms(18_000), into: &outB)
        #expect(writes(outB).isEmpty)
        #expect(outB.contains(.newLeaderObserved("a")))
        #expect(b.observedTimeLocal == ms(18_000))
    }

    @Test func aLeaderWhoseLeaseWasTakenKeepsTryingUntilItsDeadline() {
        var a = elector("a")
        _ = becomeLeader(&a, atMs: 0)
        var out: [LeaderElectorOutput] = []
        a.retryTimerFired(localNow: ms(2_000), into: &out)
        out.removeAll()
        // The optimistic PUT conflicts: b took the lease. Same attempt: GET.
        a.writeFailed(.conflict, localNow: ms(2_000), into: &out)
        #expect(out == [.getLease])
        out.removeAll()
        a.leaseRead(heldLease(by: "b", renewMs: 1_000, resourceVersion: 20, transitions: 1), localNow: ms(2_000), into: &out)
        #expect(out.contains(.newLeaderObserved("b")))
        #expect(writes(out).isEmpty)
        #expect(a.isLeading && !a.recordNamesSelf)
        #expect(timers(out) == [2_000])
    }
}

extension LeaderElectorTests {
    @Test func aRenewPollIsNotSlidingAttemptsStartRetryPeriodApart() {
        var a = elector("a")
        _ = becomeLeader(&a, atMs: 0)
        var out: [LeaderElectorOutput] = []
        a.retryTimerFired(localNow: ms(2_000), into: &out)
        out.removeAll()
        // The attempt that started at 2 s fails at 3.5 s (the PUT times out, the GET fails): the next
        // starts at 4 s, not 5.5 s.
        a.requestTimedOut(localNow: ms(3_000), into: &out)
        #expect(out == [.getLease])
        out.removeAll()
        a.readFailed(.error(.gatewayTimeout), localNow: ms(3_500), into: &out)
        #expect(out == [.setRetryTimer(afterMs: 500)])
        out.removeAll()
        a.retryTimerFired(localNow: ms(4_000), into: &out)
        #expect(writes(out).count == 1 && out.last == .setRetryTimer(afterMs: 8_000))
        // An attempt slower than the period: the next one starts at once.
        #expect(failRequests(&a, &out, atMs: 7_000) == 2)
        #expect(out == [.setRetryTimer(afterMs: 0)])
    }
}

/// A small closed world: electors, one apiserver holding the lease, message delays, a partition, and
/// local clocks that may jump. Checks that at most one elector acts as leader at any instant.
private struct ElectionWorld {
    enum Event {
        case timer(generation: Int)
        case serverGet(request: Int)
        case serverWrite(request: Int, lease: Lease, create: Bool)
        case read(request: Int, lease: Lease?)
        case written(request: Int, lease: Lease?)
        case clientTimeout(request: Int)
    }

    var electors: [LeaderElector]
    var offsetMs: [Int64]
    /// (global ms, jump ms) per elector.
    var jumps: [(atMs: Int64, byMs: Int64)?]
    var partition: (elector: Int, fromMs: Int64, toMs: Int64)?
    var stored: Lease?
    var revision: Int64 = 0
    var queue: [(atNs: Int64, seq: Int, target: Int, event: Event)] = []
    var seq = 0
    var generations: [Int]
    var outstanding: [Int?]
    var nextRequest = 0
    var random = SimRandom(seed: 11, stream: "election-world")
    var overlapAtMs: Int64?
    var leaderStarts: [(elector: Int, atMs: Int64)] = []
    var stops: [(elector: Int, atMs: Int64)] = []

    init(count: Int, bugs: LeaderElectionBugs = []) {
        electors = (0..<count).map { elector("e\($0)", seed: UInt64($0 + 1), bugs: bugs) }
        offsetMs = Array(repeating: 0, count: count)
        jumps = Array(repeating: nil, count: count)
        generations = Array(repeating: 0, count: count)
        outstanding = Array(repeating: nil, count: count)
    }

    func localNow(_ index: Int, atNs: Int64) -> SimInstant {
        var local = atNs + offsetMs[index] * 1_000_000
        if let jump = jumps[index], atNs >= jump.atMs * 1_000_000 { local += jump.byMs * 1_000_000 }
        return SimInstant(nanosecondsSinceStart: local)
    }

    mutating func schedule(_ atNs: Int64, _ target: Int, _ event: Event) {
        seq += 1
        queue.append((atNs, seq, target, event))
    }

    func cutOff(_ index: Int, atNs: Int64) -> Bool {
        guard let partition, partition.elector == index else { return false }
        return atNs >= partition.fromMs * 1_000_000 && atNs < partition.toMs * 1_000_000
    }

    mutating func delayNs() -> Int64 { random.uniform(1_000_000...40_000_000) }

    mutating func handle(_ outputs: [LeaderElectorOutput], from index: Int, atNs: Int64) {
        for output in outputs {
            switch output {
            case .getLease, .createLease, .updateLease:
                nextRequest += 1
                outstanding[index] = nextRequest
                schedule(atNs + 5_000_000_000, index, .clientTimeout(request: nextRequest))
                guard !cutOff(index, atNs: atNs) else { continue }
                let arrival = atNs + delayNs()
                switch output {
                case .getLease: schedule(arrival, index, .serverGet(request: nextRequest))
                case .createLease(let lease): schedule(arrival, index, .serverWrite(request: nextRequest, lease: lease, create: true))
                case .updateLease(let lease): schedule(arrival, index, .serverWrite(request: nextRequest, lease: lease, create: false))
                case .setRetryTimer, .startedLeading, .stoppedLeading, .newLeaderObserved: break
                }
            case .setRetryTimer(let afterMs):
                generations[index] += 1
                schedule(atNs + afterMs * 1_000_000, index, .timer(generation: generations[index]))
            case .startedLeading:
                leaderStarts.append((index, atNs / 1_000_000))
            case .stoppedLeading:
                stops.append((index, atNs / 1_000_000))
            case .newLeaderObserved:
                break
            }
        }
    }

    mutating func start(_ index: Int, atMs: Int64) {
        var out: [LeaderElectorOutput] = []
        electors[index].start(localNow: localNow(index, atNs: atMs * 1_000_000), into: &out)
        handle(out, from: index, atNs: atMs * 1_000_000)
    }

    mutating func run(untilMs: Int64) {
        while let next = queue.indices.min(by: { (queue[$0].atNs, queue[$0].seq) < (queue[$1].atNs, queue[$1].seq) }) {
            let (atNs, _, index, event) = queue.remove(at: next)
            if atNs > untilMs * 1_000_000 { break }
            let now = localNow(index, atNs: atNs)
            var out: [LeaderElectorOutput] = []
            switch event {
            case .timer(let generation):
                if generation == generations[index] { electors[index].retryTimerFired(localNow: now, into: &out) }
            case .serverGet(let request):
                let reply = atNs + delayNs()
                if !cutOff(index, atNs: reply) { schedule(reply, index, .read(request: request, lease: stored)) }
            case .serverWrite(let request, var lease, let create):
                var result: Lease?
                if create ? stored == nil : stored?.metadata.resourceVersion == lease.metadata.resourceVersion {
                    revision += 1
                    lease.metadata.resourceVersion = revision
                    stored = lease
                    result = lease
                }
                let reply = atNs + delayNs()
                if !cutOff(index, atNs: reply) { schedule(reply, index, .written(request: request, lease: result)) }
            case .read(let request, let lease):
                guard outstanding[index] == request else { break }
                outstanding[index] = nil
                electors[index].leaseRead(lease, localNow: now, into: &out)
            case .written(let request, let lease):
                guard outstanding[index] == request else { break }
                outstanding[index] = nil
                if let lease {
                    electors[index].writeSucceeded(lease, localNow: now, into: &out)
                } else {
                    electors[index].writeFailed(.conflict, localNow: now, into: &out)
                }
            case .clientTimeout(let request):
                guard outstanding[index] == request else { break }
                outstanding[index] = nil
                electors[index].requestTimedOut(localNow: now, into: &out)
            }
            handle(out, from: index, atNs: atNs)
            if overlapAtMs == nil && electors.filter(\.isLeading).count > 1 { overlapAtMs = atNs / 1_000_000 }
        }
    }
}

extension LeaderElectorTests {
    /// Elector 0 wins at start, then is cut off from the apiserver from 30 s to 90 s.
    private func partitionedLeader(bugs: LeaderElectionBugs = [], candidateJumpMs: Int64? = nil) -> ElectionWorld {
        var world = ElectionWorld(count: 3, bugs: bugs)
        world.partition = (0, 30_000, 90_000)
        if let candidateJumpMs {
            world.jumps[1] = (35_000, candidateJumpMs)
            world.jumps[2] = (35_000, candidateJumpMs)
        }
        world.start(0, atMs: 0)
        world.start(1, atMs: 1_000)
        world.start(2, atMs: 1_500)
        world.run(untilMs: 120_000)
        return world
    }

    @Test func aPartitionedLeaderStepsDownBeforeAnyoneTakesOver() {
        let world = partitionedLeader()
        #expect(world.overlapAtMs == nil)
        #expect(world.leaderStarts.first?.elector == 0)
        #expect(world.stops.map(\.elector) == [0])
        let stoppedAt = world.stops[0].atMs
        #expect(stoppedAt > 30_000 && stoppedAt <= 30_000 + 12_100)
        let successor = world.leaderStarts.dropFirst().first
        #expect(successor != nil && successor!.elector != 0)
        // The successor waited a full lease duration after the last record it saw change.
        #expect(successor!.atMs >= 30_000 + 15_000 - 100)
    }

    @Test func ignoringTheRenewDeadlineLetsTwoLeadersOverlap() {
        let world = partitionedLeader(bugs: .ignoresRenewDeadline)
        #expect(world.overlapAtMs != nil)
        #expect(world.stops.isEmpty)
    }

    @Test func takingOverWithoutWaitingLetsTwoLeadersOverlap() {
        let world = partitionedLeader(bugs: .takesOverWithoutWaiting)
        #expect(world.overlapAtMs != nil)
        #expect(world.overlapAtMs! < 30_000, "overlap before any fault")
    }

    @Test func aCandidateClockJumpLetsTwoLeadersOverlap() {
        let world = partitionedLeader(candidateJumpMs: 30_000)
        #expect(world.overlapAtMs != nil)
        #expect(world.overlapAtMs! < 42_100, "a successor started before the old leader's deadline")
    }
}
