import Foundation
import Testing

/// Determinism across processes: Swift seeds `Hasher` per process, so a Dictionary or Set iteration
/// that leaks into behaviour would make two processes disagree. Each run here is a fresh process.
@Suite struct CrossProcessDeterminismTests {
    @Test(arguments: ["network", "pingpong"], [1, 2, 77] as [UInt64])
    func sameSeedSameTraceInTwoProcesses(workload: String, seed: UInt64) throws {
        let first = try CLI.run(["engine-selftest", "--workload", workload, "--seed", "\(seed)"])
        let second = try CLI.run(["engine-selftest", "--workload", workload, "--seed", "\(seed)"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.hasPrefix("traceHash="))
        #expect(first.stdout == second.stdout)
    }

    /// The etcd model end to end (nemesis, watches, leases, snapshots, compaction) and the control plane
    /// (apiservers, load balancer, leader election, scheduler, controllers) and the workers (kubelets,
    /// containerd, kube-proxy, traffic, node lifecycle): the same scenario and seed
    /// give the same trace hash and the same JSON (wall time aside) in two processes.
    @Test(arguments: ["etcd-nemesis-soak.yaml", "etcd-snapshot-catchup.yaml", "etcd-lease-leader-change.yaml",
                      "cp-etcd-leader-crash-rollout.yaml", "cp-leaders-master-crash.yaml",
                      "worker-runtime-crash.yaml", "worker-master-crash-rollout.yaml"])
    func sameScenarioSameTraceInTwoProcesses(scenario: String) throws {
        let path = CLI.packageRoot.appendingPathComponent("Scenarios/\(scenario)").path
        let runs = try (0..<2).map { _ in try CLI.run(["run", path, "--seed", "3", "--no-db", "--format", "json"]) }
        #expect(runs[0].status == 0, "\(runs[0].stderr)")
        func withoutWallTime(_ text: String) -> String {
            text.replacingOccurrences(of: #""wallSeconds":[0-9.]+"#, with: "", options: .regularExpression)
        }
        #expect(runs[0].stdout.contains("\"traceHash\":\""))
        #expect(withoutWallTime(runs[0].stdout) == withoutWallTime(runs[1].stdout))
    }

    @Test func differentSeedsDifferentTraces() throws {
        let outputs = try (1...4).map { try CLI.run(["engine-selftest", "--seed", "\($0)"]).stdout }
        #expect(Set(outputs).count == 4)
    }
}

@Suite struct CLIBasicsTests {
    @Test func versionAndHelp() throws {
        let version = try CLI.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
        let help = try CLI.run(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("USAGE: faultline"))
    }

    @Test func unknownFlagIsAUsageError() throws {
        let result = try CLI.run(["--no-such-flag"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("no-such-flag"))
    }
}
