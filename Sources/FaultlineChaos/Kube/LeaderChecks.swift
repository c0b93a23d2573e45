import FaultlineCluster
import FaultlineSim

/// `leases.single-holder`: at no instant do two processes believe they hold the same lease. Client-go
/// leader election has no fencing, so this can happen (a candidate's clock running fast, a leader
/// that keeps acting past its deadline); the checker reports the first overlap with its length.
///
/// Invariant: `holders[lease]` lists, in the order they started, the identities that believe they lead.
struct SingleHolderCheck: Checker {
    let invariants = [InvariantName.leasesSingleHolder]
    /// Per lease: current believers and when each started (arrays: few leases, few holders).
    var holders: [(lease: String, identity: String, since: SimInstant)] = []
    /// The overlap in progress per lease: when it began and who overlapped.
    var overlaps: [(lease: String, since: SimInstant, who: String)] = []
    var acquisitions = 0

    mutating func observe(_ observation: Observation, at time: SimInstant, into ledger: inout InvariantLedger) {
        guard case .kube(let kube) = observation else { return }
        switch kube {
        case .leaderStarted(let lease, let identity):
            acquisitions += 1
            holders.removeAll { $0.lease == lease && $0.identity == identity }
            if let other = holders.first(where: { $0.lease == lease }), !overlaps.contains(where: { $0.lease == lease }) {
                overlaps.append((lease, time, "\(other.identity) (leading since \(other.since)) and \(identity)"))
            }
            holders.append((lease, identity, time))
        case .leaderStopped(let lease, let identity, _):
            holders.removeAll { $0.lease == lease && $0.identity == identity }
            if !holders.contains(where: { $0.lease == lease }) || holders.filter({ $0.lease == lease }).count < 2 {
                if let index = overlaps.firstIndex(where: { $0.lease == lease }) {
                    let overlap = overlaps.remove(at: index)
                    ledger.violate(InvariantName.leasesSingleHolder, at: overlap.since,
                                   "two holders of \(lease): \(overlap.who), overlapping for \(time - overlap.since)")
                }
            }
        case .loadBalancerBackend, .apiserverReadiness, .leaderAction, .apiOperation, .watchEventReceived, .relisted, .podEvicted, .zoneStateChanged:
            break
        }
    }

    mutating func finish(_ end: RunEnd, into ledger: inout InvariantLedger) {
        for overlap in overlaps {
            ledger.violate(InvariantName.leasesSingleHolder, at: overlap.since,
                           "two holders of \(overlap.lease): \(overlap.who), still overlapping at the end (\(end.time - overlap.since))")
        }
        ledger.note(InvariantName.leasesSingleHolder, "\(acquisitions) acquisitions, never two holders at once")
    }
}

/// `leader.acts-only-while-leading`: every write a leader-elected process sends as leader is sent while
/// it believes it leads and before its renew deadline on its own clock.
struct LeaderActsCheck: Checker {
    let invariants = [InvariantName.leaderActsOnlyWhileLeading]
    var actions = 0

    mutating func observe(_ observation: Observation, at time: SimInstant, into ledger: inout InvariantLedger) {
        guard case .kube(.leaderAction(let lease, let identity, let leading, let pastDeadline, let action)) = observation else { return }
        actions += 1
        if !leading {
            ledger.violate(InvariantName.leaderActsOnlyWhileLeading, at: time, "\(identity) sent \(action) without holding \(lease)")
        } else if pastDeadline {
            ledger.violate(InvariantName.leaderActsOnlyWhileLeading, at: time, "\(identity) sent \(action) past its renew deadline on \(lease)")
        }
    }

    mutating func finish(_ end: RunEnd, into ledger: inout InvariantLedger) {
        ledger.note(InvariantName.leaderActsOnlyWhileLeading, "\(actions) writes by leaders, all while leading")
    }
}
