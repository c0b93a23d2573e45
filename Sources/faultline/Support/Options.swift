import ArgumentParser
import FaultlineChaos
import FaultlineReport
import Foundation

/// `--db PATH`, shared by every command that records or reads runs.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("db"), help: "SQLite database to record runs in (created if missing).")
    var path: String = "Reports/faultline.sqlite"

    @Flag(name: .customLong("no-db"), help: "Do not record runs.")
    var disabled = false

    /// Opens the store, or fails with exit 65 naming the path and the reason.
    func open() throws -> ReportStore? {
        guard !disabled else { return nil }
        do {
            return try ReportStore(path: path)
        } catch {
            throw fail("\(path): \(error)", code: ExitStatus.invalidInput)
        }
    }
}

/// Loads and validates a scenario file, or fails with exit 65 and the validator's diagnostics.
func loadPlan(_ path: String) throws -> RunPlan {
    do {
        return try ScenarioLoader.plan(path: path)
    } catch {
        throw fail("\(error)", code: ExitStatus.invalidInput)
    }
}

/// Parses `--seed` / `--seeds`, or fails with exit 64.
func parseSeeds(_ text: String) throws -> [UInt64] {
    do {
        return try SeedSpec.parse(text).seeds
    } catch {
        throw usageError("--seeds \(text): \(error)")
    }
}

/// The command that reproduces one run exactly.
func reproduceCommand(scenarioPath: String, seed: UInt64) -> String {
    "faultline run \(scenarioPath) --seed \(seed)"
}

/// Records runs; a database error is reported (exit 70 at the end) but never loses the run's printout.
func recordRuns(_ records: [RunRecord], in store: ReportStore?, startedAt: String) -> Bool {
    guard let store, !records.isEmpty else { return true }
    do {
        try store.record(contentsOf: records, startedAt: startedAt)
        return true
    } catch {
        printError("error: could not record \(records.count) run(s) in the database: \(error)")
        return false
    }
}

/// Writes `text` to `path`, or fails with exit 65 naming the path.
func writeFile(_ text: String, to path: String) throws {
    do {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    } catch {
        throw fail("\(path): cannot write: \(error.localizedDescription)", code: ExitStatus.invalidInput)
    }
}
