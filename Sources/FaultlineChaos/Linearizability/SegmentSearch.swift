import FaultlineCluster
import FaultlineSim

/// A possible state of one key at a cut of its history: the register's value, and the writes of
/// unknown outcome called before the cut that this linearization has not applied (they may still take
/// effect at any later point, or never).
///
/// Invariant: `pending` is sorted and holds serials of unknown-outcome writes (see `KeyHistory`).
struct KeyConfiguration: Hashable, Sendable {
    var state: String?
    var pending: [Int]
}

/// Every way one segment of a key's history can be linearized from one configuration: the
/// configurations it can end in. A just-in-time search (Lowe; as `KeySearch`) that does not stop at
/// the first linearization: it explores the graph of (known operations linearized, value, unknown
/// writes applied) nodes, each once, and collects the nodes where every known operation is linearized.
///
/// Unknown-outcome writes are applied lazily; both reductions keep the set of reachable end
/// configurations (up to dominance: a configuration with more pending writes can do all that one with
/// fewer can, as they are optional):
/// - a node whose known operations are all linearized is an end node and is not expanded: applying a
///   pending write there is left to the next segment, where it is still pending;
/// - of the unknown deletes available, only the earliest called is tried (they are interchangeable);
/// - an unknown write is applied only if it is useful to the next known operation (a get, a successful
///   compare-and-swap, a failed one that would otherwise succeed) or to a pending compare-and-swap that
///   expects the value it writes, never as a no-op, and after another unknown write only if it is a
///   compare-and-swap (a put or delete would overwrite the first: a dominated node).
/// Nodes are memoised by (known linearized, value, after-unknown) with the antichain of applied sets.
struct SegmentSearch {
    enum Result: Equatable {
        case ends([KeyConfiguration])
        case tooLarge
    }

    let operations: [ClientOperation]
    /// Serial of each operation (carried ones and the segment's unknown writes become `pending`).
    let serials: [Int]
    let maxStates: Int
    var isKnown: [Bool] = []
    var ordinal: [Int] = []
    var callPosition: [Int] = []
    /// Known operations in the order of their return events, and those positions.
    var knownOperations: [Int] = []
    var returnPositions: [Int] = []
    var unknownOperations: [Int] = []
    /// The values unknown compare-and-swaps expect (a write of one may be useful to a chain).
    var unknownExpectations: Set<String> = []
    /// Per operation, its fields (read without copying the operation in the inner loop).
    var kinds: [ClientOperationKind] = []
    var values: [String] = []
    var expecteds: [String] = []
    /// Positions in `unknownOperations` of the unknown puts and compare-and-swaps writing a value
    /// (lookups only), of the unknown deletes (in call order), and of the writes of a value an unknown
    /// compare-and-swap expects.
    var producers: [String: [Int]] = [:]
    var deletes: [Int] = []
    var chainable: [Int] = []
    var explored = 0

    struct MemoKey: Hashable {
        let known: [UInt64]
        let state: String?
        let afterUnknown: Bool
    }

    /// `carried` are unknown-outcome writes called before the segment; `segment` the operations after
    /// the cut (calls at or after it). Serials identify operations across segments.
    init(carried: [(serial: Int, operation: ClientOperation)], segment: [(serial: Int, operation: ClientOperation)], maxStates: Int) {
        let all = carried + segment
        operations = all.map(\.operation)
        serials = all.map(\.serial)
        self.maxStates = maxStates
        let order = KeySearch.callsAndReturns(operations)
        isKnown = operations.map { $0.returned != nil }
        ordinal = Array(repeating: 0, count: operations.count)
        callPosition = Array(repeating: 0, count: operations.count)
        for (position, event) in order.enumerated() {
            if event.isCall {
                callPosition[event.operation] = position
                if !isKnown[event.operation] {
                    ordinal[event.operation] = unknownOperations.count
                    unknownOperations.append(event.operation)
                    if operations[event.operation].kind == .cas { unknownExpectations.insert(operations[event.operation].expected) }
                }
            } else {
                ordinal[event.operation] = knownOperations.count
                knownOperations.append(event.operation)
                returnPositions.append(position)
            }
        }
        kinds = operations.map(\.kind)
        values = operations.map(\.value)
        expecteds = operations.map(\.expected)
        for (position, operation) in unknownOperations.enumerated() {
            switch kinds[operation] {
            case .put, .cas:
                producers[values[operation], default: []].append(position)
                if unknownExpectations.contains(values[operation]) { chainable.append(position) }
            case .delete: deletes.append(position)
            case .get: break
            }
        }
    }

    /// What an unknown write makes of `state` if applied.
    func produced(_ operation: Int, from state: String?) -> String? {
        switch kinds[operation] {
        case .get: return state
        case .put: return values[operation]
        case .delete: return nil
        case .cas: return state != nil && state == expecteds[operation] ? values[operation] : state
        }
    }

    static func has(_ bits: [UInt64], _ bit: Int) -> Bool { bits[bit >> 6] & (1 << UInt64(bit & 63)) != 0 }
    static func set(_ bits: inout [UInt64], _ bit: Int) { bits[bit >> 6] |= 1 << UInt64(bit & 63) }
    static func isSubset(_ small: [UInt64], of large: [UInt64]) -> Bool {
        for word in small.indices where small[word] & ~large[word] != 0 { return false }
        return true
    }

    /// The configurations the segment can end in from `state`.
    mutating func run(from state: String?) -> Result {
        struct Frame {
            var known: [UInt64]
            var unknown: [UInt64]
            var state: String?
            var afterUnknown: Bool
            var moves: [Int]
            var next = 0
        }
        let knownWords = (knownOperations.count + 63) / 64 + 1
        let unknownWords = (unknownOperations.count + 63) / 64 + 1
        var memo: [MemoKey: [[UInt64]]] = [:]
        var ends: [(state: String?, applied: [UInt64])] = []
        var stack: [Frame] = []

        // Visits a node: records an end, or pushes a frame with its moves; false when the bound is hit.
        func visit(_ known: [UInt64], _ unknown: [UInt64], _ state: String?, _ afterUnknown: Bool) -> Bool {
            let key = MemoKey(known: known, state: state, afterUnknown: afterUnknown)
            if let seen = memo[key] {
                if seen.contains(where: { Self.isSubset($0, of: unknown) }) { return true }
                memo[key]!.append(unknown)
            } else {
                memo[key] = [unknown]
            }
            explored += 1
            if explored > maxStates { return false }
            guard let moves = moves(known, unknown, state, afterUnknown) else {
                ends.append((state, unknown))
                return true
            }
            stack.append(Frame(known: known, unknown: unknown, state: state, afterUnknown: afterUnknown, moves: moves))
            return true
        }

        guard visit([UInt64](repeating: 0, count: knownWords), [UInt64](repeating: 0, count: unknownWords), state, false) else { return .tooLarge }
        while !stack.isEmpty {
            let top = stack.count - 1
            guard stack[top].next < stack[top].moves.count else {
                stack.removeLast()
                continue
            }
            let operation = stack[top].moves[stack[top].next]
            stack[top].next += 1
            let frame = stack[top]
            let (ok, next) = KeySearch.step(frame.state, operations[operation])
            guard ok else { continue }
            var known = frame.known, unknown = frame.unknown
            if isKnown[operation] { Self.set(&known, ordinal[operation]) } else { Self.set(&unknown, ordinal[operation]) }
            guard visit(known, unknown, next, !isKnown[operation]) else { return .tooLarge }
        }
        return .ends(ends.map { end in
            KeyConfiguration(state: end.state, pending: unknownOperations.indices.filter { !Self.has(end.applied, $0) }.map { serials[unknownOperations[$0]] }.sorted())
        })
    }

    /// The operations worth trying at a node, known ones first (in call order); nil at an end node.
    func moves(_ known: [UInt64], _ unknown: [UInt64], _ state: String?, _ afterUnknown: Bool) -> [Int]? {
        guard let first = knownOperations.indices.first(where: { !Self.has(known, $0) }) else { return nil }
        let limit = returnPositions[first]
        var result: [Int] = []
        // What the callable known operations need the value to be.
        var wanted: [String?] = []
        var wildcardExcept: String?
        for position in first..<knownOperations.count where !Self.has(known, position) {
            let operation = knownOperations[position]
            guard callPosition[operation] < limit else { continue }
            result.append(operation)
            switch kinds[operation] {
            case .get: wanted.append(values[operation].isEmpty ? nil : values[operation])
            case .cas:
                if operations[operation].ok { wanted.append(expecteds[operation]) }
                else if state != nil && state == expecteds[operation] { wildcardExcept = expecteds[operation] }
            case .put, .delete: break
            }
        }
        result.sort { callPosition[$0] < callPosition[$1] }
        // Unknown writes worth trying: those writing a wanted value (the earliest available delete when
        // absence is wanted: deletes are interchangeable), those writing a value an unknown
        // compare-and-swap expects (a chain), and any when a failed compare-and-swap needs a change.
        var candidates: [Int]
        if wildcardExcept != nil {
            candidates = Array(unknownOperations.indices)
        } else {
            candidates = chainable
            for want in wanted {
                candidates += producers[want ?? ""] ?? []
                if want == nil { candidates += deletes }
            }
            if candidates.count > 1 { candidates = Array(Set(candidates)).sorted() }
        }
        var triedDelete = false
        for position in candidates where !Self.has(unknown, position) {
            let operation = unknownOperations[position]
            guard callPosition[operation] < limit else { continue }
            let kind = kinds[operation]
            if afterUnknown && kind != .cas { continue }
            // Unknown deletes are interchangeable: only the earliest-called one still available is tried
            // (a linearization using a later one can use this one instead, and the later one in its place).
            if kind == .delete {
                if triedDelete { continue }
                triedDelete = true
            }
            let produced = produced(operation, from: state)
            if produced == state { continue }
            // (A chain through a compare-and-swap is allowed whenever some unknown one expects the value:
            // a superset of the useful moves, so still exact.)
            let useful = wanted.contains { want in want == nil ? (produced ?? "").isEmpty : produced == want }
                || (wildcardExcept != nil && produced != wildcardExcept)
                || produced.map(unknownExpectations.contains) == true
            if useful { result.append(operation) }
        }
        return result
    }
}
