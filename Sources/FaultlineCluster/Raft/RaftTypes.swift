import FaultlineSim

/// A Raft member's id. etcd ids are 64-bit; ours are 1-based and dense (member `n` is `MemberID(n)`).
public struct MemberID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    @inlinable public init(_ value: Int) { rawValue = UInt64(value) }
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
    @inlinable public static func < (lhs: MemberID, rhs: MemberID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "m\(rawValue)" }
}

/// What a Raft log carries: the application's command, and the type of its state-machine snapshot.
public protocol RaftCommand: Hashable, Sendable {
    associatedtype SnapshotState: Sendable
    /// A stable digest for trace hashes and checkers (never `hashValue`, which is seeded per process).
    var traceDigest: UInt64 { get }
}

/// One log entry. `command == nil` is the no-op a new leader appends to commit its term.
public struct RaftEntry<Command: RaftCommand>: Hashable, Sendable {
    public var term: UInt64
    public var index: UInt64
    public var command: Command?

    public init(term: UInt64, index: UInt64, command: Command?) {
        self.term = term
        self.index = index
        self.command = command
    }

    /// Identifies the entry's content across members: (term, index, command digest).
    public var digest: UInt64 { mixHash(mixHash(term, index), command?.traceDigest ?? 0x6E6F6F70) }
}

/// The state that must be durable before a vote or an acknowledgement leaves the member.
///
/// Invariant: `vote` is for `term` only; a member never holds two votes in one term (unless the
/// deliberately broken `voteTwiceInTerm` variant is on).
public struct HardState: Hashable, Sendable {
    public var term: UInt64 = 0
    public var vote: MemberID?
    public var commit: UInt64 = 0
    public init(term: UInt64 = 0, vote: MemberID? = nil, commit: UInt64 = 0) {
        self.term = term
        self.vote = vote
        self.commit = commit
    }
}

/// A state-machine snapshot: the application state as of `index` (whose entry had `term`).
public struct RaftSnapshot<State: Sendable>: Sendable {
    public var index: UInt64
    public var term: UInt64
    public var data: State
    public init(index: UInt64, term: UInt64, data: State) {
        self.index = index
        self.term = term
        self.data = data
    }
}

/// Everything a member has persisted: exactly what survives a crash.
///
/// Invariant: `entries` are contiguous and start right after `snapshot?.index ?? 0`.
public struct RaftDurableState<Command: RaftCommand>: Sendable {
    public var hardState = HardState()
    public var entries: [RaftEntry<Command>] = []
    public var snapshot: RaftSnapshot<Command.SnapshotState>?

    public init() {}

    /// Applies what a Ready asks to persist, as a WAL + snapshot store would: a newer snapshot
    /// replaces older entries, appended entries overwrite any conflicting suffix.
    public mutating func absorb(_ ready: RaftReady<Command>) {
        if let state = ready.hardState { hardState = state }
        // Entries are contiguous, so positions follow from indexes: no scans (this runs per Ready).
        if let snapshot = ready.snapshot, snapshot.index > (self.snapshot?.index ?? 0) {
            self.snapshot = snapshot
            if let first = entries.first, snapshot.index >= first.index {
                entries.removeFirst(min(entries.count, Int(snapshot.index - first.index + 1)))
            }
            if let first = entries.first, first.index != snapshot.index + 1 { entries.removeAll() }
        }
        if let first = ready.entries.first {
            if let head = entries.first, first.index <= head.index {
                entries.removeAll(keepingCapacity: true)
            } else if let head = entries.first, first.index - head.index < UInt64(entries.count) {
                entries.removeSubrange(Int(first.index - head.index)...)
            }
            entries.append(contentsOf: ready.entries)
        }
    }
}

/// The role of a member.
public enum RaftRole: String, Sendable, Hashable {
    case follower, preCandidate, candidate, leader
}

/// Volatile state worth reporting: who leads, and this member's role.
public struct SoftState: Hashable, Sendable {
    public var leader: MemberID?
    public var role: RaftRole
}

/// A linearizable read that may now be served once the state machine has applied `index`.
public struct ReadState: Hashable, Sendable {
    public var requestID: UInt64
    public var index: UInt64
}

/// What the node hands its host after a step (etcd-io/raft's Ready): persist `hardState`, `entries`
/// and `snapshot` first; only then send `messages`, apply `committedEntries`, serve `readStates`;
/// then call `advance`.
public struct RaftReady<Command: RaftCommand>: Sendable {
    public var hardState: HardState?
    public var entries: [RaftEntry<Command>] = []
    public var snapshot: RaftSnapshot<Command.SnapshotState>?
    public var messages: [RaftMessage<Command>] = []
    public var committedEntries: [RaftEntry<Command>] = []
    public var readStates: [ReadState] = []
    public var softState: SoftState
    /// The term the node was in when the Ready was made.
    public var term: UInt64

    /// True when something must reach stable storage before the messages may leave.
    public var needsPersist: Bool { hardState != nil || !entries.isEmpty || snapshot != nil }
}

/// Deliberately broken variants, to prove the checkers can catch what they claim to catch.
/// Off by default; the correct code paths do not change when they are off.
public struct RaftBugs: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// A member grants a vote even if it already voted for someone else in this term.
    public static let voteTwiceInTerm = RaftBugs(rawValue: 1 << 0)
    /// A leader commits an entry of an earlier term once a quorum stores it (Raft paper, Figure 8).
    public static let commitOlderTermByCounting = RaftBugs(rawValue: 1 << 1)
    /// Reads are served from the local state without confirming leadership (no ReadIndex round).
    public static let readWithoutReadIndex = RaftBugs(rawValue: 1 << 2)
    /// Not Raft but the etcd server above it: a member that installs a snapshot moves its watch streams
    /// to the snapshot's revision without sending the changes in between (etcd issue 15271's shape).
    public static let watchSkipsSnapshotGap = RaftBugs(rawValue: 1 << 3)
    /// Not Raft but etcd's lessor: a new leader does not extend leases on promotion, so keepalives that
    /// only the old leader saw are forgotten and leases are revoked before their TTL.
    public static let leaseNotExtendedOnPromote = RaftBugs(rawValue: 1 << 4)
    /// Not Raft but the etcd server's raft loop: a member sends a Ready's messages (vote grants, append
    /// acknowledgements) as soon as it has them, before the fsync that makes their term, vote and entries
    /// durable completes. A crash inside that window forgets a vote or entries a leader counted.
    public static let ackBeforeFsync = RaftBugs(rawValue: 1 << 5)

    /// The names used in scenario files.
    public static let byName: [(String, RaftBugs)] = [
        ("vote-twice-in-term", .voteTwiceInTerm),
        ("commit-older-term-by-counting", .commitOlderTermByCounting),
        ("read-without-read-index", .readWithoutReadIndex),
        ("watch-skips-snapshot-gap", .watchSkipsSnapshotGap),
        ("lease-not-extended-on-promote", .leaseNotExtendedOnPromote),
        ("ack-before-fsync", .ackBeforeFsync),
    ]
}

/// Configuration of one node. Defaults are etcd 3.5's (server/etcdserver/raft.go: the tick is the
/// heartbeat interval, `ElectionTick = election-timeout / heartbeat-interval`, `PreVote` and
/// `CheckQuorum` on).
public struct RaftConfig: Sendable {
    public var id: MemberID
    public var voters: [MemberID]
    /// Election timeout in ticks; the randomised timeout is drawn in [electionTicks, electionTicksMax).
    public var electionTicks: Int = 10
    /// The randomised timeout's exclusive upper bound, at least `electionTicks` (equal: no randomness,
    /// the timeout is always `electionTicks`); nil is etcd's 2 x electionTicks.
    public var electionTicksMax: Int?
    /// Heartbeat interval in ticks.
    public var heartbeatTicks: Int = 1
    public var preVote: Bool = true
    public var checkQuorum: Bool = true
    /// Entries per append message (etcd's MaxSizePerMsg is 1 MiB; ours counts entries).
    public var maxEntriesPerMessage: Int = 64
    /// Append messages in flight to one follower (etcd's MaxInflightMsgs is 256 in etcd server).
    public var maxInflightMessages: Int = 256
    /// Proposals a leader accepts ahead of its commit index before dropping (bounded memory).
    public var maxUncommittedEntries: Int = 10_000
    public var bugs: RaftBugs = []

    public init(id: MemberID, voters: [MemberID]) {
        precondition(voters.contains(id), "a node must be one of the voters")
        precondition(voters.count % 2 == 1 && voters.count <= 7, "membership is a fixed set of 1, 3, 5 or 7")
        self.id = id
        self.voters = voters.sorted()
    }

    var quorum: Int { voters.count / 2 + 1 }
}
