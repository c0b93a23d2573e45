import FaultlineCluster
import FaultlineSim

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

/// Every injection and heal of a run, scheduled and nemesis, in time order. Pure: built once from the
/// plan and the nemesis' own random stream.
///
/// Invariant: `controls` is sorted by `(at, order)`; every fault has one inject and one heal control,
/// the heal never before the inject.
struct FaultSchedule {
    let faults: [PlannedFault]
    let controls: [ControlEvent]

    /// `faultRandom(i)` is the stream of the scenario's fault `i` (its position in `spec.faults`), from
    /// which a fault with `jitter` draws its injection time; the nemesis draws from `nemesisRandom`.
    init(plan: RunPlan, nemesisRandom: SimRandom, faultRandom: (Int) -> SimRandom) {
        var planned = plan.faults.enumerated().map { Self.drawJitter($0.element, random: faultRandom($0.offset)) }
        if let nemesis = plan.nemesis { planned += Self.drawNemesis(nemesis, random: nemesisRandom, hasWorkers: !plan.cluster.layout.nodeNames.isEmpty) }
        planned.sort { $0.at < $1.at }
        let end = SimInstant.start + plan.duration
        var controls: [ControlEvent] = []
        var order = 0
        for (index, fault) in planned.enumerated() {
            let at = SimInstant.start + fault.at
            if case .dataRollback(_, let by) = fault.effect {
                controls.append(ControlEvent(at: max(.start, at - by), order: order, action: .checkpoint(index)))
                order += 1
            }
            controls.append(ControlEvent(at: at, order: order, action: .inject(index)))
            order += 1
            controls.append(ControlEvent(at: Self.healTime(of: fault, end: end, convergenceBound: plan.convergenceBound), order: order, action: .heal(index)))
            order += 1
        }
        controls.sort { ($0.at, $0.order) < ($1.at, $1.order) }
        self.faults = planned
        self.controls = controls
    }

    /// The fault as injected in this seed: `at` moved by a uniform draw in [0, jitter) from the fault's
    /// own stream (one draw, only when `jitter > 0`, so adding jitter to one fault never moves another),
    /// its duration kept. Injection then lands at any phase of the members' tick and heartbeat cycles.
    static func drawJitter(_ fault: PlannedFault, random: SimRandom) -> PlannedFault {
        guard fault.jitter > .zero else { return fault }
        var random = random
        var drawn = fault
        drawn.at = fault.at + .nanoseconds(random.uniform(0...(fault.jitter.nanoseconds - 1)))
        drawn.jitter = .zero
        return drawn
    }

    /// A fault without a duration heals when the liveness phase must start: `convergenceBound` before the end.
    static func healTime(of fault: PlannedFault, end: SimInstant, convergenceBound: SimDuration) -> SimInstant {
        let start = SimInstant.start + fault.at
        if let duration = fault.duration { return min(start + duration, end) }
        return max(start, end - convergenceBound)
    }

    /// Draws the nemesis' faults from its own stream: exponential inter-arrival times, durations uniform
    /// in the configured range, never more than `maxConcurrent` active, none starting after the safety phase.
    static func drawNemesis(_ nemesis: NemesisPlan, random: SimRandom, hasWorkers: Bool = false) -> [PlannedFault] {
        var random = random
        var drawn: [PlannedFault] = []
        var time = SimDuration.zero
        let meanNs = Double(max(1, nemesis.meanInterval.nanoseconds))
        for _ in 0..<10_000 {  // bound: far more faults than any phase can hold
            time += SimDuration(nanoseconds: Int64(random.exponential(mean: meanNs)))
            guard time < nemesis.safetyPhase, let name = random.choose(from: nemesis.kinds) else { break }
            let span = SimDuration(nanoseconds: random.uniform(nemesis.minDuration.nanoseconds...max(nemesis.minDuration.nanoseconds, nemesis.maxDuration.nanoseconds)))
            let duration = min(span, nemesis.safetyPhase - time)
            let active = drawn.filter { $0.at <= time && $0.at + ($0.duration ?? .zero) > time }.count
            guard active < nemesis.maxConcurrent else { continue }
            // The loader admits only kinds the nemesis can draw. Worker faults hit a random worker; with
            // workers, machine faults hit one 40% of the time (no draw without workers: etcd-only
            // nemesis runs replay as before).
            guard let kind = FaultKind.named(name), let draw = kind.draw else { preconditionFailure("nemesis kind \(name) cannot be drawn") }
            let target: FaultTarget
            if kind.workerOnly {
                target = .randomWorker
            } else if hasWorkers && kind.machineLevel && random.bernoulli(0.4) {
                target = .randomWorker
            } else {
                target = random.bernoulli(0.5) ? .etcdLeader : .randomMaster
            }
            drawn.append(PlannedFault(effect: draw(&random, target), at: time, duration: duration, kindName: name))
        }
        return drawn
    }
}
