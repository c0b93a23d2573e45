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

    /// A small non-linearizable sub-history: the shortest failing prefix (by call time), then greedy
    /// removal of single operations while it still fails, within a bounded number of checks.
    static func shrink(_ history: [ClientOperation], maxStates: Int) -> [ClientOperation] {
        let ordered = history.sorted { ($0.called, $0.client) < ($1.called, $1.client) }
        func fails(_ candidate: [ClientOperation]) -> Bool {
            var search = KeySearch(candidate, maxStates: maxStates)
            if case .violation = search.run() { return true }
            return false
        }
        var low = 1, high = ordered.count
        while low < high {
            let middle = (low + high) / 2
            if fails(Array(ordered.prefix(middle))) { high = middle } else { low = middle + 1 }
        }
        var current = Array(ordered.prefix(high))
        if !fails(current) { current = ordered }
        var checks = 0
        var position = 0
        while position < current.count && checks < 400 {
            var candidate = current
            candidate.remove(at: position)
            checks += 1
            if !candidate.isEmpty && fails(candidate) { current = candidate } else { position += 1 }
        }
        return current
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

    init(_ operations: [ClientOperation], maxStates: Int) {
        self.operations = operations
        self.maxStates = maxStates
        // Calls and returns in time order; at equal times calls first (treated as concurrent).
        var order: [(time: SimInstant, isCall: Bool, operation: Int)] = []
        for (index, operation) in operations.enumerated() {
            order.append((operation.called, true, index))
            if let returned = operation.returned { order.append((returned, false, index)) }
        }
        order.sort { ($0.time, $0.isCall ? 0 : 1, $0.operation) < ($1.time, $1.isCall ? 0 : 1, $1.operation) }
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
    func step(_ state: State, _ operation: ClientOperation) -> (ok: Bool, next: State) {
        let known = operation.returned != nil
        switch operation.kind {
        case .get:
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
                let (ok, next) = step(state, operations[operation])
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
