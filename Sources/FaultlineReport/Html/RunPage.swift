import Foundation

/// The page of one run (`report --run ID --format html`, `run --html FILE`).
///
/// Invariants: built from the `RunRecord` alone (the same page from the run in memory and from the
/// database); self-contained (see `HtmlDocument`); sections in a fixed order: header, timeline,
/// client charts, counterexamples, then the tables.
public enum RunPage {
    public static func render(_ record: RunRecord, runID: Int64? = nil) -> String {
        let title = "Faultline run" + (runID.map { " #\($0)" } ?? "") + ": \(record.scenario), seed \(record.seed)"
        var body = [header(record), "<h2>Timeline</h2>", legend(), TimelineChart.svg(record, lanes: HostLanes.build(record))]
        let charts = [ClientCharts.availability(record), ClientCharts.latency(record)].compactMap { $0 }
        if !charts.isEmpty { body.append("<h2>Client load</h2>\n" + charts.joined(separator: "\n")) }
        for invariant in record.invariants where !invariant.holds {
            guard let example = Counterexample.parse(invariant.detail) else { continue }
            body.append("<h2>Counterexample: \(xmlEscape(invariant.name)) on key \(xmlEscape(example.key))</h2>")
            body.append("<p class=\"note\">The smallest failing sub-history the checker found: each bar is one operation from its call to its return (orange: the outcome is unknown, it may take effect at any time after the call). No order of these operations explains what the clients saw.</p>")
            body.append(CounterexampleChart.svg(example))
        }
        body.append(tables(record))
        return HtmlDocument.page(title: title, body: body.joined(separator: "\n"))
    }

    /// `faultline run PATH --seed N`, plus `--set` for each overridden field.
    public static func reproduce(_ record: RunRecord) -> String {
        reproduceCommand(scenarioPath: record.scenarioPath, seed: record.seed)
            + record.parameters.map { " --set \(shellQuoted($0.path))=\(shellQuoted($0.value))" }.joined()
    }

    static func header(_ record: RunRecord) -> String {
        let verdict = record.verdict == "pass" ? "<span class=\"pass\">pass</span>" : "<span class=\"fail\">\(xmlEscape(record.verdict))</span>"
        let flags = record.parameters.isEmpty ? "the scenario file as it is"
            : record.parameters.map { "<code>\(xmlEscape($0.path))=\(xmlEscape($0.value))</code>" }.joined(separator: " ")
        let rows: [[String]] = [
            ["scenario", "\(xmlEscape(record.scenario)) (<code>\(xmlEscape(record.scenarioPath))</code>)"],
            ["seed", "\(record.seed)"],
            ["version", xmlEscape(record.version)],
            ["trace hash", "<code>\(xmlEscape(record.traceHash))</code>"],
            ["verdict", verdict],
            ["simulated", "\(Num.seconds(record.simulatedSeconds)), \(record.events) events"],
            ["flags in effect", flags],
            ["reproduce", "<code class=\"cmd\">\(xmlEscape(reproduce(record)))</code>"],
        ]
        return "<table class=\"header\">\n" + rows.map { "<tr><th>\($0[0])</th><td>\($0[1])</td></tr>" }.joined(separator: "\n") + "\n</table>"
    }

    static func legend() -> String {
        HtmlDocument.legend([("#dafbe1", "up")] + SpanKind.allCases.map { ($0.color, $0.legend) }
                            + [("#1a7f37", "recovery (metric, time after the fault)"), ("#cf222e", "first violation of an invariant")])
    }

    static func tables(_ record: RunRecord) -> String {
        let invariants = record.invariants.map { invariant -> [String] in
            [xmlEscape(invariant.name), xmlEscape(invariant.kind), invariant.holds ? "<span class=\"pass\">holds</span>" : "<span class=\"fail\">violated \(invariant.violations)x</span>",
             invariant.firstViolationAt.map { Num.fixed($0, 3) } ?? "", xmlEscape(invariant.detail)]
        }
        let faults = record.faults.map { [xmlEscape($0.id), xmlEscape($0.kind), xmlEscape($0.target), Num.fixed($0.injectedAt, 3), $0.healedAt.map { Num.fixed($0, 3) } ?? "still active"] }
        let recoveries = record.recoveries.map { [xmlEscape($0.fault), xmlEscape($0.metric), Num.fixed($0.seconds, 3)] }
        let shown = record.timeline.prefix(2_000)
        let timeline = shown.map { [Num.fixed($0.at, 3), xmlEscape($0.kind), xmlEscape($0.subject), xmlEscape($0.detail)] }
        return [
            "<h2>Invariants</h2>", HtmlDocument.table(["invariant", "kind", "result", "first violation (s)", "detail"], invariants),
            "<h2>Faults</h2>", HtmlDocument.table(["fault", "kind", "target", "injected (s)", "healed (s)"], faults),
            "<h2>Recoveries</h2>", HtmlDocument.table(["fault", "metric", "seconds"], recoveries),
            "<details><summary>Timeline rows (\(record.timeline.count)\(record.timeline.count > shown.count ? ", first \(shown.count) shown" : ""))</summary>",
            HtmlDocument.table(["at (s)", "kind", "subject", "detail"], timeline), "</details>",
        ].joined(separator: "\n")
    }
}
