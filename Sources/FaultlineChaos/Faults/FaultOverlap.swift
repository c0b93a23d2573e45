import FaultlineCluster
import FaultlineSim
import Yams

/// What a fault holds on each machine it hits while it is active. Two faults whose holds collide on one
/// machine cannot both take effect: the second does nothing at injection (the process is already down,
/// the machine already paused) while the first heal undoes both (restart, resume, unstall, clock reset).
/// The loader refuses such pairs when it knows the machines (`FaultOverlap`); at injection time the
/// injector skips a fault whose resolved machines collide with an active fault (random selectors).
public enum FaultHold: Sendable, Hashable {
    /// Processes held down until heal: every process of the machine (nil: node-crash, node-restart) or
    /// one (etcd-member-crash, kubelet-service-kill, runtime-kill, kube-proxy-kill; the etcd member for
    /// etcd-data-loss and etcd-data-rollback).
    case down(ClusterProcess?)
    /// Nothing runs until heal (process-pause).
    case paused
    /// The disk completes nothing until heal (fsync-stall).
    case storageStalled
    /// The clock is set until heal (time-skew).
    case clockSet

    /// Whether this hold and `other`, on one machine, cannot both take effect.
    public func collides(with other: FaultHold) -> Bool {
        switch (self, other) {
        case (.down(let a), .down(let b)): return a == nil || b == nil || a == b
        case (.paused, .paused), (.storageStalled, .storageStalled), (.clockSet, .clockSet): return true
        case (.down, _), (.paused, _), (.storageStalled, _), (.clockSet, _): return false
        }
    }

    /// Why a second such fault on `machine` cannot take effect.
    func conflict(on machine: String) -> String {
        switch self {
        case .down(nil): return "\(machine) is down then: this fault would do nothing, and either heal would restart what the other holds down"
        case .down(let process?): return "\(ClusterLayout.host(machine, process)) is down then: this fault would do nothing, and either heal would restart it"
        case .paused: return "\(machine) is paused then: it cannot be paused again, and the first heal would resume it for both"
        case .storageStalled: return "the disk of \(machine) is stalled then, and the first heal would unstall it for both"
        case .clockSet: return "the clock of \(machine) is set then: this fault would replace that setting, and the first heal would reset it for both"
        }
    }
}

extension FaultEffect {
    /// What the fault holds on its machines while active (see `FaultHold`); nil for faults that stack
    /// (link rules: partitions, delay, loss) or are over at once (kills).
    public var hold: FaultHold? {
        switch self {
        case .crash: return .down(nil)
        case .processStop(_, let process): return .down(process)
        case .dataLoss, .dataRollback: return .down(.etcd)
        case .pause: return .paused
        case .fsyncStall: return .storageStalled
        case .timeSkew: return .clockSet
        case .processKill, .partition, .delay, .loss, .containerKill, .podKill: return nil
        }
    }

    /// The selector of a fault that hits one target (nil for split, one-way and bridge partitions,
    /// which name their machines).
    public var target: FaultTarget? {
        switch self {
        case .crash(let target), .processStop(let target, _), .processKill(let target, _), .dataLoss(let target),
             .dataRollback(let target, _), .delay(let target, _, _), .loss(let target, _), .fsyncStall(let target),
             .pause(let target), .timeSkew(let target, _, _), .containerKill(let target, _), .podKill(let target, _):
            return target
        case .partition(.isolate(let target)), .partition(.minority(let target, _)):
            return target
        case .partition(.split), .partition(.oneWay), .partition(.bridge):
            return nil
        }
    }
}

extension FaultTarget {
    /// The machines the target names whatever the cluster's state (a name, or a zone's workers); nil for
    /// the selectors resolved at injection time.
    func staticMachines(_ layout: ClusterLayout) -> [String]? {
        switch self {
        case .named(let name): return [name]
        case .zone(let zone): return layout.nodeNames.indices.filter { layout.nodeZones[$0] == zone }.map { layout.nodeNames[$0] }
        case .etcdLeader, .etcdFollower, .etcdNewLeader, .etcdCandidate, .randomMaster, .randomMasters, .schedulerLeader, .controllerManagerLeader, .randomWorker, .nodeRunning:
            return nil
        }
    }
}

/// The schedule-wide check of `spec.faults`: two faults whose holds collide on a machine both name,
/// active at once, are refused, naming both.
enum FaultOverlap {
    /// One fault as read, with where the file says it.
    struct Entry {
        let fault: PlannedFault
        let node: Node
        let path: String
    }
}

extension ScenarioReader {
    /// Reports each fault (at its own position, naming the earlier one's) whose hold collides with an
    /// earlier fault's on a machine both name statically, while both are active. A fault with `jitter`
    /// counts as active from its earliest injection (`at`) to its latest heal (`at + jitter + duration`),
    /// so no draw of any seed can make two refused holds meet. Faults whose machines are drawn at
    /// injection time are checked then (`FaultInjector` skips them).
    mutating func reportOverlaps(_ entries: [FaultOverlap.Entry], _ plan: RunPlan) {
        let end = SimInstant.start + plan.duration
        // A jittered fault is active, at some draw, from its earliest injection to its latest heal.
        func active(_ fault: PlannedFault) -> (from: SimInstant, to: SimInstant) {
            var latest = fault
            latest.at = fault.at + fault.jitter
            return (.start + fault.at, FaultSchedule.healTime(of: latest, end: end, convergenceBound: plan.convergenceBound))
        }
        func text(_ fault: PlannedFault, _ machine: String) -> String {
            let span = active(fault)
            return "\(fault.kindName) of \(machine) from \(DurationText.format(span.from - .start)) to \(DurationText.format(span.to - .start))"
        }
        for (index, later) in entries.enumerated() {
            guard let hold = later.fault.effect.hold, let machines = later.fault.effect.target?.staticMachines(plan.cluster.layout) else { continue }
            let span = active(later.fault)
            for earlier in entries[..<index] {
                guard let other = earlier.fault.effect.hold, hold.collides(with: other),
                      let shared = earlier.fault.effect.target?.staticMachines(plan.cluster.layout)?.first(where: machines.contains) else { continue }
                let otherSpan = active(earlier.fault)
                guard span.from < otherSpan.to && otherSpan.from < span.to else { continue }
                let position = earlier.node.mark.map { "line \($0.line), column \($0.column): " } ?? ""
                error(later.node, later.path, "\(text(later.fault, shared)) overlaps \(earlier.path) (\(position)\(text(earlier.fault, shared))): "
                    + "\(other.conflict(on: shared)); start one after the other heals or target another machine")
                break
            }
        }
    }
}
