import Foundation

/// Nearest-rank percentiles, as the `recovery_percentiles` view computes them.
enum Percentile {
    /// The `p`th percentile of `sorted` (ascending, non-empty): the value at rank ceil(p·n/100).
    static func of(_ sorted: [Double], _ p: Int) -> Double {
        let rank = max(1, (p * sorted.count + 99) / 100)
        return sorted[min(rank, sorted.count) - 1]
    }
}

/// One recovery metric over a sweep's seeds: a histogram (bars), its CDF (line, right axis), the
/// p50 / p95 / p99 / max markers and the expectation bound.
///
/// Invariants: classes `hist-bar` (one per non-empty bin), `cdf-line`, `pct-marker` (`data-p`),
/// `bound-marker`; bins are 24 equal widths from 0 to the largest sample (or the bound, if larger).
enum DistributionChart {
    static let width = 620.0, height = 230.0, left = 46.0, right = 40.0, top = 16.0, bottom = 34.0
    static let bins = 24

    static func svg(metric: String, samples: [Double], bound: Double?) -> String {
        let sorted = samples.sorted()
        guard let largest = sorted.last else { return "" }
        let domainHigh = max(largest, bound ?? 0) * 1.04 + 1e-9
        let x = LinearScale(domainLow: 0, domainHigh: domainHigh, pixelLow: left, pixelHigh: width - right)
        var counts = Array(repeating: 0, count: bins)
        for value in sorted { counts[min(bins - 1, Int(value / domainHigh * Double(bins)))] += 1 }
        let peak = Double(counts.max() ?? 1)
        let plotBottom = height - bottom
        let y = LinearScale(domainLow: 0, domainHigh: peak, pixelLow: plotBottom, pixelHigh: top)
        let cdfY = LinearScale(domainLow: 0, domainHigh: 1, pixelLow: plotBottom, pixelHigh: top)
        var parts: [String] = []
        for tick in x.ticks(6) {
            parts.append(Svg.line(x1: x(tick), y1: top, x2: x(tick), y2: plotBottom, stroke: "#eaeef2"))
            parts.append(Svg.text(x: x(tick), y: plotBottom + 13, Num.fixed(tick, tick < 10 ? 1 : 0) + "s", anchor: "middle", size: 10))
        }
        parts.append(Svg.line(x1: left, y1: plotBottom, x2: width - right, y2: plotBottom, stroke: "#57606a"))
        parts.append(Svg.text(x: left - 4, y: top + 8, "\(Int(peak))", anchor: "end", size: 10))
        parts.append(Svg.text(x: left - 4, y: plotBottom, "0", anchor: "end", size: 10))
        parts.append(Svg.text(x: width - right + 4, y: top + 4, "100%", size: 10))
        let binWidth = domainHigh / Double(bins)
        for (index, count) in counts.enumerated() where count > 0 {
            let low = Double(index) * binWidth
            parts.append(Svg.rect(x: x(low) + 0.5, y: y(Double(count)), width: x(low + binWidth) - x(low) - 1, height: plotBottom - y(Double(count)),
                                  fill: "#8cb4e8", cssClass: "hist-bar", title: "\(Num.fixed(low, 3))–\(Num.fixed(low + binWidth, 3)) s: \(count)"))
        }
        var points: [(Double, Double)] = [(x(0), plotBottom)]
        for (index, value) in sorted.enumerated() {
            points.append((x(value), cdfY(Double(index) / Double(sorted.count))))
            points.append((x(value), cdfY(Double(index + 1) / Double(sorted.count))))
        }
        points.append((x(domainHigh), top))
        parts.append(Svg.polyline(points, stroke: "#0550ae", cssClass: "cdf-line"))
        let markers: [(String, Double, String)] = [("p50", Percentile.of(sorted, 50), "#1a7f37"), ("p95", Percentile.of(sorted, 95), "#9a6700"),
                                                   ("p99", Percentile.of(sorted, 99), "#bc4c00"), ("max", largest, "#6e7781")]
        for (index, marker) in markers.enumerated() {
            let mx = x(marker.1)
            parts.append(Svg.line(x1: mx, y1: top, x2: mx, y2: plotBottom, stroke: marker.2, width: 1.3, cssClass: "pct-marker",
                                  title: "\(marker.0) \(Num.seconds(marker.1))").replacingOccurrences(of: "<line class=\"pct-marker\"", with: "<line class=\"pct-marker\" data-p=\"\(marker.0)\""))
            let rightHalf = mx > (left + width - right) / 2
            parts.append(Svg.text(x: rightHalf ? mx - 2 : mx + 2, y: top + 10 + Double(index) * 11, marker.0, anchor: rightHalf ? "end" : "start",
                                  size: 10, fill: marker.2))
        }
        let values = markers.map { "\($0.0) \(Num.seconds($0.1))" }.joined(separator: " · ")
        parts.append(Svg.text(x: 8, y: height - 6, "\(sorted.count) samples: \(values)", size: 10))
        if let bound {
            let bx = x(bound)
            parts.append(Svg.line(x1: bx, y1: top - 4, x2: bx, y2: plotBottom, stroke: "#cf222e", width: 2, dash: "6 3", cssClass: "bound-marker",
                                  title: "expectation: within \(Num.seconds(bound))"))
            parts.append(Svg.text(x: bx - 3, y: plotBottom - 4, "bound \(Num.seconds(bound))", anchor: "end", size: 10, fill: "#cf222e"))
        }
        return Svg.document(width: width, height: height, label: "distribution of \(metric)", cssClass: "distribution", parts)
    }
}
