import FaultlineCluster
import FaultlineSim
import Yams

/// Reading the control-plane parts of a scenario: the component flags under `spec.cluster`, declared
/// nodes, workload manifests, admin actions and the API load. Flags keep their upstream names.
extension ScenarioReader {
    /// `spec.cluster.kube-apiserver`.
    mutating func readApiserverFlags(_ node: Node, _ path: String, into spec: inout ControlPlaneSpec) {
        for (key, value) in fields(node, path, allowed: ["etcd-servers", "unsafe-bugs"]) ?? [] {
            let fieldPath = path + "." + key
            switch key {
            case "etcd-servers":
                // kubeadm's stacked layout points each apiserver at https://127.0.0.1:2379.
                if let choice = choice(value, fieldPath, ["local", "all"], what: "etcd-servers setting") { spec.apiserverUsesAllEtcdMembers = choice == "all" }
            default:
                spec.apiserverBugs.formUnion(bugs(value, fieldPath, ApiServerBugs.byName))
            }
        }
    }

    /// `spec.cluster.load-balancer`: HAProxy's `check inter 2s rise 2 fall 3`, `timeout check 5s`.
    mutating func readLoadBalancer(_ node: Node, _ path: String, into config: inout LoadBalancerConfig) {
        for (key, value) in fields(node, path, allowed: ["check", "inter", "rise", "fall", "timeout", "shutdown-sessions"]) ?? [] {
            let fieldPath = path + "." + key
            switch key {
            case "check":
                switch choice(value, fieldPath, ["readyz", "healthz", "tcp"], what: "health check") {
                case "readyz": config.checkMode = .httpReadyz
                case "healthz": config.checkMode = .httpHealthz
                case "tcp": config.checkMode = .tcp
                default: break
                }
            case "inter": if let d = wholeMilliseconds(value, fieldPath) { config.checkIntervalMs = d }
            case "timeout": if let d = wholeMilliseconds(value, fieldPath) { config.checkTimeoutMs = d }
            case "rise": if let n = int(value, fieldPath, 1...100) { config.rise = n }
            case "fall": if let n = int(value, fieldPath, 1...100) { config.fall = n }
            default: if let flag = bool(value, fieldPath) { config.shutdownSessionsOnMarkedDown = flag }
            }
        }
    }

    /// `spec.cluster.leader-election`: the `--leader-elect-*` flags of the scheduler and controller-manager.
    mutating func readLeaderElection(_ node: Node, _ path: String, into flags: inout LeaderElectionFlags) {
        for (key, value) in fields(node, path, allowed: ["lease-duration", "renew-deadline", "retry-period", "unsafe-bugs"]) ?? [] {
            let fieldPath = path + "." + key
            switch key {
            case "lease-duration": if let d = wholeMilliseconds(value, fieldPath) { flags.leaseDurationMs = d }
            case "renew-deadline": if let d = wholeMilliseconds(value, fieldPath) { flags.renewDeadlineMs = d }
            case "retry-period": if let d = wholeMilliseconds(value, fieldPath) { flags.retryPeriodMs = d }
            default:
                flags.bugs.formUnion(bugs(value, fieldPath, LeaderElectionBugs.byName))
            }
        }
        // client-go refuses these (leaderelection.NewLeaderElector): leaseDuration > renewDeadline >
        // retryPeriod * JitterFactor (1.2).
        if flags.leaseDurationMs <= flags.renewDeadlineMs {
            error(node, path + ".lease-duration", "must be longer than renew-deadline, as client-go requires")
        }
        if flags.renewDeadlineMs * 10 <= flags.retryPeriodMs * 12 {
            error(node, path + ".renew-deadline", "must be longer than 1.2 x retry-period, as client-go requires")
        }
    }

    /// `spec.cluster.kube-scheduler`.
    mutating func readSchedulerFlags(_ node: Node, _ path: String, into spec: inout ControlPlaneSpec) {
        for (key, value) in fields(node, path, allowed: ["scoring", "via-load-balancer", "unsafe-bugs"]) ?? [] {
            let fieldPath = path + "." + key
            switch key {
            case "scoring":
                if let name = choice(value, fieldPath, SchedulerFlags.Scoring.allCases.map(\.rawValue), what: "scoring strategy") {
                    spec.scheduler.scoring = SchedulerFlags.Scoring(rawValue: name) ?? .leastAllocated
                }
            case "via-load-balancer": if let flag = bool(value, fieldPath) { spec.componentsUseLoadBalancer = flag }
            default:
                spec.schedulerBugs.formUnion(bugs(value, fieldPath, SchedulerBugs.byName))
            }
        }
    }

    /// A duration in whole milliseconds (component flags take milliseconds at the finest). A finer value
    /// is refused, never truncated: `1500us` would otherwise run as 1 ms.
    mutating func wholeMilliseconds(_ node: Node, _ path: String, allowZero: Bool = false,
                                    why: String = "these flags take whole milliseconds") -> Int64? {
        guard let d = duration(node, path, allowZero: allowZero) else { return nil }
        guard d.nanoseconds % 1_000_000 == 0 else {
            error(node, path, "\(node.scalar?.string ?? DurationText.format(d)) is finer than a millisecond; \(why)")
            return nil
        }
        return d.nanoseconds / 1_000_000
    }

    /// `spec.actions`: what an admin does, at times.
    mutating func readActions(_ node: Node, _ path: String, duration: SimDuration, into spec: inout ControlPlaneSpec) {
        let verbs = ["apply", "scale", "setImage", "rollback", "delete"]
        for (index, item) in (list(node, path) ?? []).enumerated() {
            let itemPath = path + "[\(index)]"
            guard let entries = fields(item, itemPath, allowed: ["at"] + verbs) else { continue }
            guard let atNode = entries.first(where: { $0.key == "at" })?.value else {
                error(item, itemPath, "missing required field \"at\"")
                continue
            }
            let named = entries.filter { $0.key != "at" }
            guard named.count == 1, let (verb, body) = named.first else {
                error(item, itemPath, "name exactly one of \(verbs.joined(separator: ", "))")
                continue
            }
            guard let at = self.duration(atNode, itemPath + ".at", allowZero: true) else { continue }
            if at >= duration { error(atNode, itemPath + ".at", "\(DurationText.format(at)) is not before the end of the run (\(DurationText.format(duration)))") }
            let bodyPath = itemPath + "." + verb
            var action: AdminAction?
            switch verb {
            case "apply":
                action = readManifest(body, bodyPath).map { .apply($0) }
            case "scale":
                var name: String?, namespace = "default", replicas: Int?
                for (field, value) in fields(body, bodyPath, allowed: ["deployment", "namespace", "replicas"]) ?? [] {
                    switch field {
                    case "deployment": name = string(value, bodyPath + ".deployment")
                    case "namespace": namespace = string(value, bodyPath + ".namespace") ?? namespace
                    default: replicas = int(value, bodyPath + ".replicas", 0...100_000)
                    }
                }
                if name == nil { error(body, bodyPath, "missing required field \"deployment\"") }
                if replicas == nil { error(body, bodyPath, "missing required field \"replicas\"") }
                if let name, let replicas { action = .scale(namespace: namespace, name: name, replicas: replicas) }
            case "setImage":
                var name: String?, namespace = "default", container: String?, image: String?
                for (field, value) in fields(body, bodyPath, allowed: ["deployment", "namespace", "container", "image"]) ?? [] {
                    switch field {
                    case "deployment": name = string(value, bodyPath + ".deployment")
                    case "namespace": namespace = string(value, bodyPath + ".namespace") ?? namespace
                    case "container": container = string(value, bodyPath + ".container")
                    default: image = string(value, bodyPath + ".image")
                    }
                }
                for (field, present) in [("deployment", name), ("container", container), ("image", image)] where present == nil {
                    error(body, bodyPath, "missing required field \"\(field)\"")
                }
                if let name, let container, let image { action = .setImage(namespace: namespace, name: name, container: container, image: image) }
            case "rollback", "delete":
                var name: String?, namespace = "default"
                for (field, value) in fields(body, bodyPath, allowed: ["deployment", "namespace"]) ?? [] {
                    if field == "deployment" { name = string(value, bodyPath + ".deployment") } else { namespace = string(value, bodyPath + ".namespace") ?? namespace }
                }
                guard let name else {
                    error(body, bodyPath, "missing required field \"deployment\"")
                    continue
                }
                action = verb == "rollback" ? .rollback(namespace: namespace, name: name) : .delete(.deployments, namespace: namespace, name: name)
            default:
                preconditionFailure("verb \(verb) was allowed but not handled")
            }
            if let action { spec.actions.append((at, action)) }
        }
        spec.actions.sort { $0.at < $1.at }
    }

    /// `spec.workload.apiClients`: the admin clients' background load.
    mutating func readApiLoad(_ node: Node, _ path: String, into load: inout ApiLoad) {
        for (key, value) in fields(node, path, allowed: ["clients", "objects", "thinkTime", "requestTimeout"]) ?? [] {
            let fieldPath = path + "." + key
            switch key {
            case "clients": if let n = int(value, fieldPath, 0...100) { load.clients = n }
            case "objects": if let n = int(value, fieldPath, 1...1000) { load.objects = n }
            case "thinkTime": if let d = duration(value, fieldPath) { load.thinkTime = d }
            default: if let d = duration(value, fieldPath) { load.requestTimeout = d }
            }
        }
    }
}
