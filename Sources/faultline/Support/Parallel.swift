import Dispatch
import Foundation

/// Runs `work` for every index in `0..<count` on up to `jobs` threads and returns the results in index
/// order. Each call of `work` must be independent (one simulation per call, nothing shared), which is
/// what keeps parallel sweeps deterministic: a seed's result never depends on its neighbours.
/// `completed` is called (serially, under a lock) after each item, for progress and incremental saving.
func parallelMap<Result: Sendable>(
    count: Int, jobs: Int, _ work: @escaping @Sendable (Int) -> Result,
    completed: @escaping @Sendable (Int, Result) -> Void
) -> [Result] {
    let box = ResultBox<Result>(count: count)
    let workers = max(1, min(jobs, count))
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
        while let index = box.claim() {
            let result = work(index)
            box.store(result, at: index, then: completed)
        }
    }
    return box.results()
}

/// Shared state of `parallelMap`, guarded by one lock.
private final class ResultBox<Result: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private let count: Int
    private var slots: [Result?]

    init(count: Int) {
        self.count = count
        self.slots = Array(repeating: nil, count: count)
    }

    func claim() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < count else { return nil }
        next += 1
        return next - 1
    }

    func store(_ result: Result, at index: Int, then completed: (Int, Result) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        slots[index] = result
        completed(index, result)
    }

    func results() -> [Result] {
        lock.lock()
        defer { lock.unlock() }
        return slots.map { $0! }
    }
}

/// A one-line progress bar on standard error, redrawn in place: seeds done, failures so far, rate and
/// ETA. Silent when stderr is not a terminal (standard output never carries it).
final class ProgressBar: @unchecked Sendable {
    /// "ETA 1m05s" from the rate so far ("ETA --" before the first seed; "done" at the end).
    static func eta(done: Int, total: Int, elapsed: Double) -> String {
        guard done < total else { return "done" }
        guard done > 0, elapsed > 0 else { return "ETA --" }
        let remaining = Int((elapsed / Double(done) * Double(total - done)).rounded(.up))
        return remaining >= 60 ? "ETA \(remaining / 60)m\(String(format: "%02d", remaining % 60))s" : "ETA \(remaining)s"
    }

    private let total: Int
    private let label: String
    private let enabled: Bool
    private let started = WallClock.seconds()
    private var done = 0
    private var failures = 0

    init(total: Int, label: String) {
        self.total = total
        self.label = label
        self.enabled = standardErrorIsTerminal && total > 1
    }

    /// Called under the caller's lock.
    func advance(failed: Bool) {
        done += 1
        if failed { failures += 1 }
        guard enabled else { return }
        let width = 30
        let filled = total == 0 ? width : width * done / total
        let elapsed = WallClock.seconds() - started
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let line = "\r\(label) [\(bar)] \(done)/\(total)  \(failures) failing  \(String(format: "%.1f", rate)) seeds/s  \(Self.eta(done: done, total: total, elapsed: elapsed)) "
        Output.standardError(line, newline: false)
        if done == total { Output.standardError("") }
    }
}
