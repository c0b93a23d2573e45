import FaultlineSim

/// A watcher: one watch stream at a time on the client keyspace `[k, l)`, like the apiserver's watch
/// cache on a resource prefix.
///
/// It resumes a broken stream from the revision after the last event it received, so that a correct
/// cluster gives it every change exactly once, in order. It learns that a connection is dead as gRPC
/// keepalive does: it pings every `keepaliveInterval` and gives up after `keepaliveDeadline` of silence
/// (the apiserver's etcd client uses a 30 s keepalive time and a 10 s timeout). A member that restarted
/// answers a ping on a stream it no longer knows with a reset, so restarts are noticed sooner.
///
/// Invariant: at most one open stream; `nextRevision` only grows, except when a stream is cancelled as
/// compacted, where the watcher starts over from the member's current revision (a re-list).
struct EtcdWatcherState {
    static let keepaliveInterval: SimDuration = .seconds(10)
    static let keepaliveDeadline: SimDuration = .seconds(40)
    static let reconnectBackoff: SimDuration = .seconds(1)

    let index: Int
    let host: HostID
    var endpoint: Int
    var streamCounter: UInt32 = 0
    /// The open stream, if any.
    var watchID: UInt64?
    /// The first revision not yet received; 0 before the first event (start from the member's now).
    var nextRevision: Int64 = 0
    var lastHeard: SimInstant = .start
    /// The sequence number the open stream's next message must carry.
    var expectedSequence: UInt32 = 0

    init(index: Int, host: HostID, endpoint: Int) {
        self.index = index
        self.host = host
        self.endpoint = endpoint
    }
}

extension EtcdComponent {
    mutating func handleWatcher<O: ClusterObserver>(_ index: Int, _ event: ClientEvent, host: HostID, _ sim: ClusterSim, _ observer: inout O) {
        switch event {
        case .started:
            openWatch(index, sim)
        case .timer(_, .watchReconnect):
            if watchers[index].watchID == nil { openWatch(index, sim) }
        case .timer(_, .watchKeepalive(let id)):
            guard watchers[index].watchID == id else { return }
            if sim.now - watchers[index].lastHeard > EtcdWatcherState.keepaliveDeadline {
                // The connection is dead (member crashed, partitioned or paused): try the next member.
                watchers[index].watchID = nil
                watchers[index].endpoint = (watchers[index].endpoint + 1) % memberHosts.count
                openWatch(index, sim)
                return
            }
            sim.send(.etcdServer(.watchPing(watchID: id)), from: host, to: memberHosts[watchers[index].endpoint])
            sim.setTimer(on: host, after: EtcdWatcherState.keepaliveInterval, .etcd(.watchKeepalive(watchID: id)))
        case .message(_, .watch(let id, let sequence, let response)):
            guard watchers[index].watchID == id else { return }  // a stream given up on
            watchers[index].lastHeard = sim.now
            if sequence != WatchResponse.unsequenced {
                // A reliable ordered stream: a duplicate is discarded; a gap means the connection broke
                // (TCP would have retransmitted or reset), so the watcher resumes on a new stream.
                if sequence < watchers[index].expectedSequence { return }
                if sequence > watchers[index].expectedSequence {
                    watchers[index].watchID = nil
                    sim.setTimer(on: host, after: EtcdWatcherState.reconnectBackoff, .etcd(.watchReconnect))
                    return
                }
                watchers[index].expectedSequence += 1
            }
            observer.observe(.etcd(.watch(watcher: index, watchID: id, response)), at: sim.now)
            switch response {
            case .created, .progress:
                break
            case .events(let events):
                if let last = events.last { watchers[index].nextRevision = last.revision + 1 }
            case .canceled(let reason, _):
                watchers[index].watchID = nil
                switch reason {
                case .compacted:
                    watchers[index].nextRevision = 0
                case .noLeader, .unknownWatch:
                    watchers[index].endpoint = (watchers[index].endpoint + 1) % memberHosts.count
                }
                sim.setTimer(on: host, after: EtcdWatcherState.reconnectBackoff, .etcd(.watchReconnect))
            }
        case .timer(_, .raftTick), .timer(_, .clientIssue), .timer(_, .clientTimeout), .timer(_, .clientRetry),
             .timer(_, .leaseStep), .timer(_, .leaseTimeout), .timer(_, .leaseRetry):
            preconditionFailure("watchers set only watch timers")
        case .message(_, .response), .message(_, .leaseResponse), .message(_, .kvResponse):
            preconditionFailure("watchers receive only watch responses")
        case .persisted:
            preconditionFailure("watchers persist nothing")
        }
    }

    mutating func openWatch(_ index: Int, _ sim: ClusterSim) {
        watchers[index].streamCounter += 1
        let id = UInt64(index) << 32 | UInt64(watchers[index].streamCounter)
        watchers[index].watchID = id
        watchers[index].lastHeard = sim.now
        watchers[index].expectedSequence = 0
        let create = WatchCreate(watchID: id, key: ClientWorkload.watchKeyRange.start, end: ClientWorkload.watchKeyRange.end,
                                 startRevision: watchers[index].nextRevision, requireLeader: workload.watchRequireLeader)
        let host = watcherHosts[index]
        sim.send(.etcdServer(.watchCreate(create)), from: host, to: memberHosts[watchers[index].endpoint])
        sim.setTimer(on: host, after: EtcdWatcherState.keepaliveInterval, .etcd(.watchKeepalive(watchID: id)))
    }
}
