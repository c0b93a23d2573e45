import Foundation

/// The page of a sweep (`report --scenario NAME --format html`): per recovery metric a histogram and
/// CDF over seeds with p50/p95/p99/max and the expectation bound, the seeds beyond the bound linked to
/// their run pages, failing seeds with their first violation and reproduce command, and invariants by
/// pass rate. With variants (`sweep --vary`), a what-if section first and one section per variant.
///
/// Invariant: sections and rows in a fixed order (variants as `ReportStore.variants` lists them,
/// metrics and invariants by name, seeds ascending); self-contained (see `HtmlDocument`).
public enum SweepPage {
    /// Runs a page links to: at most this many run pages are written beside it.
    public static let maximumLinkedRuns = 60

    /// - Parameters:
    ///   - bounds: expectation bound (seconds) per metric, from the scenario file; none drawn when absent.
    ///   - runLinks: relative address of the page of each run that has one written beside this page.
    public static func render(title: String, sweeps: [SweepData], bounds: [String: Double], runLinks: [Int64: String] = [:]) -> String {
        var body: [String] = [summary(sweeps)]
        if sweeps.count > 1 { body.append(WhatIfChart.section(sweeps)) }
        for sweep in sweeps {
            if sweeps.count > 1 { body.append("<h2 class=\"variant\">\(xmlEscape(sweep.scenario))</h2>") }
            body.append(section(sweep, bounds: bounds, runLinks: runLinks))
        }
        return HtmlDocument.page(title: title, body: body.joined(separator: "\n"))
    }

    /// The runs worth a page: failing seeds and samples beyond their bound, by run id, capped.
    public static func linkedRuns(_ sweeps: [SweepData], bounds: [String: Double]) -> [Int64] {
        var ids = Set<Int64>()
        for sweep in sweeps {
            sweep.failures.forEach { ids.insert($0.runID) }
            for metric in sweep.metrics {
                guard let bound = bounds[metric.name] else { continue }
                metric.samples.filter { $0.seconds > bound }.forEach { ids.insert($0.runID) }
            }
        }
        return Array(ids.sorted().prefix(maximumLinkedRuns))
    }

    static func summary(_ sweeps: [SweepData]) -> String {
        let rows = sweeps.map { sweep -> [String] in
            let rate = sweep.runs == 0 ? 0 : Double(sweep.failures.count) / Double(sweep.runs) * 100
            let seeds = sweep.seeds.isEmpty ? "" : "\(sweep.seeds.first!)..\(sweep.seeds.last!)"
            return [xmlEscape(sweep.scenario), "<code>\(xmlEscape(sweep.scenarioPath))</code>", "\(sweep.runs)", seeds,
                    "\(sweep.failures.count)", Num.fixed(rate, 1) + "%"]
        }
        return "<p class=\"note\">Each (scenario, seed, version) counted once, from its newest run. Times are simulated seconds.</p>\n"
            + HtmlDocument.table(["scenario", "file", "runs", "seeds", "failing", "failure rate"], rows)
    }

    static func section(_ sweep: SweepData, bounds: [String: Double], runLinks: [Int64: String]) -> String {
        var parts: [String] = ["<h2>Recoveries</h2>"]
        if sweep.metrics.isEmpty { parts.append("<p class=\"empty\">no recoveries recorded</p>") }
        var charts: [String] = []
        for metric in sweep.metrics {
            let bound = bounds[metric.name]
            var block = "<div class=\"metric\"><h3>\(xmlEscape(metric.name))</h3>\n"
            block += DistributionChart.svg(metric: metric.name, samples: metric.samples.map(\.seconds), bound: bound)
            if let bound {
                let beyond = metric.samples.filter { $0.seconds > bound }
                block += "<p class=\"note\">" + (beyond.isEmpty ? "every sample within the bound (\(Num.seconds(bound)))"
                    : "\(beyond.count) beyond the bound (\(Num.seconds(bound))): " + beyond.prefix(30).map { link($0.runID, "seed \($0.seed) (\(Num.seconds($0.seconds)))", runLinks) }.joined(separator: ", ")
                        + (beyond.count > 30 ? ", ..." : "")) + "</p>"
            } else {
                block += "<p class=\"note\">no expectation for this metric in the scenario file</p>"
            }
            charts.append(block + "</div>")
        }
        parts.append("<div class=\"charts\">" + charts.joined(separator: "\n") + "</div>")
        parts.append("<h2>Failing seeds</h2>")
        parts.append(HtmlDocument.table(["seed", "verdict", "first violation", "at (s)", "detail", "reproduce"], sweep.failures.map { failure in
            [link(failure.runID, "seed \(failure.seed)", runLinks), xmlEscape(failure.verdict), xmlEscape(failure.invariant),
             failure.at.map { Num.fixed($0, 3) } ?? "", xmlEscape(String(failure.detail.prefix(300))) + (failure.detail.count > 300 ? "..." : ""),
             "<code>\(xmlEscape(failure.reproduce))</code>"]
        }))
        parts.append("<h2>Invariants by pass rate</h2>")
        parts.append(HtmlDocument.table(["invariant", "kind", "runs", "held", "pass rate"], sweep.invariants.map { rate in
            let share = rate.runs == 0 ? 0 : Double(rate.held) / Double(rate.runs)
            let bar = "<svg class=\"rate\" width=\"104\" height=\"10\"><rect width=\"104\" height=\"10\" fill=\"#ffebe9\"></rect><rect class=\"rate-bar\" width=\"\(Num.fixed(share * 104))\" height=\"10\" fill=\"#2da44e\"></rect></svg>"
            return [xmlEscape(rate.name), xmlEscape(rate.kind), "\(rate.runs)", "\(rate.held)", bar + " " + Num.fixed(share * 100, 1) + "%"]
        }))
        return parts.joined(separator: "\n")
    }

    /// A link to the run's page when one is written, else the command that writes it.
    static func link(_ runID: Int64, _ text: String, _ runLinks: [Int64: String]) -> String {
        if let href = runLinks[runID] { return "<a class=\"run-link\" href=\"\(xmlEscape(href))\">\(xmlEscape(text))</a>" }
        return "<span title=\"faultline report --run \(runID) --format html --output run-\(runID).html\">\(xmlEscape(text)) [run \(runID)]</span>"
    }
}
