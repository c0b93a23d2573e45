import FaultlineCluster
import FaultlineSim

extension TargetResolver {
    /// The member that leads now (Raft role, running in its current incarnation); nil when none does (a
    /// fault aimed at the leader is then skipped, not turned on a random member).
    func etcdLeader<O>(_ world: ClusterWorld<O>, _ sim: ClusterSim) -> Int? {
        world.etcd.members.indices.first { world.etcd.members[$0].isLeader && world.etcd.isRunning(member: $0, in: sim) }
    }

    /// The member that leads now and won its election at most one election timeout ago (nil otherwise):
    /// a fault aimed at a new leader lands before its followers' election timers could depose it, while
    /// its no-op and the entries before it are still on their way (where Figure-8 histories start).
    func etcdNewLeader<O>(_ world: ClusterWorld<O>, _ sim: ClusterSim) -> Int? {
        guard let leader = etcdLeader(world, sim), let status = world.etcd.role(of: leader, in: sim), status.role == .leader else { return nil }
        return sim.now - status.since <= .milliseconds(world.etcd.flags.electionTimeoutMs) ? leader : nil
    }

    /// A running member that campaigns now (a candidate first, else a pre-candidate; the one that started
    /// campaigning last when several do); nil when none does. Its vote for itself, and the votes it is
    /// being granted, are in their window between the decision and the fsync.
    func etcdCandidate<O>(_ world: ClusterWorld<O>, _ sim: ClusterSim) -> Int? {
        var best: (member: Int, rank: Int, since: SimInstant)?
        for member in world.etcd.members.indices {
            guard let status = world.etcd.role(of: member, in: sim) else { continue }
            let rank: Int
            switch status.role {
            case .candidate: rank = 2
            case .preCandidate: rank = 1
            case .follower, .leader: continue
            }
            if best == nil || (rank, status.since) > (best!.rank, best!.since) { best = (member, rank, status.since) }
        }
        return best?.member
    }

    /// A random running member that does not lead (a random member if there is none).
    mutating func etcdFollower<O>(_ world: ClusterWorld<O>, _ sim: ClusterSim) -> Int? {
        let members = world.etcd.members.indices
        let followers = members.filter { !world.etcd.members[$0].isLeader && world.etcd.isRunning(member: $0, in: sim) }
        return random.choose(from: followers.isEmpty ? Array(members) : followers)
    }
}
