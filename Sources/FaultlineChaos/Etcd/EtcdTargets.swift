import FaultlineCluster
import FaultlineSim

extension TargetResolver {
    /// The member that leads now (Raft role, running in its current incarnation); nil when none does (a
    /// fault aimed at the leader is then skipped, not turned on a random member).
    func etcdLeader<O>(_ world: ClusterWorld<O>, _ sim: ClusterSim) -> Int? {
        world.etcd.members.indices.first { world.etcd.members[$0].isLeader && world.etcd.isRunning(member: $0, in: sim) }
    }

    /// A random running member that does not lead (a random member if there is none).
    mutating func etcdFollower<O>(_ world: ClusterWorld<O>, _ sim: ClusterSim) -> Int? {
        let members = world.etcd.members.indices
        let followers = members.filter { !world.etcd.members[$0].isLeader && world.etcd.isRunning(member: $0, in: sim) }
        return random.choose(from: followers.isEmpty ? Array(members) : followers)
    }
}
