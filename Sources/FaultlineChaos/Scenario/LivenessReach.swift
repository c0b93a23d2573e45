import FaultlineCluster
import FaultlineSim
import Foundation
import Yams

/// Whether the liveness checks a scenario declares can be met by the load it declares. Checked by
/// `validate`, so that a scenario that would fail every seed for want of writes is refused up front,
/// naming the field to change.
///
/// The rule: `etcd.converges` (when any client exists, as `EtcdConvergenceCheck` requires) and every
/// `api.available` expectation wait for a client write, within `convergence` and `within` respectively.
/// Clients wait an exponential think time (mean `thinkTime`) between operations, of which a share
/// writes; when the expected number of writes within the bound is below one, the check fails on most
/// seeds (always, for `thinkTime: 25h`), and the scenario is refused.
struct WriteLoad {
    /// Mean writes per second of the etcd test clients and of the admin clients' API load.
    let etcdRate: Double
    let apiRate: Double
    /// What `EtcdConvergenceCheck` counts as writing clients (it then demands a write).
    let clients: Int

    init(_ plan: RunPlan) {
        let workload = plan.workload
        let total = workload.weightGet + workload.weightPut + workload.weightDelete + workload.weightCas
        let writeShare = total > 0 ? (workload.weightPut + workload.weightDelete + workload.weightCas) / total : 0
        etcdRate = Double(workload.clients) * writeShare / Self.seconds(workload.thinkTime)
        let api = plan.cluster.apiLoad
        apiRate = plan.cluster.controlPlane == nil ? 0 : Double(api.clients) * ApiLoad.writeFraction / Self.seconds(api.thinkTime)
        clients = workload.clients + api.clients
    }

    var rate: Double { etcdRate + apiRate }

    /// The expected number of writes issued within `bound`.
    func expectedWrites(within bound: SimDuration) -> Double { rate * Self.seconds(bound) }

    static func seconds(_ duration: SimDuration) -> Double { max(1e-9, Double(duration.nanoseconds) / 1e9) }
}

extension ScenarioReader {
    /// Refuses liveness checks that the declared load cannot meet (see `WriteLoad`).
    mutating func checkLivenessReach(_ plan: RunPlan, spec: Node) {
        let load = WriteLoad(plan)
        let (culprit, path) = slowestWriters(plan, load, spec: spec)
        if load.clients > 0 {
            let expected = load.expectedWrites(within: plan.convergenceBound)
            if load.rate == 0 {
                error(culprit, path, "\(describe(load, plan)): with clients, etcd.converges waits for a write after the last heal and would fail; "
                    + "give put, delete or cas a weight, or set clients: 0")
            } else if expected < 1 {
                error(culprit, path, "\(describe(load, plan)): \(Self.count(expected)) writes expected within convergence (\(DurationText.format(plan.convergenceBound))), "
                    + "but etcd.converges waits for one after the last heal and would fail; \(remedy(load, plan.convergenceBound))")
            }
        }
        for (index, expectation) in plan.expectations.enumerated() where expectation.metric == Metric.apiAvailable {
            let metricPath = "spec.expectations[\(index)].metric"
            let node = located[metricPath] ?? spec
            if load.rate == 0 {
                error(node, metricPath, "api.available needs a client write after each fault, but no client writes (\(describe(load, plan)))")
            } else if load.expectedWrites(within: expectation.within) < 1 {
                error(node, metricPath, "\(describe(load, plan)): \(Self.count(load.expectedWrites(within: expectation.within))) writes expected within \(DurationText.format(expectation.within)), "
                    + "so api.available would miss its bound; \(remedy(load, expectation.within))")
            }
        }
    }

    /// The field to blame for too few writes, with its path: the etcd clients' mix when they never
    /// write, else the think time of the clients that do (etcd clients first), else the workload.
    func slowestWriters(_ plan: RunPlan, _ load: WriteLoad, spec: Node) -> (Node, String) {
        let candidates = plan.workload.clients > 0
            ? (load.etcdRate == 0 ? ["spec.workload.etcdClients.mix"] : []) + ["spec.workload.etcdClients.thinkTime", "spec.workload.etcdClients.clients"]
            : []
        for path in candidates + ["spec.workload.apiClients.thinkTime", "spec.workload.apiClients.clients", "spec.workload.etcdClients.clients", "spec.workload"] {
            if let node = located[path] { return (node, path) }
        }
        return (spec, "spec.workload")
    }

    func describe(_ load: WriteLoad, _ plan: RunPlan) -> String {
        var parts: [String] = []
        let workload = plan.workload
        if workload.clients > 0 {
            parts.append(load.etcdRate == 0
                ? "\(workload.clients) etcd clients that never write (mix: put, delete and cas are 0)"
                : "\(workload.clients) etcd clients with thinkTime \(DurationText.format(workload.thinkTime))")
        } else {
            parts.append("no etcd clients")
        }
        if plan.cluster.controlPlane != nil {
            let api = plan.cluster.apiLoad
            parts.append(api.clients > 0 ? "\(api.clients) API load clients with thinkTime \(DurationText.format(api.thinkTime))" : "no API load clients")
        }
        return parts.joined(separator: " and ")
    }

    func remedy(_ load: WriteLoad, _ bound: SimDuration) -> String {
        "make thinkTime much shorter than \(DurationText.format(bound)), or add writing clients"
    }

    static func count(_ value: Double) -> String { String(format: value < 0.01 ? "%.1e" : "%.2f", value) }
}
