import FaultlineSim

/// Timers of a master's kubelet (as static-pod supervisor).
public enum SupervisorTimer: Sendable, Hashable, CustomStringConvertible {
    /// The pod lifecycle event generator's relist (`1s`): notice exited containers.
    case relist
    /// Restart the static pod running on host index `host` (its back-off is over).
    case restart(hostIndex: Int32)

    public var traceDigest: UInt64 {
        switch self {
        case .relist: return 0x301
        case .restart(let host): return mixHash(0x302, UInt64(bitPattern: Int64(host)))
        }
    }

    public var description: String {
        switch self {
        case .relist: return "kubelet-relist"
        case .restart(let host): return "kubelet-restart host \(host)"
        }
    }
}

/// A master's kubelet restarting its static pods (etcd, kube-apiserver, kube-scheduler,
/// kube-controller-manager) when they exit, with the kubelet's crash-loop back-off: 10 s, doubling
/// up to 5 minutes, reset after a container ran for 10 minutes (kubelet's `backOffPeriod` /
/// `MaxContainerBackOff`). It notices exits on its PLEG relist, every second.
///
/// Invariant: at most one restart pending per process; a process the chaos layer holds down (a fault
/// that stops it until heal) is left alone.
public struct StaticPodSupervisor {
    public static let relistPeriod: SimDuration = .seconds(1)
    public static let initialBackOff: SimDuration = .seconds(10)
    public static let maxBackOff: SimDuration = .minutes(5)
    public static let backOffResetAfter: SimDuration = .minutes(10)

    struct Pod {
        let host: HostID
        var restarts = 0
        var restartPending = false
        var startedAt: SimInstant = .start
        var wasUp = true
    }

    public let host: HostID
    var pods: [Pod]

    public init(host: HostID, podHosts: [HostID]) {
        self.host = host
        self.pods = podHosts.map { Pod(host: $0) }
    }

    /// `heldDown(host)` is true for processes a fault keeps stopped until it heals.
    mutating func handle(_ event: ComponentEvent<Never, SupervisorTimer>, _ sim: ClusterSim, heldDown: (HostID) -> Bool) {
        switch event {
        case .started:
            // A kubelet (re)start finds its static pods as they are; restarts pending before are gone.
            for index in pods.indices { pods[index].restartPending = false }
            sim.setTimer(on: host, after: Self.relistPeriod, .supervisor(.relist))
        case .timer(_, .relist):
            relist(sim, heldDown: heldDown)
            sim.setTimer(on: host, after: Self.relistPeriod, .supervisor(.relist))
        case .timer(_, .restart(let hostIndex)):
            guard let index = pods.firstIndex(where: { $0.host.index == hostIndex }) else { return }
            pods[index].restartPending = false
            let podHost = pods[index].host
            guard !sim.isUp(podHost), !heldDown(podHost), sim.state(of: podHost) == .crashed else { return }
            sim.restart(podHost)
            pods[index].startedAt = sim.now
            pods[index].wasUp = true
        case .message(_, let never):
            switch never {}
        case .persisted:
            preconditionFailure("the kubelet persists nothing here")
        }
    }

    mutating func relist(_ sim: ClusterSim, heldDown: (HostID) -> Bool) {
        for index in pods.indices {
            let podHost = pods[index].host
            let up = sim.isUp(podHost)
            if up && !pods[index].wasUp { pods[index].startedAt = sim.now }  // restarted by a heal
            pods[index].wasUp = up
            guard sim.state(of: podHost) == .crashed, !pods[index].restartPending, !heldDown(podHost) else { continue }
            if sim.now - pods[index].startedAt >= Self.backOffResetAfter { pods[index].restarts = 0 }
            let delay = min(Self.maxBackOff, Self.initialBackOff * Int64(1 << min(pods[index].restarts, 16)))
            pods[index].restarts += 1
            pods[index].restartPending = true
            sim.setTimer(on: host, after: delay, .supervisor(.restart(hostIndex: Int32(podHost.index))))
        }
    }
}
