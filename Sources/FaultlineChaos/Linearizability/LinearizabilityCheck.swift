import FaultlineCluster
import FaultlineSim

/// Checks a key-value client history for linearizability, key by key (P-compositionality: a history
/// is linearizable iff each key's sub-history is), with the Wing & Gong search as improved by Lowe and
/// Porcupine: operations are linearized just in time, and (linearized set, state) pairs already seen
/// are memoised so each is explored once.
///
/// Operations with an unknown outcome (`returned == nil`) may take effect at any point after their call
/// or never: they have no return event, and the model lets them apply or not.
public enum LinearizabilityCheck {
    public enum Outcome: Sendable, Equatable {
        case linearizable(checkedOperations: Int)
        /// The first key found non-linearizable; `detail` lists a small sub-history that shows it.
        case violation(at: SimInstant, detail: String)
        /// The search bound was reached before a decision.
        case unknown(reason: String)
    }

    /// Search states explored per key before giving up (a bound on time and memory).
    public static let defaultMaxStates = 2_000_000

    public static func check(_ operations: [ClientOperation], maxStates: Int = defaultMaxStates) -> Outcome {
        var byKey: [String: [ClientOperation]] = [:]
        for operation in operations { byKey[operation.key, default: []].append(operation) }
        var undecided: [String] = []
        for key in byKey.keys.sorted() {
            let history = byKey[key]!
            var search = KeySearch(history, maxStates: maxStates)
            switch search.run() {
            case .linearizable:
                continue
            case .tooLarge:
                undecided.append(key)
            case .violation:
                let minimal = shrink(history, maxStates: maxStates)
                let at = minimal.compactMap(\.returned).max() ?? minimal.map(\.called).max() ?? .start
                return .violation(at: at, detail: describe(key: key, minimal))
            }
        }
        if !undecided.isEmpty {
            return .unknown(reason: "search bound of \(maxStates) states reached on key(s) \(undecided.joined(separator: ", "))")
        }
        return .linearizable(checkedOperations: operations.count)
    }

    /// Checks spent shrinking one counterexample (a bound on time).
    static let maximumShrinkChecks = 400

    /// A small non-linearizable sub-history, in two reductions, each removing chunks of operations
    /// (halves, quarters, ... single operations) while the rest still fails:
    /// 1. reads only (gets, and compare-and-swaps known to have failed): they have no effect, so removing
    ///    them cannot make a linearizable history fail; the reads left are the offending ones;
    /// 2. then writes, except the writer of a value that a kept operation observed (a get that returned
    ///    it, a successful cas that expected it): dropping it would make a correct read look wrong.
    static func shrink(_ history: [ClientOperation], maxStates: Int) -> [ClientOperation] {
        shrink(history) { candidate in
            var search = KeySearch(candidate, maxStates: maxStates)
            if case .violation = search.run() { return true }
            return false
        }
    }

    /// The same reductions for any failure test (`IncrementalLinearizability` shrinks a segment
    /// against the configurations it starts from).
    static func shrink(_ history: [ClientOperation], fails: ([ClientOperation]) -> Bool) -> [ClientOperation] {
        let ordered = history.sorted { ($0.called, $0.client) < ($1.called, $1.client) }
        var checks = 0
        let reads = reduce(ordered, checks: &checks, removable: isRead, keepObservedWriters: false, fails: fails)
        return reduce(reads, checks: &checks, removable: { !isRead($0) }, keepObservedWriters: true, fails: fails)
    }

    /// An operation without effect on the register.
    static func isRead(_ operation: ClientOperation) -> Bool {
        operation.kind == .get || (operation.kind == .cas && operation.returned != nil && !operation.ok)
    }

    /// Removes chunks of the `removable` operations while `fails` holds, within `maximumShrinkChecks`.
    static func reduce(_ operations: [ClientOperation], checks: inout Int, removable: (ClientOperation) -> Bool,
                       keepObservedWriters: Bool, fails: ([ClientOperation]) -> Bool) -> [ClientOperation] {
        var current = operations
        var chunk = max(1, current.filter(removable).count / 2)
        while checks < maximumShrinkChecks {
            var cursor = 0
            while checks < maximumShrinkChecks {
                let positions = current.indices.filter { removable(current[$0]) }
                guard cursor < positions.count else { break }
                var drop = Set(positions[cursor..<min(cursor + chunk, positions.count)])
                if keepObservedWriters { drop.subtract(observedWriters(current, dropping: drop)) }
                let candidate = current.indices.filter { !drop.contains($0) }.map { current[$0] }
                checks += 1
                if !drop.isEmpty && !candidate.isEmpty && fails(candidate) { current = candidate } else { cursor += chunk }
            }
            if chunk == 1 { break }
            chunk = max(1, chunk / 2)
        }
        return current
    }

    /// The positions in `dropping` of writes whose value an operation kept (directly or through another
    /// kept writer) observed.
    static func observedWriters(_ operations: [ClientOperation], dropping: Set<Int>) -> Set<Int> {
        var kept = Set<Int>()
        var changed = true
        while changed {
            changed = false
            var observed = Set<String>()
            for (index, operation) in operations.enumerated() where !dropping.contains(index) || kept.contains(index) {
                if operation.kind == .get, operation.returned != nil, !operation.value.isEmpty { observed.insert(operation.value) }
                if operation.kind == .cas, operation.ok, operation.returned != nil { observed.insert(operation.expected) }
            }
            for index in dropping where !kept.contains(index) {
                let operation = operations[index]
                if operation.kind == .put || operation.kind == .cas, observed.contains(operation.value) {
                    kept.insert(index)
                    changed = true
                }
            }
        }
        return kept
    }

    static func describe(key: String, _ operations: [ClientOperation]) -> String {
        let lines = operations.map { operation -> String in
            let window = "[\(operation.called), \(operation.returned.map(\.description) ?? "unknown")]"
            switch operation.kind {
            case .get: return "client \(operation.client) get \(key) -> \"\(operation.value)\" \(window)"
            case .put: return "client \(operation.client) put \(key) = \"\(operation.value)\" \(window)"
            case .delete: return "client \(operation.client) delete \(key) \(window)"
            case .cas:
                return "client \(operation.client) cas \(key) \"\(operation.expected)\" -> \"\(operation.value)\" \(operation.ok ? "ok" : "failed") \(window)"
            }
        }
        return "key \(key) is not linearizable; smallest failing sub-history (\(operations.count) ops): " + lines.joined(separator: "; ")
    }
}

/// The search over one key's history.
struct KeySearch {
    enum Result { case linearizable, violation, tooLarge }

    /// The register's state: nil when the key is absent.
    typealias State = String?

    struct Event {
        let operation: Int
        let isCall: Bool
        var previous: Int
        var next: Int
    }

    struct CacheKey: Hashable {
        let linearized: [UInt64]
        let state: State
    }

    let operations: [ClientOperation]
    let maxStates: Int
    /// Doubly linked list of call/return events; index 0 is the head sentinel.
    var events: [Event] = []
    var callEvent: [Int] = []
    var returnEvent: [Int?] = []

    /// Calls and returns in time order; at equal times calls first (treated as concurrent), then by
    /// operation position. Shared with `SegmentSearch`, so both searches see the same order.
    static func callsAndReturns(_ operations: [ClientOperation]) -> [(time: SimInstant, isCall: Bool, operation: Int)] {
        var order: [(time: SimInstant, isCall: Bool, operation: Int)] = []
        for (index, operation) in operations.enumerated() {
            order.append((operation.called, true, index))
            if let returned = operation.returned { order.append((returned, false, index)) }
        }
        order.sort { ($0.time, $0.isCall ? 0 : 1, $0.operation) < ($1.time, $1.isCall ? 0 : 1, $1.operation) }
        return order
    }

    init(_ operations: [ClientOperation], maxStates: Int) {
        self.operations = operations
        self.maxStates = maxStates
        let order = Self.callsAndReturns(operations)
        callEvent = Array(repeating: 0, count: operations.count)
        returnEvent = Array(repeating: nil, count: operations.count)
        events.append(Event(operation: -1, isCall: false, previous: -1, next: order.isEmpty ? -1 : 1))
        for (position, item) in order.enumerated() {
            let index = position + 1
            events.append(Event(operation: item.operation, isCall: item.isCall, previous: index - 1,
                                next: position + 1 < order.count ? index + 1 : -1))
            if item.isCall { callEvent[item.operation] = index } else { returnEvent[item.operation] = index }
        }
    }

    /// The sequential model of an etcd key with get / put / delete / compare-and-swap.
    static func step(_ state: State, _ operation: ClientOperation) -> (ok: Bool, next: State) {
        let known = operation.returned != nil
        switch operation.kind {
        case .get:
            // A read that never returned observed nothing: it constrains nothing.
            if !known { return (true, state) }
            return ((state ?? "") == operation.value, state)
        case .put:
            return (true, operation.value)
        case .delete:
            return (true, nil)
        case .cas:
            let matches = state != nil && state == operation.expected
            if !known { return (true, matches ? operation.value : state) }
            if operation.ok { return (matches, operation.value) }
            return (!matches, state)
        }
    }

    mutating func lift(_ operation: Int) {
        unlink(callEvent[operation])
        if let returned = returnEvent[operation] { unlink(returned) }
    }

    mutating func unlift(_ operation: Int) {
        if let returned = returnEvent[operation] { relink(returned) }
        relink(callEvent[operation])
    }

    mutating func unlink(_ index: Int) {
        let event = events[index]
        events[event.previous].next = event.next
        if event.next >= 0 { events[event.next].previous = event.previous }
    }

    mutating func relink(_ index: Int) {
        let event = events[index]
        events[event.previous].next = index
        if event.next >= 0 { events[event.next].previous = index }
    }

    mutating func run() -> Result {
        var linearized = [UInt64](repeating: 0, count: (operations.count + 63) / 64)
        var state: State = nil
        var cache = Set<CacheKey>()
        var stack: [(operation: Int, state: State)] = []
        var entry = events.isEmpty ? -1 : events[0].next
        var explored = 0
        while events[0].next >= 0 {
            let event = entry >= 0 ? events[entry] : nil
            if let event, event.isCall {
                let operation = event.operation
                let (ok, next) = Self.step(state, operations[operation])
                if ok {
                    linearized[operation >> 6] |= 1 << UInt64(operation & 63)
                    if cache.insert(CacheKey(linearized: linearized, state: next)).inserted {
                        explored += 1
                        if explored > maxStates { return .tooLarge }
                        stack.append((operation, state))
                        state = next
                        lift(operation)
                        entry = events[0].next
                        continue
                    }
                    linearized[operation >> 6] &= ~(1 << UInt64(operation & 63))
                }
                entry = event.next
            } else {
                // An operation returned before we could linearize it (or nothing is left to try):
                // undo the last choice.
                guard let (operation, previousState) = stack.popLast() else { return .violation }
                state = previousState
                linearized[operation >> 6] &= ~(1 << UInt64(operation & 63))
                unlift(operation)
                entry = events[callEvent[operation]].next
            }
        }
        return .linearizable
    }
}
