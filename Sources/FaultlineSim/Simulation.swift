/// A value that contributes a stable 64-bit digest to the trace hash.
///
/// Invariant: the digest depends only on the value's contents, never on `Hasher` (which Swift seeds per
/// process) or on memory addresses, so two processes running the same seed fold the same digests.
public protocol TraceDigestible {
    var traceDigest: UInt64 { get }
}

/// What happens to a host: the engine hands these to the world, one at a time, in `(time, sequence)` order.
public enum SimEventKind<Message, TimerTag> {
    /// The host (re)started: build volatile state from durable state. Sent once when a host is added and
    /// once after each restart, before any other event of that incarnation.
    case started
    /// A message arrived from `from` through the simulated network.
    case message(from: HostID, Message)
    /// A timer set by this host fired.
    case timer(TimerHandle, TimerTag)
    /// A persist request of this host completed: what it wrote is now durable.
    case persisted(token: UInt64)
}

/// One event handed to the world.
public struct SimEvent<Message, TimerTag> {
    /// The global simulated time at which the event runs (never before the previous event's).
    public let time: SimInstant
    /// The host the event runs on.
    public let host: HostID
    public let kind: SimEventKind<Message, TimerTag>

    @inlinable init(time: SimInstant, host: HostID, kind: SimEventKind<Message, TimerTag>) {
        self.time = time
        self.host = host
        self.kind = kind
    }
}

/// The model driven by a `Simulation`: it owns every host's state machines and reacts to events.
///
/// The world reacts by calling the simulation's output methods (`send`, `setTimer`, `persist`, ...)
/// on the instance it is handed; it never runs code on a host outside `handle`.
public protocol SimWorld {
    associatedtype Message: TraceDigestible
    associatedtype TimerTag: TraceDigestible
    mutating func handle(_ event: SimEvent<Message, TimerTag>, in sim: Simulation<Message, TimerTag>)
}

/// A cancellable timer. Stale handles (fired, cancelled, or from an earlier incarnation) are harmless.
public struct TimerHandle: Hashable, Sendable {
    @usableFromInline let slot: Int32
    @usableFromInline let generation: UInt32
    @inlinable init(slot: Int32, generation: UInt32) {
        self.slot = slot
        self.generation = generation
    }
}

/// Why the engine dropped a message. Every message sent is delivered, dropped with one of these
/// reasons, or still in flight (message conservation; see `NetworkCounters`).
public enum DropReason: Int, CaseIterable, Sendable, CustomStringConvertible {
    /// Random loss on the link (configured or injected `network-loss`).
    case loss
    /// The link was cut by a partition when the message was sent.
    case partitionedAtSend
    /// A partition cut the link while the message was in flight; like an iptables rule on the
    /// receiver, it drops packets that arrive after it was installed.
    case partitionedInFlight
    /// The sender was not running when it tried to send (a model bug if it ever shows up).
    case senderDown
    /// The sender crashed while the message was in flight: its connection was torn down.
    case senderCrashedInFlight
    /// The receiver was down (crashed) when the message arrived, or was crashed while it held
    /// the message in its paused queue.
    case receiverDown
    /// The receiver crashed and restarted while the message was in flight: the message belongs to
    /// a connection of the earlier incarnation.
    case receiverRestarted

    public var description: String {
        switch self {
        case .loss: return "loss"
        case .partitionedAtSend: return "partitioned-at-send"
        case .partitionedInFlight: return "partitioned-in-flight"
        case .senderDown: return "sender-down"
        case .senderCrashedInFlight: return "sender-crashed-in-flight"
        case .receiverDown: return "receiver-down"
        case .receiverRestarted: return "receiver-restarted"
        }
    }
}

/// Counters that prove message conservation: `sent + duplicated == delivered + dropped + inFlight`.
public struct NetworkCounters: Sendable, Equatable {
    public var sent: Int = 0
    public var duplicated: Int = 0
    public var delivered: Int = 0
    public var inFlight: Int = 0
    public var droppedByReason: [Int] = Array(repeating: 0, count: DropReason.allCases.count)

    public var dropped: Int { droppedByReason.reduce(0, +) }
    public func dropped(_ reason: DropReason) -> Int { droppedByReason[reason.rawValue] }
    /// True when every message is accounted for.
    public var isConserved: Bool { sent + duplicated == delivered + dropped + inFlight }
}

/// How a run loop ended.
public enum RunOutcome: Equatable, Sendable {
    /// The condition passed to `runUntil` became true.
    case conditionMet
    /// Simulated time reached the deadline.
    case reachedDeadline
    /// The event budget was spent.
    case eventLimit
    /// No events were left before the deadline (the clock still advanced to it).
    case quiescent
    /// An engine bound was exceeded (see `SimLimits`); the run cannot go on.
    case limitExceeded(String)
}

/// Upper bounds on the engine's queues. Crossing one stops the run with `.limitExceeded`:
/// a runaway model is reported, never allowed to grow without bound.
public struct SimLimits: Sendable {
    /// Events (timers, messages, persists) pending at once.
    public var maxPendingEvents: Int = 20_000_000
    /// Hosts in one simulation.
    public var maxHosts: Int = 100_000
    public init() {}
}

/// A record of one thing the engine did, for `faultline replay`. Only built when a trace sink is set.
public struct TraceRecord: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case started, message, timer, persisted, dropped
        case crash, restart, pause, resume, clock, partition, heal, linkFault, storageStall, note
    }
    public let time: SimInstant
    public let kind: Kind
    public let source: HostID?
    public let target: HostID?
    public let digest: UInt64
    public let detail: String

    @usableFromInline init(time: SimInstant, kind: Kind, source: HostID?, target: HostID?, digest: UInt64, detail: String) {
        self.time = time
        self.kind = kind
        self.source = source
        self.target = target
        self.digest = digest
        self.detail = detail
    }
}

/// The deterministic discrete-event engine: virtual clock, event queue, hosts, network, storage and trace hash.
///
/// Invariants:
/// - Events run in `(time, sequence)` order; ties are broken by insertion order; `now` never decreases.
/// - The only randomness is the run's seed, through named `SimRandom` streams.
/// - A crashed host receives nothing; its timers, persists and paused backlog are discarded; a paused host
///   runs nothing, and what was due for it runs on resume in the original order.
/// - Every processed event and every control action (crash, partition, ...) is folded into `traceHash`.
public final class Simulation<Message: TraceDigestible, TimerTag: TraceDigestible> {
    // Stored properties are `@exclusivity(unchecked)`: the engine never calls out (to the world, a
    // trace sink or a description) while an access to one of them is open, so the runtime's dynamic
    // exclusivity checks (about half the cost of an event) only ever pass. The event slot table and
    // the free-slot stack are `OwnedBuffer`s, which skip copy-on-write uniqueness checks.

    // MARK: Clock, queue, trace

    /// The global simulated time: the one truth checkers use.
    @inlinable public var now: SimInstant { _now }
    @exclusivity(unchecked) @usableFromInline var _now: SimInstant = .start
    /// The seed of the run; every stream derives from it.
    public let seed: UInt64
    /// The running 64-bit hash of everything that happened.
    @inlinable public var traceHash: UInt64 { _traceHash }
    @exclusivity(unchecked) @usableFromInline var _traceHash: UInt64
    /// Events handed to the world so far.
    @inlinable public var processedEvents: Int { _processedEvents }
    @exclusivity(unchecked) @usableFromInline var _processedEvents: Int = 0
    /// Message conservation counters.
    @inlinable public var network: NetworkCounters { _network }
    @exclusivity(unchecked) @usableFromInline var _network = NetworkCounters()
    @exclusivity(unchecked) public var limits = SimLimits()
    /// When set, receives a record of every event and action (slow path, for replay and debugging).
    @exclusivity(unchecked) public var traceSink: ((TraceRecord) -> Void)?

    @exclusivity(unchecked) @usableFromInline var queue = EventHeap()
    @exclusivity(unchecked) @usableFromInline var slots = OwnedBuffer<Slot>(capacity: 1024)
    @exclusivity(unchecked) @usableFromInline var freeSlots = OwnedBuffer<Int32>(capacity: 1024)
    @exclusivity(unchecked) @usableFromInline var nextSequence: UInt64 = 0
    @exclusivity(unchecked) @usableFromInline var limitExceeded: String?

    // MARK: Hosts, network, storage

    @exclusivity(unchecked) @usableFromInline var hosts: [HostRecord] = []
    /// Name -> id, for lookups only (never iterated).
    @exclusivity(unchecked) var hostIDsByName: [String: HostID] = [:]
    @exclusivity(unchecked) @usableFromInline var linkRules: [LinkRule] = []
    @exclusivity(unchecked) @usableFromInline var nextRuleID: Int = 1
    /// The link configuration used unless a per-link override exists.
    @exclusivity(unchecked) public var defaultLink = LinkConfig()
    /// Per-directed-link overrides and FIFO state (lookups only, never iterated).
    @exclusivity(unchecked) @usableFromInline var linkOverrides: [LinkKey: LinkConfig] = [:]
    @exclusivity(unchecked) @usableFromInline var lastDeliveryByLink: [LinkKey: Int64] = [:]
    @exclusivity(unchecked) @usableFromInline var networkRandom: SimRandom
    /// True while the world handles an event caused by a duplicated message: the duplicate copy itself
    /// or anything its handling sent, set (timers) or persisted, transitively. Such messages are never
    /// duplicated again. Without this, a model that answers every copy (a client that retries on each
    /// "unavailable") doubles its traffic on every round trip and a run with `duplicateProbability`
    /// 1.0 never ends. False between events (controls, set-up), so what they send is an original.
    @exclusivity(unchecked) @usableFromInline var handlingDuplicateLineage = false
    @exclusivity(unchecked) @usableFromInline var storageRandom: SimRandom

    public init(seed: UInt64) {
        self.seed = seed
        self._traceHash = mixHash(0x6661_756C_746C_696E, seed)  // "faultlin"
        self.networkRandom = SimRandom(seed: seed, stream: "engine.network")
        self.storageRandom = SimRandom(seed: seed, stream: "engine.storage")
    }

    /// The independent random stream `name` of this run (same seed and name ⇒ same draws).
    public func randomStream(_ name: String) -> SimRandom { SimRandom(seed: seed, stream: name) }

    // MARK: - Hosts

    /// Registers a host; it starts at once (a `.started` event is scheduled at `now`).
    /// - Precondition: the name is unique.
    @discardableResult
    public func addHost(_ name: String, storageLatency: LatencyDistribution = .zero) -> HostID {
        precondition(hostIDsByName[name] == nil, "duplicate host name \(name)")
        precondition(hosts.count < limits.maxHosts, "more than \(limits.maxHosts) hosts")
        let id = HostID(index: hosts.count)
        hosts.append(HostRecord(name: name, storageLatency: storageLatency))
        hostIDsByName[name] = id
        schedule(at: now, host: id, epoch: 0, payload: .started)
        return id
    }

    public var hostCount: Int { hosts.count }
    public var allHosts: [HostID] { (0..<hosts.count).map { HostID(index: $0) } }
    public func host(named name: String) -> HostID? { hostIDsByName[name] }
    public func name(of host: HostID) -> String { hosts[Int(host.index)].name }
    public func state(of host: HostID) -> HostState { hosts[Int(host.index)].state }
    @inlinable public func isUp(_ host: HostID) -> Bool { hosts[Int(host.index)].state == .up }
    /// How many times the host has been restarted; events of an earlier incarnation never run.
    public func incarnation(of host: HostID) -> UInt32 { hosts[Int(host.index)].epoch }

    /// Crashes a host: its volatile state is gone (the world rebuilds it on `.started`), pending timers,
    /// persists and its paused backlog are discarded, and it receives nothing until `restart`.
    /// Crashing a host that is already down does nothing.
    public func crash(_ host: HostID) {
        let index = Int(host.index)
        guard hosts[index].state != .crashed else { return }
        hosts[index].state = .crashed
        hosts[index].epoch &+= 1
        hosts[index].lastPersistCompletion = now.nanosecondsSinceStart
        discardBacklog(of: index)
        recordControl(.crash, host)
    }

    /// Restarts a crashed host: a `.started` event runs at `now`, before anything else of the new incarnation.
    public func restart(_ host: HostID) {
        let index = Int(host.index)
        guard hosts[index].state == .crashed else { return }
        hosts[index].state = .up
        recordControl(.restart, host)
        schedule(at: now, host: host, epoch: hosts[index].epoch, payload: .started)
    }

    /// Pauses a running host (GC pause, SIGSTOP, stalled VM): nothing runs on it; due timers and arriving
    /// messages wait, in order, until `resume`. Nothing is lost.
    public func pause(_ host: HostID) {
        let index = Int(host.index)
        guard hosts[index].state == .up else { return }
        hosts[index].state = .paused
        recordControl(.pause, host)
    }

    /// Resumes a paused host: everything that came due while it was paused runs now, in its original order.
    public func resume(_ host: HostID) {
        let index = Int(host.index)
        guard hosts[index].state == .paused else { return }
        hosts[index].state = .up
        recordControl(.resume, host)
        let backlog = hosts[index].backlog
        hosts[index].backlog.removeAll(keepingCapacity: true)
        for entry in backlog {
            pushKey(at: now.nanosecondsSinceStart, slot: entry.slot, generation: entry.generation)
        }
    }

    /// Moves a paused host's backlog out of the queue and into oblivion (on crash).
    func discardBacklog(of index: Int) {
        let backlog = hosts[index].backlog
        hosts[index].backlog.removeAll()
        for entry in backlog where slots[Int(entry.slot)].generation == entry.generation {
            if case .message(let from, _, _) = slots[Int(entry.slot)].payload {
                _network.inFlight -= 1
                countDrop(.receiverDown, from: from, to: HostID(index: index))
            }
            freeSlot(entry.slot)
        }
    }

    // MARK: - Local clocks

    /// Sets a host's clock: local time = global time × (1 + driftPpm / 10⁶) + offset.
    /// Timers are set in local durations (monotonic clocks run at the drifted rate); wall-clock reads
    /// (`localTime`) also see the offset, which is what lease and node-lease deadlines compare.
    public func setClock(_ host: HostID, offset: SimDuration, driftPpm: Int64) {
        precondition(driftPpm > -1_000_000 && driftPpm < 1_000_000, "drift must be within ±10⁶ ppm")
        hosts[Int(host.index)].clockOffset = offset.nanoseconds
        hosts[Int(host.index)].driftPpm = driftPpm
        recordControl(.clock, host, detail: "offset=\(offset) drift=\(driftPpm)ppm")
    }

    /// The host's own reading of the wall clock.
    @inlinable public func localTime(of host: HostID) -> SimInstant {
        let record = hosts[Int(host.index)]
        let t = now.nanosecondsSinceStart
        let drift = (t / 1_000_000) * record.driftPpm + (t % 1_000_000) * record.driftPpm / 1_000_000
        return SimInstant(nanosecondsSinceStart: t + drift + record.clockOffset)
    }

    /// The host's monotonic clock: it runs at the drifted rate but ignores offset jumps (Go's
    /// monotonic reading, which client-go's deadlines and `observedTime` compare).
    @inlinable public func monotonicTime(of host: HostID) -> SimInstant {
        let record = hosts[Int(host.index)]
        let t = now.nanosecondsSinceStart
        let drift = (t / 1_000_000) * record.driftPpm + (t % 1_000_000) * record.driftPpm / 1_000_000
        return SimInstant(nanosecondsSinceStart: t + drift)
    }

    /// Converts a duration measured by the host's clock into global simulated time.
    @inlinable @inline(__always) func globalDuration(_ local: SimDuration, on index: Int) -> Int64 {
        let ppm = hosts[index].driftPpm
        if ppm == 0 { return local.nanoseconds }
        // local = global × (10⁶ + ppm) / 10⁶  ⇒  global = local × 10⁶ / (10⁶ + ppm), without overflow.
        let (high, low) = local.nanoseconds.multipliedFullWidth(by: 1_000_000)
        return (1_000_000 + ppm).dividingFullWidth((high, low)).quotient
    }

    // MARK: - Timers

    /// Sets a timer on `host` that fires after `delay` as measured by the host's clock.
    /// - Precondition: `delay` is not negative.
    @inlinable @discardableResult
    public func setTimer(on host: HostID, after delay: SimDuration, _ tag: TimerTag) -> TimerHandle {
        precondition(delay.nanoseconds >= 0, "negative timer delay")
        let index = Int(host.index)
        let due = now.nanosecondsSinceStart &+ globalDuration(delay, on: index)
        return schedule(at: SimInstant(nanosecondsSinceStart: due), host: host, epoch: hosts[index].epoch, payload: .timer(tag))
    }

    /// Cancels a pending timer; a handle that already fired or was cancelled is ignored.
    @inlinable public func cancelTimer(_ handle: TimerHandle) {
        let slot = Int(handle.slot)
        guard slot < slots.count, slots[slot].generation == handle.generation, slots[slot].occupied else { return }
        freeSlot(handle.slot)
    }

    // MARK: - Storage

    /// Sets the host's storage latency (per persist, fsync included).
    public func setStorageLatency(_ host: HostID, _ latency: LatencyDistribution) {
        hosts[Int(host.index)].storageLatency = latency
    }

    /// Stalls the host's storage until `until`: persists complete no earlier (an fsync stall).
    public func stallStorage(_ host: HostID, until: SimInstant) {
        hosts[Int(host.index)].storageStalledUntil = until.nanosecondsSinceStart
        recordControl(.storageStall, host, detail: "until \(until)")
    }

    /// Starts persisting something on `host`; a `.persisted(token)` event runs when it is durable.
    /// Persists complete in the order they were issued (one fsync queue per host). A crash before
    /// completion loses the write: the event never runs.
    @inlinable public func persist(on host: HostID, token: UInt64) {
        let index = Int(host.index)
        let latency = hosts[index].storageLatency.sample(&storageRandom).nanoseconds
        var due = now.nanosecondsSinceStart &+ latency
        due = max(due, hosts[index].lastPersistCompletion, hosts[index].storageStalledUntil)
        hosts[index].lastPersistCompletion = due
        schedule(at: SimInstant(nanosecondsSinceStart: due), host: host, epoch: hosts[index].epoch, payload: .persisted(token))
    }

    // MARK: - Network

    /// Overrides the link configuration from `source` to `target` (one direction).
    public func configureLink(from source: HostID, to target: HostID, _ config: LinkConfig) {
        linkOverrides[LinkKey(source, target)] = config
    }

    /// Sends `message` from `source` to `target` through the simulated network.
    ///
    /// The message is dropped at once if the sender is not running, the link is cut, or the link loses
    /// it; otherwise it arrives after a sampled latency (FIFO per link unless the link allows
    /// reordering), possibly twice if the link duplicates (never when the message descends from a
    /// duplicate: see `handlingDuplicateLineage`). On arrival it is dropped if the receiver is
    /// down or restarted since, the sender crashed meanwhile, or a partition now cuts the link.
    @inlinable public func send(_ message: Message, from source: HostID, to target: HostID) {
        _network.sent += 1
        let sourceIndex = Int(source.index)
        guard hosts[sourceIndex].state == .up else {
            countDrop(.senderDown, from: source, to: target)
            return
        }
        var config = linkOverrides.isEmpty ? defaultLink : (linkOverrides[LinkKey(source, target)] ?? defaultLink)
        if !linkRules.isEmpty {
            if isCut(from: source, to: target) {
                countDrop(.partitionedAtSend, from: source, to: target)
                return
            }
            applyRules(from: source, to: target, to: &config)
        }
        if config.lossProbability > 0, networkRandom.bernoulli(config.lossProbability) {
            countDrop(.loss, from: source, to: target)
            return
        }
        // The draw happens for every send on a duplicating link, duplicate lineage or not, so the
        // stream's draws are those of a send whatever caused it; links that never duplicate draw nothing.
        let drawsDuplicate = config.duplicateProbability > 0 && networkRandom.bernoulli(config.duplicateProbability)
        let copies = drawsDuplicate && !handlingDuplicateLineage ? 2 : 1
        if copies == 2 { _network.duplicated += 1 }
        for copy in 0..<copies {
            var due = now.nanosecondsSinceStart &+ config.latency.sample(&networkRandom).nanoseconds
            if !config.allowsReordering {
                let key = LinkKey(source, target)
                if let last = lastDeliveryByLink[key], last > due { due = last }
                lastDeliveryByLink[key] = due
            }
            _network.inFlight += 1
            let targetEpoch = hosts[Int(target.index)].epoch
            schedule(
                at: SimInstant(nanosecondsSinceStart: due), host: target, epoch: targetEpoch,
                payload: .message(from: source, senderEpoch: hosts[sourceIndex].epoch, message),
                duplicateLineage: handlingDuplicateLineage || copy == 1)
        }
    }

    @inlinable func isCut(from source: HostID, to target: HostID) -> Bool {
        for rule in linkRules where rule.effect == .cut {
            if rule.sources.contains(source) && rule.targets.contains(target) { return true }
        }
        return false
    }

    @inlinable func applyRules(from source: HostID, to target: HostID, to config: inout LinkConfig) {
        for rule in linkRules where rule.sources.contains(source) && rule.targets.contains(target) {
            switch rule.effect {
            case .cut:
                break
            case .delay(let extra):
                config.latency = .constant(config.latency.sample(&networkRandom) + extra.sample(&networkRandom))
                config.allowsReordering = config.allowsReordering || rule.allowsReordering
            case .loss(let probability):
                config.lossProbability = 1 - (1 - config.lossProbability) * (1 - probability)
            case .duplicate(let probability):
                config.duplicateProbability = max(config.duplicateProbability, probability)
            }
        }
    }

    @usableFromInline func countDrop(_ reason: DropReason, from source: HostID, to target: HostID) {
        _network.droppedByReason[reason.rawValue] += 1
        if let sink = traceSink {
            sink(TraceRecord(time: now, kind: .dropped, source: source, target: target, digest: 0, detail: reason.description))
        }
    }

    /// Installs a rule on every directed link from a host in `sources` to a host in `targets`.
    /// Returns its id for `removeLinkRule`.
    @discardableResult
    public func addLinkRule(from sources: HostSet, to targets: HostSet, _ effect: LinkEffect, allowsReordering: Bool = false) -> Int {
        let id = nextRuleID
        nextRuleID += 1
        linkRules.append(LinkRule(id: id, sources: sources, targets: targets, effect: effect, allowsReordering: allowsReordering))
        let names = { (set: HostSet) in set.map { self.name(of: $0) }.joined(separator: ",") }
        recordControl(effect == .cut ? .partition : .linkFault, nil, detail: "#\(id) \(effect) [\(names(sources))] -> [\(names(targets))]")
        return id
    }

    /// Removes one rule; unknown ids are ignored.
    public func removeLinkRule(_ id: Int) {
        guard let position = linkRules.firstIndex(where: { $0.id == id }) else { return }
        linkRules.remove(at: position)
        recordControl(.heal, nil, detail: "#\(id)")
    }

    /// Cuts both directions between `hosts` and everyone else. Returns the rule ids.
    @discardableResult
    public func isolate(_ isolated: HostSet) -> [Int] {
        let others = HostSet(allHosts.filter { !isolated.contains($0) })
        return [addLinkRule(from: isolated, to: others, .cut), addLinkRule(from: others, to: isolated, .cut)]
    }

    /// Splits the hosts into groups that cannot reach each other (hosts in no group keep reaching all).
    @discardableResult
    public func partition(_ groups: [HostSet]) -> [Int] {
        var ids: [Int] = []
        for (i, a) in groups.enumerated() {
            for (j, b) in groups.enumerated() where i != j {
                ids.append(addLinkRule(from: a, to: b, .cut))
            }
        }
        return ids
    }

    /// Cuts one direction only: `sources` can no longer reach `targets`, the reverse still works.
    @discardableResult
    public func partitionOneWay(from sources: HostSet, to targets: HostSet) -> Int {
        addLinkRule(from: sources, to: targets, .cut)
    }

    /// Jepsen's bridge: two sides that cannot reach each other, both reaching the `bridge` hosts.
    @discardableResult
    public func bridge(_ left: HostSet, _ right: HostSet) -> [Int] {
        partition([left, right])
    }

    /// Removes every link rule: partitions, delays, losses.
    public func heal() {
        guard !linkRules.isEmpty else { return }
        linkRules.removeAll()
        recordControl(.heal, nil, detail: "all")
    }

    /// True when a message from `source` would not be cut by a partition right now.
    public func canReach(from source: HostID, to target: HostID) -> Bool { !isCut(from: source, to: target) }

    // MARK: - Running

    /// Runs events until simulated time reaches `deadline` (the clock then stands at `deadline`).
    @inlinable @discardableResult
    public func run<World: SimWorld>(_ world: inout World, until deadline: SimInstant, maxEvents: Int = .max) -> RunOutcome
    where World.Message == Message, World.TimerTag == TimerTag {
        runUntil(&world, deadline: deadline, maxEvents: maxEvents) { _ in false }
    }

    /// Runs events until `condition` holds (checked before each event and after it), the deadline
    /// passes, or `maxEvents` events ran: the bound every open-ended wait needs.
    @inlinable @discardableResult
    public func runUntil<World: SimWorld>(
        _ world: inout World, deadline: SimInstant, maxEvents: Int = .max, _ condition: (World) -> Bool
    ) -> RunOutcome where World.Message == Message, World.TimerTag == TimerTag {
        var budget = maxEvents
        if condition(world) { return .conditionMet }
        while true {
            if let reason = limitExceeded { return .limitExceeded(reason) }
            guard let top = queue.peek() else {
                if deadline != .distantFuture, deadline > now { _now = deadline }
                return .quiescent
            }
            if top.time > deadline.nanosecondsSinceStart {
                _now = max(now, deadline)
                return .reachedDeadline
            }
            if budget == 0 { return .eventLimit }
            budget -= 1
            _ = queue.pop()
            if let event = take(top) {
                world.handle(event, in: self)
                handlingDuplicateLineage = false
                if condition(world) { return .conditionMet }
            }
        }
    }

    /// Processes at most one event (skipping stale entries); returns false when the queue is empty.
    @inlinable @discardableResult
    public func step<World: SimWorld>(_ world: inout World) -> Bool
    where World.Message == Message, World.TimerTag == TimerTag {
        while let top = queue.pop() {
            if let event = take(top) {
                world.handle(event, in: self)
                handlingDuplicateLineage = false
                return true
            }
        }
        return false
    }

    /// The time of the next pending queue entry, if any (it may turn out stale).
    public var nextEventTime: SimInstant? { queue.peek().map { SimInstant(nanosecondsSinceStart: $0.time) } }

    /// Entries in the event queue, stale ones included.
    public var pendingEventCount: Int { queue.count }

    /// Turns a popped key into the event to run, or nil when it is stale, belongs to a dead incarnation,
    /// or must wait for a paused host. Advances the clock and folds the event into the trace hash.
    @inlinable @inline(__always) func take(_ key: EventKey) -> SimEvent<Message, TimerTag>? {
        let slotIndex = Int(key.slot)
        guard slots[slotIndex].occupied, slots[slotIndex].generation == key.generation else { return nil }
        assert(key.time >= now.nanosecondsSinceStart, "event scheduled in the past")
        _now = SimInstant(nanosecondsSinceStart: key.time)
        let hostIndex = Int(slots[slotIndex].host.index)
        let host = slots[slotIndex].host
        let payload = slots[slotIndex].payload
        let eventEpoch = slots[slotIndex].epoch
        let record = hosts[hostIndex]

        if case .message(let from, let senderEpoch, _) = payload {
            let reason: DropReason?
            if record.state == .crashed {
                reason = .receiverDown
            } else if record.epoch != eventEpoch {
                reason = .receiverRestarted
            } else if hosts[Int(from.index)].epoch != senderEpoch || hosts[Int(from.index)].state == .crashed {
                reason = .senderCrashedInFlight
            } else if !linkRules.isEmpty && isCut(from: from, to: host) {
                reason = .partitionedInFlight
            } else {
                reason = nil
            }
            if let reason {
                _network.inFlight -= 1
                countDrop(reason, from: from, to: host)
                freeSlot(key.slot)
                return nil
            }
        } else if record.state == .crashed || record.epoch != eventEpoch {
            // Timers and persists of a dead incarnation vanish with it.
            freeSlot(key.slot)
            return nil
        }
        if record.state == .paused {
            // Nothing runs on a paused host: keep the slot, replay it on resume.
            hosts[hostIndex].backlog.append(BacklogEntry(slot: key.slot, generation: key.generation))
            return nil
        }

        handlingDuplicateLineage = slots[slotIndex].duplicateLineage
        let kind: SimEventKind<Message, TimerTag>
        var digest: UInt64
        var source = host
        switch payload {
        case .started:
            kind = .started
            digest = 0x5354_4152_54  // "START"
        case .message(let from, _, let message):
            _network.inFlight -= 1
            _network.delivered += 1
            kind = .message(from: from, message)
            digest = message.traceDigest
            source = from
        case .timer(let tag):
            kind = .timer(TimerHandle(slot: key.slot, generation: key.generation), tag)
            digest = tag.traceDigest
        case .persisted(let token):
            kind = .persisted(token: token)
            digest = token
        }
        freeSlot(key.slot)
        _processedEvents += 1
        digest = mixHash(digest, UInt64(payload.kindCode))
        _traceHash = mixHash(mixHash(mixHash(_traceHash, UInt64(bitPattern: key.time)), digest),
                            UInt64(UInt32(bitPattern: source.index)) << 32 | UInt64(UInt32(bitPattern: host.index)))
        if let sink = traceSink {
            sink(TraceRecord(time: now, kind: payload.traceKind, source: source, target: host, digest: digest,
                             detail: payload.detail))
        }
        return SimEvent(time: now, host: host, kind: kind)
    }

    // MARK: - Queue internals

    @inlinable @inline(__always) @discardableResult
    func schedule(at time: SimInstant, host: HostID, epoch: UInt32, payload: Payload, duplicateLineage: Bool? = nil) -> TimerHandle {
        precondition(time >= now, "cannot schedule before now")
        // What an event's handling schedules inherits its lineage (see `handlingDuplicateLineage`).
        let lineage = duplicateLineage ?? handlingDuplicateLineage
        let slot: Int32
        if let reused = freeSlots.popLast() {
            slot = reused
            slots[Int(slot)].occupied = true
            slots[Int(slot)].host = host
            slots[Int(slot)].epoch = epoch
            slots[Int(slot)].payload = payload
            slots[Int(slot)].duplicateLineage = lineage
        } else {
            slot = Int32(slots.count)
            slots.append(Slot(occupied: true, generation: 0, host: host, epoch: epoch, payload: payload, duplicateLineage: lineage))
        }
        let generation = slots[Int(slot)].generation
        pushKey(at: time.nanosecondsSinceStart, slot: slot, generation: generation)
        if queue.count > limits.maxPendingEvents, limitExceeded == nil {
            limitExceeded = "more than \(limits.maxPendingEvents) pending events at \(now)"
        }
        return TimerHandle(slot: slot, generation: generation)
    }

    @inlinable @inline(__always) func pushKey(at time: Int64, slot: Int32, generation: UInt32) {
        queue.push(EventKey(time: time, sequence: nextSequence, slot: slot, generation: generation))
        nextSequence &+= 1
    }

    @inlinable @inline(__always) func freeSlot(_ slot: Int32) {
        slots[Int(slot)].occupied = false
        slots[Int(slot)].generation &+= 1
        slots[Int(slot)].payload = .started  // release the message payload now
        freeSlots.append(slot)
    }

    func recordControl(_ kind: TraceRecord.Kind, _ host: HostID?, detail: String = "") {
        let code = UInt64(stableHash(kind.rawValue))
        _traceHash = mixHash(mixHash(mixHash(_traceHash, UInt64(bitPattern: now.nanosecondsSinceStart)), code),
                            UInt64(bitPattern: Int64(host?.index ?? -1)) ^ stableHash(detail))
        if let sink = traceSink {
            sink(TraceRecord(time: now, kind: kind, source: host, target: host, digest: code, detail: detail))
        }
    }

    /// Adds a model-level note to the trace hash (e.g. a fault the chaos layer injected).
    public func note(_ text: String, host: HostID? = nil) { recordControl(.note, host, detail: text) }
}

// MARK: - Engine value types

/// Whether a host is running.
public enum HostState: Sendable, Equatable {
    case up
    case paused
    case crashed
}

/// Properties of one directed link.
public struct LinkConfig: Hashable, Sendable {
    /// One-way latency. Default: log-normal with a 0.5 ms median, a common intra-datacenter fit.
    public var latency: LatencyDistribution = .logNormal(median: .microseconds(500), sigma: 0.4, floor: .microseconds(100))
    public var lossProbability: Double = 0
    public var duplicateProbability: Double = 0
    /// When false (TCP), messages on the link arrive in the order they were sent.
    public var allowsReordering = false
    public init() {}
    public init(latency: LatencyDistribution, lossProbability: Double = 0, duplicateProbability: Double = 0, allowsReordering: Bool = false) {
        self.latency = latency
        self.lossProbability = lossProbability
        self.duplicateProbability = duplicateProbability
        self.allowsReordering = allowsReordering
    }
}

/// What a link rule does to the links it covers.
public enum LinkEffect: Hashable, Sendable, CustomStringConvertible {
    /// Nothing passes (a partition).
    case cut
    /// Extra latency on top of the link's own (`network-delay`).
    case delay(LatencyDistribution)
    /// Extra independent loss (`network-loss`).
    case loss(Double)
    /// Duplication (`network-duplicate`).
    case duplicate(Double)

    public var description: String {
        switch self {
        case .cut: return "cut"
        case .delay(let latency): return "delay \(latency)"
        case .loss(let probability): return "loss \(probability)"
        case .duplicate(let probability): return "duplicate \(probability)"
        }
    }
}

@usableFromInline
struct LinkRule {
    @usableFromInline let id: Int
    @usableFromInline let sources: HostSet
    @usableFromInline let targets: HostSet
    @usableFromInline let effect: LinkEffect
    @usableFromInline let allowsReordering: Bool
    @inlinable init(id: Int, sources: HostSet, targets: HostSet, effect: LinkEffect, allowsReordering: Bool) {
        self.id = id
        self.sources = sources
        self.targets = targets
        self.effect = effect
        self.allowsReordering = allowsReordering
    }
}

@usableFromInline
struct LinkKey: Hashable {
    @usableFromInline let packed: UInt64
    @inlinable init(_ source: HostID, _ target: HostID) {
        packed = UInt64(UInt32(bitPattern: source.index)) << 32 | UInt64(UInt32(bitPattern: target.index))
    }
}

@usableFromInline
struct BacklogEntry {
    @usableFromInline let slot: Int32
    @usableFromInline let generation: UInt32
    @inlinable init(slot: Int32, generation: UInt32) {
        self.slot = slot
        self.generation = generation
    }
}

@usableFromInline
struct HostRecord {
    @usableFromInline var name: String
    @usableFromInline var state: HostState = .up
    /// Incremented on every crash; events carry the epoch they were scheduled in.
    @usableFromInline var epoch: UInt32 = 0
    @usableFromInline var clockOffset: Int64 = 0
    @usableFromInline var driftPpm: Int64 = 0
    @usableFromInline var storageLatency: LatencyDistribution
    @usableFromInline var storageStalledUntil: Int64 = 0
    @usableFromInline var lastPersistCompletion: Int64 = 0
    /// Events that came due while the host was paused, in arrival order.
    @usableFromInline var backlog: [BacklogEntry] = []
    init(name: String, storageLatency: LatencyDistribution) {
        self.name = name
        self.storageLatency = storageLatency
    }
}

extension Simulation {
    @usableFromInline
    enum Payload {
        case started
        case message(from: HostID, senderEpoch: UInt32, Message)
        case timer(TimerTag)
        case persisted(UInt64)

        @inlinable var kindCode: UInt8 {
            switch self {
            case .started: return 1
            case .message: return 2
            case .timer: return 3
            case .persisted: return 4
            }
        }

        @usableFromInline var traceKind: TraceRecord.Kind {
            switch self {
            case .started: return .started
            case .message: return .message
            case .timer: return .timer
            case .persisted: return .persisted
            }
        }

        @usableFromInline var detail: String {
            switch self {
            case .started: return ""
            case .message(_, _, let message): return String(describing: message)
            case .timer(let tag): return String(describing: tag)
            case .persisted(let token): return "token \(token)"
            }
        }
    }

    @usableFromInline
    struct Slot {
        @usableFromInline var occupied: Bool
        @usableFromInline var generation: UInt32
        @usableFromInline var host: HostID
        @usableFromInline var epoch: UInt32
        @usableFromInline var payload: Payload
        /// The event descends from a duplicated message (see `handlingDuplicateLineage`).
        @usableFromInline var duplicateLineage: Bool
        @inlinable init(occupied: Bool, generation: UInt32, host: HostID, epoch: UInt32, payload: Payload, duplicateLineage: Bool) {
            self.occupied = occupied
            self.generation = generation
            self.host = host
            self.epoch = epoch
            self.payload = payload
            self.duplicateLineage = duplicateLineage
        }
    }
}
