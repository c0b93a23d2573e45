import Foundation
import Testing
@testable import FaultlineReport

/// `RunRecorder` commits by count and by time, driven by an injected clock.
@Suite struct RunRecorderTests {
    final class FakeClock: @unchecked Sendable {
        private let lock = NSLock()
        private var seconds = 100.0
        var now: Double { lock.withLock { seconds } }
        func advance(_ delta: Double) { lock.withLock { seconds += delta } }
    }

    /// Runs committed so far, as a second connection sees them (what survives a kill -9).
    static func committed(_ path: String) throws -> Int {
        Int(try ReportStore(path: path, access: .readOnly).query("SELECT count(*) FROM runs").exactRows[0][0])!
    }

    @Test func aRunWaitsAtMostMaxDelayBeforeItIsCommitted() throws {
        let dir = try ReportStoreTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("runs.sqlite").path
        let clock = FakeClock()
        let recorder = RunRecorder(store: try ReportStore(path: path), startedAt: "t", batchSize: 50, maxDelay: 1, clock: { clock.now })
        recorder.add(ReportStoreTests.record(seed: 1))
        clock.advance(0.5)
        recorder.add(ReportStoreTests.record(seed: 2))
        recorder.commitIfDue()
        #expect(try Self.committed(path) == 0, "half a second: still batching")
        #expect(recorder.waitingCount == 2)
        clock.advance(0.5)
        recorder.commitIfDue()
        #expect(try Self.committed(path) == 2, "the oldest run waited 1 s: the batch is committed without a new run")
        #expect(recorder.waitingCount == 0)
        // A run added when the batch is due commits at once, without the timer.
        recorder.add(ReportStoreTests.record(seed: 3))
        clock.advance(5)
        recorder.add(ReportStoreTests.record(seed: 4))
        #expect(try Self.committed(path) == 4)
        #expect(recorder.finish())
    }

    @Test func aFullBatchCommitsAtOnceAndFinishCommitsTheRest() throws {
        let dir = try ReportStoreTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("runs.sqlite").path
        let clock = FakeClock()
        let recorder = RunRecorder(store: try ReportStore(path: path), startedAt: "t", batchSize: 3, maxDelay: 1, clock: { clock.now })
        for seed in 1...4 { recorder.add(ReportStoreTests.record(seed: UInt64(seed))) }
        #expect(try Self.committed(path) == 3)
        #expect(recorder.finish())
        #expect(try Self.committed(path) == 4)
        let seeds = try ReportStore(path: path, access: .readOnly).query("SELECT seed FROM runs ORDER BY id").exactRows.map { $0[0] }
        #expect(seeds == ["1", "2", "3", "4"], "committed in the order added")
    }

    @Test func aFailedCommitIsReportedAndFinishSaysSo() throws {
        let dir = try ReportStoreTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("runs.sqlite").path
        _ = try ReportStore(path: path)
        let failures = FakeClock()  // counts lost runs
        let recorder = RunRecorder(store: try ReportStore(path: path, access: .readOnly), startedAt: "t", batchSize: 2, clock: { 0 },
                                   onFailure: { _, count in failures.advance(Double(count)) })
        recorder.add(ReportStoreTests.record(seed: 1))
        recorder.add(ReportStoreTests.record(seed: 2))
        #expect(!recorder.finish())
        #expect(failures.now == 102)
    }
}
