import FaultlineCluster
import FaultlineSim

/// Runs one seed of an etcd scenario: builds the cluster, injects the planned and nemesis faults,
/// feeds the checkers, measures recoveries, then checks convergence and linearizability.
///
/// Phases (as TigerBeetle's VOPR): a safety phase in which faults come and go while safety invariants
/// are checked as events happen, then a liveness phase that starts when the last fault heals, in which
/// the healed cluster must converge (an established leader and a completed write) within a bound.
public enum EtcdRunner {
    /// How often (simulated) the runner samples state predicates such as "a leader is established".
    /// Recovery times are therefore exact to this resolution.
    public static let sampleInterval = SimDuration.milliseconds(5)

    public static func run(_ plan: RunPlan, seed: UInt64, traceSink: ((TraceRecord) -> Void)? = nil) -> RunResult {
        var run = Execution(plan: plan, seed: seed, traceSink: traceSink)
        return run.execute()
    }
}

/// A control action at a point of the run.
struct ControlEvent {
    enum Action {
        case inject(Int)
        case heal(Int)
        /// Copies every member's data directory for fault `Int` (a rollback restores it later).
        case checkpoint(Int)
    }
    let at: SimInstant
    let order: Int
    let action: Action
}

/// One run in progress. Not reusable.
struct Execution {
    typealias Sim = Simulation<EtcdNetworkMessage, EtcdTimer>

    let plan: RunPlan
    let seed: UInt64
    let sim: Sim
    var world: EtcdCluster<ChaosObserver>
    var faultRandom: SimRandom
    /// Faults in injection order (scheduled first by time, nemesis interleaved by time).
    var faults: [PlannedFault] = []
    var injected: [InjectedFault?] = []
    /// Engine rule ids and hosts each active fault installed, to undo at heal.
    var undo: [[UndoStep]] = []
    var controls: [ControlEvent] = []
    /// Data directories copied ahead of rollback faults, by fault index (lookups only).
    var checkpoints: [Int: [RaftDurableState<EtcdRequest>]] = [:]

    enum UndoStep {
        case restart(HostID)
        case wipeAndRestart(member: Int, HostID)
        case rollbackAndRestart(member: Int, HostID, fault: Int)
        case removeRules([Int])
        case resume(HostID)
        case unstall(HostID)
        case resetClock(HostID)
    }

    init(plan: RunPlan, seed: UInt64, traceSink: ((TraceRecord) -> Void)?) {
        self.plan = plan
        self.seed = seed
        self.sim = Sim(seed: seed)
        sim.defaultLink = plan.link
        sim.traceSink = traceSink
        let observer = ChaosObserver(memberCount: plan.memberCount, watchers: plan.workload.watchers,
                                     invariants: Self.checkedInvariants(plan))
        self.world = EtcdCluster(sim: sim, memberCount: plan.memberCount, flags: plan.flags, workload: plan.workload,
                                 storageLatency: plan.storageLatency, observer: observer)
        self.faultRandom = sim.randomStream("chaos.faults")
        buildSchedule()
    }

    static func checkedInvariants(_ plan: RunPlan) -> [String] {
        guard plan.invariants.isEmpty else { return plan.invariants }
        return InvariantName.etcdSafety + (plan.workload.watchers > 0 ? [InvariantName.watchOrdered] : [])
            + (plan.workload.leaseHolders > 0 ? [InvariantName.leaseTTL] : [])
    }

    /// The end of the run, as an instant.
    var end: SimInstant { .start + plan.duration }

    /// Lays out every injection and heal, scheduled and nemesis, in time order.
    mutating func buildSchedule() {
        var planned = plan.faults
        if let nemesis = plan.nemesis { planned += drawNemesis(nemesis) }
        planned.sort { $0.at < $1.at }
        faults = planned
        injected = Array(repeating: nil, count: planned.count)
        undo = Array(repeating: [], count: planned.count)
        var order = 0
        for (index, fault) in planned.enumerated() {
            let at = SimInstant.start + fault.at
            if case .dataRollback(_, let by) = fault.effect {
                controls.append(ControlEvent(at: max(.start, at - by), order: order, action: .checkpoint(index)))
                order += 1
            }
            controls.append(ControlEvent(at: at, order: order, action: .inject(index)))
            order += 1
            controls.append(ControlEvent(at: healTime(of: fault), order: order, action: .heal(index)))
            order += 1
        }
        controls.sort { ($0.at, $0.order) < ($1.at, $1.order) }
    }

    /// A fault without a duration heals when the liveness phase must start: `convergenceBound` before the end.
    func healTime(of fault: PlannedFault) -> SimInstant {
        let start = SimInstant.start + fault.at
        if let duration = fault.duration { return min(start + duration, end) }
        return max(start, end - plan.convergenceBound)
    }

    /// Draws the nemesis' faults from its own stream: exponential inter-arrival times, durations uniform
    /// in the configured range, never more than `maxConcurrent` active, none starting after the safety phase.
    mutating func drawNemesis(_ nemesis: NemesisPlan) -> [PlannedFault] {
        var random = sim.randomStream("chaos.nemesis")
        var drawn: [PlannedFault] = []
        var time = SimDuration.zero
        let meanNs = Double(max(1, nemesis.meanInterval.nanoseconds))
        for _ in 0..<10_000 {  // bound: far more faults than any phase can hold
            time += SimDuration(nanoseconds: Int64(random.exponential(mean: meanNs)))
            guard time < nemesis.safetyPhase, let kind = random.choose(from: nemesis.kinds) else { break }
            let span = SimDuration(nanoseconds: random.uniform(nemesis.minDuration.nanoseconds...max(nemesis.minDuration.nanoseconds, nemesis.maxDuration.nanoseconds)))
            let duration = min(span, nemesis.safetyPhase - time)
            let active = drawn.filter { $0.at <= time && $0.at + ($0.duration ?? .zero) > time }.count
            guard active < nemesis.maxConcurrent else { continue }
            let target: FaultTarget = random.bernoulli(0.5) ? .etcdLeader : .randomMaster
            let effect: FaultEffect
            switch kind {
            case "node-crash", "etcd-member-crash": effect = .crash(target)
            case "network-partition": effect = .partition(.isolate(target))
            case "network-delay": effect = .delay(target, latency: .milliseconds(200), jitter: .milliseconds(50))
            case "network-loss": effect = .loss(target, probability: 0.3)
            case "fsync-stall": effect = .fsyncStall(target)
            case "process-pause": effect = .pause(target)
            case "time-skew": effect = .timeSkew(target, offset: .seconds(random.bernoulli(0.5) ? 30 : -30), driftPpm: 0)
            default: continue
            }
            drawn.append(PlannedFault(effect: effect, at: time, duration: duration, kindName: kind))
        }
        return drawn
    }

    // MARK: - Running

    mutating func execute() -> RunResult {
        for metric in plan.measuredMetrics where metric == Metric.etcdLeaderElected {
            // The initial election is measured from the start, as "fault" f0 (cluster bootstrap).
            world.observer.recovery.arm(faultID: "bootstrap", metric: metric, injectedAt: .start)
        }
        var nextControl = 0
        while sim.now < end {
            let sampleAt = min(sim.now + EtcdRunner.sampleInterval, end)
            let controlAt = nextControl < controls.count ? controls[nextControl].at : .distantFuture
            let until = min(sampleAt, controlAt)
            if case .limitExceeded(let reason) = sim.run(&world, until: until) {
                world.observer.ledger.declare("engine.bounded", kind: .safety)
                world.observer.ledger.violate("engine.bounded", at: sim.now, reason)
                break
            }
            while nextControl < controls.count && controls[nextControl].at <= sim.now {
                perform(controls[nextControl])
                nextControl += 1
            }
            sample()
        }
        return finish()
    }

    /// Evaluates state predicates for recovery metrics and the convergence check.
    mutating func sample() {
        let leader = world.establishedLeader(in: sim)
        if leader != nil, world.observer.recovery.isWaiting(for: Metric.etcdLeaderElected) {
            world.observer.recovery.satisfy(Metric.etcdLeaderElected, at: sim.now)
        }
        world.observer.sampleLeader(leader, at: sim.now)
    }

    mutating func perform(_ control: ControlEvent) {
        switch control.action {
        case .inject(let index):
            inject(index)
        case .heal(let index):
            heal(index)
        case .checkpoint(let index):
            checkpoints[index] = world.members.map(\.durable)
        }
    }

    mutating func inject(_ index: Int) {
        let fault = faults[index]
        let id = "f\(index + 1)"
        var steps: [UndoStep] = []
        let target: String
        switch fault.effect {
        case .crash(let selector):
            let hosts = resolve(selector)
            for host in hosts {
                sim.crash(host)
                steps.append(.restart(host))
            }
            target = names(hosts)
        case .dataLoss(let selector):
            let hosts = resolve(selector)
            for host in hosts {
                sim.crash(host)
                steps.append(.wipeAndRestart(member: memberIndex(of: host) ?? 0, host))
            }
            target = names(hosts)
        case .dataRollback(let selector, _):
            let hosts = resolve(selector)
            for host in hosts {
                sim.crash(host)
                steps.append(.rollbackAndRestart(member: memberIndex(of: host) ?? 0, host, fault: index))
            }
            target = names(hosts)
        case .partition(let shape):
            let (rules, description) = partition(shape)
            steps.append(.removeRules(rules))
            target = description
        case .delay(let selector, let latency, let jitter):
            let hosts = resolve(selector)
            let low = max(.zero, latency - jitter)
            let extra = LatencyDistribution.uniform(min: low, max: latency + jitter)
            steps.append(.removeRules(linkRules(around: hosts, .delay(extra))))
            target = names(hosts)
        case .loss(let selector, let probability):
            let hosts = resolve(selector)
            steps.append(.removeRules(linkRules(around: hosts, .loss(probability))))
            target = names(hosts)
        case .fsyncStall(let selector):
            let hosts = resolve(selector)
            let until = healTime(of: fault)
            for host in hosts {
                sim.stallStorage(host, until: until)
                steps.append(.unstall(host))
            }
            target = names(hosts)
        case .pause(let selector):
            let hosts = resolve(selector)
            for host in hosts {
                sim.pause(host)
                steps.append(.resume(host))
            }
            target = names(hosts)
        case .timeSkew(let selector, let offset, let driftPpm):
            let hosts = resolve(selector)
            for host in hosts {
                sim.setClock(host, offset: offset, driftPpm: driftPpm)
                steps.append(.resetClock(host))
            }
            target = names(hosts)
        }
        undo[index] = steps
        injected[index] = InjectedFault(id: id, kind: fault.kindName, target: target, injectedAt: sim.now)
        sim.note("inject \(id) \(fault.kindName) \(target)")
        world.observer.timeline.append(TimelineEntry(at: sim.now, kind: "fault-injected", subject: target, detail: "\(id) \(fault.kindName)"))
        for metric in plan.measuredMetrics {
            world.observer.recovery.arm(faultID: id, metric: metric, injectedAt: sim.now)
        }
    }

    mutating func heal(_ index: Int) {
        guard var fault = injected[index], fault.healedAt == nil else { return }
        for step in undo[index] {
            switch step {
            case .restart(let host):
                sim.restart(host)
            case .wipeAndRestart(let member, let host):
                world.wipeDataDirectory(member: member)
                sim.restart(host)
            case .rollbackAndRestart(let member, let host, let fault):
                // The checkpoint control runs before the injection (at or after the start).
                if let saved = checkpoints[fault]?[member] { world.restoreDataDirectory(member: member, to: saved) }
                sim.restart(host)
            case .removeRules(let rules):
                for rule in rules { sim.removeLinkRule(rule) }
            case .resume(let host):
                sim.resume(host)
            case .unstall(let host):
                sim.stallStorage(host, until: sim.now)
            case .resetClock(let host):
                sim.setClock(host, offset: .zero, driftPpm: 0)
            }
        }
        fault.healedAt = sim.now
        injected[index] = fault
        world.observer.healed(at: sim.now)
        sim.note("heal \(fault.id)")
        world.observer.timeline.append(TimelineEntry(at: sim.now, kind: "fault-healed", subject: fault.target, detail: fault.id))
    }

    // MARK: - Targets

    func memberIndex(of host: HostID) -> Int? { world.memberHosts.firstIndex(of: host) }

    func names(_ hosts: [HostID]) -> String { hosts.map { sim.name(of: $0) }.joined(separator: ",") }

    /// Resolves a selector against the cluster as it is now (leaders are looked up at injection time).
    mutating func resolve(_ selector: FaultTarget) -> [HostID] {
        let members = world.memberHosts
        let upMembers = members.filter { sim.isUp($0) }
        switch selector {
        case .named(let name):
            return sim.host(named: name).map { [$0] } ?? []
        case .etcdLeader:
            if let leader = world.members.indices.first(where: { world.members[$0].isLeader && world.isRunning(member: $0, in: sim) }) {
                return [members[leader]]
            }
            return faultRandom.choose(from: upMembers.isEmpty ? members : upMembers).map { [$0] } ?? []
        case .etcdFollower:
            let followers = members.indices.filter { !world.members[$0].isLeader && world.isRunning(member: $0, in: sim) }.map { members[$0] }
            return faultRandom.choose(from: followers.isEmpty ? members : followers).map { [$0] } ?? []
        case .randomMaster:
            return faultRandom.choose(from: members).map { [$0] } ?? []
        case .randomMasters(let count):
            return Array(faultRandom.shuffled(members).prefix(count)).sorted()
        }
    }

    func hostSet(_ names: [String]) -> HostSet { HostSet(names.compactMap { sim.host(named: $0) }) }

    mutating func partition(_ shape: PartitionShape) -> ([Int], String) {
        switch shape {
        case .isolate(let selector):
            let hosts = resolve(selector)
            return (sim.isolate(HostSet(hosts)), names(hosts))
        case .split(let groups):
            return (sim.partition(groups.map(hostSet)), groups.map { $0.joined(separator: ",") }.joined(separator: "|"))
        case .oneWay(let from, let to):
            return ([sim.partitionOneWay(from: hostSet(from), to: hostSet(to))], from.joined(separator: ",") + "->" + to.joined(separator: ","))
        case .bridge(let left, let right):
            return (sim.bridge(hostSet(left), hostSet(right)), left.joined(separator: ",") + "|bridge|" + right.joined(separator: ","))
        }
    }

    /// Installs `effect` on every link to and from `hosts`.
    func linkRules(around hosts: [HostID], _ effect: LinkEffect) -> [Int] {
        let inside = HostSet(hosts)
        let outside = HostSet(sim.allHosts.filter { !inside.contains($0) })
        return [sim.addLinkRule(from: inside, to: outside, effect), sim.addLinkRule(from: outside, to: inside, effect)]
    }

    // MARK: - Verdict

    mutating func finish() -> RunResult {
        // Writes still in flight at the end have unknown outcomes, like timed-out ones.
        world.recordOutstandingAsUnknown()
        var observer = world.observer
        observer.finish(plan: plan, end: sim.now)

        var result = RunResult(scenario: plan.name, scenarioPath: plan.path, seed: seed)
        result.traceHash = sim.traceHash
        result.events = sim.processedEvents
        result.simulated = sim.now - .start
        result.faults = injected.compactMap { $0 }
        result.recoveries = observer.recovery.recoveries.filter { $0.faultID != "bootstrap" }
        result.timeline = observer.timeline
        result.invariants = observer.ledger.all
        result.operations = observer.operations
        return result
    }
}
