import ArgumentParser
import FaultlineChaos
import FaultlineReport
import Foundation

/// `faultline check SCENARIO... --seeds 1..20 --junit FILE`: the CI gate.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run scenarios x seeds for CI; write JUnit XML; exit 0 pass, 1 safety, 3 liveness.",
        discussion: "Every scenario is validated before any seed runs: an invalid file fails the check (exit 65) without running any seed; the JUnit XML then has one error test case per invalid file."
    )

    @Argument(help: "Scenario files (YAML).") var scenarios: [String]
    @Option(parsing: .unconditional, help: "Seeds for every scenario: 42, 1,2,7, 1..20 or a mix.") var seeds: String = "1..10"
    @Option(help: "Write JUnit XML here (Jenkins, GitLab and GitHub read it; - for standard output).") var junit: String?
    @Option(help: "Parallel jobs.") var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard !scenarios.isEmpty else { throw ValidationError("name at least one scenario file") }
        guard jobs >= 1 && jobs <= 1024 else { throw ValidationError("--jobs must be between 1 and 1024") }
    }

    func run() throws {
        let seedList = try parseSeeds(seeds)
        var plans: [RunPlan] = []
        var invalid: [(scenario: String, message: String)] = []
        for path in scenarios {
            switch readPlan(path) {
            case .success(let plan): plans.append(plan)
            case .failure(let problem):
                problem.report()
                invalid.append((path, problem.message))
            }
        }
        if !invalid.isEmpty {
            // CI reads the JUnit file, not the log: it must say which file is invalid and why.
            if let junit { try Output.write(renderJUnit(suites: [], invalid: invalid), to: junit) }
            throw ExitCode(ExitStatus.invalidInput)
        }
        let store = try database.open()
        var suites: [(scenario: String, records: [RunRecord])] = []
        var recordedAll = true
        for (plan, path) in zip(plans, scenarios) {
            let outcome = Sweep.run(plan: plan, seeds: seedList, jobs: jobs, store: store, batch: 50, label: plan.name)
            recordedAll = recordedAll && outcome.recordedAll
            suites.append((path, outcome.records))
            let failing = outcome.records.filter { $0.verdict != Verdict.pass.rawValue }
            print("\(plan.name): \(outcome.records.count - failing.count)/\(outcome.records.count) seeds pass")
            for record in failing {
                let broken = record.invariants.filter { !$0.holds }.map(\.name).joined(separator: ", ")
                print("  FAIL seed \(record.seed) (\(record.verdict): \(broken))  reproduce: \(reproduceCommand(scenarioPath: path, seed: record.seed))")
            }
        }
        if let junit {
            try Output.write(renderJUnit(suites: suites), to: junit)
            if junit != "-" { print("JUnit XML written to \(junit)") }
        }
        guard recordedAll else { throw ExitCode(ExitStatus.internalError) }
        throw ExitCode(worstVerdict(suites.flatMap(\.records)).exitCode)
    }
}
