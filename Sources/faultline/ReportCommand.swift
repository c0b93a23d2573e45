import ArgumentParser
import FaultlineChaos
import FaultlineCluster
import FaultlineReport
import Foundation

/// `faultline report`: recovery percentiles and violations from the database, or any read-only SQL.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Query recorded runs: recovery percentiles, failing runs, violations, or your own SQL.",
        discussion: "Canned queries live in Reports/queries/*.sql; run them with --query NAME (e.g. --query failing-seeds) or with sqlite3."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, csv, json, html
    }

    enum View: String, ExpressibleByArgument, CaseIterable {
        case percentiles, failing, violations, timeline
    }

    @Option(name: .customLong("db"), help: "The database to read.") var path: String = "Reports/faultline.sqlite"
    @Option(help: "Only this scenario (by metadata.name).") var scenario: String?
    @Option(help: "What to show: percentiles, failing, violations, or timeline (of --run, else of the newest run).") var view: View = .percentiles
    @Option(name: .customLong("run"), help: "With --view timeline: the run id (runs.id).") var runID: Int64?
    @Option(help: "A read-only SQL query to run instead.") var sql: String?
    @Option(help: "A canned query to run instead: a name from Reports/queries (e.g. failing-seeds) or the path of a .sql file.") var query: String?
    @Option(help: "table, csv, json or html (html: the full report page).") var format: Format = .table
    @Option(help: "Write the output to this file instead of standard output.") var output: String?

    func run() throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw fail("\(path): no such database; record runs first with faultline run or sweep", code: ExitStatus.invalidInput)
        }
        let text: String
        do {
            let store = try ReportStore(path: path)
            if format == .html {
                text = renderHTML(title: "Faultline report" + (scenario.map { ": \($0)" } ?? ""),
                                  percentiles: try store.recoveryPercentiles(scenario: scenario),
                                  failing: try store.failingRuns(scenario: scenario),
                                  violations: try store.violations(scenario: scenario))
            } else {
                let result: QueryResult
                if let sql {
                    result = try store.query(sql)
                } else if let query {
                    result = try store.query(try Self.cannedQuery(query))
                } else {
                    switch view {
                    case .percentiles: result = try store.recoveryPercentiles(scenario: scenario)
                    case .failing: result = try store.failingRuns(scenario: scenario)
                    case .violations: result = try store.violations(scenario: scenario)
                    case .timeline: result = try store.timeline(runID: runID, scenario: scenario)
                    }
                }
                switch format {
                case .table: text = renderTable(result)
                case .csv: text = renderCSV(result)
                case .json: text = renderJSON(result)
                case .html: preconditionFailure("handled above")
                }
            }
        } catch {
            throw fail("\(error)", code: ExitStatus.invalidInput)
        }
        if let output {
            try writeFile(text, to: output)
        } else {
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
        }
    }
}

extension ReportCommand {
    /// The text of a canned query: a `.sql` file path, or a name under `Reports/queries`.
    static func cannedQuery(_ name: String) throws -> String {
        let directory = "Reports/queries"
        let path = FileManager.default.fileExists(atPath: name) ? name : "\(directory)/\(name).sql"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            let known = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
                .filter { $0.hasSuffix(".sql") }.map { String($0.dropLast(4)) }.sorted()
            throw ValidationError("--query \(name): no such query file or name; canned queries: \(known.isEmpty ? "none found under \(directory)" : known.joined(separator: ", "))")
        }
        return text
    }
}

/// `faultline list`: the shipped scenarios and the fault, invariant and metric vocabularies.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List scenarios, faults, invariants or metrics."
    )

    enum Topic: String, ExpressibleByArgument, CaseIterable {
        case scenarios, faults, invariants, metrics
    }

    @Argument(help: "scenarios, faults, invariants or metrics.") var topic: Topic = .scenarios
    @Option(help: "Folder of scenarios.") var directory: String = "Scenarios"

    func run() throws {
        switch topic {
        case .scenarios:
            // The folder and its subfolders (Scenarios/unsafe/ holds the ones that are expected to fail).
            let files = (FileManager.default.subpaths(atPath: directory) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
            guard !files.isEmpty else { throw fail("\(directory): no scenario files (*.yaml)", code: ExitStatus.invalidInput) }
            let width = (files.map { directory.count + 1 + $0.count }.max() ?? 0) + 1
            for file in files {
                let path = directory + "/" + file
                let summary = (try? String(contentsOfFile: path, encoding: .utf8))?
                    .split(separator: "\n").first { $0.hasPrefix("#") }
                    .map { $0.dropFirst().trimmingCharacters(in: .whitespaces) } ?? ""
                print("\(path.padding(toLength: width, withPad: " ", startingAt: 0)) \(summary)")
            }
        case .faults:
            let entries = FaultCatalog.entries, width = (entries.map(\.name.count).max() ?? 0) + 1
            for entry in entries {
                print("\(entry.name.padding(toLength: width, withPad: " ", startingAt: 0)) \(entry.implemented ? "" : "(not yet) ")\(entry.summary)")
            }
        case .invariants:
            let entries = InvariantCatalog.entries, width = (entries.map(\.name.count).max() ?? 0) + 1
            for entry in entries {
                print("\(entry.name.padding(toLength: width, withPad: " ", startingAt: 0)) \(entry.kind.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(entry.implemented ? "" : "(not yet) ")\(entry.summary)")
            }
        case .metrics:
            let entries = MetricCatalog.entries, width = (entries.map(\.name.count).max() ?? 0) + 1
            for entry in entries {
                print("\(entry.name.padding(toLength: width, withPad: " ", startingAt: 0)) \(entry.implemented ? "" : "(not yet) ")\(entry.summary)")
            }
        }
    }
}

/// The client history of a run as the documented JSON lines.
enum HistoryExport {
    static func jsonLines(_ operations: [ClientOperation]) -> String {
        renderHistory(operations.map {
            ClientOperationRecord(client: $0.client, op: $0.kind.rawValue, key: $0.key, value: $0.value, expected: $0.expected,
                                  ok: $0.ok, call: $0.called.nanosecondsSinceStart, returned: $0.returned?.nanosecondsSinceStart)
        })
    }
}
