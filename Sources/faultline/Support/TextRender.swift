import FaultlineChaos
import FaultlineReport
import Foundation

/// Human-readable output of `run` and `sweep`.
enum TextRender {
    static func seconds(_ value: Double) -> String { String(format: "%.3fs", value) }

    static func run(_ record: RunRecord, scenarioPath: String) -> String {
        var lines: [String] = []
        lines.append("scenario \(record.scenario)  seed \(record.seed)  version \(record.version)")
        lines.append("trace \(record.traceHash)  \(record.events) events  \(seconds(record.simulatedSeconds)) simulated in \(String(format: "%.2f", record.wallSeconds))s wall")
        if !record.faults.isEmpty {
            lines.append("faults:")
            let idWidth = record.faults.map(\.id.count).max() ?? 0
            for fault in record.faults {
                let healed = fault.healedAt.map { " healed \(seconds($0))" } ?? ""
                lines.append("  \(fault.id.padding(toLength: idWidth, withPad: " ", startingAt: 0)) \(fault.kind) \(fault.target) at \(seconds(fault.injectedAt))\(healed)")
            }
        }
        if !record.recoveries.isEmpty {
            lines.append("recoveries:")
            // Columns as wide as the longest fault id and metric, so f10 lines up with f9.
            let faultWidth = record.recoveries.map(\.fault.count).max() ?? 0
            let metricWidth = max(34, record.recoveries.map(\.metric.count).max() ?? 0)
            for recovery in record.recoveries {
                let fault = recovery.fault.padding(toLength: faultWidth, withPad: " ", startingAt: 0)
                lines.append("  \(fault) \(recovery.metric.padding(toLength: metricWidth, withPad: " ", startingAt: 0)) \(seconds(recovery.seconds))")
            }
        }
        lines.append("invariants:")
        for invariant in record.invariants {
            let mark = invariant.holds ? "ok  " : "FAIL"
            let at = invariant.firstViolationAt.map { " at \(seconds($0))" } ?? ""
            let detail = invariant.detail.isEmpty ? "" : " — \(invariant.detail)"
            lines.append("  \(mark) \(invariant.name) (\(invariant.kind))\(at)\(detail)")
        }
        lines.append("verdict: \(record.verdict)")
        if record.verdict != Verdict.pass.rawValue {
            lines.append("reproduce: \(reproduceCommand(scenarioPath: scenarioPath, seed: record.seed))" + record.parameters.map { " --set \(shellQuoted($0.path))=\(shellQuoted($0.value))" }.joined())
        }
        return lines.joined(separator: "\n")
    }

    /// Nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    static func sweep(_ records: [RunRecord], scenarioPath: String, wallSeconds: Double) -> String {
        var lines: [String] = []
        let failing = records.filter { $0.verdict != Verdict.pass.rawValue }
        let simulated = records.reduce(0) { $0 + $1.simulatedSeconds }
        lines.append("\(records.count) seeds in \(String(format: "%.1f", wallSeconds))s wall (\(String(format: "%.1f", Double(records.count) / max(wallSeconds, 1e-9) * 60)) seeds/min, \(String(format: "%.0f", simulated / max(wallSeconds, 1e-9))) simulated s per wall s); \(failing.count) failing")
        // Metrics in first-seen order, so the table is stable for a given set of runs.
        var metrics: [String] = []
        var samples: [String: [Double]] = [:]
        for record in records {
            for recovery in record.recoveries {
                if samples[recovery.metric] == nil { metrics.append(recovery.metric) }
                samples[recovery.metric, default: []].append(recovery.seconds)
            }
        }
        if !metrics.isEmpty {
            lines.append("")
            lines.append("metric".padding(toLength: 36, withPad: " ", startingAt: 0) + "     n       p50       p95       p99       max")
            for metric in metrics {
                let values = samples[metric, default: []].sorted()
                let cells = [50.0, 95, 99].map { String(format: "%9.3f", percentile(values, $0)) } + [String(format: "%9.3f", values.last ?? .nan)]
                lines.append(metric.padding(toLength: 36, withPad: " ", startingAt: 0) + String(format: "%6d", values.count) + " " + cells.joined(separator: " "))
            }
        }
        if !failing.isEmpty {
            lines.append("")
            lines.append("failing seeds:")
            for record in failing.sorted(by: { $0.seed < $1.seed }) {
                let broken = record.invariants.filter { !$0.holds }.map(\.name).joined(separator: ", ")
                lines.append("  seed \(record.seed): \(record.verdict) (\(broken))  \(reproduceCommand(scenarioPath: scenarioPath, seed: record.seed))" + record.parameters.map { " --set \(shellQuoted($0.path))=\(shellQuoted($0.value))" }.joined())
            }
        }
        return lines.joined(separator: "\n")
    }
}
