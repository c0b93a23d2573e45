import FaultlineCluster
import FaultlineSim

/// Checks a key-value client history for linearizability as operations complete, key by key, in
/// memory bounded by the operations since the last cut (plus the unknown-outcome writes still pending),
/// with the same verdict as `LinearizabilityCheck.check` on the whole history.
///
/// A **cut** of a key's history at time T is a point where no operation with a known outcome is
/// pending: every one called before T returned before T, and every later one (observed or not yet) is
/// called at or after T. A history is linearizable iff the part before T can be linearized to some
/// configuration (the value at T, and which unknown-outcome writes called before T are still pending:
/// they may take effect later, or never) from which the part after T can be linearized. So at a cut
/// the key keeps only its set of configurations (`SegmentSearch` computes it) and drops the history
/// behind it; an empty set is a violation, found there and then.
///
/// Operations arrive in completion order, so the checker needs to know that nothing called before T
/// is still to come. Clients are closed-loop (one request in flight each): a client's next operation
/// is called after its last one completed, so no operation still to come is called before `horizon`,
/// the earliest of the clients' last completions. Cuts are taken at or before the horizon.
///
/// Invariants: every buffered operation of a key was called at or after its `cutAt`; `carried` holds
/// exactly the unknown-outcome writes some configuration has pending; dictionaries are for lookups
/// only (keys are visited in sorted order).
public struct IncrementalLinearizability: Sendable {
    struct KeyHistory: Sendable {
        var configurations = [KeyConfiguration(state: nil, pending: [])]
        /// Unknown-outcome writes pending in some configuration, by serial (lookups only).
        var carried: [Int: ClientOperation] = [:]
        /// Operations observed since the last cut.
        var buffer: [(serial: Int, operation: ClientOperation)] = []
        var cutAt: SimInstant = .start
        var nextAttempt = IncrementalLinearizability.attemptEvery
        /// Why this key cannot be decided, if it cannot.
        var undecided: String?
        /// Configurations dropped at cuts (see `maxConfigurations`), and when first.
        var dropped = 0
        var droppedAt: SimInstant?
    }

    /// Operations buffered on a key between attempts to cut its history.
    static let attemptEvery = 32
    /// Configurations a cut keeps. More arise when several unknown-outcome writes could each have
    /// explained what was observed and nothing observed since tells which. Then only the first
    /// `maxConfigurations` (those with the most writes still pending first) are kept: an
    /// under-approximation, so "linearizable" stays exact, but a violation found on that key later is
    /// reported as not decided (it might have been explained by a dropped configuration).
    static let maxConfigurations = 64

    let maxStates: Int
    /// Per client, a lower bound of the call time of its next operation (its last completion).
    var nextCall: [SimInstant]
    var keys: [String: KeyHistory] = [:]
    var serial = 0
    public private(set) var observed = 0
    /// The first violation found, and whether the caller has taken it.
    public private(set) var violation: (at: SimInstant, detail: String)?

    public init(clients: Int, maxStates: Int = LinearizabilityCheck.defaultMaxStates) {
        self.maxStates = maxStates
        nextCall = Array(repeating: .start, count: clients)
    }

    /// Operations and pending unknown-outcome writes held now (what memory grows with).
    public var retainedOperations: Int {
        keys.values.reduce(0) { $0 + $1.buffer.count + $1.carried.count }
    }

    var horizon: SimInstant { nextCall.min() ?? .distantFuture }

    public mutating func observe(_ operation: ClientOperation) {
        observed += 1
        while operation.client >= nextCall.count { nextCall.append(.start) }
        nextCall[operation.client] = max(nextCall[operation.client], operation.returned ?? operation.called)
        guard violation == nil else { return }
        // A read that never returned observed nothing: it constrains nothing and changes nothing.
        if operation.kind == .get && operation.returned == nil { return }
        var key = keys[operation.key] ?? KeyHistory()
        defer { keys[operation.key] = key }
        guard key.undecided == nil else { return }
        guard operation.called >= key.cutAt else {
            key.undecided = "an operation called at \(operation.called) arrived behind the checked prefix (cut at \(key.cutAt))"
            return
        }
        serial += 1
        key.buffer.append((serial, operation))
        if key.buffer.count >= key.nextAttempt { cut(&key, name: operation.key, final: false) }
    }

    /// The verdict over everything observed (the remaining segments are checked now).
    public mutating func finish() -> LinearizabilityCheck.Outcome {
        if let violation { return .violation(at: violation.at, detail: violation.detail) }
        var undecided: [String] = []
        for name in keys.keys.sorted() {
            var key = keys[name]!
            if key.undecided == nil && !key.buffer.isEmpty { cut(&key, name: name, final: true) }
            keys[name] = key
            if let violation { return .violation(at: violation.at, detail: violation.detail) }
            if key.undecided != nil { undecided.append(name) }
        }
        if !undecided.isEmpty {
            let reasons = undecided.map { keys[$0]!.undecided! }
            if reasons.allSatisfy({ $0.hasPrefix("search bound") }) {
                return .unknown(reason: "search bound of \(maxStates) states reached on key(s) \(undecided.joined(separator: ", "))")
            }
            return .unknown(reason: zip(undecided, reasons).map { "\($0): \($1)" }.joined(separator: "; "))
        }
        return .linearizable(checkedOperations: observed)
    }

    /// Checks the key's history up to the latest cut (all of it when `final`) and drops it.
    mutating func cut(_ key: inout KeyHistory, name: String, final: Bool) {
        key.buffer.sort { ($0.operation.called, $0.operation.client, $0.serial) < ($1.operation.called, $1.operation.client, $1.serial) }
        var length = final ? key.buffer.count : 0
        var cutAt = key.cutAt
        if !final {
            let horizon = horizon
            var latestReturn: SimInstant?
            var reachedEnd = true
            for (position, item) in key.buffer.enumerated() {
                if item.operation.called > horizon { reachedEnd = false; break }
                if position > 0, latestReturn.map({ $0 < item.operation.called }) ?? true {
                    length = position
                    cutAt = item.operation.called
                }
                if let returned = item.operation.returned { latestReturn = max(latestReturn ?? returned, returned) }
            }
            if reachedEnd, latestReturn.map({ $0 < horizon }) ?? true {
                length = key.buffer.count
                cutAt = horizon
            }
        }
        key.nextAttempt = key.buffer.count - length + Self.attemptEvery
        guard length > 0 else { return }
        let segment = Array(key.buffer[..<length])
        var next: [KeyConfiguration] = []
        var budget = maxStates
        func search(_ state: String?, _ pending: [Int]) -> [KeyConfiguration]? {
            var search = SegmentSearch(carried: pending.map { ($0, key.carried[$0]!) }, segment: segment, maxStates: budget)
            let result = search.run(from: state)
            budget -= search.explored
            guard case .ends(let ends) = result, budget >= 0 else { return nil }
            return ends
        }
        for group in Self.byState(key.configurations) {
            guard let ends = Self.ends(of: group, search: search) else {
                key.undecided = "search bound of \(maxStates) states reached"
                return
            }
            next.append(contentsOf: ends)
        }
        let carriedBefore = key.carried
        next = Self.undominated(Self.canonicalDeletes(next, kinds: { serial in
            (carriedBefore[serial] ?? segment.first { $0.serial == serial }?.operation)?.kind
        }))
        if next.isEmpty {
            if key.dropped > 0 {
                let droppedAt: SimInstant = key.droppedAt ?? .start
                key.undecided = "a segment failed after \(key.dropped) possible states were dropped from \(droppedAt) on (more than \(Self.maxConfigurations) at a cut: which unknown-outcome writes took effect)"
                return
            }
            violation = Self.counterexample(key: name, from: key, segment: segment.map(\.operation), maxStates: maxStates)
            return
        }
        if next.count > Self.maxConfigurations {
            let counts: [Int] = next.map { $0.pending.count }
            let order: [Int] = next.indices.sorted { (a: Int, b: Int) -> Bool in
                counts[a] != counts[b] ? counts[a] > counts[b] : a < b
            }
            key.dropped += next.count - Self.maxConfigurations
            if key.droppedAt == nil { key.droppedAt = cutAt }
            let kept: [Int] = Array(order.prefix(Self.maxConfigurations)).sorted()
            next = kept.map { next[$0] }
        }
        var carried: [Int: ClientOperation] = [:]
        let segmentUnknown = Dictionary(uniqueKeysWithValues: segment.filter { $0.operation.returned == nil }.map { ($0.serial, $0.operation) })
        for configuration in next {
            for pending in configuration.pending { carried[pending] = key.carried[pending] ?? segmentUnknown[pending] }
        }
        key.configurations = next
        key.carried = carried
        key.buffer.removeFirst(length)
        key.cutAt = cutAt
    }

    /// Configurations grouped by value, in first-seen order.
    static func byState(_ configurations: [KeyConfiguration]) -> [[KeyConfiguration]] {
        var groups: [[KeyConfiguration]] = []
        for configuration in configurations {
            if let index = groups.firstIndex(where: { $0[0].state == configuration.state }) {
                groups[index].append(configuration)
            } else {
                groups.append([configuration])
            }
        }
        return groups
    }

    /// The end configurations of a segment from each configuration of `group` (one value). Several
    /// configurations that differ only in which pending writes they still have are searched once, from
    /// the union of their pending writes: when no end applied a write that some of them lack, every
    /// linearization found is open to each of them (it uses none of what they lack), and each one's
    /// ends are the union's without what it lacks. Otherwise each is searched on its own.
    static func ends(of group: [KeyConfiguration], search: (String?, [Int]) -> [KeyConfiguration]?) -> [KeyConfiguration]? {
        let state = group[0].state
        if group.count > 1 {
            let union = Set(group.flatMap(\.pending))
            var common = union
            for configuration in group { common.formIntersection(configuration.pending) }
            let differing = union.subtracting(common)
            guard let shared = search(state, union.sorted()) else { return nil }
            if shared.allSatisfy({ differing.isSubset(of: $0.pending) }) {
                return group.flatMap { configuration -> [KeyConfiguration] in
                    let lacks = union.subtracting(configuration.pending)
                    return shared.map { KeyConfiguration(state: $0.state, pending: $0.pending.filter { !lacks.contains($0) }) }
                }
            }
        }
        var ends: [KeyConfiguration] = []
        for configuration in group {
            guard let found = search(state, configuration.pending) else { return nil }
            ends.append(contentsOf: found)
        }
        return ends
    }

    /// Pending unknown-outcome deletes are interchangeable (each may set the key absent once, at any
    /// time: all were called before the cut), so a configuration keeps the first k of them in serial
    /// order rather than whichever k it happens to have: configurations that differ only in which
    /// deletes they used become equal.
    static func canonicalDeletes(_ configurations: [KeyConfiguration], kinds: (Int) -> ClientOperationKind?) -> [KeyConfiguration] {
        let deletes: [Int] = Set(configurations.flatMap(\.pending).filter { kinds($0) == .delete }).sorted()
        guard !deletes.isEmpty else { return configurations }
        let isDelete = Set(deletes)
        return configurations.map { configuration in
            let others: [Int] = configuration.pending.filter { !isDelete.contains($0) }
            let count = configuration.pending.count - others.count
            return KeyConfiguration(state: configuration.state, pending: (others + deletes.prefix(count)).sorted())
        }
    }

    /// Drops duplicates and configurations another one dominates (same value, a superset of pending
    /// writes: those are optional, so more pending can do all that fewer can). Keeps first-found order.
    static func undominated(_ configurations: [KeyConfiguration]) -> [KeyConfiguration] {
        let sets: [Set<Int>] = configurations.map { Set($0.pending) }
        var kept: [KeyConfiguration] = []
        for (position, candidate) in configurations.enumerated() {
            let dominated = configurations.indices.contains { (other: Int) -> Bool in
                guard other != position, configurations[other].state == candidate.state else { return false }
                let larger = configurations[other].pending.count, smaller = candidate.pending.count
                // Of two equal ones, the first is kept.
                guard larger > smaller || (larger == smaller && other < position) else { return false }
                return sets[other].isSuperset(of: candidate.pending)
            }
            if !dominated { kept.append(candidate) }
        }
        return kept
    }

    /// A small failing sub-history of the segment (shrunk as `LinearizabilityCheck.shrink` does) and
    /// the time it was complete.
    static func counterexample(key name: String, from key: KeyHistory, segment: [ClientOperation], maxStates: Int) -> (at: SimInstant, detail: String) {
        func fails(_ candidate: [ClientOperation]) -> Bool {
            let numbered = candidate.enumerated().map { (-1 - $0.offset, $0.element) }
            for configuration in key.configurations {
                var search = SegmentSearch(carried: configuration.pending.map { ($0, key.carried[$0]!) }, segment: numbered, maxStates: maxStates)
                if search.run(from: configuration.state) != .ends([]) { return false }
            }
            return true
        }
        let minimal = LinearizabilityCheck.shrink(segment, fails: fails)
        let at = minimal.compactMap(\.returned).max() ?? minimal.map(\.called).max() ?? .start
        var detail = LinearizabilityCheck.describe(key: name, minimal)
        if key.cutAt > .start {
            let values = key.configurations.map { $0.state.map { "\"\($0)\"" } ?? "absent" }
            let pending = Set(key.configurations.flatMap(\.pending)).count
            detail += " (after the prefix checked up to \(key.cutAt), where the key could be \(values.joined(separator: " or "))"
                + (pending > 0 ? " with \(pending) earlier write(s) of unknown outcome pending)" : ")")
        }
        return (at, detail)
    }
}
