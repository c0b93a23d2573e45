import ArgumentParser
import FaultlineChaos
import FaultlineReport
import Foundation

/// `faultline sweep SCENARIO --seeds 1..1000`: many seeds in parallel, percentiles, failing seeds.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run many seeds of a scenario in parallel; print recovery percentiles and failing seeds."
    )

    @Argument(help: "Scenario file (YAML).") var scenario: String
    @Option(help: "Seeds: one (42), a list (1,2,7), a range (1..1000), or a mix (1..10,20).") var seeds: String = "1..100"
    @Option(help: "Parallel jobs (default: the number of cores).") var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Runs recorded per database transaction.") var batch: Int = 50
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard jobs >= 1 && jobs <= 1024 else { throw ValidationError("--jobs must be between 1 and 1024") }
        guard batch >= 1 && batch <= 100_000 else { throw ValidationError("--batch must be between 1 and 100000") }
    }

    func run() throws {
        let plan = try loadPlan(scenario)
        let seedList = try parseSeeds(seeds)
        let store = try database.open()
        let outcome = Sweep.run(plan: plan, seeds: seedList, jobs: jobs, store: store, batch: batch, label: plan.name)
        print(TextRender.sweep(outcome.records, scenarioPath: scenario, wallSeconds: outcome.wallSeconds))
        guard outcome.recordedAll else { throw ExitCode(ExitStatus.internalError) }
        throw ExitCode(worstVerdict(outcome.records).exitCode)
    }
}

/// Runs seeds in parallel and records them in batches as they finish (so an interrupted sweep keeps
/// every completed batch). Each seed is an independent simulation on one thread.
enum Sweep {
    struct Outcome {
        var records: [RunRecord]
        var recordedAll: Bool
        var wallSeconds: Double
    }

    static func run(plan: RunPlan, seeds: [UInt64], jobs: Int, store: ReportStore?, batch: Int, label: String) -> Outcome {
        let started = WallClock.seconds()
        let startedAt = WallClock.timestamp()
        let progress = ProgressBar(total: seeds.count, label: label)
        let pending = PendingBatch(store: store, batch: batch, startedAt: startedAt)
        let records = parallelMap(count: seeds.count, jobs: jobs, { index in
            let wallStart = WallClock.seconds()
            let result = ChaosRunner.run(plan, seed: seeds[index])
            return RunRecord(result, version: Faultline.version, wallSeconds: WallClock.seconds() - wallStart)
        }, completed: { _, record in
            progress.advance(failed: record.verdict != "pass")
            pending.add(record)
        })
        pending.flush()
        return Outcome(records: records, recordedAll: pending.ok, wallSeconds: WallClock.seconds() - started)
    }
}

/// Runs waiting to be written, called under `parallelMap`'s lock.
final class PendingBatch: @unchecked Sendable {
    let store: ReportStore?
    let batch: Int
    let startedAt: String
    var waiting: [RunRecord] = []
    var ok = true

    init(store: ReportStore?, batch: Int, startedAt: String) {
        self.store = store
        self.batch = batch
        self.startedAt = startedAt
    }

    func add(_ record: RunRecord) {
        waiting.append(record)
        if waiting.count >= batch { flush() }
    }

    func flush() {
        if !recordRuns(waiting, in: store, startedAt: startedAt) { ok = false }
        waiting.removeAll()
    }
}

/// The most severe verdict among `records` (safety > liveness > pass).
func worstVerdict(_ records: [RunRecord]) -> Verdict {
    records.compactMap { Verdict(rawValue: $0.verdict) }.max() ?? .pass
}
