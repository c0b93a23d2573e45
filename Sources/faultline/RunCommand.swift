import ArgumentParser
import FaultlineChaos
import FaultlineReport
import Foundation

/// `faultline run SCENARIO`: one seed, printed as text or JSON, recorded in SQLite.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one seed of a scenario and check its invariants.",
        discussion: "Exit status: 0 every invariant held, 1 a safety invariant was violated, 3 only a liveness or recovery expectation was missed, 64 usage error, 65 invalid scenario or input, 70 internal error, 73 an output file or database cannot be created, 74 a write failed."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Argument(help: "Scenario file (YAML).") var scenario: String
    @Option(parsing: .unconditional, help: "The seed, 0 to 2^64-1 (same scenario + seed + version => the same run).", transform: parseSeed)
    var seed: UInt64 = 1
    @Option(help: "Output format: text or json.") var format: Format = .text
    @Option(help: "Write the etcd client history as JSON lines to this file (- for standard output).") var history: String?
    @Option(help: "Write the run's page (timeline, client load, counterexample) as self-contained HTML to this file.") var html: String?
    @Option(name: .customLong("set"), help: "Override a number or duration field of the scenario by its path under spec, e.g. --set cluster.etcd.election-timeout=500ms (repeatable; as sweep --vary records it).")
    var overrides: [String] = []
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let parameters = try parseOverrides(overrides)
        let plan = try loadPlan(scenario, overrides: parameters)
        let store = try database.open()
        let startedAt = WallClock.timestamp()
        let wallStart = WallClock.seconds()
        let result = ChaosRunner.run(plan, seed: seed, recordHistory: history != nil)
        var record = RunRecord(result, version: Faultline.version, wallSeconds: WallClock.seconds() - wallStart)
        record.apply(parameters)
        if let history {
            try Output.write(HistoryExport.jsonLines(result.operations), to: history)
        }
        if let html {
            try Output.write(RunPage.render(record), to: html)
        }
        let recorded = recordRuns([record], in: store, startedAt: startedAt)
        switch format {
        case .json: print(renderJSON(record))
        case .text: print(TextRender.run(record, scenarioPath: scenario))
        }
        guard recorded else { throw ExitCode(ExitStatus.internalError) }
        throw ExitCode(result.verdict.exitCode)
    }
}

