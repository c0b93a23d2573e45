import FaultlineSim

/// A message between Raft members (etcd-io/raft's raftpb.Message, reduced to what the model uses).
///
/// Invariant: `term` is the sender's term, except for pre-vote requests, which carry the term the
/// sender would campaign in (its term + 1) without having moved to it.
public struct RaftMessage<Command: RaftCommand>: Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// Pre-vote request (`MsgPreVote`): would you vote for me in `term`?
        case preVote(lastIndex: UInt64, lastTerm: UInt64)
        case preVoteResponse(granted: Bool)
        /// Vote request (`MsgVote`).
        case vote(lastIndex: UInt64, lastTerm: UInt64)
        case voteResponse(granted: Bool)
        /// Log replication (`MsgApp`): entries after (prevIndex, prevTerm), and the leader's commit.
        case append(prevIndex: UInt64, prevTerm: UInt64, entries: [RaftEntry<Command>], commit: UInt64)
        /// `MsgAppResp`: success up to `index`, or a rejection with a hint where the logs may agree.
        case appendResponse(index: UInt64, rejected: Bool, hintIndex: UInt64, hintTerm: UInt64)
        /// `MsgHeartbeat`: keeps followers quiet; `readContext` confirms leadership for ReadIndex.
        case heartbeat(commit: UInt64, readContext: UInt64)
        case heartbeatResponse(readContext: UInt64)
        /// `MsgSnap`: the follower is behind the leader's compacted log; install this state.
        case snapshot(RaftSnapshot<Command.SnapshotState>)
    }

    public var from: MemberID
    public var to: MemberID
    public var term: UInt64
    public var kind: Kind

    public init(from: MemberID, to: MemberID, term: UInt64, kind: Kind) {
        self.from = from
        self.to = to
        self.term = term
        self.kind = kind
    }

    /// A stable digest for the trace hash (content-based, never `hashValue`).
    public var traceDigest: UInt64 {
        var hash = mixHash(mixHash(from.rawValue, to.rawValue), term)
        switch kind {
        case .preVote(let lastIndex, let lastTerm):
            hash = mixHash(mixHash(hash, 1), lastIndex &* 31 &+ lastTerm)
        case .preVoteResponse(let granted):
            hash = mixHash(hash, granted ? 2 : 3)
        case .vote(let lastIndex, let lastTerm):
            hash = mixHash(mixHash(hash, 4), lastIndex &* 31 &+ lastTerm)
        case .voteResponse(let granted):
            hash = mixHash(hash, granted ? 5 : 6)
        case .append(let prevIndex, let prevTerm, let entries, let commit):
            hash = mixHash(mixHash(mixHash(hash, 7), prevIndex &* 31 &+ prevTerm), commit)
            for entry in entries { hash = mixHash(hash, entry.digest) }
        case .appendResponse(let index, let rejected, let hintIndex, let hintTerm):
            hash = mixHash(mixHash(hash, rejected ? 8 : 9), mixHash(index, hintIndex &* 31 &+ hintTerm))
        case .heartbeat(let commit, let readContext):
            hash = mixHash(mixHash(hash, 10), commit &* 31 &+ readContext)
        case .heartbeatResponse(let readContext):
            hash = mixHash(mixHash(hash, 11), readContext)
        case .snapshot(let snapshot):
            hash = mixHash(mixHash(hash, 12), snapshot.index &* 31 &+ snapshot.term)
        }
        return hash
    }

    public var description: String {
        let body: String
        switch kind {
        case .preVote(let lastIndex, let lastTerm): body = "pre-vote last=\(lastIndex)@\(lastTerm)"
        case .preVoteResponse(let granted): body = "pre-vote-resp \(granted ? "granted" : "rejected")"
        case .vote(let lastIndex, let lastTerm): body = "vote last=\(lastIndex)@\(lastTerm)"
        case .voteResponse(let granted): body = "vote-resp \(granted ? "granted" : "rejected")"
        case .append(let prevIndex, let prevTerm, let entries, let commit):
            body = "append prev=\(prevIndex)@\(prevTerm) n=\(entries.count) commit=\(commit)"
        case .appendResponse(let index, let rejected, let hintIndex, _):
            body = rejected ? "append-resp reject hint=\(hintIndex)" : "append-resp ok index=\(index)"
        case .heartbeat(let commit, let readContext): body = "heartbeat commit=\(commit) ctx=\(readContext)"
        case .heartbeatResponse(let readContext): body = "heartbeat-resp ctx=\(readContext)"
        case .snapshot(let snapshot): body = "snapshot index=\(snapshot.index)@\(snapshot.term)"
        }
        return "\(from)->\(to) t\(term) \(body)"
    }
}
