import FaultlineSim

/// What a health check asks a backend (the host decides what each answers).
public enum HealthCheckMode: Sendable, Hashable {
    /// `option httpchk GET /readyz`, `http-check expect status 200`: fails while the apiserver is not
    /// ready (etcd unreachable, shutting down).
    case httpReadyz
    /// `option httpchk GET /healthz`: only fails when the process is unhealthy (livez-like).
    case httpHealthz
    /// A TCP connect: succeeds while the process listens.
    case tcp

    /// The HTTP path probed, nil for a TCP check.
    public var path: String? {
        switch self {
        case .httpReadyz: return "/readyz"
        case .httpHealthz: return "/healthz"
        case .tcp: return nil
        }
    }
}

/// Configuration of an HAProxy-like TCP load balancer in front of the apiservers (kubeadm's HA guide:
/// `mode tcp`, `balance roundrobin`, `option httpchk`, one `server ... check` per apiserver).
/// Defaults are HAProxy's own (`inter 2s`, `rise 2`, `fall 3`), a 5 s check timeout (`timeout
/// connect 5s`), and HAProxy's historical default `maxconn 2000`.
public struct LoadBalancerConfig: Sendable, Hashable {
    /// Backends are numbered 0..<backendCount, in the order of the `server` lines.
    public var backendCount: Int
    /// `inter`: the period of the check timer.
    public var checkIntervalMs: Int64 = 2_000
    /// `fall`: consecutive failed checks that mark an UP backend DOWN.
    public var fall: Int = 3
    /// `rise`: consecutive successful checks that mark a DOWN backend UP.
    public var rise: Int = 2
    /// How long the host waits for a probe before reporting `probeTimedOut`.
    public var checkTimeoutMs: Int64 = 5_000
    public var checkMode: HealthCheckMode = .httpReadyz
    /// HAProxy starts servers UP (and lets the first checks take them down), which is the default here;
    /// false starts them DOWN until `rise` checks pass (like `init-state down`).
    public var backendsStartUp: Bool = true
    /// `on-marked-down shutdown-sessions`: reset a backend's sessions when a check marks it DOWN.
    /// Off by default, as in HAProxy: long-lived watches stay on a backend the checks marked DOWN.
    public var shutdownSessionsOnMarkedDown: Bool = false
    /// `maxconn`: the connection table's bound; a new connection beyond it is refused.
    public var maxConnections: Int = 2_000

    public init(backendCount: Int) { self.backendCount = backendCount }
}

/// Why the load balancer refused a client connection.
public enum LoadBalancerRefusal: Sendable, Hashable {
    /// No backend is UP (HAProxy answers with a reset: "no server available").
    case noBackendUp
    /// The connection table is full (`maxConnections`).
    case connectionLimit
}

/// What a `LoadBalancerState` asks its host to do, or reports.
public enum LoadBalancerOutput: Sendable, Hashable {
    /// Call `checkTimerFired` after this many milliseconds.
    case setCheckTimer(afterMs: Int64)
    /// Send a health probe; answer with `probeAnswered` or, after `timeoutMs`, `probeTimedOut`.
    case sendProbe(backend: Int, probeID: UInt64, mode: HealthCheckMode, timeoutMs: Int64)
    /// Splice the client connection to this backend (open the server-side connection).
    case forward(connectionID: UInt64, backend: Int)
    /// Refuse (reset) a new client connection.
    case refuse(connectionID: UInt64, reason: LoadBalancerRefusal)
    /// Reset both sides of an established session (backend reset it, or shutdown-sessions).
    case reset(connectionID: UInt64, backend: Int)
    /// A check changed a backend's state (for the timeline and metrics).
    case backendStateChanged(backend: Int, up: Bool)
}

/// An HAProxy-like TCP load balancer as a pure state machine: health checks decide which backends are
/// UP; new connections go round-robin to UP backends and stay pinned to their backend until either
/// side closes them.
///
/// Health checks: one check timer for all backends (HAProxy runs one per server; with equal `inter`
/// they differ only in phase). Each fire probes every backend with no probe in flight, in backend
/// order; a backend whose probe is still pending (slow or black-holed) is skipped that round, so a
/// black-holed backend is probed once per `checkTimeoutMs` rather than once per `inter`.
/// `fall` consecutive failures (an unhealthy answer or a timeout) mark an UP backend DOWN; `rise`
/// consecutive successes mark a DOWN backend UP; a result of the other kind resets the count
/// (HAProxy documents both as consecutive).
///
/// Not modelled: `retries` / `option redispatch` (a failed server-side connect is reported to the
/// client as a reset), `slowstart`, weights, `observe layer4`, queueing at `maxconn`.
///
/// Invariants:
/// - A connection is pinned to one backend for its whole life; `connectionCount(backend:)` is the
///   number of table entries on that backend, and the table never exceeds `maxConnections`.
/// - At most one probe per backend is in flight; answers to any other probe ID are ignored.
/// - Round-robin order: a cursor walks backends in index order, skipping DOWN ones.
public struct LoadBalancerState: Sendable {
    struct Backend: Sendable, Hashable {
        var up: Bool
        /// Consecutive failures while UP, or consecutive successes while DOWN.
        var streak: Int = 0
        var probeInFlight: UInt64?
        var connections: Int = 0
        var lastChange: SimInstant = .start
    }

    public let config: LoadBalancerConfig
    var backends: [Backend]
    /// Connection ID → backend.
    var table: [UInt64: Int] = [:]
    var nextProbeID: UInt64 = 1
    var roundRobinCursor = 0
    var started = false
    /// Connections refused because the table was full, since the start.
    public private(set) var refusedAtLimit: Int = 0
    /// Connections refused because no backend was UP, since the start.
    public private(set) var refusedNoBackend: Int = 0

    /// - Precondition: at least one backend, positive interval and thresholds, a positive table bound.
    public init(config: LoadBalancerConfig) {
        precondition(config.backendCount > 0, "a load balancer needs a backend")
        precondition(config.checkIntervalMs > 0 && config.checkTimeoutMs > 0, "check interval and timeout must be positive")
        precondition(config.fall > 0 && config.rise > 0, "rise and fall must be positive")
        precondition(config.maxConnections > 0, "the connection table needs room")
        self.config = config
        self.backends = Array(repeating: Backend(up: config.backendsStartUp), count: config.backendCount)
    }

    // MARK: - Observers

    public func isUp(_ backend: Int) -> Bool { backends[backend].up }
    /// The UP backends in index order.
    public var upBackends: [Int] { backends.indices.filter { backends[$0].up } }
    /// How many backends are UP (no allocation, for sampling).
    public var upCount: Int {
        var count = 0
        for backend in backends where backend.up { count += 1 }
        return count
    }
    public func connectionCount(backend: Int) -> Int { backends[backend].connections }
    public var connectionCount: Int { table.count }
    /// The backend a connection is pinned to, nil when it is not in the table.
    public func backend(of connectionID: UInt64) -> Int? { table[connectionID] }
    /// When the backend last changed state (its initial state counts from `.start`).
    public func lastStateChange(backend: Int) -> SimInstant { backends[backend].lastChange }

    // MARK: - Inputs

    /// Starts the checks: probes every backend now and arms the timer.
    /// - Precondition: called once, first.
    public mutating func start(now: SimInstant, into outputs: inout [LoadBalancerOutput]) {
        precondition(!started, "start called twice")
        started = true
        runChecks(into: &outputs)
    }

    /// The check timer fired: probe every backend without a probe in flight, re-arm the timer.
    public mutating func checkTimerFired(now: SimInstant, into outputs: inout [LoadBalancerOutput]) {
        precondition(started, "checkTimerFired before start")
        runChecks(into: &outputs)
    }

    /// A probe answered: `healthy` is true for a 200 (or a completed TCP connect).
    public mutating func probeAnswered(backend: Int, probeID: UInt64, healthy: Bool, now: SimInstant, into outputs: inout [LoadBalancerOutput]) {
        guard backends[backend].probeInFlight == probeID else { return }
        backends[backend].probeInFlight = nil
        record(backend: backend, healthy: healthy, now: now, into: &outputs)
    }

    /// A probe got no answer within `checkTimeoutMs` (or its connection was refused): a failed check.
    public mutating func probeTimedOut(backend: Int, probeID: UInt64, now: SimInstant, into outputs: inout [LoadBalancerOutput]) {
        guard backends[backend].probeInFlight == probeID else { return }
        backends[backend].probeInFlight = nil
        record(backend: backend, healthy: false, now: now, into: &outputs)
    }

    /// A client opened a connection: forward it round-robin to an UP backend, or refuse it.
    /// - Precondition: the ID is not already in the table.
    public mutating func openConnection(_ connectionID: UInt64, now: SimInstant, into outputs: inout [LoadBalancerOutput]) {
        precondition(table[connectionID] == nil, "connection \(connectionID) opened twice")
        if table.count >= config.maxConnections {
            refusedAtLimit += 1
            outputs.append(.refuse(connectionID: connectionID, reason: .connectionLimit))
            return
        }
        let count = backends.count
        for step in 0..<count {
            let candidate = (roundRobinCursor + step) % count
            if backends[candidate].up {
                roundRobinCursor = (candidate + 1) % count
                table[connectionID] = candidate
                backends[candidate].connections += 1
                outputs.append(.forward(connectionID: connectionID, backend: candidate))
                return
            }
        }
        refusedNoBackend += 1
        outputs.append(.refuse(connectionID: connectionID, reason: .noBackendUp))
    }

    /// The client closed its connection (or it died): forget it. Unknown IDs are ignored (a connection
    /// that was refused, or already reset).
    public mutating func connectionClosed(_ connectionID: UInt64) {
        guard let backend = table.removeValue(forKey: connectionID) else { return }
        backends[backend].connections -= 1
    }

    /// The backend reset the server side (process died, connection refused): reset the client side too.
    /// Health is not affected (no `observe layer4`).
    public mutating func backendConnectionFailed(_ connectionID: UInt64, into outputs: inout [LoadBalancerOutput]) {
        guard let backend = table.removeValue(forKey: connectionID) else { return }
        backends[backend].connections -= 1
        outputs.append(.reset(connectionID: connectionID, backend: backend))
    }

    // MARK: - Internals

    mutating func runChecks(into outputs: inout [LoadBalancerOutput]) {
        for index in backends.indices where backends[index].probeInFlight == nil {
            let probeID = nextProbeID
            nextProbeID += 1
            backends[index].probeInFlight = probeID
            outputs.append(.sendProbe(backend: index, probeID: probeID, mode: config.checkMode, timeoutMs: config.checkTimeoutMs))
        }
        outputs.append(.setCheckTimer(afterMs: config.checkIntervalMs))
    }

    mutating func record(backend index: Int, healthy: Bool, now: SimInstant, into outputs: inout [LoadBalancerOutput]) {
        switch (backends[index].up, healthy) {
        case (true, true), (false, false):
            backends[index].streak = 0
        case (true, false):
            backends[index].streak += 1
            if backends[index].streak >= config.fall { markDown(index, now: now, into: &outputs) }
        case (false, true):
            backends[index].streak += 1
            if backends[index].streak >= config.rise {
                backends[index].up = true
                backends[index].streak = 0
                backends[index].lastChange = now
                outputs.append(.backendStateChanged(backend: index, up: true))
            }
        }
    }

    mutating func markDown(_ index: Int, now: SimInstant, into outputs: inout [LoadBalancerOutput]) {
        backends[index].up = false
        backends[index].streak = 0
        backends[index].lastChange = now
        outputs.append(.backendStateChanged(backend: index, up: false))
        guard config.shutdownSessionsOnMarkedDown else { return }
        // Sorted: the table is a Dictionary, and reset order reaches the outputs.
        let victims = table.filter { $0.value == index }.map(\.key).sorted()
        for connectionID in victims {
            table[connectionID] = nil
            outputs.append(.reset(connectionID: connectionID, backend: index))
        }
        backends[index].connections = 0
    }
}
