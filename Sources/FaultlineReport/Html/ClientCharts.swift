import Foundation

/// The client load's charts, as Jepsen draws them: an availability strip (requests per second by
/// outcome) and request latency as a scatter over time.
///
/// Invariants: classes `avail-bar` (one per second and outcome with requests, `data-outcome` ok,
/// fail or unknown) and `latency-point`; seconds with no requests draw nothing.
enum ClientCharts {
    static let left = 130.0, width = 1240.0

    struct Second {
        var second: Int64
        var ok: Int
        var fail: Int
        var unknown: Int
    }

    /// The etcd clients' seconds, or else the Services' (served ok; refused or dead pod fail; timed out unknown).
    static func seconds(_ record: RunRecord) -> (title: String, seconds: [Second]) {
        if !record.clientSeconds.isEmpty {
            return ("etcd client requests per second (by call time)",
                    record.clientSeconds.map { Second(second: $0.second, ok: $0.ok, fail: 0, unknown: $0.unknown) })
        }
        var bySecond: [Int64: Second] = [:]
        for entry in record.traffic {
            var second = bySecond[entry.second] ?? Second(second: entry.second, ok: 0, fail: 0, unknown: 0)
            second.ok += entry.served
            second.fail += entry.refused + entry.deadPod
            second.unknown += entry.timedOut
            bySecond[entry.second] = second
        }
        return ("Service requests per second (all Services)", bySecond.keys.sorted().map { bySecond[$0]! })
    }

    static func availability(_ record: RunRecord) -> String? {
        let (title, seconds) = seconds(record)
        guard !seconds.isEmpty else { return nil }
        let end = max(record.simulatedSeconds, 1)
        let height = 90.0, top = 18.0
        let scale = LinearScale(domainLow: 0, domainHigh: end, pixelLow: left, pixelHigh: width - 16)
        let peak = Double(seconds.map { $0.ok + $0.fail + $0.unknown }.max() ?? 1)
        var parts = Svg.timeAxis(scale, y: top, height: height)
        parts.append(Svg.text(x: 6, y: top + 14, "requests/s"))
        parts.append(Svg.text(x: 6, y: top + 28, "peak \(Int(peak))", size: 10))
        let barWidth = max(scale(1) - scale(0) - 0.5, 0.8)
        for second in seconds {
            var y = top + height
            for (outcome, count, color) in [("ok", second.ok, "#2da44e"), ("fail", second.fail, "#cf222e"), ("unknown", second.unknown, "#f4a340")] where count > 0 {
                let h = Double(count) / max(peak, 1) * height
                y -= h
                parts.append(Svg.rect(x: scale(Double(second.second)), y: y, width: barWidth, height: h, fill: color, cssClass: "avail-bar",
                                      title: "\(second.second)s: \(count) \(outcome)", extra: " data-outcome=\"\(outcome)\""))
            }
        }
        return "<h3>\(xmlEscape(title))</h3>\n" + HtmlDocument.legend([("#2da44e", "ok"), ("#cf222e", "failed"), ("#f4a340", "unknown (timed out)")])
            + Svg.document(width: width, height: top + height + 6, label: title, cssClass: "availability", parts)
    }

    static func latency(_ record: RunRecord) -> String? {
        guard !record.latencySamples.isEmpty else { return nil }
        let end = max(record.simulatedSeconds, 1)
        let height = 160.0, top = 18.0
        let scale = LinearScale(domainLow: 0, domainHigh: end, pixelLow: left, pixelHigh: width - 16)
        let known = record.latencySamples.compactMap(\.latencyMs)
        // Log scale from 0.1 ms to the slowest request: failovers stretch latency over orders of magnitude.
        let low = log10(0.1), high = log10(max(known.max() ?? 1, 1) * 1.2)
        let yScale = LinearScale(domainLow: low, domainHigh: high, pixelLow: top + height, pixelHigh: top + 10)
        var parts = Svg.timeAxis(scale, y: top, height: height)
        var decade = 0.1
        while log10(decade) <= high {
            let y = yScale(log10(decade))
            parts.append(Svg.line(x1: left, y1: y, x2: width - 16, y2: y, stroke: "#eaeef2"))
            parts.append(Svg.text(x: left - 4, y: y + 3, decade >= 1000 ? "\(Int(decade / 1000)) s" : decade >= 1 ? "\(Int(decade)) ms" : "0.1 ms", anchor: "end", size: 10))
            decade *= 10
        }
        parts.append(Svg.text(x: 6, y: top + 14, "latency (log)"))
        for sample in record.latencySamples {
            let x = scale(sample.calledAt)
            if let latency = sample.latencyMs {
                parts.append(Svg.circle(cx: x, cy: yScale(log10(max(latency, 0.1))), r: 2, fill: "#0969da", cssClass: "latency-point",
                                        title: "client \(sample.client) \(sample.op) at \(Num.fixed(sample.calledAt, 3))s: \(Num.fixed(latency, 2)) ms"))
            } else {
                parts.append(Svg.circle(cx: x, cy: top + 5, r: 2.5, fill: "#f4a340", cssClass: "latency-point",
                                        title: "client \(sample.client) \(sample.op) at \(Num.fixed(sample.calledAt, 3))s: unknown outcome"))
            }
        }
        let title = "etcd request latency (\(record.latencySamples.count) sampled requests)"
        return "<h3>\(xmlEscape(title))</h3>\n" + HtmlDocument.legend([("#0969da", "answered"), ("#f4a340", "unknown outcome (top row)")])
            + Svg.document(width: width, height: top + height + 6, label: title, cssClass: "latency", parts)
    }
}
