import FaultlineCluster
import FaultlineSim

/// Resolves fault targets to hosts at the moment of injection. Components extend it with their own
/// selectors (`etcd-leader`, ...); draws come from the run's `chaos.faults` stream only.
struct TargetResolver {
    var random: SimRandom
    let layout: ClusterLayout

    /// The machines `target` names now (leaders are looked up at injection time); empty when a leader
    /// selector finds no leader to hit (`etcd-leader`).
    mutating func machines<O>(_ target: FaultTarget, _ world: ClusterWorld<O>, _ sim: ClusterSim) -> [String] {
        switch target {
        case .named(let name):
            return [name]
        case .etcdLeader:
            return etcdLeader(world, sim).map { [layout.masterNames[$0]] } ?? []
        case .etcdFollower:
            return etcdFollower(world, sim).map { [layout.masterNames[$0]] } ?? []
        case .etcdNewLeader:
            return etcdNewLeader(world, sim).map { [layout.masterNames[$0]] } ?? []
        case .etcdCandidate:
            return etcdCandidate(world, sim).map { [layout.masterNames[$0]] } ?? []
        case .randomMaster:
            return random.choose(from: layout.masterNames).map { [$0] } ?? []
        case .randomMasters(let count):
            return Array(random.shuffled(layout.masterNames).prefix(count)).sorted { $0.compare(numerically: $1) }
        case .schedulerLeader:
            return [layout.masterNames[world.leader(of: .kubeScheduler, sim) ?? random.uniform(0..<layout.masters)]]
        case .controllerManagerLeader:
            return [layout.masterNames[world.leader(of: .kubeControllerManager, sim) ?? random.uniform(0..<layout.masters)]]
        case .randomWorker:
            return random.choose(from: layout.nodeNames).map { [$0] } ?? []
        case .zone(let zone):
            return layout.nodeNames.indices.filter { layout.nodeZones[$0] == zone }.map { layout.nodeNames[$0] }
        case .nodeRunning(let prefix):
            let running = world.workers?.nodesRunning(podPrefix: prefix) ?? []
            if let index = random.choose(from: running) { return [layout.nodeNames[index]] }
            return random.choose(from: layout.nodeNames).map { [$0] } ?? []
        }
    }

    /// The hosts of every process on `machines`, in host order.
    func hosts(onMachines machines: [String], _ sim: ClusterSim) -> [HostID] {
        machines.flatMap { layout.processHosts(onMachine: $0) }.compactMap { sim.host(named: $0) }.sorted()
    }
}

extension String {
    /// `master-2` before `master-10`: names compared by their numeric suffix when they share a prefix.
    func compare(numerically other: String) -> Bool {
        let left = split(separator: "-"), right = other.split(separator: "-")
        if left.count == right.count, left.dropLast() == right.dropLast(), let a = Int(left.last ?? ""), let b = Int(right.last ?? "") {
            return a < b
        }
        return self < other
    }
}
