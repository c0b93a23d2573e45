import FaultlineCluster
import FaultlineSim

/// Runs one seed of a scenario: builds the cluster, injects the planned and nemesis faults, feeds the
/// checkers, measures recoveries, then gives the checkers their final say.
///
/// Phases (as TigerBeetle's VOPR): a safety phase in which faults come and go while safety invariants
/// are checked as events happen, then a liveness phase that starts when the last fault heals, in which
/// the healed cluster must converge within a bound. The driver knows no component: components extend
/// the target resolver, the probe, the checker set and the recovery predicates.
public enum ChaosRunner {
    /// How often (simulated) the runner samples state predicates such as "a leader is established".
    /// Recovery times of sampled metrics are exact to this resolution.
    public static let sampleInterval = SimDuration.milliseconds(5)

    /// With `recordHistory`, the result keeps every etcd client operation (`RunResult.operations`, what
    /// `--history` writes); without it the history is not retained (its size grows with simulated time).
    public static func run(_ plan: RunPlan, seed: UInt64, traceSink: ((TraceRecord) -> Void)? = nil,
                           recordHistory: Bool = false) -> RunResult {
        var run = ChaosRun(plan: plan, seed: seed, traceSink: traceSink, recordHistory: recordHistory)
        return run.execute()
    }
}

/// One run in progress. Not reusable.
struct ChaosRun {
    let plan: RunPlan
    let seed: UInt64
    let sim: ClusterSim
    var world: ClusterWorld<ChaosObserver>
    let schedule: FaultSchedule
    var injector: FaultInjector
    var resolver: TargetResolver

    init(plan: RunPlan, seed: UInt64, traceSink: ((TraceRecord) -> Void)?, recordHistory: Bool) {
        self.plan = plan
        self.seed = seed
        self.sim = ClusterSim(seed: seed)
        sim.defaultLink = plan.link
        sim.traceSink = traceSink
        self.world = ClusterWorld(sim: sim, spec: plan.cluster, observer: ChaosObserver(plan: plan, recordHistory: recordHistory))
        self.resolver = TargetResolver(random: sim.randomStream("chaos.faults"), layout: plan.cluster.layout)
        let sim = self.sim
        self.schedule = FaultSchedule(plan: plan, nemesisRandom: sim.randomStream("chaos.nemesis"),
                                      faultRandom: { sim.randomStream("chaos.fault.\($0).jitter") })
        self.injector = FaultInjector(faults: schedule.faults, end: .start + plan.duration, convergenceBound: plan.convergenceBound)
    }

    /// The end of the run, as an instant.
    var end: SimInstant { .start + plan.duration }

    mutating func execute() -> RunResult {
        for metric in plan.measuredMetrics where metric == Metric.etcdLeaderElected || metric == Metric.etcdLeaderWon {
            // The initial election is measured from the start, as the "fault" bootstrap.
            world.observer.recovery.arm(faultID: RecoveryTracker.bootstrap, metric: metric, injectedAt: .start)
        }
        let controls = schedule.controls
        var nextControl = 0
        while sim.now < end {
            let sampleAt = min(sim.now + ChaosRunner.sampleInterval, end)
            let controlAt = nextControl < controls.count ? controls[nextControl].at : .distantFuture
            if case .limitExceeded(let reason) = sim.run(&world, until: min(sampleAt, controlAt)) {
                world.observer.ledger.declare(InvariantName.engineBounded)
                world.observer.ledger.violate(InvariantName.engineBounded, at: sim.now, reason)
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

    /// Samples the cluster for recovery predicates and liveness checkers.
    mutating func sample() {
        var probe = ClusterProbe()
        probe.sampleEtcd(world, sim)
        probe.sampleKube(world, sim)
        world.observer.sample(probe, at: sim.now)
    }

    mutating func perform(_ control: ControlEvent) {
        switch control.action {
        case .inject(let index):
            let fault = injector.inject(index, &world, sim, &resolver)
            if let reason = fault.skipped {
                // Nothing happened: no recovery to measure (it would measure some other fault's).
                sim.note("skip \(fault.id) \(fault.kind) \(fault.target): \(reason)")
                world.observer.timeline.append(TimelineEntry(at: sim.now, kind: "fault-skipped", subject: fault.target, detail: "\(fault.id) \(fault.kind): \(reason)"))
                return
            }
            sim.note("inject \(fault.id) \(fault.kind) \(fault.target)")
            world.observer.timeline.append(TimelineEntry(at: sim.now, kind: "fault-injected", subject: fault.target, detail: "\(fault.id) \(fault.kind)"))
            for metric in plan.measuredMetrics {
                world.observer.recovery.arm(faultID: fault.id, metric: metric, injectedAt: sim.now)
            }
        case .heal(let index):
            guard let fault = injector.heal(index, &world, sim) else { return }
            world.observer.healed(at: sim.now)
            sim.note("heal \(fault.id)")
            world.observer.timeline.append(TimelineEntry(at: sim.now, kind: "fault-healed", subject: fault.target, detail: fault.id))
        case .checkpoint(let index):
            injector.checkpoint(index, world)
        }
    }

    // MARK: - Verdict

    mutating func finish() -> RunResult {
        // Writes still in flight at the end have unknown outcomes, like timed-out ones.
        world.recordOutstandingAsUnknown(at: sim.now)
        var observer = world.observer
        observer.finish(RunEnd(plan: plan, time: sim.now))

        var result = RunResult(scenario: plan.name, scenarioPath: plan.path, seed: seed)
        result.traceHash = sim.traceHash
        result.events = sim.processedEvents
        result.simulated = sim.now - .start
        result.faults = injector.injected.compactMap { $0 }
        result.recoveries = observer.recovery.recoveries.filter { $0.faultID != RecoveryTracker.bootstrap }
        result.timeline = observer.timeline.entries
        result.traffic = observer.workerMetrics.series.sorted
        result.invariants = observer.ledger.all
        result.operations = observer.operations
        result.clientSeconds = observer.clientLoad.seconds
        result.latencySamples = observer.clientLoad.samples
        return result
    }
}
