import FaultlineCluster
import FaultlineSim

extension TimelineEntry {
    /// The timeline entry an etcd observation makes, if it is notable.
    static func etcd(_ observation: EtcdObservation, at time: SimInstant) -> TimelineEntry? {
        switch observation {
        case .started(let member, _):
            guard time > .start else { return nil }
            return TimelineEntry(at: time, kind: "member-restarted", subject: ClusterLayout.masterName(member), detail: "")
        case .lease(let holder, .released(let lease)):
            return TimelineEntry(at: time, kind: "lease-released", subject: "lease-holder-\(holder + 1)", detail: "lease \(lease & 0xffff_ffff)")
        case .lease(let holder, .lost(let lease)):
            return TimelineEntry(at: time, kind: "lease-lost", subject: "lease-holder-\(holder + 1)", detail: "lease \(lease & 0xffff_ffff)")
        case .watch(let watcher, _, .canceled(let reason, let revision)):
            return TimelineEntry(at: time, kind: "watch-canceled", subject: "watcher-\(watcher + 1)",
                                 detail: reason == .compacted ? "compacted at \(revision)" : reason.rawValue)
        case .ready, .raftSent, .operation, .lease(_, .acknowledged), .watch:
            return nil
        }
    }
}
