import FaultlineCluster
import FaultlineSim

/// Checks etcd's watch guarantees (`etcd.watch-ordered`) for every watcher, as events arrive: within a
/// watcher's history (across reconnects, which resume after the last revision received), events come
/// in revision order, never go back in time, are never duplicated, never skip a committed change in
/// the watched range, and carry exactly what was committed.
///
/// The truth is the committed history, rebuilt from what members apply: a shadow MVCC store is fed
/// every committed entry once, in log order, through every path by which a member applies (committed
/// entries of a Ready, an installed snapshot, the replay of its log on restart). A member sends a watch
/// event only for a change it applied, so the truth always holds an event before any watcher receives it.
///
/// A stream cancelled as compacted ends that watcher's epoch: the watcher starts over from the
/// member's current revision (a re-list), and the checker re-positions at the new stream's start.
///
/// Invariant: `truth` is in revision order; a watcher's `cursor` is the absolute position (counting
/// dropped changes) of the next change it must receive (changes outside the watched range are skipped).
///
/// Memory is bounded: `truth` keeps only the changes some watcher may still be checked against: from
/// the lowest cursor of the positioned watchers and, while a watcher waits for a new stream after a
/// compaction, from the lowest compaction revision every member applied (a member serves a new stream
/// only above its compacted revision). With no watchers nothing is kept.
struct WatchChecker {
    struct Violation {
        var time: SimInstant
        var detail: String
    }

    struct WatcherProgress {
        var cursor = 0
        var lastRevision: Int64 = 0
        /// True before the first stream and after a compaction: the next `created` positions the cursor.
        var needsPosition = true
        var received = 0
        var violations = 0
    }

    let range: (start: String, end: String)
    var shadow = MVCCStore()
    var shadowIndex: UInt64 = 0
    /// The retained committed changes; `truth[0]` is at absolute position `truthBase`.
    var truth: [WatchEvent] = []
    var truthBase = 0
    /// Committed changes seen, kept or not.
    var committedChanges = 0
    /// Per member, the highest compaction revision it applied (empty: members unknown, no such floor).
    var memberCompacted: [Int64]
    var watchers: [WatcherProgress]
    var pending: [Violation] = []

    /// How many changes may be droppable before the retained truth is trimmed (amortises trimming).
    var trimBatch = 4096

    init(watchers: Int, members: Int = 0, range: (start: String, end: String) = ClientWorkload.watchKeyRange) {
        self.range = range
        self.watchers = Array(repeating: WatcherProgress(), count: watchers)
        self.memberCompacted = Array(repeating: 0, count: members)
    }

    var truthEnd: Int { truthBase + truth.count }
    func truthAt(_ position: Int) -> WatchEvent { truth[position - truthBase] }

    mutating func record<C: Collection>(_ changes: C) where C.Element == WatchEvent {
        committedChanges += changes.count
        if !watchers.isEmpty { truth.append(contentsOf: changes) }
    }

    /// `member` applied `entries` (or installed `snapshot`): its compaction floor may rise.
    mutating func observeCompactions(member: Int, snapshot: RaftSnapshot<MVCCStore>?, entries: [RaftEntry<EtcdRequest>]) {
        guard member < memberCompacted.count else { return }
        if let snapshot { memberCompacted[member] = max(memberCompacted[member], snapshot.data.compactedRevision) }
        for entry in entries {
            if case .compact(let revision)? = entry.command { memberCompacted[member] = max(memberCompacted[member], revision) }
        }
    }

    /// Drops the changes no watcher can still be checked against.
    mutating func trim() {
        var keepFrom = truthEnd
        for progress in watchers {
            if progress.needsPosition {
                guard let floor = memberCompacted.min(), floor > 0 else { return }
                keepFrom = min(keepFrom, firstTruthPosition(atOrAfter: floor))
            } else {
                keepFrom = min(keepFrom, progress.cursor)
            }
        }
        guard keepFrom - truthBase >= trimBatch else { return }
        truth.removeFirst(keepFrom - truthBase)
        truthBase = keepFrom
    }

    /// Events received by all watchers, and those that were checked against the truth.
    var receivedCount: Int { watchers.reduce(0) { $0 + $1.received } }

    mutating func takeViolations() -> [Violation] {
        defer { pending.removeAll() }
        return pending
    }

    // MARK: The truth

    /// A member installed `snapshot` and applied `entries` (in log order).
    mutating func observeApplied(snapshot: RaftSnapshot<MVCCStore>?, entries: [RaftEntry<EtcdRequest>]) {
        if let snapshot, snapshot.index > shadowIndex {
            // Only when no member's applies were seen for these entries (not expected: a snapshot is
            // taken from a store that applied them); adopt its recorded changes.
            let known = shadow.revision
            record(snapshot.data.changes.filter { $0.revision > known })
            shadow = snapshot.data
            shadowIndex = snapshot.index
        }
        for entry in entries where entry.index == shadowIndex + 1 {
            shadowIndex = entry.index
            guard let command = entry.command else { continue }
            let before = shadow.revision
            _ = shadow.apply(command)
            guard shadow.revision > before else { continue }
            var position = shadow.changes.count
            while position > 0 && shadow.changes[position - 1].revision > before { position -= 1 }
            record(shadow.changes[position...])
        }
        // The checker compares against `truth`; the shadow store only needs its latest state.
        if shadow.changes.count > 4096 { _ = shadow.apply(.compact(revision: shadow.revision)) }
    }

    /// A member restarted and replayed its durable log up to its commit index.
    mutating func observeRestart(durable: RaftDurableState<EtcdRequest>) {
        let committed = durable.hardState.commit
        observeApplied(snapshot: durable.snapshot, entries: durable.entries.filter { $0.index <= committed })
    }

    // MARK: Watch streams

    mutating func observe(watcher index: Int, response: WatchResponse, at time: SimInstant) {
        guard index < watchers.count else { return }
        switch response {
        case .created(let start):
            guard watchers[index].needsPosition else { return }
            watchers[index].needsPosition = false
            watchers[index].cursor = firstTruthPosition(atOrAfter: start)
            watchers[index].lastRevision = start - 1
        case .events(let events):
            for event in events { check(event, watcher: index, at: time) }
        case .progress:
            break
        case .canceled(let reason, _):
            if reason == .compacted { watchers[index].needsPosition = true }
        }
    }

    mutating func check(_ event: WatchEvent, watcher index: Int, at time: SimInstant) {
        watchers[index].received += 1
        var progress = watchers[index]
        defer { watchers[index] = progress }
        let name = "watcher-\(index + 1)"
        if event.revision < progress.lastRevision {
            report(&progress, time, "\(name) went back in time: \(describe(event)) after revision \(progress.lastRevision)")
            return
        }
        // The next committed change in the watched range is the one this event must be.
        while progress.cursor < truthEnd && !inRange(truthAt(progress.cursor).key) { progress.cursor += 1 }
        guard progress.cursor < truthEnd else {
            report(&progress, time, "\(name) received \(describe(event)), which is not in the committed history")
            return
        }
        let expected = truthAt(progress.cursor)
        if expected == event {
            progress.cursor += 1
            progress.lastRevision = event.revision
            return
        }
        if expected.revision < event.revision {
            var missed = 0
            var position = progress.cursor
            while position < truthEnd && truthAt(position).revision < event.revision {
                if inRange(truthAt(position).key) { missed += 1 }
                position += 1
            }
            report(&progress, time, "\(name) skipped \(missed) committed change(s) from \(describe(expected)) up to revision \(event.revision - 1) (a gap)")
            // Re-synchronise after the event so that one gap is reported once.
            progress.cursor = firstTruthPosition(atOrAfter: event.revision)
            while progress.cursor < truthEnd && truthAt(progress.cursor).revision == event.revision && truthAt(progress.cursor) != event {
                progress.cursor += 1
            }
            if progress.cursor < truthEnd { progress.cursor += 1 }
            progress.lastRevision = event.revision
        } else if event.revision <= progress.lastRevision {
            report(&progress, time, "\(name) received \(describe(event)) twice (a duplicate)")
        } else {
            report(&progress, time, "\(name) received \(describe(event)) but the committed change was \(describe(expected))")
            progress.cursor += 1
            progress.lastRevision = event.revision
        }
    }

    mutating func report(_ progress: inout WatcherProgress, _ time: SimInstant, _ detail: String) {
        progress.violations += 1
        pending.append(Violation(time: time, detail: detail))
    }

    func inRange(_ key: String) -> Bool { key >= range.start && key < range.end }

    func firstTruthPosition(atOrAfter revision: Int64) -> Int {
        var low = 0, high = truth.count
        while low < high {
            let middle = (low + high) / 2
            if truth[middle].revision < revision { low = middle + 1 } else { high = middle }
        }
        return truthBase + low
    }

    func describe(_ event: WatchEvent) -> String {
        "\(event.kind.rawValue) \(event.key)=\(event.value.description.isEmpty ? "\"\"" : event.value.description) at revision \(event.revision)"
    }
}
