import ArgumentParser
import FaultlineChaos
import FaultlineReport
import Foundation

/// `faultline report`: recovery percentiles, failing runs, violations or a timeline from the
/// database, or any read-only SQL.
///
/// Invariant: the database is opened read-only (`ReportStore.Access.readOnly`): a report never
/// creates, migrates or otherwise modifies it.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Query recorded runs: recovery percentiles, failing runs, violations, or your own SQL.",
        discussion: """
            The database is only read, never created or modified. Canned queries live in Reports/queries/*.sql: \
            run them with --query NAME (e.g. --query failing-seeds), your own with --sql "SELECT ..." or --sql-file PATH. \
            table and html round reals to 3 decimals; csv and json keep full precision (json: numbers as numbers, NULL as null).
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, csv, json, html
    }

    enum View: String, ExpressibleByArgument, CaseIterable {
        case percentiles, failing, violations, timeline
    }

    @Option(name: .customLong("db"), help: "The database to read (never modified).") var path: String = DatabaseOptions.defaultPath
    @Option(help: "Only this scenario (by metadata.name), with a view.") var scenario: String?
    @Option(help: "What to show: percentiles (the default), failing, violations, or timeline (of --run, else of the newest run).") var view: View?
    @Option(name: .customLong("run"), help: "A run id (runs.id): with --format html its page (timeline, client load, counterexample); with --view timeline its timeline.") var runID: Int64?
    @Option(parsing: .unconditional, help: "A read-only SQL query to run instead (may start with a -- comment).") var sql: String?
    @Option(name: .customLong("sql-file"), help: "A file holding a read-only SQL query to run instead.") var sqlFile: String?
    @Option(help: "A canned query to run instead, by name: \(CannedQueries.shippedNames.joined(separator: ", ")).") var query: String?
    @Option(parsing: .upToNextOption, help: "Compare two sweeps metric by metric: --compare A B, each a recorded scenario name (a variant's too, e.g. 'etcd-leader-crash [cluster.etcd.election-timeout=500ms]'), optionally NAME@VERSION.")
    var compare: [String] = []
    @Option(help: "table, csv, json or html. table and html round reals to 3 decimals; csv and json keep full precision. html without a query or view is the full report page.")
    var format: Format = .table
    @Option(help: "Write the output to this file (- for standard output, the default).") var output: String?

    func validate() throws {
        let sources = [sql.map { _ in "--sql" }, sqlFile.map { _ in "--sql-file" }, query.map { _ in "--query" }, view.map { _ in "--view" },
                       compare.isEmpty ? nil : "--compare"].compactMap { $0 }
        if !compare.isEmpty && compare.count != 2 { throw ValidationError("--compare takes two sweeps: --compare A B (scenario names, optionally NAME@VERSION)") }
        if !compare.isEmpty && (scenario != nil || runID != nil) { throw ValidationError("--compare names its two sweeps itself; drop --scenario and --run") }
        guard sources.count <= 1 else { throw ValidationError("\(sources.joined(separator: " and ")) both choose what to show; give one") }
        if scenario != nil && view == nil && !sources.isEmpty {
            throw ValidationError("--scenario filters a view (percentiles, failing, violations, timeline); filter your SQL with a WHERE clause instead")
        }
        if runID != nil && view != .timeline && !(format == .html && sources.isEmpty) {
            throw ValidationError("--run needs --format html (the run's page) or --view timeline")
        }
    }

    func run() throws {
        let store = try openStore(path, access: .readOnly)
        if !store.pendingMigrations.isEmpty {
            printError("note: \(path) predates schema migration(s) \(store.pendingMigrations.joined(separator: ", ")); its views are older than Reports/README.md describes until this faultline records a run in it")
        }
        let text: String
        do {
            if let scenario {
                let known = try store.scenarios()
                let variants = try store.variants(of: scenario)
                guard known.contains(scenario) || !variants.isEmpty else {
                    throw fail("no runs of scenario \(scenario) in \(path); scenarios with runs: \(known.isEmpty ? "none" : known.joined(separator: ", ")) (--scenario takes metadata.name, not a file path)",
                               code: ExitStatus.invalidInput)
                }
            }
            if compare.count == 2 {
                let (title, result) = try comparison(store)
                switch format {
                case .table: text = title + "\n" + renderTable(result)
                case .csv: text = renderCSV(result)
                case .json: text = renderJSON(result)
                case .html: text = renderHTML(title: "Faultline comparison", sections: [(title, result)])
                }
            } else if format == .html, view == nil, let runID {
                guard let record = try store.runRecord(runID) else {
                    throw fail("no run \(runID) in \(path) (run ids are runs.id; --view failing lists failing runs)", code: ExitStatus.invalidInput)
                }
                text = RunPage.render(record, runID: runID)
            } else if format == .html, let scenario, sql == nil, sqlFile == nil, query == nil, view == nil {
                text = try SweepPageWriter(store: store, output: output).render(scenario: scenario)
            } else if format == .html && sql == nil && sqlFile == nil && query == nil && view == nil {
                text = renderHTML(title: "Faultline report" + (scenario.map { ": \($0)" } ?? ""),
                                  percentiles: try store.recoveryPercentiles(scenario: scenario),
                                  failing: try store.failingRuns(scenario: scenario),
                                  violations: try store.violations(scenario: scenario))
            } else {
                let (title, result) = try select(store)
                switch format {
                case .table: text = renderTable(result)
                case .csv: text = renderCSV(result)
                case .json: text = renderJSON(result)
                case .html: text = renderHTML(title: "Faultline report", sections: [(title, result)])
                }
            }
        } catch let error as ReportStoreError {
            throw fail(error.description, code: ExitStatus.invalidInput)
        }
        // By bytes: "\r\n" (CSV's line end) is one Character, so `hasSuffix("\n")` would miss it.
        try Output.write(text.utf8.last == UInt8(ascii: "\n") ? text : text + "\n", to: output ?? "-")
    }

    /// The result to show and its title (the HTML page's heading).
    func select(_ store: ReportStore) throws -> (String, QueryResult) {
        if let sql { return ("Query", try store.query(sql)) }
        if let sqlFile { return (sqlFile, try store.query(try Self.readSQLFile(sqlFile))) }
        if let query {
            let canned = try CannedQueries.load(query)
            return ("\(canned.name) (\(canned.path))", try store.query(canned.text))
        }
        let suffix = scenario.map { ": \($0)" } ?? ""
        switch view ?? .percentiles {
        case .percentiles: return ("Recovery percentiles (simulated seconds, nearest rank)" + suffix, try store.recoveryPercentiles(scenario: scenario))
        case .failing: return ("Failing runs" + suffix, try store.failingRuns(scenario: scenario))
        case .violations: return ("Violations" + suffix, try store.violations(scenario: scenario))
        case .timeline:
            if let runID, !(try store.hasRun(runID)) {
                throw fail("no run \(runID) in \(path) (run ids are runs.id; --view failing lists failing runs)", code: ExitStatus.invalidInput)
            }
            return ("Timeline" + (runID.map { " of run \($0)" } ?? suffix), try store.timeline(runID: runID, scenario: scenario))
        }
    }

    /// `--compare A B`: both sweeps must have runs (exit 65 naming the one that has none).
    func comparison(_ store: ReportStore) throws -> (String, QueryResult) {
        var sides: [SweepData] = []
        for side in compare {
            let (name, version) = Self.splitVersion(side)
            let sweep = try store.sweep(name, version: version)
            guard sweep.runs > 0 else {
                let known = try store.scenarios()
                throw fail("--compare \(side): no runs of \(name)\(version.map { " version \($0)" } ?? "") in \(path); recorded: \(known.isEmpty ? "none" : known.joined(separator: "; "))",
                           code: ExitStatus.invalidInput)
            }
            sides.append(sweep)
        }
        let title = "A = \(compare[0]) (\(sides[0].runs) runs), B = \(compare[1]) (\(sides[1].runs) runs); seconds, nearest rank; change = B - A"
        return (title, SweepComparison.result(sides[0], sides[1]))
    }

    /// `NAME@VERSION` into its parts (a name without `@` is every version).
    static func splitVersion(_ side: String) -> (String, String?) {
        guard let at = side.lastIndex(of: "@"), at != side.startIndex else { return (side, nil) }
        return (String(side[..<at]), String(side[side.index(after: at)...]))
    }

    static func readSQLFile(_ path: String) throws -> String {
        if let problem = regularFileProblem(path) { throw fail("--sql-file \(problem)", code: ExitStatus.invalidInput) }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw fail("--sql-file \(path): cannot read it as UTF-8 text", code: ExitStatus.invalidInput)
        }
        return text
    }
}

/// Why `path` cannot be read as a regular file, or nil.
func regularFileProblem(_ path: String) -> String? {
    var info = stat()
    guard stat(path, &info) == 0 else { return "\(path): \(String(cString: strerror(errno)))" }
    return info.st_mode & S_IFMT == S_IFREG ? nil : "\(path): not a regular file"
}
