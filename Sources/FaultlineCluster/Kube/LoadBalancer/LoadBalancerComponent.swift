import FaultlineSim

/// Timers of the load balancer process.
public enum LoadBalancerTimer: Sendable, Hashable, CustomStringConvertible {
    /// The health-check round.
    case check
    /// A probe of `backend` got no answer in time.
    case probeTimeout(backend: Int, probeID: UInt64)

    public var traceDigest: UInt64 {
        switch self {
        case .check: return 0x201
        case .probeTimeout(let backend, let id): return mixHash(mixHash(0x202, UInt64(backend)), id)
        }
    }

    public var description: String {
        switch self {
        case .check: return "lb-check"
        case .probeTimeout(let backend, let id): return "lb-probe-timeout backend \(backend) #\(id)"
        }
    }
}

/// The load balancer process: relays API traffic between clients and the apiserver backends that
/// `LoadBalancerState` chooses, and runs its health checks. TCP-level: it reads only connection ids.
///
/// Invariant: a message of a connection goes to the backend the connection is pinned to, and answers
/// go back to the host that opened the connection; a connection the LB does not know (refused,
/// closed, or opened before an LB restart) is answered with a reset.
public struct LoadBalancerComponent {
    public typealias Event = ComponentEvent<LoadBalancerInput, LoadBalancerTimer>

    public let host: HostID
    public let backendHosts: [HostID]
    /// A host on each backend's machine that is up while the machine is (its kubelet): a crashed
    /// backend process on a running machine refuses connections at once (the kernel answers RST),
    /// while a crashed or unreachable machine answers nothing.
    let machineHosts: [HostID]
    let config: LoadBalancerConfig
    public private(set) var state: LoadBalancerState
    /// The client host of each open connection (lookups only).
    var clientOf: [UInt64: HostID] = [:]
    var outputs: [LoadBalancerOutput] = []

    public init(host: HostID, backendHosts: [HostID], machineHosts: [HostID], config: LoadBalancerConfig) {
        precondition(config.backendCount == backendHosts.count && machineHosts.count == backendHosts.count, "one backend per apiserver")
        self.host = host
        self.backendHosts = backendHosts
        self.machineHosts = machineHosts
        self.config = config
        self.state = LoadBalancerState(config: config)
    }

    mutating func handle<O: ClusterObserver>(_ event: Event, _ sim: ClusterSim, _ observer: inout O) {
        outputs.removeAll(keepingCapacity: true)
        switch event {
        case .started:
            state = LoadBalancerState(config: config)
            clientOf.removeAll()
            state.start(now: sim.now, into: &outputs)
        case .timer(_, .check):
            state.checkTimerFired(now: sim.now, into: &outputs)
        case .timer(_, .probeTimeout(let backend, let probeID)):
            state.probeTimedOut(backend: backend, probeID: probeID, now: sim.now, into: &outputs)
        case .message(let from, .fromClient(let message)):
            relayFromClient(message, from: from, sim)
        case .message(let from, .fromBackend(let message)):
            relayFromBackend(message, from: from, sim)
        case .persisted:
            preconditionFailure("the load balancer persists nothing")
        }
        perform(sim, &observer)
    }

    mutating func relayFromClient(_ message: ApiServerBound, from client: HostID, _ sim: ClusterSim) {
        switch message {
        case .request(let connection, _):
            if clientOf[connection] == nil {
                clientOf[connection] = client
                state.openConnection(connection, now: sim.now, into: &outputs)
                perform(sim)  // the forward (or refusal) must precede the request
            }
            guard let backend = state.backend(of: connection) else { return }
            if refuses(backend, sim) {
                state.backendConnectionFailed(connection, into: &outputs)
                perform(sim)
                return
            }
            sim.send(.api(message), from: host, to: backendHosts[backend])
        case .ping(let connection):
            // A ping rides its connection to the pinned backend (a TCP proxy forwards the frame); a
            // connection the balancer no longer knows was reset, and the client hears so.
            guard let backend = state.backend(of: connection) else {
                return sim.send(.apiClient(.reset(connection: connection)), from: host, to: client)
            }
            sim.send(.api(message), from: host, to: backendHosts[backend])
        case .close(let connection):
            if let backend = state.backend(of: connection) { sim.send(.api(message), from: host, to: backendHosts[backend]) }
            state.connectionClosed(connection)
            clientOf[connection] = nil
        case .probe:
            preconditionFailure("clients do not probe the load balancer")
        }
    }

    mutating func relayFromBackend(_ message: ApiClientBound, from backendHost: HostID, _ sim: ClusterSim) {
        if case .probeResult(let probeID, let healthy) = message {
            guard let backend = backendHosts.firstIndex(of: backendHost) else { return }
            state.probeAnswered(backend: backend, probeID: probeID, healthy: healthy, now: sim.now, into: &outputs)
            return
        }
        guard let connection = message.connection, let client = clientOf[connection] else { return }
        sim.send(.apiClient(message), from: host, to: client)
    }

    /// True when the backend's process is down but its machine runs and is reachable: connecting gets RST.
    func refuses(_ backend: Int, _ sim: ClusterSim) -> Bool {
        sim.state(of: backendHosts[backend]) == .crashed && sim.state(of: machineHosts[backend]) == .up
            && sim.canReach(from: host, to: machineHosts[backend])
    }

    /// Carries out the state machine's outputs.
    mutating func perform<O: ClusterObserver>(_ sim: ClusterSim, _ observer: inout O) {
        for output in outputs {
            if case .backendStateChanged(let backend, let up) = output {
                observer.observe(.kube(.loadBalancerBackend(backend: backend, up: up)), at: sim.now)
            }
        }
        perform(sim)
    }

    mutating func perform(_ sim: ClusterSim) {
        for output in outputs {
            switch output {
            case .setCheckTimer(let afterMs):
                sim.setTimer(on: host, after: .milliseconds(afterMs), .lb(.check))
            case .sendProbe(let backend, let probeID, let mode, let timeoutMs):
                if refuses(backend, sim) {
                    // Connection refused: the check fails after a round trip, not after its timeout.
                    sim.setTimer(on: host, after: .milliseconds(1), .lb(.probeTimeout(backend: backend, probeID: probeID)))
                    continue
                }
                sim.send(.api(.probe(probeID: probeID, mode)), from: host, to: backendHosts[backend])
                sim.setTimer(on: host, after: .milliseconds(timeoutMs), .lb(.probeTimeout(backend: backend, probeID: probeID)))
            case .forward:
                break  // the connection is pinned; messages follow it
            case .refuse(let connection, _):
                if let client = clientOf.removeValue(forKey: connection) { sim.send(.apiClient(.reset(connection: connection)), from: host, to: client) }
            case .reset(let connection, let backend):
                sim.send(.api(.close(connection: connection)), from: host, to: backendHosts[backend])
                if let client = clientOf.removeValue(forKey: connection) { sim.send(.apiClient(.reset(connection: connection)), from: host, to: client) }
            case .backendStateChanged:
                break
            }
        }
        outputs.removeAll(keepingCapacity: true)
    }
}

/// What the load balancer receives: client traffic to relay, and backend traffic (answers, probes' results).
public enum LoadBalancerInput {
    case fromClient(ApiServerBound)
    case fromBackend(ApiClientBound)
}
