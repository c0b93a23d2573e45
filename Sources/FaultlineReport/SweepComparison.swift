import Foundation

/// Two sweeps side by side, metric by metric (`report --compare A B`): for each recovery metric in
/// either, n, p50, p95, p99 and max of each and the change B − A; then the failure rate.
///
/// Invariants: metrics by name; percentiles nearest-rank (as `recovery_percentiles`); a metric one
/// sweep lacks has NULL cells on that side and NULL changes. The result is a `QueryResult`, so
/// every `report --format` renders it.
public enum SweepComparison {
    public static func result(_ a: SweepData, _ b: SweepData) -> QueryResult {
        let columns = ["metric", "n_a", "p50_a", "p95_a", "p99_a", "max_a", "n_b", "p50_b", "p95_b", "p99_b", "max_b", "p50_change", "p99_change"]
        let names = Array(Set(a.metrics.map(\.name) + b.metrics.map(\.name))).sorted()
        func stats(_ sweep: SweepData, _ name: String) -> [QueryValue] {
            guard let samples = sweep.metrics.first(where: { $0.name == name })?.samples, !samples.isEmpty else {
                return [.integer(0), .null, .null, .null, .null]
            }
            let sorted = samples.map(\.seconds).sorted()
            return [.integer(Int64(sorted.count)), .real(Percentile.of(sorted, 50)), .real(Percentile.of(sorted, 95)),
                    .real(Percentile.of(sorted, 99)), .real(sorted.last!)]
        }
        func change(_ x: QueryValue, _ y: QueryValue) -> QueryValue {
            guard case .real(let before) = x, case .real(let after) = y else { return .null }
            return .real(after - before)
        }
        var rows = names.map { name -> [QueryValue] in
            let left = stats(a, name), right = stats(b, name)
            return [.text(name)] + left + right + [change(left[1], right[1]), change(left[3], right[3])]
        }
        func rate(_ sweep: SweepData) -> QueryValue { sweep.runs == 0 ? .null : .real(Double(sweep.failures.count) / Double(sweep.runs)) }
        rows.append([.text("(failure rate)"), .integer(Int64(a.runs)), rate(a), .null, .null, .null, .integer(Int64(b.runs)), rate(b), .null, .null, .null,
                     change(rate(a), rate(b)), .null])
        return QueryResult(columns: columns, rows: rows)
    }
}
