import Foundation

/// The what-if section of a varied sweep: per recovery metric its p50 and p99 against the variants,
/// and the failure rate per variant, side by side.
///
/// Invariants: variants along x in the order given (the sweep's grid order); classes `whatif-p50`,
/// `whatif-p99` (one point per variant with samples) and `whatif-fail` (one bar per variant).
enum WhatIfChart {
    static let width = 460.0, height = 220.0, left = 50.0, right = 16.0, top = 18.0, bottom = 50.0

    /// A variant's label under the x axis: its values (`500ms`) when one field varies, else the
    /// fields' last components with their values (`election-timeout=500ms heartbeat-interval=50ms`).
    static func label(_ sweep: SweepData) -> String {
        if sweep.parameters.isEmpty { return "as in the file" }
        if sweep.parameters.count == 1 { return sweep.parameters[0].value }
        return sweep.parameters.map { "\(lastComponent($0.path))=\($0.value)" }.joined(separator: " ")
    }

    static func lastComponent(_ path: String) -> String { String(path.split(separator: ".").last ?? Substring(path)) }

    static func section(_ sweeps: [SweepData]) -> String {
        let metricNames = Array(Set(sweeps.flatMap { $0.metrics.map(\.name) })).sorted()
        var charts = metricNames.map { name -> String in
            let values = sweeps.map { sweep -> (p50: Double, p99: Double)? in
                guard let samples = sweep.metrics.first(where: { $0.name == name })?.samples, !samples.isEmpty else { return nil }
                let sorted = samples.map(\.seconds).sorted()
                return (Percentile.of(sorted, 50), Percentile.of(sorted, 99))
            }
            return "<div><h3>\(xmlEscape(name))</h3>\n" + lines(name, sweeps, values) + "</div>"
        }
        charts.append("<div><h3>failure rate</h3>\n" + failureBars(sweeps) + "</div>")
        let parameters = Array(Set(sweeps.flatMap { $0.parameters.map(\.path) })).sorted()
        return "<h2>What if: \(xmlEscape(parameters.joined(separator: " × ")))</h2>\n"
            + HtmlDocument.legend([("#1a7f37", "p50"), ("#bc4c00", "p99"), ("#cf222e", "failing seeds (share of runs)")])
            + "<div class=\"charts whatif\">" + charts.joined(separator: "\n") + "</div>"
    }

    static func xScale(_ count: Int) -> (Int) -> Double {
        let step = (width - left - right) / Double(max(count, 1))
        return { left + step * (Double($0) + 0.5) }
    }

    static func axes(_ sweeps: [SweepData], yMax: Double, unit: (Double) -> String) -> [String] {
        let x = xScale(sweeps.count)
        let y = LinearScale(domainLow: 0, domainHigh: yMax, pixelLow: height - bottom, pixelHigh: top)
        var parts: [String] = []
        for tick in y.ticks(5) {
            parts.append(Svg.line(x1: left, y1: y(tick), x2: width - right, y2: y(tick), stroke: "#eaeef2"))
            parts.append(Svg.text(x: left - 4, y: y(tick) + 3, unit(tick), anchor: "end", size: 10))
        }
        for (index, sweep) in sweeps.enumerated() {
            parts.append(Svg.text(x: x(index), y: height - bottom + 14, label(sweep), anchor: "middle", size: 10))
            parts.append(Svg.text(x: x(index), y: height - bottom + 27, "\(sweep.runs) runs", anchor: "middle", size: 9, fill: "#57606a"))
        }
        return parts
    }

    static func lines(_ metric: String, _ sweeps: [SweepData], _ values: [(p50: Double, p99: Double)?]) -> String {
        let yMax = max(values.compactMap { $0?.p99 }.max() ?? 1, 1e-3) * 1.15
        let x = xScale(sweeps.count)
        let y = LinearScale(domainLow: 0, domainHigh: yMax, pixelLow: height - bottom, pixelHigh: top)
        var parts = axes(sweeps, yMax: yMax) { Num.fixed($0, $0 < 10 ? 1 : 0) + "s" }
        for (key, color, pick) in [("p50", "#1a7f37", { (v: (p50: Double, p99: Double)) in v.p50 }), ("p99", "#bc4c00", { $0.p99 })] {
            let points = values.enumerated().compactMap { index, value in value.map { (x(index), y(pick($0))) } }
            if points.count > 1 { parts.append(Svg.polyline(points, stroke: color)) }
            for (index, value) in values.enumerated() {
                guard let value else { continue }
                parts.append(Svg.circle(cx: x(index), cy: y(pick(value)), r: 4, fill: color, cssClass: "whatif-\(key)",
                                        title: "\(label(sweeps[index])): \(key) \(Num.seconds(pick(value)))"))
            }
        }
        return Svg.document(width: width, height: height, label: "\(metric) p50 and p99 per variant", cssClass: "whatif-metric", parts)
    }

    static func failureBars(_ sweeps: [SweepData]) -> String {
        let rates = sweeps.map { $0.runs == 0 ? 0 : Double($0.failures.count) / Double($0.runs) }
        let yMax = max(rates.max() ?? 0, 0.05) * 1.15
        let x = xScale(sweeps.count)
        let y = LinearScale(domainLow: 0, domainHigh: yMax, pixelLow: height - bottom, pixelHigh: top)
        var parts = axes(sweeps, yMax: yMax) { Num.fixed($0 * 100, 0) + "%" }
        let barWidth = (width - left - right) / Double(max(sweeps.count, 1)) * 0.5
        for (index, rate) in rates.enumerated() {
            parts.append(Svg.rect(x: x(index) - barWidth / 2, y: y(rate), width: barWidth, height: height - bottom - y(rate), fill: "#cf222e",
                                  cssClass: "whatif-fail", title: "\(label(sweeps[index])): \(sweeps[index].failures.count) of \(sweeps[index].runs) runs fail"))
            parts.append(Svg.text(x: x(index), y: y(rate) - 3, Num.fixed(rate * 100, 1) + "%", anchor: "middle", size: 10))
        }
        return Svg.document(width: width, height: height, label: "failure rate per variant", cssClass: "whatif-failures", parts)
    }
}
