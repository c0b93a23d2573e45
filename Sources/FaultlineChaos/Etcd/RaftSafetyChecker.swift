import FaultlineCluster
import FaultlineSim

/// One broken Raft property, found at simulated time `time`.
public struct RaftViolation: Sendable, Equatable {
    public var property: InvariantID
    public var time: SimInstant
    public var detail: String
}

/// Checks the four safety properties of Raft (§5 of the Raft paper) continuously, from what members
/// persist, apply and report about their role. It is fed observations and never touches a node.
///
/// - `raft.election-safety`: at most one leader per term.
/// - `raft.log-matching`: an (index, term) pair names one entry content, on every member, forever.
/// - `raft.leader-completeness`: a new leader's log holds the latest entry any member has applied.
/// - `raft.state-machine-safety`: every member applies the same entry at a given index, across
///   crashes and restarts; a restarted member's durable log agrees with what was applied.
///
/// Memory is bounded by the members' own logs: per-member entry arrays mirror what each has persisted
/// (a Ready is observed once its persist completed) and are trimmed with their snapshots, and the
/// per-index records (what was stored and applied at an index) are dropped behind `floor`, the lowest
/// snapshot index of all members.
///
/// Why pruning keeps verdicts: an index at or below every member's snapshot is never appended or
/// applied entry by entry again by a member that keeps its durable state (crashes lose only
/// unfinished persists, and a Ready is observed after its persist): it reaches a member only inside a
/// snapshot. Only a member whose durable state is replaced by an older copy (`etcd-data-rollback`,
/// a wipe) can go back below `floor`; its entries there are old copies of what it persisted then. The
/// records are kept while any member, a restarted one included, still has a lower snapshot index.
public struct RaftSafetyChecker: Sendable {
    struct LogMirror {
        /// Index of `entries[0]` minus one (the member's snapshot index).
        var base: UInt64 = 0
        var terms: [UInt64] = []
        var digests: [UInt64] = []
        var lastIndex: UInt64 { base + UInt64(terms.count) }
        func term(at index: UInt64) -> UInt64? {
            guard index > base, index <= lastIndex else { return nil }
            return terms[Int(index - base - 1)]
        }
    }

    /// What the cluster stored and applied at one index.
    struct IndexRecord {
        /// The first (term, digest) any member stored here; `others` holds entries of other terms
        /// (a leader's uncommitted entries overwritten by a later leader).
        var first: (term: UInt64, digest: UInt64)?
        var others: [(term: UInt64, digest: UInt64)] = []
        var applied: (term: UInt64, digest: UInt64, member: Int)?

        func stored(term wanted: UInt64) -> UInt64? {
            if let first, first.term == wanted { return first.digest }
            return others.first { $0.term == wanted }?.digest
        }

        mutating func store(term: UInt64, digest: UInt64) {
            if first == nil { first = (term, digest) } else { others.append((term, digest)) }
        }
    }

    /// How far `floor` must move past `prunedThrough` before records are dropped (amortises pruning).
    static let pruneBatch: UInt64 = 256

    var leaderByTerm: [UInt64: Int] = [:]
    /// Per index (lookups only, never iterated); indexes at or below `prunedThrough` were dropped.
    var records: [UInt64: IndexRecord] = [:]
    var prunedThrough: UInt64 = 0
    var latestApplied: (index: UInt64, term: UInt64)?
    var logs: [LogMirror]
    var pending: [RaftViolation] = []
    /// Properties already reported: only the first violation of each is kept with detail.
    public private(set) var violationCounts: [InvariantID: Int] = [:]

    /// Per-index records currently held (for tests and memory accounting).
    public var retainedIndexes: Int { records.count }

    public init(memberCount: Int) {
        logs = Array(repeating: LogMirror(), count: memberCount)
    }

    /// Violations found since the last call, oldest first.
    public mutating func takeViolations() -> [RaftViolation] {
        defer { pending.removeAll() }
        return pending
    }

    mutating func report(_ property: InvariantID, _ time: SimInstant, _ detail: String) {
        violationCounts[property, default: 0] += 1
        pending.append(RaftViolation(property: property, time: time, detail: detail))
    }

    /// A member handled a Ready: what it persisted, applied, and the role it reports.
    public mutating func observe<Command>(member: Int, ready: RaftReady<Command>, at time: SimInstant) {
        if let snapshot = ready.snapshot { trim(member: member, snapshotIndex: snapshot.index, snapshotTerm: snapshot.term) }
        if !ready.entries.isEmpty { append(member: member, ready.entries, at: time) }
        for entry in ready.committedEntries { applied(member: member, index: entry.index, term: entry.term, digest: entry.digest, at: time) }
        if ready.softState.role == .leader { leader(member: member, term: ready.term, at: time) }
        if ready.snapshot != nil { prune() }
    }

    /// Drops the records of indexes at or below every member's snapshot index.
    mutating func prune() {
        let floor = logs.map(\.base).min() ?? 0
        guard floor >= prunedThrough + Self.pruneBatch else { return }
        for index in (prunedThrough + 1)...floor { records.removeValue(forKey: index) }
        prunedThrough = floor
    }

    /// A member restarted from its durable state: its log mirror is rebuilt and checked against what
    /// the cluster applied (a committed entry must not have changed on disk).
    public mutating func observeRestart<Command>(member: Int, durable: RaftDurableState<Command>, at time: SimInstant) {
        var mirror = LogMirror()
        mirror.base = durable.snapshot?.index ?? 0
        for entry in durable.entries where entry.index > mirror.base {
            mirror.terms.append(entry.term)
            mirror.digests.append(entry.digest)
        }
        logs[member] = mirror
        for entry in durable.entries where entry.index <= durable.hardState.commit {
            if let known = records[entry.index]?.applied, known.digest != entry.digest {
                report(InvariantName.stateMachineSafety, time,
                       "\(ClusterLayout.masterName(member)) restarted with entry \(entry.index)@\(entry.term) that differs from the entry \(entry.index)@\(known.term) applied by \(ClusterLayout.masterName(known.member))")
            }
        }
    }

    mutating func leader(member: Int, term: UInt64, at time: SimInstant) {
        if let other = leaderByTerm[term] {
            if other != member {
                report(InvariantName.electionSafety, time, "two leaders in term \(term): \(ClusterLayout.masterName(other)) and \(ClusterLayout.masterName(member))")
            }
            return
        }
        leaderByTerm[term] = member
        // Leader completeness: the newest entry anyone applied must be in the new leader's log.
        if let latest = latestApplied, latest.index > logs[member].base, logs[member].term(at: latest.index) != latest.term {
            let found = logs[member].term(at: latest.index).map { "term \($0)" } ?? "nothing"
            report(InvariantName.leaderCompleteness, time,
                   "\(ClusterLayout.masterName(member)) became leader of term \(term) without applied entry \(latest.index)@\(latest.term) (its log has \(found) there)")
        }
    }

    mutating func append<Command>(member: Int, _ entries: [RaftEntry<Command>], at time: SimInstant) {
        // Moved out and back rather than copied: a copy would duplicate the whole mirror per Ready.
        var mirror = logs[member]
        logs[member] = LogMirror()
        for entry in entries {
            let digest = entry.digest
            if entry.index > prunedThrough {
                var record = records[entry.index] ?? IndexRecord()
                if let known = record.stored(term: entry.term) {
                    if known != digest {
                        report(InvariantName.logMatching, time, "\(ClusterLayout.masterName(member)) stored a different entry at \(entry.index)@\(entry.term) than another member")
                    }
                } else {
                    record.store(term: entry.term, digest: digest)
                    records[entry.index] = record
                }
            }
            guard entry.index > mirror.base else { continue }
            let position = Int(entry.index - mirror.base - 1)
            if position < mirror.terms.count {
                mirror.terms.removeLast(mirror.terms.count - position)
                mirror.digests.removeLast(mirror.digests.count - position)
            }
            if position == mirror.terms.count {
                mirror.terms.append(entry.term)
                mirror.digests.append(digest)
            }
        }
        logs[member] = mirror
    }

    mutating func applied(member: Int, index: UInt64, term: UInt64, digest: UInt64, at time: SimInstant) {
        if index > prunedThrough {
            if let known = records[index]?.applied {
                if known.digest != digest {
                    report(InvariantName.stateMachineSafety, time,
                           "\(ClusterLayout.masterName(member)) applied \(index)@\(term) but \(ClusterLayout.masterName(known.member)) applied \(index)@\(known.term) there")
                }
            } else {
                records[index, default: IndexRecord()].applied = (term, digest, member)
            }
        }
        if index > latestApplied?.index ?? 0 { latestApplied = (index, term) }
    }

    mutating func trim(member: Int, snapshotIndex: UInt64, snapshotTerm: UInt64) {
        var mirror = logs[member]
        guard snapshotIndex > mirror.base else { return }
        if snapshotIndex <= mirror.lastIndex {
            let drop = Int(snapshotIndex - mirror.base)
            mirror.terms.removeFirst(drop)
            mirror.digests.removeFirst(drop)
        } else {
            mirror.terms.removeAll()
            mirror.digests.removeAll()
        }
        mirror.base = snapshotIndex
        logs[member] = mirror
        _ = snapshotTerm
    }
}
