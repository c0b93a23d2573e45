/// Small reference models that exercise the engine alone. The benchmarks measure them and the
/// cross-process determinism tests compare their trace hashes, so they live beside the engine.

/// An opaque numeric payload with a stable digest.
public struct Token: TraceDigestible, Hashable, Sendable, CustomStringConvertible {
    public var value: UInt64
    @inlinable public init(_ value: UInt64) { self.value = value }
    @inlinable public var traceDigest: UInt64 { value }
    public var description: String { "token(\(value))" }
}

/// The engine benchmark's ping-pong model: `processCount` processes on one host, each of which, when
/// its timer fires, schedules its next firing at now + an exponential delay.
///
/// Invariant: exactly `processCount` timers are pending at any time, so the queue stays the same size
/// and steady-state events allocate nothing.
public struct PingPongWorld: SimWorld {
    public typealias Message = Token
    public typealias TimerTag = Token

    public let processCount: Int
    public let meanDelayNs: Double
    public var firings: Int = 0
    @usableFromInline var random: SimRandom

    public init(processCount: Int, meanDelay: SimDuration, seed: UInt64) {
        self.processCount = processCount
        self.meanDelayNs = Double(meanDelay.nanoseconds)
        self.random = SimRandom(seed: seed, stream: "pingpong")
    }

    @inlinable
    public mutating func handle(_ event: SimEvent<Token, Token>, in sim: Simulation<Token, Token>) {
        switch event.kind {
        case .started:
            for process in 0..<processCount {
                sim.setTimer(on: event.host, after: nextDelay(), Token(UInt64(process)))
            }
        case .timer(_, let tag):
            firings += 1
            sim.setTimer(on: event.host, after: nextDelay(), tag)
        case .message, .persisted:
            preconditionFailure("ping-pong sends no messages and persists nothing")
        }
    }

    @inlinable mutating func nextDelay() -> SimDuration {
        SimDuration(nanoseconds: Int64(random.exponential(mean: meanDelayNs)) + 1)
    }

    /// Builds a simulation with one host running the model.
    public static func make(processCount: Int, seed: UInt64) -> (Simulation<Token, Token>, PingPongWorld) {
        let sim = Simulation<Token, Token>(seed: seed)
        sim.addHost("pingpong")
        return (sim, PingPongWorld(processCount: processCount, meanDelay: .milliseconds(1), seed: seed))
    }
}

/// The network benchmark and determinism model: hosts exchange messages through the simulated network.
/// Each host starts `messagesPerHost` messages; a host that receives one forwards it to a peer drawn
/// from its own stream, persists every 16th, and keeps a heartbeat timer. With `chaos` on, a
/// controller host crashes, restarts, pauses and partitions hosts on a seeded schedule.
///
/// Invariant: messages are conserved (`sim.network.isConserved`) at every instant.
public struct NetworkWorld: SimWorld {
    public typealias Message = Token
    public typealias TimerTag = Token

    public let hostCount: Int
    public let messagesPerHost: Int
    public let chaos: Bool
    public var received: Int = 0
    public var persisted: Int = 0
    public var starts: Int = 0
    @usableFromInline var random: SimRandom
    @usableFromInline var chaosRandom: SimRandom
    @usableFromInline var controller: HostID?

    public static let heartbeatTag: UInt64 = .max
    public static let chaosTag: UInt64 = .max - 1

    public init(hostCount: Int, messagesPerHost: Int, chaos: Bool, seed: UInt64) {
        self.hostCount = hostCount
        self.messagesPerHost = messagesPerHost
        self.chaos = chaos
        self.random = SimRandom(seed: seed, stream: "network-world")
        self.chaosRandom = SimRandom(seed: seed, stream: "network-world.chaos")
    }

    /// Builds a simulation with `hostCount` workers (and a controller when `chaos` is on).
    public static func make(hostCount: Int, messagesPerHost: Int, chaos: Bool, seed: UInt64) -> (Simulation<Token, Token>, NetworkWorld) {
        let sim = Simulation<Token, Token>(seed: seed)
        for index in 0..<hostCount {
            sim.addHost("host-\(index)", storageLatency: .uniform(min: .microseconds(200), max: .milliseconds(2)))
        }
        var world = NetworkWorld(hostCount: hostCount, messagesPerHost: messagesPerHost, chaos: chaos, seed: seed)
        if chaos { world.controller = sim.addHost("controller") }
        return (sim, world)
    }

    @inlinable
    public mutating func handle(_ event: SimEvent<Token, Token>, in sim: Simulation<Token, Token>) {
        if event.host == controller {
            if case .timer = event.kind { injectChaos(sim) }
            if case .started = event.kind { sim.setTimer(on: event.host, after: .milliseconds(50), Token(Self.chaosTag)) }
            return
        }
        switch event.kind {
        case .started:
            starts += 1
            sim.setTimer(on: event.host, after: .milliseconds(100), Token(Self.heartbeatTag))
            for index in 0..<messagesPerHost {
                sim.send(Token(UInt64(index)), from: event.host, to: peer(of: event.host))
            }
        case .message(_, let token):
            received += 1
            if token.value % 16 == 0 {
                sim.persist(on: event.host, token: token.value)
            }
            sim.send(Token(token.value &+ 1), from: event.host, to: peer(of: event.host))
        case .timer(_, let tag):
            sim.setTimer(on: event.host, after: .milliseconds(100), tag)
        case .persisted:
            persisted += 1
        }
    }

    @inlinable mutating func peer(of host: HostID) -> HostID {
        var target = random.uniform(0..<(hostCount - 1))
        if target >= Int(host.index) { target += 1 }
        return HostID(index: target)
    }

    @usableFromInline mutating func injectChaos(_ sim: Simulation<Token, Token>) {
        let target = HostID(index: chaosRandom.uniform(0..<hostCount))
        switch chaosRandom.uniform(0..<6) {
        case 0: sim.crash(target)
        case 1: sim.restart(target)
        case 2: sim.pause(target)
        case 3: sim.resume(target)
        case 4: sim.isolate(HostSet([target]))
        default: sim.heal()
        }
        // Restart anything that has been down for a while so the run keeps traffic flowing.
        for host in 0..<hostCount where sim.state(of: HostID(index: host)) != .up && chaosRandom.bernoulli(0.2) {
            sim.restart(HostID(index: host))
            sim.resume(HostID(index: host))
        }
        sim.setTimer(on: controller!, after: .milliseconds(Int64(chaosRandom.uniform(10...200))), Token(Self.chaosTag))
    }
}
