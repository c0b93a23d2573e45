import FaultlineCluster
import FaultlineSim
import Yams

/// Reading `spec.cluster.kube-controller-manager`: the node lifecycle flags under their upstream
/// names (Kubernetes 1.34 `kube-controller-manager --help`).
extension ScenarioReader {
    static let controllerManagerFlagNames = [
        "node-monitor-period", "node-monitor-grace-period", "node-startup-grace-period", "node-eviction-rate",
        "secondary-node-eviction-rate", "unhealthy-zone-threshold", "large-cluster-size-threshold", "unsafe-bugs",
    ]

    /// `spec.cluster.kube-controller-manager`. Rates are nodes per second (>= 0); the threshold is in
    /// (0, 1]; each grace period must be longer than the monitor period.
    mutating func readControllerManagerFlags(_ node: Node, _ path: String, into flags: inout NodeLifecycleFlags) {
        for (key, value) in fields(node, path, allowed: Self.controllerManagerFlagNames) ?? [] {
            let fieldPath = path + "." + key
            switch key {
            case "node-monitor-period": if let d = wholeMilliseconds(value, fieldPath) { flags.nodeMonitorPeriodMs = d }
            case "node-monitor-grace-period": if let d = wholeMilliseconds(value, fieldPath) { flags.nodeMonitorGracePeriodMs = d }
            case "node-startup-grace-period": if let d = wholeMilliseconds(value, fieldPath) { flags.nodeStartupGracePeriodMs = d }
            case "node-eviction-rate": if let r = rate(value, fieldPath) { flags.nodeEvictionRatePerSecond = r }
            case "secondary-node-eviction-rate": if let r = rate(value, fieldPath) { flags.secondaryNodeEvictionRatePerSecond = r }
            case "unhealthy-zone-threshold":
                guard let threshold = real(value, fieldPath, "a fraction in (0, 1]") else { continue }
                guard threshold > 0 && threshold <= 1 else {
                    error(value, fieldPath, "\(value.scalar?.string ?? "") is out of range: expected a fraction greater than 0 and at most 1")
                    continue
                }
                flags.unhealthyZoneThreshold = threshold
            case "large-cluster-size-threshold": if let n = int(value, fieldPath, 0...100_000) { flags.largeClusterSizeThreshold = n }
            default:
                flags.bugs.formUnion(bugs(value, fieldPath, NodeLifecycleBugs.byName))
            }
        }
        if flags.nodeMonitorGracePeriodMs <= flags.nodeMonitorPeriodMs {
            error(node, path + ".node-monitor-grace-period", "must be longer than node-monitor-period")
        }
        if flags.nodeStartupGracePeriodMs <= flags.nodeMonitorPeriodMs {
            error(node, path + ".node-startup-grace-period", "must be longer than node-monitor-period")
        }
    }

    /// A rate in nodes per second: a finite number >= 0.
    mutating func rate(_ node: Node, _ path: String) -> Double? {
        guard let value = real(node, path, "a rate in nodes per second (a number >= 0)") else { return nil }
        guard value >= 0 else {
            error(node, path, "\(node.scalar?.string ?? "") is negative: a rate must be >= 0")
            return nil
        }
        return value
    }
}
