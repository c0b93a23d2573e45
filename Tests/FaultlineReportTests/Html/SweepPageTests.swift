import Foundation
import Testing
@testable import FaultlineReport

/// The sweep page (SweepPage.swift, DistributionChart.swift, WhatIfChart.swift).
@Suite struct SweepPageTests {
    static func sweep(_ name: String = "etcd-leader-crash", values: [Double], failing: Int = 0, parameters: [RunParameter] = []) -> SweepData {
        let samples = values.enumerated().map { SweepData.Sample(runID: Int64($0.offset + 1), seed: UInt64($0.offset + 1), seconds: $0.element) }
            .sorted { ($0.seconds, $0.seed) < ($1.seconds, $1.seed) }
        let failures = (0..<failing).map {
            SweepData.Failure(runID: Int64(100 + $0), seed: UInt64(100 + $0), verdict: "safety", invariant: "etcd.linearizable", at: 31.5,
                              detail: "key k1 ...", reproduce: "faultline run Scenarios/x.yaml --seed \(100 + $0)")
        }
        return SweepData(scenario: name, scenarioPath: "Scenarios/\(name).yaml", parameters: parameters, runs: values.count + failing,
                         seeds: (1...UInt64(values.count)).map { $0 }, metrics: [("etcd.leader-elected", samples)],
                         invariants: [.init(name: "etcd.linearizable", kind: "safety", runs: values.count + failing, held: values.count)],
                         failures: failures)
    }

    @Test func percentilesAreNearestRank() {
        let sorted = (1...100).map(Double.init)
        #expect(Percentile.of(sorted, 50) == 50 && Percentile.of(sorted, 95) == 95 && Percentile.of(sorted, 99) == 99)
        #expect(Percentile.of([3], 99) == 3)
        #expect(Percentile.of([1, 2, 3], 50) == 2)
    }

    @Test func drawsHistogramCdfPercentilesAndBound() {
        let values = [1.0, 1.1, 1.2, 1.3, 2.0, 2.5, 6.0]
        let page = SweepPage.render(title: "T", sweeps: [Self.sweep(values: values, failing: 1)], bounds: ["etcd.leader-elected": 5],
                                    runLinks: [7: "t-runs/run-7.html"])
        #expect(PageFixtures.count("class=\"hist-bar\"", in: page) >= 3)
        #expect(page.contains("class=\"cdf-line\""))
        for p in ["p50", "p95", "p99", "max"] { #expect(page.contains("class=\"pct-marker\" data-p=\"\(p)\"")) }
        #expect(PageFixtures.count("class=\"bound-marker\"", in: page) == 1)
        #expect(page.contains("1 beyond the bound (5.000 s)"))
        #expect(page.contains("<a class=\"run-link\" href=\"t-runs/run-7.html\">seed 7 (6.000 s)</a>"))
        #expect(page.contains("faultline run Scenarios/x.yaml --seed 100"))
        #expect(page.contains("87.5%"), "7 of 8 runs held etcd.linearizable")
        #expect(!PageFixtures.referencesOutside(page))
        #expect(PageFixtures.unbalancedTag(page) == nil)
    }

    @Test func histogramCountsEverySample() {
        let svg = DistributionChart.svg(metric: "m", samples: [0, 1, 1, 2, 10], bound: nil)
        let titles = svg.components(separatedBy: "class=\"hist-bar\"").dropFirst().compactMap { part -> Int? in
            guard let title = part.components(separatedBy: "<title>").dropFirst().first?.components(separatedBy: "</title>").first,
                  let count = title.split(separator: " ").last else { return nil }
            return Int(count)
        }
        #expect(titles.reduce(0, +) == 5)
        #expect(!svg.contains("bound-marker"))
    }

    @Test func linkedRunsAreFailuresAndSamplesBeyondTheBound() {
        let sweeps = [Self.sweep(values: [1, 2, 9], failing: 2)]
        #expect(SweepPage.linkedRuns(sweeps, bounds: ["etcd.leader-elected": 5]) == [3, 100, 101])
        #expect(SweepPage.linkedRuns(sweeps, bounds: [:]) == [100, 101])
    }

    @Test func variantsGetAWhatIfSection() {
        let sweeps = [
            Self.sweep("s [cluster.etcd.election-timeout=500ms]", values: [0.6, 0.7, 0.9], failing: 2,
                       parameters: [.init(path: "cluster.etcd.election-timeout", value: "500ms")]),
            Self.sweep("s [cluster.etcd.election-timeout=2000ms]", values: [2.1, 2.5, 3.9],
                       parameters: [.init(path: "cluster.etcd.election-timeout", value: "2000ms")]),
        ]
        let page = SweepPage.render(title: "T", sweeps: sweeps, bounds: [:])
        #expect(page.contains("What if: cluster.etcd.election-timeout"))
        #expect(PageFixtures.count("class=\"whatif-p50\"", in: page) == 2)
        #expect(PageFixtures.count("class=\"whatif-p99\"", in: page) == 2)
        #expect(PageFixtures.count("class=\"whatif-fail\"", in: page) == 2)
        #expect(page.contains("<title>500ms: p99 0.900 s</title>"))
        #expect(page.contains("<title>500ms: 2 of 5 runs fail</title>"))
        #expect(page.range(of: "=500ms]</h2>")!.lowerBound < page.range(of: "=2000ms]</h2>")!.lowerBound)
        #expect(PageFixtures.unbalancedTag(page) == nil)
    }
}
