import FaultlineCluster
import FaultlineSim

/// Checks etcd's lease guarantee (`etcd.lease-ttl`): a lease is never revoked before the TTL that the
/// cluster acknowledged has run out. When a grant or keepalive sent at `s` is acknowledged with TTL
/// `t`, the leader renewed the lease after `s`, so its revocation may not commit before `s + t`.
///
/// Revocations are read from the committed log (the first time any member applies a `LeaseRevoke`);
/// acknowledgements come from the holders. It also measures how late expired leases go: from the end
/// of their last acknowledged TTL to the revocation (etcd adds up to an election timeout on every
/// leader change, and checks expiry on ticks).
///
/// Invariant: per lease, `guaranteedUntil` only grows; each revocation is checked once.
struct LeaseChecker {
    struct Violation {
        var time: SimInstant
        var detail: String
    }

    /// Per lease id: the latest end of an acknowledged TTL. Lookups only.
    var guaranteedUntil: [Int64: SimInstant] = [:]
    /// Leases whose holder let them go, waiting for their revocation (lookups only).
    var released: Set<Int64> = []
    var committedIndex: UInt64 = 0
    var revocations = 0
    /// How long after the end of their acknowledged TTL released leases were revoked.
    var expiryDelays: [SimDuration] = []
    var pending: [Violation] = []

    mutating func takeViolations() -> [Violation] {
        defer { pending.removeAll() }
        return pending
    }

    mutating func observe(_ observation: LeaseObservation, at time: SimInstant) {
        switch observation {
        case .acknowledged(let lease, let sentAt, let ttl):
            let until = sentAt + .seconds(ttl)
            if until > guaranteedUntil[lease] ?? .start { guaranteedUntil[lease] = until }
        case .released(let lease):
            released.insert(lease)
        case .lost:
            break
        }
    }

    /// Entries a member applied (in log order); only the first application of an index counts.
    mutating func observeCommitted(_ entries: [RaftEntry<EtcdRequest>], at time: SimInstant) {
        for entry in entries where entry.index > committedIndex {
            committedIndex = entry.index
            guard case .leaseRevoke(let lease)? = entry.command else { continue }
            revocations += 1
            guard let until = guaranteedUntil.removeValue(forKey: lease) else { continue }
            if time < until {
                pending.append(Violation(time: time, detail: "lease \(leaseName(lease)) revoked at \(time), \(until - time) before the TTL its holder was acknowledged ran out at \(until)"))
            } else if released.remove(lease) != nil {
                expiryDelays.append(time - until)
            }
        }
    }

    func leaseName(_ lease: Int64) -> String { "holder-\(lease >> 32)/#\(lease & 0xffff_ffff)" }
}
