import ArgumentParser
import FaultlineChaos
import FaultlineReport
import Foundation

/// `--db PATH` / `--no-db` for the commands that record runs (run, sweep, check).
struct DatabaseOptions: ParsableArguments {
    static let defaultPath = "Reports/faultline.sqlite"

    @Option(name: .customLong("db"), help: "SQLite database to record runs in (created if missing; its folder must exist, except the default Reports/).")
    var path: String = DatabaseOptions.defaultPath

    @Flag(name: .customLong("no-db"), help: "Do not record runs.")
    var disabled = false

    /// Opens the store for writing, or fails naming the path and the reason: exit 73 when it cannot
    /// be created, 65 when the file is not a database this version can use.
    ///
    /// Only the default folder (`Reports/`, in a fresh clone it exists already) is ever created: a
    /// mistyped `--db` folder is an error rather than a new directory tree.
    func open() throws -> ReportStore? {
        guard !disabled else { return nil }
        if path == Self.defaultPath {
            try? FileManager.default.createDirectory(atPath: "Reports", withIntermediateDirectories: false)
        }
        return try openStore(path, access: .readWrite)
    }
}

/// `--db PATH` / `--no-db` for `replay`, which only reads recorded runs (to confirm a trace hash).
struct ReplayDatabaseOptions: ParsableArguments {
    @Option(name: .customLong("db"), help: "Database whose recorded runs confirm the trace hash (read only; replays are not recorded).")
    var path: String = DatabaseOptions.defaultPath

    @Flag(name: .customLong("no-db"), help: "Do not compare with recorded runs.")
    var disabled = false
}

/// Opens a store, or prints why not (path once, then the reason) and throws the exit code.
func openStore(_ path: String, access: ReportStore.Access) throws -> ReportStore {
    do {
        return try ReportStore(path: path, access: access)
    } catch {
        let code: Int32 = switch error.kind {
        case .cannotCreate: ExitStatus.cannotCreate
        case .missing, .refused: ExitStatus.invalidInput
        case .failed: ExitStatus.internalError
        }
        throw fail(error.description, code: code)
    }
}

/// Loads and validates a scenario file, or fails with exit 65 and the validator's diagnostics.
/// A path that is missing or not a regular file is reported here, with a did-you-mean.
func loadPlan(_ path: String) throws -> RunPlan {
    switch readPlan(path) {
    case .success(let plan): return plan
    case .failure(let problem):
        problem.report()
        throw ExitCode(ExitStatus.invalidInput)
    }
}

/// Why a scenario file cannot be used: the path check's or the validator's message.
struct ScenarioProblem: Error {
    var message: String

    /// Prints the message on standard error. The validator's diagnostics already read
    /// `file:line:column: error: ...` (as compilers print them), so they get no second `error:`.
    func report() {
        Output.standardError(message.contains(": error: ") ? message : "faultline: error: \(message)")
    }
}

/// Loads and validates a scenario file without printing anything.
func readPlan(_ path: String) -> Result<RunPlan, ScenarioProblem> {
    if let problem = ScenarioFiles.problem(with: path) { return .failure(ScenarioProblem(message: problem)) }
    do {
        return .success(try ScenarioLoader.plan(path: path))
    } catch {
        return .failure(ScenarioProblem(message: "\(error)"))
    }
}

/// Parses `--seeds`, or fails with exit 64.
func parseSeeds(_ text: String) throws -> [UInt64] {
    if text.trimmingCharacters(in: .whitespaces).hasPrefix("-") {
        throw usageError("--seeds \(text): seeds are non-negative whole numbers (0 to \(UInt64.max))")
    }
    do {
        return try SeedSpec.parse(text).seeds
    } catch {
        throw usageError("--seeds \(text): \(error)")
    }
}

/// `--seed N`'s transform (declared with `parsing: .unconditional`, so `-1` reaches it instead of
/// being taken for an option): a whole number from 0 to 2^64 − 1.
func parseSeed(_ text: String) throws -> UInt64 {
    if let seed = UInt64(text) { return seed }
    if text.hasPrefix("-") && Int64(text) != nil {
        throw ValidationError("seeds are non-negative whole numbers (0 to \(UInt64.max))")
    }
    throw ValidationError("not a seed: a whole number from 0 to \(UInt64.max)")
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
