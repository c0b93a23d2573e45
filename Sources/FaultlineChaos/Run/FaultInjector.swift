import FaultlineCluster
import FaultlineSim

/// Injects faults and heals them by undoing exactly what each injection did.
///
/// Invariant: every fault is injected at most once and healed at most once, after its injection;
/// `undo[i]` lists, in order, what healing fault `i` must do. A fault is skipped instead (recorded with
/// its reason, nothing done, nothing to heal) when its selector finds no machine (`etcd-leader` with no
/// leader) or when its hold collides with an active fault's on a machine it resolved to (`FaultHold`);
/// the loader refuses the collisions it can see, so only drawn targets are skipped.
struct FaultInjector {
    /// One thing a heal must undo.
    enum UndoStep {
        case restart(HostID)
        /// Release a process held down by the fault, then restart it.
        case releaseAndRestart(HostID)
        case wipeAndRestart(member: Int, HostID)
        case rollbackAndRestart(member: Int, HostID, fault: Int)
        case removeRules([Int])
        case resume(HostID)
        case unstall(HostID)
        case resetClock(HostID)
    }

    let faults: [PlannedFault]
    let end: SimInstant
    let convergenceBound: SimDuration
    private(set) var injected: [InjectedFault?]
    var undo: [[UndoStep]]
    /// The machines each injected (not skipped) fault resolved to, by fault index.
    private(set) var hit: [[String]]
    /// Data directories copied ahead of rollback faults, by fault index (lookups only).
    var checkpoints: [Int: [RaftDurableState<EtcdRequest>]] = [:]

    init(faults: [PlannedFault], end: SimInstant, convergenceBound: SimDuration) {
        self.faults = faults
        self.end = end
        self.convergenceBound = convergenceBound
        self.injected = Array(repeating: nil, count: faults.count)
        self.undo = Array(repeating: [], count: faults.count)
        self.hit = Array(repeating: [], count: faults.count)
    }

    mutating func checkpoint<O>(_ index: Int, _ world: ClusterWorld<O>) {
        checkpoints[index] = world.etcd.members.map(\.durable)
    }

    /// Injects fault `index`, or skips it (see the type's invariant); returns the record either way.
    mutating func inject<O>(_ index: Int, _ world: inout ClusterWorld<O>, _ sim: ClusterSim, _ resolver: inout TargetResolver) -> InjectedFault {
        let fault = faults[index]
        // Resolved first, as before any effect: the draws from `chaos.faults` keep their order.
        let machines = fault.effect.target.map { resolver.machines($0, world, sim) } ?? []
        let id = "f\(index + 1)"
        if let reason = skipReason(index, machines) {
            let target = machines.isEmpty ? fault.effect.target.map(String.init(describing:)) ?? "" : machines.joined(separator: ",")
            let record = InjectedFault(id: id, kind: fault.kindName, target: target, injectedAt: sim.now, skipped: reason)
            injected[index] = record
            return record
        }
        hit[index] = machines
        var steps: [UndoStep] = []
        var described = machines.joined(separator: ",")
        switch fault.effect {
        case .crash:
            for host in resolver.hosts(onMachines: machines, sim) {
                world.crashProcess(host, sim, reason: "machine crashed")
                steps.append(.restart(host))
            }
        case .processStop(_, let process):
            for host in processHosts(machines, process, sim) {
                world.setHeldDown(host, true)
                world.crashProcess(host, sim, reason: "stopped by \(fault.kindName)")
                steps.append(.releaseAndRestart(host))
            }
        case .processKill(_, let process):
            for host in processHosts(machines, process, sim) {
                world.crashProcess(host, sim, reason: "killed by \(fault.kindName)")
            }
        case .dataLoss:
            for member in memberIndices(machines, world) {
                sim.crash(world.etcd.memberHosts[member])
                steps.append(.wipeAndRestart(member: member, world.etcd.memberHosts[member]))
            }
        case .dataRollback:
            for member in memberIndices(machines, world) {
                sim.crash(world.etcd.memberHosts[member])
                steps.append(.rollbackAndRestart(member: member, world.etcd.memberHosts[member], fault: index))
            }
        case .partition(let shape):
            // A minority's companions are drawn among the masters whose etcd member runs (the followers the
            // cut-off leader keeps replicating to), then among the others.
            let running = world.layout.masterNames.indices.filter { world.etcd.isRunning(member: $0, in: sim) }.map { world.layout.masterNames[$0] }
            let (rules, description) = partition(shape, isolating: machines, world.layout, running: running, sim, &resolver)
            steps.append(.removeRules(rules))
            described = description
        case .delay(_, let latency, let jitter):
            let low = max(.zero, latency - jitter)
            let extra = LatencyDistribution.uniform(min: low, max: latency + jitter)
            steps.append(.removeRules(linkRules(around: resolver.hosts(onMachines: machines, sim), .delay(extra), sim)))
        case .loss(_, let probability):
            steps.append(.removeRules(linkRules(around: resolver.hosts(onMachines: machines, sim), .loss(probability), sim)))
        case .fsyncStall:
            let until = FaultSchedule.healTime(of: fault, end: end, convergenceBound: convergenceBound)
            for host in resolver.hosts(onMachines: machines, sim) {
                sim.stallStorage(host, until: until)
                steps.append(.unstall(host))
            }
        case .pause:
            for host in resolver.hosts(onMachines: machines, sim) {
                sim.pause(host)
                steps.append(.resume(host))
            }
        case .containerKill(_, let prefix), .podKill(_, let prefix):
            var candidates: [String] = []
            for machine in machines {
                guard let node = world.layout.nodeNames.firstIndex(of: machine), let workers = world.workers else { continue }
                candidates += workers.runningPods(on: node, matching: prefix).map { machine + " " + $0 }
            }
            if let chosen = resolver.random.choose(from: candidates) {
                let parts = chosen.split(separator: " ").map(String.init)
                if case .containerKill = fault.effect, let node = world.layout.nodeNames.firstIndex(of: parts[0]) {
                    world.killContainer(node: node, pod: parts[1], sim)
                } else {
                    world.forceDeletePod(parts[1], sim)
                }
                sim.note("\(fault.kindName) \(parts[1]) on \(parts[0])")
            } else {
                sim.note("\(fault.kindName): no running pod matches \(prefix) on \(machines.joined(separator: ","))")
            }
        case .timeSkew(_, let offset, let driftPpm):
            for host in resolver.hosts(onMachines: machines, sim) {
                sim.setClock(host, offset: offset, driftPpm: driftPpm)
                steps.append(.resetClock(host))
            }
        }
        undo[index] = steps
        let record = InjectedFault(id: id, kind: fault.kindName, target: described, injectedAt: sim.now)
        injected[index] = record
        return record
    }

    /// Why fault `index` cannot take effect on `machines` (its resolved target) now, if it cannot: its
    /// selector found no machine, or an active fault holds one of them in a colliding way.
    func skipReason(_ index: Int, _ machines: [String]) -> String? {
        let effect = faults[index].effect
        guard let target = effect.target else { return nil }  // split, one-way, bridge: named machines
        if machines.isEmpty {
            switch target {
            case .etcdLeader: return "no etcd leader"
            case .etcdNewLeader: return "no etcd leader elected within an election timeout"
            case .etcdCandidate: return "no etcd member campaigning"
            case .named, .etcdFollower, .randomMaster, .randomMasters, .schedulerLeader, .controllerManagerLeader, .randomWorker, .zone, .nodeRunning:
                return "no machine is \(target)"
            }
        }
        guard let hold = effect.hold else { return nil }
        for other in injected.indices {
            guard let record = injected[other], record.skipped == nil, record.healedAt == nil,
                  let otherHold = faults[other].effect.hold, hold.collides(with: otherHold),
                  let shared = machines.first(where: hit[other].contains) else { continue }
            return "\(record.id) (\(record.kind)) is active: \(otherHold.conflict(on: shared))"
        }
        return nil
    }

    /// Heals fault `index`; nil when it was never injected or is already healed.
    mutating func heal<O>(_ index: Int, _ world: inout ClusterWorld<O>, _ sim: ClusterSim) -> InjectedFault? {
        guard var fault = injected[index], fault.healedAt == nil, fault.skipped == nil else { return nil }
        for step in undo[index] {
            switch step {
            case .restart(let host):
                restartUnlessHeld(host, healing: index, sim)
            case .releaseAndRestart(let host):
                if !otherFaultsHoldDown(host, healing: index, stopsOnly: true) { world.setHeldDown(host, false) }
                restartUnlessHeld(host, healing: index, sim)
            case .wipeAndRestart(let member, let host):
                world.etcd.wipeDataDirectory(member: member)
                restartUnlessHeld(host, healing: index, sim)
            case .rollbackAndRestart(let member, let host, let fault):
                // The checkpoint control runs before the injection (at or after the start).
                if let saved = checkpoints[fault]?[member] { world.etcd.restoreDataDirectory(member: member, to: saved) }
                restartUnlessHeld(host, healing: index, sim)
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
        return fault
    }

    /// Restarts `host` unless another fault that is still active keeps it down: a host comes back when
    /// the LAST fault holding it heals. A `kube-proxy-kill` that ends while its machine is crashed
    /// leaves the process to the machine's restart, and a machine that restarts while one of its
    /// processes is stopped by another fault leaves that process stopped.
    func restartUnlessHeld(_ host: HostID, healing index: Int, _ sim: ClusterSim) {
        guard !otherFaultsHoldDown(host, healing: index, stopsOnly: false) else { return }
        sim.restart(host)
    }

    /// Whether a fault other than `index`, injected and not healed yet, holds `host` down (only
    /// process stops, which keep the supervisor from restarting it, when `stopsOnly`).
    func otherFaultsHoldDown(_ host: HostID, healing index: Int, stopsOnly: Bool) -> Bool {
        for other in undo.indices where other != index {
            guard let active = injected[other], active.healedAt == nil else { continue }
            for step in undo[other] {
                switch step {
                case .releaseAndRestart(let held) where held == host:
                    return true
                case .restart(let held) where held == host && !stopsOnly,
                     .wipeAndRestart(_, let held) where held == host && !stopsOnly,
                     .rollbackAndRestart(_, let held, _) where held == host && !stopsOnly:
                    return true
                case .restart, .releaseAndRestart, .wipeAndRestart, .rollbackAndRestart, .removeRules, .resume, .unstall, .resetClock:
                    continue
                }
            }
        }
        return false
    }

    /// The hosts of `process` on `machines` (masters that do not run it have none).
    func processHosts(_ machines: [String], _ process: ClusterProcess, _ sim: ClusterSim) -> [HostID] {
        machines.compactMap { sim.host(named: ClusterLayout.host($0, process)) }
    }

    /// The etcd members that run on `machines`.
    func memberIndices<O>(_ machines: [String], _ world: ClusterWorld<O>) -> [Int] {
        machines.compactMap { world.layout.masterNames.firstIndex(of: $0) }
    }

    /// Installs a partition (`isolating`: the isolate shape's resolved machines); returns its rules and
    /// how reports show it.
    func partition(_ shape: PartitionShape, isolating machines: [String], _ layout: ClusterLayout, running: [String],
                   _ sim: ClusterSim, _ resolver: inout TargetResolver) -> ([Int], String) {
        let hosts = resolver
        func hostSet(_ machines: [String]) -> HostSet { HostSet(hosts.hosts(onMachines: machines, sim)) }
        switch shape {
        case .isolate:
            return (sim.isolate(hostSet(machines)), machines.joined(separator: ","))
        case .minority(_, let companions):
            // The companions are drawn from the other masters (chaos.faults), then both sides are in
            // master order; hosts on no side (clients, the load balancer, workers) reach both.
            let others = layout.masterNames.filter { !machines.contains($0) }
            let up = resolver.random.shuffled(others.filter(running.contains)), down = resolver.random.shuffled(others.filter { !running.contains($0) })
            let joining = Array((up + down).prefix(companions))
            let minority = layout.masterNames.filter { machines.contains($0) || joining.contains($0) }
            let majority = others.filter { !joining.contains($0) }
            return (sim.partition([hostSet(minority), hostSet(majority)]), minority.joined(separator: ",") + "|" + majority.joined(separator: ","))
        case .split(let groups):
            return (sim.partition(groups.map(hostSet)), groups.map { $0.joined(separator: ",") }.joined(separator: "|"))
        case .oneWay(let from, let to):
            return ([sim.partitionOneWay(from: hostSet(from), to: hostSet(to))], from.joined(separator: ",") + "->" + to.joined(separator: ","))
        case .bridge(let left, let right):
            return (sim.bridge(hostSet(left), hostSet(right)), left.joined(separator: ",") + "|bridge|" + right.joined(separator: ","))
        }
    }

    /// Installs `effect` on every link to and from `hosts`.
    func linkRules(around hosts: [HostID], _ effect: LinkEffect, _ sim: ClusterSim) -> [Int] {
        let inside = HostSet(hosts)
        let outside = HostSet(sim.allHosts.filter { !inside.contains($0) })
        return [sim.addLinkRule(from: inside, to: outside, effect), sim.addLinkRule(from: outside, to: inside, effect)]
    }
}
