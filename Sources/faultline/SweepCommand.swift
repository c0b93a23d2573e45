import ArgumentParser
import FaultlineChaos
import FaultlineReport
import Foundation

/// `faultline sweep SCENARIO --seeds 1..1000`: many seeds in parallel, percentiles, failing seeds.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run many seeds of a scenario in parallel; print recovery percentiles and failing seeds.",
        discussion: "With --vary PATH=V1,V2,... (a number or duration field under spec, e.g. cluster.etcd.election-timeout=500ms,1000ms,2000ms) every value is a variant that runs every seed; several --vary make a grid. Each variant is recorded as 'NAME [PATH=VALUE]' with its values; faultline report --scenario NAME --format html draws p50/p99 and the failure rate against them."
    )

    @Argument(help: "Scenario file (YAML).") var scenario: String
    @Option(parsing: .unconditional, help: "Seeds: one (42), a list (1,2,7), a range (1..1000), or a mix (1..10,20).") var seeds: String = "1..100"
    @Option(help: "Parallel jobs (default: the number of cores).") var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Runs recorded per database transaction at most (a run also waits at most 1 s to be recorded).") var batch: Int = 50
    @Option(help: "What if: run every seed with each of these values of a scenario field (PATH=V1,V2,...; repeatable for a grid).") var vary: [String] = []
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard jobs >= 1 && jobs <= 1024 else { throw ValidationError("--jobs must be between 1 and 1024") }
        guard batch >= 1 && batch <= 100_000 else { throw ValidationError("--batch must be between 1 and 100000") }
    }

    func run() throws {
        let base = try loadPlan(scenario)
        let seedList = try parseSeeds(seeds)
        let variants = Variants.grid(try Variants.axes(vary))
        guard variants.count <= Variants.maximumCount else {
            throw usageError("--vary: \(variants.count) variants; a sweep runs at most \(Variants.maximumCount) (fewer values, or fewer --vary)")
        }
        // Every variant is loaded (and validated) before any seed runs.
        let plans = try variants.map { $0.isEmpty ? base : try loadPlan(scenario, overrides: $0) }
        let store = try database.open()
        var all: [RunRecord] = []
        var recordedAll = true
        for (plan, parameters) in zip(plans, variants) {
            let name = Variants.name(plan.name, parameters)
            if !parameters.isEmpty { print("== \(name)") }
            let outcome = Sweep.run(plan: plan, seeds: seedList, jobs: jobs, store: store, batch: batch, label: name, parameters: parameters)
            print(TextRender.sweep(outcome.records, scenarioPath: scenario, wallSeconds: outcome.wallSeconds))
            recordedAll = recordedAll && outcome.recordedAll
            all += outcome.records
        }
        if !vary.isEmpty, !database.disabled {
            print("what-if page: faultline report --db \(shellQuoted(database.path)) --scenario \(shellQuoted(base.name)) --format html --output whatif.html")
        }
        guard recordedAll else { throw ExitCode(ExitStatus.internalError) }
        throw ExitCode(worstVerdict(all).exitCode)
    }
}

/// Runs seeds in parallel and records them as they finish, by batch and by time (`RunRecorder`): a
/// sweep that is killed keeps every run that finished more than about a second before. Each seed is
/// an independent simulation on one thread.
enum Sweep {
    struct Outcome {
        var records: [RunRecord]
        var recordedAll: Bool
        var wallSeconds: Double
    }

    /// The longest a finished run waits before it is committed.
    static let commitDelay = 1.0

    static func run(plan: RunPlan, seeds: [UInt64], jobs: Int, store: ReportStore?, batch: Int, label: String,
                    parameters: [RunParameter] = []) -> Outcome {
        let started = WallClock.seconds()
        let progress = ProgressBar(total: seeds.count, label: label)
        let recorder = RunRecorder(store: store, startedAt: WallClock.timestamp(), batchSize: batch, maxDelay: commitDelay,
                                   clock: { WallClock.seconds() },
                                   onFailure: { error, count in printError("error: could not record \(count) run(s) in the database: \(error)") })
        // Commits a batch whose oldest run has waited long enough even while no run finishes.
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "faultline.sweep.commit"))
        timer.schedule(deadline: .now() + .milliseconds(250), repeating: .milliseconds(250))
        timer.setEventHandler { recorder.commitIfDue() }
        timer.resume()
        let records = parallelMap(count: seeds.count, jobs: jobs, { index in
            let wallStart = WallClock.seconds()
            let result = ChaosRunner.run(plan, seed: seeds[index])
            var record = RunRecord(result, version: Faultline.version, wallSeconds: WallClock.seconds() - wallStart)
            record.apply(parameters)
            return record
        }, completed: { _, record in
            progress.advance(failed: record.verdict != "pass")
            recorder.add(record)
        })
        timer.cancel()
        let recordedAll = recorder.finish()
        return Outcome(records: records, recordedAll: recordedAll, wallSeconds: WallClock.seconds() - started)
    }
}

/// The most severe verdict among `records` (safety > liveness > pass).
func worstVerdict(_ records: [RunRecord]) -> Verdict {
    records.compactMap { Verdict(rawValue: $0.verdict) }.max() ?? .pass
}
