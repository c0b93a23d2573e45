import FaultlineCluster
import FaultlineSim
import Yams

/// Reading the worker parts of a scenario: kubelet, kube-proxy and container-runtime settings under
/// `spec.cluster`, and `spec.traffic`. Flags keep their upstream names.
extension ScenarioReader {
    /// `spec.cluster.kubelet`: the KubeletConfiguration fields the model uses.
    mutating func readKubeletFlags(_ node: Node, _ path: String, into flags: inout KubeletFlags) {
        let allowed = ["node-status-update-frequency", "node-status-report-frequency", "node-lease-duration-seconds", "unsafe-bugs"]
        for (key, value) in fields(node, path, allowed: allowed) ?? [] {
            let fieldPath = path + "." + key
            switch key {
            case "node-status-update-frequency": if let ms = wholeMilliseconds(value, fieldPath) { flags.nodeStatusUpdateFrequencyMs = ms }
            case "node-status-report-frequency": if let ms = wholeMilliseconds(value, fieldPath) { flags.nodeStatusReportFrequencyMs = ms }
            case "node-lease-duration-seconds": if let seconds = int(value, fieldPath, 4...3_600) { flags.nodeLeaseDurationSeconds = Int64(seconds) }
            default:
                flags.bugs.formUnion(bugs(value, fieldPath, KubeletBugs.byName))
            }
        }
    }

    /// `spec.cluster.kube-proxy`: `--iptables-sync-period` and `--iptables-min-sync-period`.
    mutating func readKubeProxyFlags(_ node: Node, _ path: String, into flags: inout KubeProxyFlags) {
        for (key, value) in fields(node, path, allowed: ["sync-period", "min-sync-period", "unsafe-bugs"]) ?? [] {
            let fieldPath = path + "." + key
            switch key {
            case "sync-period": if let ms = wholeMilliseconds(value, fieldPath) { flags.syncPeriodMs = ms }
            case "min-sync-period": if let ms = wholeMilliseconds(value, fieldPath) { flags.minSyncPeriodMs = ms }
            default:
                flags.bugs.formUnion(bugs(value, fieldPath, KubeProxyBugs.byName))
            }
        }
        if flags.minSyncPeriodMs > flags.syncPeriodMs {
            error(node, path + ".min-sync-period", "must not be longer than sync-period")
        }
    }

    /// `spec.cluster.container-runtime`: image pull and container start latencies, readiness delay.
    mutating func readRuntime(_ node: Node, _ path: String, into spec: inout WorkerSpec) {
        for (key, value) in fields(node, path, allowed: ["image-pull", "container-start", "readiness-delay"]) ?? [] {
            let fieldPath = path + "." + key
            switch key {
            case "image-pull": if let latency = latency(value, fieldPath) { spec.imagePullLatency = latency }
            case "container-start": if let latency = latency(value, fieldPath) { spec.containerStartLatency = latency }
            default: if let ms = wholeMilliseconds(value, fieldPath, allowZero: true, why: "the readiness delay is kept in whole milliseconds") { spec.readinessDelayMs = ms }
            }
        }
    }

    /// `spec.traffic`: `[{service: web, namespace: default, rate: 50, from: outside, timeout: 1s}]`;
    /// every Service must be declared under `spec.workloads`.
    mutating func readTraffic(_ node: Node, _ path: String, services: [Service], into spec: inout WorkerSpec) {
        for (index, item) in (list(node, path) ?? []).enumerated() {
            let itemPath = path + "[\(index)]"
            var name: String?, namespace = "default", rate: Double?, origin = TrafficSpec.Origin.outside, timeoutMs: Int64 = 1_000
            for (key, value) in fields(item, itemPath, allowed: ["service", "namespace", "rate", "from", "timeout"]) ?? [] {
                let fieldPath = itemPath + "." + key
                switch key {
                case "service": name = string(value, fieldPath)
                case "namespace": namespace = string(value, fieldPath) ?? namespace
                case "rate":
                    if let number = real(value, fieldPath, "requests per second, a number above 0 and at most 100000") {
                        if number > 0 && number <= 100_000 { rate = number } else { error(value, fieldPath, "\(number) is out of range: expected above 0 and at most 100000") }
                    }
                case "from":
                    if let choice = choice(value, fieldPath, ["inside", "outside"], what: "traffic origin") { origin = choice == "inside" ? .inside : .outside }
                default:
                    if let ms = wholeMilliseconds(value, fieldPath, why: "a request timeout is kept in whole milliseconds") { timeoutMs = ms }
                }
            }
            guard let name else {
                error(item, itemPath, "missing \"service\" (the name of a Service under spec.workloads)")
                continue
            }
            guard services.contains(where: { $0.metadata.name == name && $0.metadata.namespace == namespace }) else {
                let known = services.map { "\($0.metadata.namespace)/\($0.metadata.name)" }.joined(separator: ", ")
                error(item, itemPath + ".service", "no Service \(namespace)/\(name) under spec.workloads (declared: \(known.isEmpty ? "none" : known))")
                continue
            }
            guard let rate else {
                if !(fields(item, itemPath, allowed: ["service", "namespace", "rate", "from", "timeout"]) ?? []).contains(where: { $0.key == "rate" }) {
                    error(item, itemPath, "missing \"rate\" (requests per second)")
                }
                continue
            }
            var traffic = TrafficSpec(namespace: namespace, service: name, requestsPerSecond: rate, origin: origin)
            traffic.timeoutMs = timeoutMs
            spec.traffic.append(traffic)
        }
    }
}
