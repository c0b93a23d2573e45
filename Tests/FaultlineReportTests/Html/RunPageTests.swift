import Foundation
import Testing
@testable import FaultlineReport

/// The run page against RunPage.swift's invariants: what it draws, self-contained, valid, deterministic.
@Suite struct RunPageTests {
    @Test func drawsLanesFaultBarsRolesMarkersAndCharts() {
        let page = RunPage.render(PageFixtures.run(), runID: 12)
        #expect(page.contains("<title>Faultline run #12: etcd-leader-crash, seed 7</title>"))
        for host in ["master-1", "master-2", "master-3"] { #expect(page.contains("class=\"lane\" data-host=\"\(host)\"")) }
        // f1 on master-1, f2 on master-2 and master-3.
        #expect(PageFixtures.count("class=\"fault-bar\"", in: page) == 3)
        #expect(page.contains("data-state=\"crashed\"") && page.contains("data-state=\"partitioned\""))
        #expect(PageFixtures.count("data-role=\"leader\"", in: page) == 2)
        #expect(PageFixtures.count("data-role=\"lease-holder\"", in: page) == 2)
        #expect(PageFixtures.count("data-role=\"backend-down\"", in: page) == 1)
        #expect(PageFixtures.count("class=\"recovery-marker\"", in: page) == 1)
        #expect(page.contains("etcd.leader-elected 1.010 s after f1"))
        #expect(PageFixtures.count("class=\"violation-marker\"", in: page) == 1)
        #expect(PageFixtures.count("class=\"avail-bar\"", in: page) == 3, "40 ok; 3 ok + 5 unknown")
        #expect(PageFixtures.count("class=\"latency-point\"", in: page) == 2)
        #expect(PageFixtures.count("class=\"op-bar\"", in: page) == 3)
        #expect(page.contains("faultline run Scenarios/etcd-leader-crash.yaml --seed 7 --set cluster.etcd.election-timeout=500ms"))
    }

    @Test func isSelfContainedValidAndDeterministic() {
        let page = RunPage.render(PageFixtures.run())
        #expect(!PageFixtures.referencesOutside(page))
        #expect(PageFixtures.unbalancedTag(page) == nil)
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page == RunPage.render(PageFixtures.run()))
    }

    @Test func escapesTextFromTheDatabase() {
        var record = PageFixtures.run(verdict: "pass")
        record.scenario = "<script>alert(1)</script>"
        record.timeline.append(.init(at: 3, kind: "lease-acquired", subject: "master-1/x\"><b>", detail: "l"))
        let page = RunPage.render(record)
        #expect(!page.contains("<script>"))
        #expect(!page.contains("\"><b>"))
        #expect(PageFixtures.unbalancedTag(page) == nil)
    }

    @Test func aPassingRunWithoutClientsHasNoCounterexampleOrClientCharts() {
        var record = PageFixtures.run(verdict: "pass")
        record.clientSeconds = []
        record.latencySamples = []
        let page = RunPage.render(record)
        #expect(!page.contains("class=\"op-bar\""))
        #expect(!page.contains("class=\"avail-bar\""))
        #expect(!page.contains("violation-marker"))
    }

    @Test func servicesTrafficDrawsTheStripWhenThereAreNoEtcdClients() {
        var record = PageFixtures.run(verdict: "pass")
        record.clientSeconds = []
        record.traffic = [.init(second: 5, service: "default/web", served: 60, refused: 2, deadPod: 1, timedOut: 4)]
        let page = RunPage.render(record)
        #expect(page.contains("data-outcome=\"ok\"") && page.contains("data-outcome=\"fail\"") && page.contains("data-outcome=\"unknown\""))
        #expect(page.contains("5s: 3 fail"))
    }
}
