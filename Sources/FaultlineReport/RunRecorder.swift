import Foundation

/// Records finished runs in batches, by count and by time: the waiting runs are committed (one
/// transaction, `ReportStore.record`) as soon as `batchSize` of them wait, or the oldest of them has
/// waited `maxDelay` seconds.
///
/// Why both: a transaction per run is slow for sweeps of thousands of fast seeds, while a batch of
/// 50 slow runs could hold minutes of work in memory. With the time bound, a sweep killed with
/// `kill -9` loses at most the runs that finished in its last `maxDelay` seconds (plus the commit
/// under way), provided someone calls `commitIfDue` about that often (the CLI's sweep does, on a
/// timer): `add` alone only notices the age of the batch when the next run finishes.
///
/// Invariants: every added run is committed by `finish` unless the store fails; runs are committed in
/// the order they were added; the clock is injected (the store never reads one) and only compared
/// with itself, so tests drive it. Thread-safe: one lock around the waiting runs and each commit.
public final class RunRecorder: @unchecked Sendable {
    public let batchSize: Int
    public let maxDelay: Double
    private let store: ReportStore?
    private let startedAt: String
    private let clock: @Sendable () -> Double
    private let onFailure: @Sendable (ReportStoreError, Int) -> Void
    private let lock = NSLock()
    private var waiting: [RunRecord] = []
    private var oldestAddedAt = 0.0
    private var failed = false

    /// - Parameters:
    ///   - store: where to record; nil records nothing (`--no-db`).
    ///   - clock: monotonic seconds (any origin).
    ///   - onFailure: told of each failed commit and how many runs it lost (called under the lock).
    public init(store: ReportStore?, startedAt: String, batchSize: Int, maxDelay: Double = 1,
                clock: @escaping @Sendable () -> Double,
                onFailure: @escaping @Sendable (ReportStoreError, Int) -> Void = { _, _ in }) {
        self.store = store
        self.startedAt = startedAt
        self.batchSize = max(1, batchSize)
        self.maxDelay = maxDelay
        self.clock = clock
        self.onFailure = onFailure
    }

    /// Queues a finished run; commits the batch if it is full or its oldest run is due.
    public func add(_ record: RunRecord) {
        lock.lock()
        defer { lock.unlock() }
        if waiting.isEmpty { oldestAddedAt = clock() }
        waiting.append(record)
        if waiting.count >= batchSize || isDue() { commit() }
    }

    /// Commits the waiting runs if the oldest has waited `maxDelay` seconds.
    public func commitIfDue() {
        lock.lock()
        defer { lock.unlock() }
        if isDue() { commit() }
    }

    /// Commits whatever waits. Returns false if any commit failed since the recorder was made.
    @discardableResult
    public func finish() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        commit()
        return !failed
    }

    /// How many runs wait to be committed.
    public var waitingCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return waiting.count
    }

    private func isDue() -> Bool { !waiting.isEmpty && clock() - oldestAddedAt >= maxDelay }

    /// Called under the lock.
    private func commit() {
        guard !waiting.isEmpty else { return }
        defer { waiting.removeAll() }
        guard let store else { return }
        do {
            try store.record(contentsOf: waiting, startedAt: startedAt)
        } catch {
            failed = true
            onFailure(error, waiting.count)
        }
    }
}
