import FaultlineSim

/// What a lease holder learns about its lease: the facts a lease checker compares with the log.
public enum LeaseObservation: Sendable, Hashable {
    /// A grant or keepalive sent at `sentAt` was acknowledged with `ttlSeconds`: the lease must not be
    /// revoked before `sentAt + ttlSeconds` (the leader renewed it after the holder sent the request).
    case acknowledged(lease: Int64, sentAt: SimInstant, ttlSeconds: Int64)
    /// The holder stopped keeping the lease alive: from now on it may expire.
    case released(lease: Int64)
    /// A keepalive or attach found the lease gone.
    case lost(lease: Int64)
}

/// A lease holder: grants a lease, attaches its key (`lease-holder-N`) to it, and keeps it alive every
/// TTL/3 (clientv3's keepalive period) for an exponentially drawn time; then lets it go and starts over
/// with a new lease. One request in flight at a time, with the client request timeout.
///
/// Invariant: `phase` names the lease being worked on; a grant or attach that times out abandons its
/// lease (it expires on its own), a keepalive that times out is retried on the next member.
struct EtcdLeaseHolderState {
    enum Phase: Equatable {
        case idle
        case granting(Int64)
        case attaching(Int64)
        case holding(Int64)
    }

    typealias Outstanding = PendingRequest<LeaseRequest>

    let index: Int
    let host: HostID
    var endpoint: Int
    var random: SimRandom
    var counter: UInt32 = 0
    var leaseCounter: UInt32 = 0
    var phase: Phase = .idle
    var outstanding: Outstanding?
    var holdUntil: SimInstant = .start

    init(index: Int, host: HostID, endpoint: Int, random: SimRandom) {
        self.index = index
        self.host = host
        self.endpoint = endpoint
        self.random = random
    }

    var key: String { "lease-holder-\(index + 1)" }
}

extension EtcdComponent {
    mutating func handleLeaseHolder<O: ClusterObserver>(_ index: Int, _ event: ClientEvent, host: HostID, _ sim: ClusterSim, _ observer: inout O) {
        let ttl = workload.leaseTTLSeconds
        switch event {
        case .started:
            let delay = leaseHolders[index].random.exponential(mean: Double(SimDuration.seconds(1).nanoseconds))
            sim.setTimer(on: host, after: SimDuration(nanoseconds: Int64(delay)), .etcd(.leaseStep))
        case .timer(_, .leaseStep):
            guard leaseHolders[index].outstanding == nil, sim.now < clientsStopAt else { return }
            switch leaseHolders[index].phase {
            case .idle:
                leaseHolders[index].leaseCounter += 1
                let lease = Int64(index + 1) << 32 | Int64(leaseHolders[index].leaseCounter)
                leaseHolders[index].phase = .granting(lease)
                sendLease(index, .grant(lease: lease, ttlSeconds: ttl), sim)
            case .holding(let lease):
                if sim.now >= leaseHolders[index].holdUntil {
                    leaseHolders[index].phase = .idle
                    observer.observe(.etcd(.lease(holder: index, .released(lease: lease))), at: sim.now)
                    let pause = leaseHolders[index].random.exponential(mean: Double(SimDuration.seconds(5).nanoseconds))
                    sim.setTimer(on: host, after: SimDuration(nanoseconds: Int64(pause)), .etcd(.leaseStep))
                } else {
                    sendLease(index, .keepAlive(lease: lease), sim)
                }
            case .granting, .attaching:
                break
            }
        case .timer(_, .leaseTimeout(let id)):
            guard let outstanding = leaseHolders[index].outstanding, outstanding.request.id == id else { return }
            leaseHolders[index].outstanding = nil
            leaseHolders[index].endpoint = (leaseHolders[index].endpoint + 1) % memberHosts.count
            switch leaseHolders[index].phase {
            case .granting, .attaching: leaseHolders[index].phase = .idle  // abandoned: it expires on its own
            case .holding, .idle: break
            }
            sim.setTimer(on: host, after: .milliseconds(100), .etcd(.leaseStep))
        case .timer(_, .leaseRetry(let id)):
            guard let outstanding = leaseHolders[index].outstanding, outstanding.request.id == id else { return }
            sim.send(.etcdServer(.leaseRequest(outstanding.request)), from: host, to: memberHosts[outstanding.target])
        case .message(_, .leaseResponse(let id, let result)):
            guard var outstanding = leaseHolders[index].outstanding, outstanding.request.id == id else { return }
            switch result {
            case .ok(let grantedTTL):
                sim.cancelTimer(outstanding.timeout)
                leaseHolders[index].outstanding = nil
                let renewEvery = SimDuration.milliseconds(max(1, ttl * 1000 / 3))
                switch leaseHolders[index].phase {
                case .granting(let lease):
                    observer.observe(.etcd(.lease(holder: index, .acknowledged(lease: lease, sentAt: outstanding.called, ttlSeconds: grantedTTL))), at: sim.now)
                    leaseHolders[index].phase = .attaching(lease)
                    sendLease(index, .attach(lease: lease, key: leaseHolders[index].key, value: "lease-\(lease)"), sim)
                case .attaching(let lease):
                    leaseHolders[index].phase = .holding(lease)
                    let hold = leaseHolders[index].random.exponential(mean: Double(workload.leaseHoldTime.nanoseconds))
                    leaseHolders[index].holdUntil = sim.now + SimDuration(nanoseconds: Int64(hold))
                    sim.setTimer(on: host, after: renewEvery, .etcd(.leaseStep))
                case .holding(let lease):
                    observer.observe(.etcd(.lease(holder: index, .acknowledged(lease: lease, sentAt: outstanding.called, ttlSeconds: grantedTTL))), at: sim.now)
                    sim.setTimer(on: host, after: renewEvery, .etcd(.leaseStep))
                case .idle:
                    break
                }
            case .notFound:
                sim.cancelTimer(outstanding.timeout)
                leaseHolders[index].outstanding = nil
                switch leaseHolders[index].phase {
                case .granting(let lease), .attaching(let lease), .holding(let lease):
                    observer.observe(.etcd(.lease(holder: index, .lost(lease: lease))), at: sim.now)
                case .idle:
                    break
                }
                leaseHolders[index].phase = .idle
                sim.setTimer(on: host, after: .seconds(1), .etcd(.leaseStep))
            case .redirect, .unavailable:
                var leader: Int?
                if case .redirect(let named) = result { leader = named }
                let resendTo = outstanding.refused(redirectTo: leader, endpoint: &leaseHolders[index].endpoint,
                                                   memberCount: memberHosts.count, maxRedirects: workload.maxRedirects)
                leaseHolders[index].outstanding = outstanding
                if let resendTo {
                    sim.send(.etcdServer(.leaseRequest(outstanding.request)), from: host, to: memberHosts[resendTo])
                } else {
                    sim.setTimer(on: host, after: .milliseconds(50), .etcd(.leaseRetry(requestID: id)))
                }
            }
        case .timer(_, .raftTick), .timer(_, .clientIssue), .timer(_, .clientTimeout), .timer(_, .clientRetry),
             .timer(_, .watchKeepalive), .timer(_, .watchReconnect):
            preconditionFailure("lease holders set only lease timers")
        case .message(_, .response), .message(_, .watch), .message(_, .kvResponse):
            preconditionFailure("lease holders receive only lease responses")
        case .persisted:
            preconditionFailure("lease holders persist nothing")
        }
    }

    mutating func sendLease(_ index: Int, _ operation: LeaseRequest.Operation, _ sim: ClusterSim) {
        leaseHolders[index].counter += 1
        let id = UInt64(index + 1) << 40 | UInt64(leaseHolders[index].counter)
        let request = LeaseRequest(id: id, holder: index, operation: operation)
        let host = leaseHolderHosts[index]
        let timeout = sim.setTimer(on: host, after: workload.requestTimeout, .etcd(.leaseTimeout(requestID: id)))
        let target = leaseHolders[index].endpoint
        leaseHolders[index].outstanding = EtcdLeaseHolderState.Outstanding(request: request, called: sim.now, target: target, timeout: timeout)
        sim.send(.etcdServer(.leaseRequest(request)), from: host, to: memberHosts[target])
    }
}
