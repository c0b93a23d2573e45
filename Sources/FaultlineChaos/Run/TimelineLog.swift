import FaultlineSim

/// The run's timeline, bounded: per row kind (`leader-elected`, `fault-injected`, `pod-bound`, ...) it
/// keeps the first `headLimit` rows and the last `tailLimit` rows; the rows in between are counted, not
/// kept, and `entries` stands one `timeline-elided` row in their place (at the first dropped row's time,
/// subject the kind, detail how many rows from when to when). A 24-hour soak so keeps how every kind of
/// transition started and how it ended, and its memory does not grow with simulated time.
///
/// Invariants:
/// - A run with at most `headLimit + tailLimit` rows of every kind gets exactly the rows appended, in
///   append order (short runs are unchanged).
/// - `entries` lists kept rows in append order; each elision row sits where its first dropped row was.
/// - Memory is O(kinds x (headLimit + tailLimit)). The dictionary is for lookups only; kinds are
///   listed in first-appended order.
struct TimelineLog {
    static let headLimit = 500
    static let tailLimit = 500

    struct Kind {
        var head: [(sequence: Int, entry: TimelineEntry)] = []
        /// A ring of the newest rows once the head is full; `tailStart` is the oldest's position.
        var tail: [(sequence: Int, entry: TimelineEntry)] = []
        var tailStart = 0
        /// Rows pushed out of the tail: how many, and the first and last one.
        var elided = 0
        var firstElided: (sequence: Int, at: SimInstant)?
        var lastElidedAt: SimInstant = .start
    }

    var kinds: [Kind] = []
    var kindNames: [String] = []
    /// Kind name to its position in `kinds` (lookups only).
    var kindIndex: [String: Int] = [:]
    var sequence = 0
    var headLimit = TimelineLog.headLimit
    var tailLimit = TimelineLog.tailLimit

    init() {}

    init(headLimit: Int, tailLimit: Int) {
        self.headLimit = headLimit
        self.tailLimit = max(1, tailLimit)
    }

    /// Rows appended so far (kept or not).
    var count: Int { sequence }

    mutating func append(_ entry: TimelineEntry) {
        defer { sequence += 1 }
        let index: Int
        if let known = kindIndex[entry.kind] {
            index = known
        } else {
            index = kinds.count
            kindIndex[entry.kind] = index
            kindNames.append(entry.kind)
            kinds.append(Kind())
        }
        if kinds[index].head.count < headLimit {
            kinds[index].head.append((sequence, entry))
            return
        }
        if kinds[index].tail.count < tailLimit {
            kinds[index].tail.append((sequence, entry))
            return
        }
        // The ring is full: its oldest row leaves for the elided count.
        let start = kinds[index].tailStart
        let oldest = kinds[index].tail[start]
        if kinds[index].firstElided == nil { kinds[index].firstElided = (oldest.sequence, oldest.entry.at) }
        kinds[index].elided += 1
        kinds[index].lastElidedAt = oldest.entry.at
        kinds[index].tail[start] = (sequence, entry)
        kinds[index].tailStart = (start + 1) % tailLimit
    }

    /// The kept rows and one elision row per kind that dropped some, in append order.
    var entries: [TimelineEntry] {
        var rows: [(sequence: Int, entry: TimelineEntry)] = []
        for (position, kind) in kinds.enumerated() {
            rows.append(contentsOf: kind.head)
            rows.append(contentsOf: kind.tail[kind.tailStart...])
            rows.append(contentsOf: kind.tail[..<kind.tailStart])
            if let first = kind.firstElided {
                let detail = "\(kind.elided) rows not kept, from \(first.at) to \(kind.lastElidedAt) (the first \(headLimit) and the last \(tailLimit) are)"
                rows.append((first.sequence, TimelineEntry(at: first.at, kind: "timeline-elided", subject: kindNames[position], detail: detail)))
            }
        }
        rows.sort { $0.sequence < $1.sequence }
        return rows.map(\.entry)
    }
}
