import FaultlineSim
@testable import FaultlineCluster

/// A command for Raft tests: a number with a stable digest; snapshots are the applied numbers.
struct Op: RaftCommand {
    typealias SnapshotState = [Int]
    let value: Int
    var traceDigest: UInt64 { mixHash(0xC0DE, UInt64(bitPattern: Int64(value))) }
}

/// Drives several RaftNodes without the engine: Ready is persisted at once, messages are queued and
/// delivered (or dropped) explicitly, crashes restore a node from what it persisted.
struct RaftHarness {
    var nodes: [RaftNode<Op>]
    var durable: [RaftDurableState<Op>]
    var applied: [[Int]]
    var appliedEntries: [[RaftEntry<Op>]]
    var inbox: [RaftMessage<Op>] = []
    var down: Set<Int> = []
    /// Directed links that drop everything: (from, to) by node index.
    var cut: Set<[Int]> = []
    var readStates: [[ReadState]]
    var leadersByTerm: [UInt64: Set<Int>] = [:]
    let configs: [RaftConfig]
    var seed: UInt64
    var restarts = 0

    init(count: Int, seed: UInt64 = 1, bugs: RaftBugs = [], configure: (inout RaftConfig) -> Void = { _ in }) {
        let voters = (1...count).map { MemberID($0) }
        var configs: [RaftConfig] = []
        for index in 0..<count {
            var config = RaftConfig(id: MemberID(index + 1), voters: voters)
            config.bugs = bugs
            configure(&config)
            configs.append(config)
        }
        self.configs = configs
        self.seed = seed
        nodes = configs.enumerated().map { RaftNode(config: $1, restoring: RaftDurableState(), random: SimRandom(seed: seed, stream: "raft-\($0)")) }
        durable = Array(repeating: RaftDurableState(), count: count)
        applied = Array(repeating: [], count: count)
        appliedEntries = Array(repeating: [], count: count)
        readStates = Array(repeating: [], count: count)
    }

    var count: Int { nodes.count }

    /// Persists and "sends" every pending Ready of node `index` (messages go to the inbox).
    mutating func drain(_ index: Int) {
        guard !down.contains(index) else { return }
        var rounds = 0
        while nodes[index].hasReady && rounds < 100 {
            rounds += 1
            let ready = nodes[index].ready()
            durable[index].absorb(ready)
            if let snapshot = ready.snapshot, snapshot.index > UInt64(applied[index].count) {
                applied[index] = snapshot.data
            }
            for entry in ready.committedEntries {
                appliedEntries[index].append(entry)
                if let op = entry.command { applied[index].append(op.value) }
            }
            readStates[index] += ready.readStates
            if ready.softState.role == .leader { leadersByTerm[ready.term, default: []].insert(index) }
            inbox += ready.messages
            nodes[index].advance(ready)
        }
    }

    mutating func drainAll() { for index in 0..<count { drain(index) } }

    mutating func tick(_ index: Int) {
        guard !down.contains(index) else { return }
        nodes[index].tick()
        drain(index)
    }

    mutating func tickAll() { for index in 0..<count { tick(index) } }

    /// Delivers every queued message (and those they cause) until quiet, up to `limit` messages.
    mutating func stabilize(limit: Int = 100_000, drop: (RaftMessage<Op>) -> Bool = { _ in false }) {
        var delivered = 0
        while !inbox.isEmpty && delivered < limit {
            let message = inbox.removeFirst()
            delivered += 1
            let from = Int(message.from.rawValue) - 1, to = Int(message.to.rawValue) - 1
            if down.contains(to) || down.contains(from) || cut.contains([from, to]) || drop(message) { continue }
            nodes[to].step(message)
            drain(to)
        }
    }

    /// Ticks everyone and delivers, `rounds` times.
    mutating func run(rounds: Int) {
        for _ in 0..<rounds {
            tickAll()
            stabilize()
        }
    }

    var leaders: [Int] { (0..<count).filter { !down.contains($0) && nodes[$0].isLeader } }

    mutating func electLeader(maxRounds: Int = 200) -> Int? {
        for _ in 0..<maxRounds {
            tickAll()
            stabilize()
            let current = leaders.filter { nodes[$0].hasCommittedInCurrentTerm }
            if current.count == 1 { return current[0] }
        }
        return nil
    }

    mutating func crash(_ index: Int) {
        down.insert(index)
    }

    mutating func restart(_ index: Int) {
        down.remove(index)
        restarts += 1
        nodes[index] = RaftNode(config: configs[index], restoring: durable[index],
                                random: SimRandom(seed: seed, stream: "raft-\(index)-\(restarts)"))
        // Rebuild the applied state from the snapshot and the committed log, as a real host would.
        var state = durable[index].snapshot?.data ?? []
        var entries: [RaftEntry<Op>] = []
        for entry in durable[index].entries where entry.index <= durable[index].hardState.commit {
            entries.append(entry)
            if let op = entry.command { state.append(op.value) }
        }
        applied[index] = state
        appliedEntries[index] = entries
        nodes[index].markApplied(durable[index].hardState.commit)
    }

    mutating func isolate(_ index: Int) {
        for other in 0..<count where other != index {
            cut.insert([index, other])
            cut.insert([other, index])
        }
    }

    mutating func heal() { cut.removeAll() }

    mutating func propose(_ value: Int) -> Bool {
        guard let leader = leaders.first, case .accepted = nodes[leader].propose(Op(value: value)) else { return false }
        drain(leader)
        return true
    }
}
