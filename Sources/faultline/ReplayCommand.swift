import ArgumentParser
import FaultlineChaos
import FaultlineCluster
import FaultlineReport
import FaultlineSim
import Foundation

/// `faultline replay SCENARIO --seed N`: re-runs one seed and prints its trace, filtered.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-run one seed and print its event trace; confirms the trace hash."
    )

    @Argument(help: "Scenario file (YAML).") var scenario: String
    @Option(parsing: .unconditional, help: "The seed to replay (0 to 2^64-1).", transform: parseSeed) var seed: UInt64 = 1
    @Option(name: .customLong("host"), help: "Only events on or from this host, or every process host of this machine (master-1) (repeatable).") var hosts: [String] = []
    @Option(name: .customLong("kind"), help: "Only these event kinds (repeatable): \(TraceRecord.Kind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var kinds: [String] = []
    @Option(help: "Only events at or after this simulated second.") var from: Double?
    @Option(help: "Only events at or before this simulated second.") var to: Double?
    @Option(help: "Print at most this many events.") var limit: Int = 10_000
    @Option(help: "Expected trace hash (16 hex digits, as run prints after 'trace' and the runs table stores in trace_hash); exit 1 if the replay differs.") var expectHash: String?
    @Flag(help: "After the trace, print the run's timeline (faults, leaders, leases, backends, bindings).") var timeline = false
    @OptionGroup var database: ReplayDatabaseOptions

    func validate() throws {
        for kind in kinds where TraceRecord.Kind(rawValue: kind) == nil {
            throw ValidationError("unknown --kind \(kind); expected one of \(TraceRecord.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard limit >= 0 else { throw ValidationError("--limit must not be negative") }
        for (name, value) in [("--from", from), ("--to", to)] {
            if let value, !(value.isFinite && value >= 0) {
                throw ValidationError("\(name) \(value): a simulated second must be a finite number, 0 or more")
            }
        }
        if let from, let to, from > to { throw ValidationError("--from \(from) is after --to \(to): nothing would be printed") }
        if let expectHash, !(expectHash.count == 16 && expectHash.allSatisfy(\.isHexDigit)) {
            throw ValidationError("--expect-hash \(expectHash): a trace hash is 16 hex digits, e.g. 3f9a0c1d2b4e5f60")
        }
    }

    func run() throws {
        let plan = try loadPlan(scenario)
        let wantedKinds = Set(kinds.compactMap(TraceRecord.Kind.init(rawValue:)))
        // The runner registers only the cluster's hosts, so trace host ids index this list.
        let layout = plan.cluster.layout
        let hostNames = layout.hostNames
        var wanted: [String] = []
        for name in hosts {
            let machineHosts = layout.processHosts(onMachine: name)
            guard hostNames.contains(name) || !machineHosts.isEmpty else {
                throw usageError("--host \(name): no such host or machine; machines are \(layout.machineNames.joined(separator: ", ")), hosts are \(hostNames.joined(separator: ", "))")
            }
            wanted += machineHosts.isEmpty ? [name] : machineHosts
        }
        let filter = TraceFilter(hostNames: wanted, kinds: wantedKinds, from: from, to: to, limit: limit)
        let printer = TracePrinter(filter: filter, hostNames: hostNames)
        let result = ChaosRunner.run(plan, seed: seed, traceSink: { printer.consume($0) })
        printer.finish()
        if timeline {
            for entry in result.timeline {
                print(String(format: "t=%.3fs ", Double(entry.at.nanosecondsSinceStart) / 1e9) + "\(entry.kind) \(entry.subject)" + (entry.detail.isEmpty ? "" : " (\(entry.detail))"))
            }
        }
        let hash = result.traceHashHex
        print("trace hash \(hash), \(result.events) events, \(printer.printed) printed, verdict \(result.verdict.rawValue)")
        if let expectHash {
            guard expectHash.lowercased() == hash else {
                printError("trace hash mismatch: expected \(expectHash), replay gave \(hash)")
                throw ExitCode(ExitStatus.safety)
            }
            print("trace hash confirmed")
        } else if !database.disabled, FileManager.default.fileExists(atPath: database.path),
                  let store = try? ReportStore(path: database.path, access: .readOnly),
                  let recorded = try? store.traceHashes(scenario: plan.name, seed: seed, version: Faultline.version), !recorded.isEmpty {
            if recorded.allSatisfy({ $0 == hash }) {
                print("trace hash confirmed against \(recorded.count) recorded run(s) in \(database.path)")
            } else {
                printError("trace hash differs from a recorded run of the same scenario, seed and version: \(recorded.joined(separator: ", "))")
                throw ExitCode(ExitStatus.safety)
            }
        }
    }
}

struct TraceFilter {
    let hostNames: [String]
    let kinds: Set<TraceRecord.Kind>
    let from: Double?
    let to: Double?
    let limit: Int
}

/// Prints trace records as they happen; host names are resolved lazily from the record's ids.
final class TracePrinter: @unchecked Sendable {
    let filter: TraceFilter
    let hostNames: [String]
    let wantedHosts: Set<Int32>
    var printed = 0
    var buffer = ""

    init(filter: TraceFilter, hostNames: [String]) {
        self.filter = filter
        self.hostNames = hostNames
        self.wantedHosts = Set(filter.hostNames.compactMap { hostNames.firstIndex(of: $0) }.map { Int32($0) })
    }

    func name(_ host: HostID?) -> String {
        guard let host else { return "-" }
        let index = Int(host.index)
        return index < hostNames.count ? hostNames[index] : "host-\(index)"
    }

    func consume(_ record: TraceRecord) {
        guard printed < filter.limit else { return }
        if !filter.kinds.isEmpty && !filter.kinds.contains(record.kind) { return }
        let seconds = record.time.seconds
        if let from = filter.from, seconds < from { return }
        if let to = filter.to, seconds > to { return }
        if !wantedHosts.isEmpty {
            let involved = [record.source?.index, record.target?.index].compactMap { $0 }
            if !involved.contains(where: { wantedHosts.contains($0) }) { return }
        }
        printed += 1
        buffer += "\(record.time) \(record.kind.rawValue) \(name(record.source))->\(name(record.target)) \(record.detail)\n"
        if buffer.utf8.count > 1 << 16 { finish() }
    }

    func finish() {
        Output.standardOutput(buffer)
        buffer = ""
    }
}
