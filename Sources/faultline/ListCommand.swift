import ArgumentParser
import FaultlineChaos
import FaultlineCluster
import FaultlineReport
import Foundation

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
