import Foundation

/// The run's timeline as inline SVG: a time axis, one lane per machine (fault bar, role bar, point
/// markers), recovery markers (metric and seconds) and the first violation of each invariant.
///
/// Invariants: element classes are the page's test contract: `lane` (one `g` per lane, `data-host`),
/// `fault-bar`, `role-bar`, `lane-point`, `recovery-marker`, `violation-marker`.
enum TimelineChart {
    static let left = 130.0, width = 1240.0, laneHeight = 38.0, top = 26.0
    static let maximumLabels = 24

    static func svg(_ record: RunRecord, lanes: [HostLane]) -> String {
        let end = max(record.simulatedSeconds, 1)
        let scale = LinearScale(domainLow: 0, domainHigh: end, pixelLow: left, pixelHigh: width - 16)
        // Violations first: with many faults (a nemesis) only the first `maximumLabels` markers get a
        // label row; the rest are lines with a tooltip.
        let markers = violationMarkers(record) + recoveryMarkers(record)
        let markerRows = Double(min(markers.count, maximumLabels))
        let lanesBottom = top + Double(lanes.count) * laneHeight
        let height = lanesBottom + 16 + markerRows * 13 + 6
        var parts = Svg.timeAxis(scale, y: top - 6, height: lanesBottom - top + 6)
        for (row, lane) in lanes.enumerated() {
            let y = top + Double(row) * laneHeight
            var group = ["<g class=\"lane\" data-host=\"\(xmlEscape(lane.name))\">"]
            group.append(Svg.rect(x: scale(0), y: y + 3, width: scale(end) - scale(0), height: 12, fill: "#dafbe1", cssClass: "lane-up",
                                  title: "\(lane.name): up"))
            group.append(Svg.text(x: 6, y: y + 14, lane.name, cssClass: "lane-label"))
            for span in lane.spans {
                let x = scale(span.from), w = scale(span.to) - x
                let window = " (\(Num.fixed(span.from, 3))s to \(Num.fixed(span.to, 3))s)"
                if span.kind.isFault {
                    group.append(Svg.rect(x: x, y: y + 3, width: w, height: 12, fill: span.kind.color, cssClass: "fault-bar",
                                          title: span.label + window, extra: " data-state=\"\(span.kind.rawValue)\""))
                } else {
                    group.append(Svg.rect(x: x, y: y + 17 + 6 * Double(roleRow(span.kind)), width: w, height: 5, fill: span.kind.color, cssClass: "role-bar",
                                          title: span.label + window, extra: " data-role=\"\(span.kind.rawValue)\""))
                }
            }
            for point in lane.points {
                group.append(Svg.circle(cx: scale(point.at), cy: y + 9, r: 3.5, fill: "#24292f", cssClass: "lane-point",
                                        title: "\(point.label) at \(Num.fixed(point.at, 3))s"))
            }
            group.append("</g>")
            parts.append(group.joined(separator: "\n"))
        }
        for (index, marker) in markers.enumerated() {
            let x = scale(marker.at)
            guard index < maximumLabels else {
                parts.append(Svg.line(x1: x, y1: top - 4, x2: x, y2: lanesBottom, stroke: marker.color, width: 1, dash: marker.dashed ? "4 3" : nil,
                                      cssClass: marker.cssClass, title: marker.label))
                continue
            }
            let labelY = lanesBottom + 14 + Double(index) * 13
            parts.append(Svg.line(x1: x, y1: top - 4, x2: x, y2: labelY - 9, stroke: marker.color, width: 1.2, dash: marker.dashed ? "4 3" : nil,
                                  cssClass: marker.cssClass, title: marker.label))
            let anchor = x > width * 0.7 ? "end" : "start"
            parts.append(Svg.text(x: anchor == "end" ? x - 3 : x + 3, y: labelY, marker.label, anchor: anchor, size: 10.5, fill: marker.color))
        }
        if lanes.isEmpty {
            parts.append(Svg.text(x: left, y: top + 14, "no host events recorded", cssClass: "note"))
        }
        return Svg.document(width: width, height: max(height, top + 30), label: "timeline of \(record.scenario) seed \(record.seed)",
                            cssClass: "timeline", parts)
    }

    /// Roles get a thin row each under the fault bar, so a leader that also holds a Lease shows both.
    static func roleRow(_ kind: SpanKind) -> Int {
        switch kind {
        case .leader: 0
        case .leaseHolder: 1
        case .backendDown, .notReady, .runtimeDown: 2
        case .crashed, .paused, .partitioned, .degraded, .faulted: 0
        }
    }

    struct Marker {
        var at: Double
        var label: String
        var color: String
        var cssClass: String
        var dashed: Bool
    }

    /// A recovery is drawn at its fault's injection plus its duration.
    static func recoveryMarkers(_ record: RunRecord) -> [Marker] {
        record.recoveries.compactMap { recovery in
            guard let fault = record.faults.first(where: { $0.id == recovery.fault }) else { return nil }
            return Marker(at: fault.injectedAt + recovery.seconds, label: "\(recovery.metric) \(Num.seconds(recovery.seconds)) after \(recovery.fault)",
                          color: "#1a7f37", cssClass: "recovery-marker", dashed: false)
        }.sorted { ($0.at, $0.label) < ($1.at, $1.label) }
    }

    static func violationMarkers(_ record: RunRecord) -> [Marker] {
        record.invariants.compactMap { invariant in
            guard !invariant.holds, let at = invariant.firstViolationAt else { return nil }
            return Marker(at: at, label: "first violation: \(invariant.name) at \(Num.fixed(at, 3))s", color: "#cf222e",
                          cssClass: "violation-marker", dashed: true)
        }.sorted { ($0.at, $0.label) < ($1.at, $1.label) }
    }
}
