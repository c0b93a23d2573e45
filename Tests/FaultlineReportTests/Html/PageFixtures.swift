import FaultlineChaos
import Foundation
@testable import FaultlineReport

/// A run with something on every part of its page: a crash and a partition, leader changes, Lease
/// holders, an LB backend down, client series and a linearizability counterexample.
enum PageFixtures {
    static let counterexampleDetail = "key k3 is not linearizable; smallest failing sub-history (3 ops): "
        + "client 1 put k3 = \"v1\" [t=30.100s, t=30.200s]; client 2 get k3 -> \"\" [t=30.300s, t=30.310s]; "
        + "client 0 put k3 = \"v0\" [t=29.900s, unknown]"

    static func run(verdict: String = "safety") -> RunRecord {
        var record = RunRecord(
            scenario: "etcd-leader-crash", scenarioPath: "Scenarios/etcd-leader-crash.yaml", seed: 7, version: "test-1",
            traceHash: "00000000000000ab", events: 5000, simulatedSeconds: 120, wallSeconds: 0.4, verdict: verdict,
            invariants: [
                .init(name: "raft.election-safety", kind: "safety", holds: true, violations: 0, firstViolationAt: nil, detail: ""),
                .init(name: "etcd.linearizable", kind: "safety", holds: verdict == "pass", violations: verdict == "pass" ? 0 : 1,
                      firstViolationAt: verdict == "pass" ? nil : 30.31, detail: verdict == "pass" ? "" : counterexampleDetail),
            ],
            faults: [
                .init(id: "f1", kind: "node-crash", target: "master-1", injectedAt: 30, healedAt: 50),
                .init(id: "f2", kind: "network-partition", target: "master-2 | master-3", injectedAt: 70, healedAt: nil),
            ],
            recoveries: [.init(fault: "f1", metric: "etcd.leader-elected", seconds: 1.01)],
            timeline: [
                .init(at: 1.1, kind: "leader-elected", subject: "master-1", detail: "etcd"),
                .init(at: 2, kind: "lease-acquired", subject: "master-1/kube-scheduler", detail: "kube-system/kube-scheduler"),
                .init(at: 30, kind: "leader-lost", subject: "etcd", detail: ""),
                .init(at: 31.01, kind: "leader-elected", subject: "master-3", detail: "etcd"),
                .init(at: 36, kind: "lb-backend-down", subject: "master-1/kube-apiserver", detail: ""),
                .init(at: 45, kind: "lease-acquired", subject: "master-2/kube-scheduler", detail: "kube-system/kube-scheduler"),
                .init(at: 50, kind: "member-restarted", subject: "master-1", detail: ""),
                .init(at: 58, kind: "lb-backend-up", subject: "master-1/kube-apiserver", detail: ""),
            ])
        record.clientSeconds = [ClientSecond(second: 29, ok: 40, unknown: 0), ClientSecond(second: 30, ok: 3, unknown: 5)]
        record.latencySamples = [LatencySample(calledAt: 29.5, client: 1, op: "get", latencyMs: 1.5),
                                 LatencySample(calledAt: 30.2, client: 2, op: "put", latencyMs: nil)]
        record.parameters = [RunParameter(path: "cluster.etcd.election-timeout", value: "500ms")]
        return record
    }

    /// Occurrences of `needle` in `text`.
    static func count(_ needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    /// Whether the page references anything outside itself.
    static func referencesOutside(_ page: String) -> Bool {
        ["src=", "href=\"http", "href=\"//", "url(", "@import", "<link", "<script src", "http://", "https://"].contains { page.contains($0) }
    }

    /// Tag balance over the page (void elements aside): nil when balanced, else the first mismatch.
    static func unbalancedTag(_ page: String) -> String? {
        let void: Set<String> = ["meta", "br", "img", "input", "link", "hr", "!DOCTYPE"]
        var stack: [String] = []
        var index = page.startIndex
        while let open = page[index...].firstIndex(of: "<") {
            guard let close = page[open...].firstIndex(of: ">") else { return "unterminated tag" }
            let tag = page[page.index(after: open)..<close]
            index = page.index(after: close)
            if tag.hasSuffix("/") { continue }
            let name = String(tag.prefix { $0 != " " && $0 != ">" })
            if name.hasPrefix("/") {
                guard stack.popLast() == String(name.dropFirst()) else { return "unexpected \(name)" }
            } else if !void.contains(name) {
                stack.append(name)
            }
        }
        return stack.isEmpty ? nil : "unclosed \(stack.last!)"
    }
}
