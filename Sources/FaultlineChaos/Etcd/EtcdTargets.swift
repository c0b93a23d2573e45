import FaultlineCluster
import FaultlineSim

extension TargetResolver {
    /// The member that leads now (Raft role, running in its current incarnation); when there is none,
    /// a random running member (a random member if none runs).
    mutating func etcdLeader<O>(_ world: ClusterWorld<O>, _ sim: ClusterSim) -> Int {
        let members = world.etcd.members.indices
        if let leader = members.first(where: { world.etcd.members[$0].isLeader && world.etcd.isRunning(member: $0, in: sim) }) {
            return leader
        }
        let up = members.filter { sim.isUp(world.etcd.memberHosts[$0]) }
        return random.choose(from: up.isEmpty ? Array(members) : up) ?? 0
    }

    /// A random running member that does not lead (a random member if there is none).
    mutating func etcdFollower<O>(_ world: ClusterWorld<O>, _ sim: ClusterSim) -> Int? {
        let members = world.etcd.members.indices
        let followers = members.filter { !world.etcd.members[$0].isLeader && world.etcd.isRunning(member: $0, in: sim) }
        return random.choose(from: followers.isEmpty ? Array(members) : followers)
    }
}
