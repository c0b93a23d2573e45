import FaultlineCluster
import FaultlineSim
import Foundation
import Yams

/// Reads a scenario file (YAML, `kind: Scenario`) into a `RunPlan`, validating everything.
///
/// Every problem is reported with file, line, column and field path; unknown fields are errors with
/// a "did you mean"; numbers are range-checked; nothing the file says is silently ignored.
/// Limits protect against hostile input: at most `maximumBytes` of text, `maximumNodes` YAML nodes
/// and `maximumDepth` levels of nesting; anchors and aliases are refused.
public enum ScenarioLoader {
    public static let maximumBytes = 1 << 20
    public static let maximumNodes = 50_000
    public static let maximumDepth = 32
    public static let apiVersion = "faultline.dev/v1alpha1"

    /// Loads and validates `path`.
    public static func plan(path: String) throws(ScenarioError) -> RunPlan {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw single(path, "no such file")
        }
        guard !isDirectory.boolValue else { throw single(path, "is a directory, not a scenario file") }
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw single(path, "cannot be read: \(error.localizedDescription)") }
        guard data.count <= maximumBytes else { throw single(path, "is \(data.count) bytes; scenario files are limited to \(maximumBytes) bytes") }
        guard let text = String(data: data, encoding: .utf8) else { throw single(path, "is not valid UTF-8 text") }
        return try plan(yaml: text, file: path)
    }

    /// Parses and validates scenario text; `file` names it in diagnostics.
    public static func plan(yaml text: String, file: String) throws(ScenarioError) -> RunPlan {
        guard text.utf8.count <= maximumBytes else { throw single(file, "is larger than \(maximumBytes) bytes") }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw single(file, "is empty; a scenario needs apiVersion, kind, metadata and spec")
        }
        let root: Node
        // The parser owns the anchors: nodes refer to them weakly, so it must outlive `checkShape`.
        let parser: Parser
        do {
            parser = try Parser(yaml: text)
            guard let composed = try parser.singleRoot() else { throw single(file, "holds no YAML document") }
            root = composed
        } catch let error as ScenarioError {
            throw error
        } catch let error as YamlError {
            throw yamlError(error, file: file)
        } catch {
            throw single(file, "is not valid YAML: \(error)")
        }
        var reader = ScenarioReader(file: file)
        let shapeIsValid = withExtendedLifetime(parser) { reader.checkShape(root, path: "", depth: 0) }
        guard shapeIsValid else { throw ScenarioError(diagnostics: reader.diagnostics) }
        let plan = reader.readScenario(root)
        guard reader.diagnostics.isEmpty, let plan else { throw ScenarioError(diagnostics: reader.diagnostics) }
        return plan
    }

    static func single(_ file: String, _ message: String) -> ScenarioError {
        ScenarioError(diagnostics: [ScenarioDiagnostic(file: file, line: nil, column: nil, path: "", message: message)])
    }

    static func yamlError(_ error: YamlError, file: String) -> ScenarioError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return ScenarioError(diagnostics: [ScenarioDiagnostic(file: file, line: mark.line, column: mark.column, path: "", message: "invalid YAML: \(problem)")])
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ScenarioError(diagnostics: [ScenarioDiagnostic(file: file, line: context.mark.line, column: context.mark.column, path: "",
                                                                  message: "duplicate keys in a mapping: \(duplicates.joined(separator: ", "))")])
        default:
            return single(file, "invalid YAML: \(error)")
        }
    }
}

/// Walks the YAML tree, collecting diagnostics. Each `read...` returns nil (after recording why) when
/// the value is unusable, so one pass reports as many problems as it can.
struct ScenarioReader {
    let file: String
    var diagnostics: [ScenarioDiagnostic] = []
    var nodeCount = 0
    /// `spec.cluster.masters` is not a count from 1 to 7 (already reported): master names cannot be
    /// judged, so targets such as `master-5` are not reported again.
    var mastersUnknown = false
    /// Every field read through `fields`, by path (`spec.workload.etcdClients.thinkTime`): where checks
    /// that span fields point their diagnostics. Lookups only, never iterated.
    var located: [String: Node] = [:]

    init(file: String) { self.file = file }

    mutating func error(_ node: Node?, _ path: String, _ message: String) {
        diagnostics.append(ScenarioDiagnostic(file: file, line: node?.mark?.line, column: node?.mark?.column, path: path, message: message))
    }

    /// Rejects aliases, excessive depth and excessive size before anything else looks at the tree.
    mutating func checkShape(_ node: Node, path: String, depth: Int) -> Bool {
        nodeCount += 1
        if nodeCount > ScenarioLoader.maximumNodes {
            error(node, path, "the file has more than \(ScenarioLoader.maximumNodes) YAML nodes")
            return false
        }
        if depth > ScenarioLoader.maximumDepth {
            error(node, path, "nested more than \(ScenarioLoader.maximumDepth) levels deep")
            return false
        }
        // Yams resolves aliases while composing (no `.alias` node reaches here): refuse their anchors.
        if node.anchor != nil {
            error(node, path, "YAML anchors and aliases (&name, *name) are not supported in scenario files")
            return false
        }
        if let tag = explicitTag(node) {
            error(node, path, "YAML tag \(tag) is not supported: scenario files hold plain values (explicit tags may only be the core schema's \(Self.coreTags.map(Self.shortTag).joined(separator: ", ")))")
            return false
        }
        switch node {
        case .alias:
            error(node, path, "YAML aliases (*name) are not supported in scenario files")
            return false
        case .scalar:
            return true
        case .mapping(let mapping):
            for (key, value) in mapping {
                if key.anchor != nil {
                    error(key, path, "YAML anchors and aliases (&name, *name) are not supported in scenario files")
                    return false
                }
                if let tag = explicitTag(key) {
                    error(key, path, "YAML tag \(tag) is not supported on a field name")
                    return false
                }
                if !checkShape(value, path: join(path, key.string ?? "?"), depth: depth + 1) { return false }
            }
            return true
        case .sequence(let sequence):
            for (index, element) in sequence.enumerated() where !checkShape(element, path: path + "[\(index)]", depth: depth + 1) {
                return false
            }
            return true
        }
    }

    /// The tags of YAML's core schema: the only explicit tags a scenario may carry (`!!str 3`).
    static let coreTags: [Tag.Name] = [.str, .int, .float, .bool, .null, .seq, .map]

    /// `!!int` for `tag:yaml.org,2002:int`; other tags as written.
    static func shortTag(_ name: Tag.Name) -> String {
        let prefix = "tag:yaml.org,2002:"
        return name.rawValue.hasPrefix(prefix) ? "!!" + name.rawValue.dropFirst(prefix.count) : name.rawValue
    }

    /// The node's tag when the file gave one outside the core schema (`!!python/object`, `!local`,
    /// `!`), which a scenario refuses rather than ignore. Reads the tag as parsed, before resolution:
    /// an untagged node has the empty (implicit) tag, a quoted scalar `!!str`.
    func explicitTag(_ node: Node) -> String? {
        let name: Tag.Name
        switch node {
        case .scalar(let scalar): name = Tag.Name(rawValue: scalar.tag.rawValue)
        case .mapping(let mapping): name = Tag.Name(rawValue: mapping.tag.rawValue)
        case .sequence(let sequence): name = Tag.Name(rawValue: sequence.tag.rawValue)
        case .alias: return nil
        }
        guard name != .implicit, !Self.coreTags.contains(name) else { return nil }
        return Self.shortTag(name)
    }

    // MARK: The scenario

    mutating func readScenario(_ root: Node) -> RunPlan? {
        guard let top = fields(root, "", allowed: ["apiVersion", "kind", "metadata", "spec"]) else { return nil }
        var name: String?
        var specNode: Node?
        for required in ["apiVersion", "kind", "metadata", "spec"] where !top.contains(where: { $0.key == required }) {
            error(root, "", "missing required field \"\(required)\"")
        }
        for (key, value) in top {
            switch key {
            case "apiVersion":
                if let version = string(value, key), version != ScenarioLoader.apiVersion {
                    error(value, key, "unsupported apiVersion \"\(version)\"; expected \(ScenarioLoader.apiVersion)")
                }
            case "kind":
                if let kind = string(value, key), kind != "Scenario" { error(value, key, "expected kind Scenario, found \"\(kind)\"") }
            case "metadata":
                let metadata = fields(value, "metadata", allowed: ["name", "description"]) ?? []
                for (field, fieldValue) in metadata {
                    let text = string(fieldValue, "metadata." + field)
                    guard field == "name", let text else { continue }
                    if isValidName(text) {
                        name = text
                    } else {
                        error(fieldValue, "metadata.name", "\"\(text)\" is not a valid name: use 1 to 63 lower-case letters, digits and dashes")
                    }
                }
                if case .mapping = value, !metadata.contains(where: { $0.key == "name" }) {
                    error(value, "metadata", "missing required field \"name\"")
                }
            default:
                specNode = value
            }
        }
        guard let specNode else { return nil }
        var plan = RunPlan(name: name ?? "unnamed", path: file)
        readSpec(specNode, into: &plan)
        return diagnostics.isEmpty ? plan : nil
    }

    func isValidName(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 63 && text.allSatisfy { ($0.isLetter && $0.isLowercase) || $0.isNumber || $0 == "-" }
    }

    mutating func readSpec(_ node: Node, into plan: inout RunPlan) {
        let allowed = ["duration", "cluster", "network", "storage", "workload", "nodes", "workloads", "actions", "traffic", "faults", "nemesis", "invariants", "expectations", "convergence"]
        var kubeNodes: [(String, Node)] = []
        var workerMetricNodes: [(MetricID, Node, String)] = []
        guard let spec = fields(node, "spec", allowed: allowed) else { return }
        var faultNodes: Node?
        for (key, value) in spec {
            let path = "spec." + key
            switch key {
            case "duration":
                if let duration = duration(value, path) {
                    if duration > .seconds(24 * 3600) { error(value, path, "runs are limited to 24h of simulated time") } else { plan.duration = duration }
                }
            case "cluster": readCluster(value, path, into: &plan)
            case "network": readNetwork(value, path, into: &plan)
            case "storage":
                for (field, fieldValue) in fields(value, path, allowed: ["fsync"]) ?? [] {
                    if let latency = latency(fieldValue, path + "." + field) { plan.storageLatency = latency }
                }
            case "workload": readWorkload(value, path, into: &plan)
            case "nodes", "workloads", "actions", "traffic": kubeNodes.append((key, value))
            case "faults": faultNodes = value
            case "nemesis": plan.nemesis = readNemesis(value, path)
            case "invariants":
                let known = InvariantName.all.filter { $0.kind == .safety }.map(\.name)
                for (index, item) in (list(value, path) ?? []).enumerated() {
                    if let name = choice(item, path + "[\(index)]", known, what: "invariant"), let id = InvariantName.named(name) {
                        plan.invariants.append(id)
                    }
                }
            case "expectations":
                for (index, item) in (list(value, path) ?? []).enumerated() {
                    let itemPath = path + "[\(index)]"
                    var metric: MetricID?
                    var within: SimDuration?
                    let expectation = fields(item, itemPath, allowed: ["metric", "within"]) ?? []
                    for missing in ["metric", "within"] where !expectation.contains(where: { $0.key == missing }) {
                        error(item, itemPath, "missing required field \"\(missing)\"")
                    }
                    for (field, fieldValue) in expectation {
                        if field == "metric" {
                            metric = choice(fieldValue, itemPath + ".metric", MetricCatalog.names, what: "metric").flatMap(Metric.named)
                            if let id = metric, !RecoveryPredicate.measures(id) {
                                error(fieldValue, itemPath + ".metric", "metric \(id) is not measured yet (measured: \(MetricCatalog.implemented.joined(separator: ", ")))")
                                metric = nil
                            }
                        } else {
                            within = duration(fieldValue, itemPath + ".within")
                        }
                    }
                    if let metric, RecoveryPredicate.worker.contains(where: { $0.metric == metric }) {
                        workerMetricNodes.append((metric, item, itemPath))
                    }
                    if let metric, let within {
                        plan.expectations.append(RecoveryExpectation(metric: metric, within: within))
                        if !plan.measuredMetrics.contains(metric) { plan.measuredMetrics.append(metric) }
                    }
                }
            case "convergence":
                if let bound = duration(value, path) { plan.convergenceBound = bound }
            default:
                preconditionFailure("field \(key) was allowed but not handled")
            }
        }
        readKubeObjects(kubeNodes, into: &plan)
        if plan.cluster.layout.nodeNames.isEmpty {
            for (metric, item, itemPath) in workerMetricNodes {
                error(item, itemPath + ".metric", "metric \(metric) needs worker nodes (spec.nodes, with spec.cluster.controlPlane: true)")
            }
        }
        if let faultNodes { readFaults(faultNodes, "spec.faults", into: &plan) }
        if let nemesis = plan.nemesis, !plan.cluster.layout.controlPlane {
            for name in nemesis.kinds where FaultKind.named(name)?.workerOnly == true && plan.cluster.layout.nodeNames.isEmpty {
                error(node, "spec.nemesis.faults", "\(name) needs worker nodes (spec.nodes)")
            }
            for name in nemesis.kinds where FaultKind.named(name)?.needsControlPlane == true {
                error(node, "spec.nemesis.faults", "\(name) needs masters that run the control plane (spec.cluster.controlPlane: true)")
            }
        }
        if let nemesis = plan.nemesis, nemesis.safetyPhase >= plan.duration {
            error(node, "spec.nemesis.safetyPhase", "the safety phase (\(DurationText.format(nemesis.safetyPhase))) must end before the run does (\(DurationText.format(plan.duration))), to leave a liveness phase")
        }
        // Spans fields: judged on an otherwise valid spec, so a refused value does not echo here.
        if diagnostics.isEmpty { checkLivenessReach(plan, spec: node) }
    }

    /// `spec.nodes`, `spec.workloads` and `spec.actions`, after the cluster (they need the control plane).
    mutating func readKubeObjects(_ items: [(String, Node)], into plan: inout RunPlan) {
        // Traffic names Services: read it after the workloads, wherever the file puts it.
        for (key, value) in items.filter({ $0.0 != "traffic" }) + items.filter({ $0.0 == "traffic" }) {
            let path = "spec." + key
            guard var controlPlane = plan.cluster.controlPlane else {
                error(value, path, "\"\(key)\" needs \"spec.cluster.controlPlane: true\"")
                continue
            }
            switch key {
            case "nodes":
                for (index, item) in (list(value, path) ?? []).enumerated() {
                    for object in readNodeDeclaration(item, path + "[\(index)]") ?? [] {
                        guard case .node(let node) = object else { continue }
                        if controlPlane.nodes.contains(where: { $0.metadata.name == node.metadata.name }) || plan.cluster.layout.masterNames.contains(node.metadata.name) {
                            error(item, path + "[\(index)]", "node \"\(node.metadata.name)\" is declared twice")
                        } else {
                            controlPlane.nodes.append(node)
                        }
                    }
                }
            case "workloads":
                for (index, item) in (list(value, path) ?? []).enumerated() {
                    guard let object = readManifest(item, path + "[\(index)]") else { continue }
                    if controlPlane.workloads.contains(where: { $0.registryKey == object.registryKey }) {
                        error(item, path + "[\(index)]", "\(object.resource.kindName) \(object.metadata.namespace)/\(object.metadata.name) is declared twice")
                    } else {
                        controlPlane.workloads.append(object)
                    }
                }
            case "traffic":
                let services = controlPlane.workloads.compactMap { object -> Service? in
                    if case .service(let service) = object { return service }
                    return nil
                }
                readTraffic(value, path, services: services, into: &plan.cluster.workers)
            default:
                readActions(value, path, duration: plan.duration, into: &controlPlane)
            }
            plan.cluster.controlPlane = controlPlane
        }
        plan.cluster.layout.outsideTrafficClients = plan.cluster.workers.traffic.filter { $0.origin == .outside }.count
        plan.cluster.layout.nodeNames = plan.cluster.controlPlane?.nodes.map(\.metadata.name) ?? []
        plan.cluster.layout.nodeZones = plan.cluster.controlPlane?.nodes.map(\.zone) ?? []
        // One admin client at least: it applies the declared nodes and workloads at the start and runs
        // the scenario's actions.
        plan.cluster.layout.apiClients = plan.cluster.controlPlane.map { _ in max(1, plan.cluster.apiLoad.clients) } ?? 0
    }

    mutating func readCluster(_ node: Node, _ path: String, into plan: inout RunPlan) {
        let controlPlaneFields = ["kube-apiserver", "load-balancer", "leader-election", "kube-scheduler", "kube-controller-manager", "kubelet", "kube-proxy", "container-runtime"]
        var controlPlane = plan.cluster.controlPlane ?? ControlPlaneSpec(masters: plan.memberCount)
        var enabled: Bool?
        var flagNodes: [(String, Node)] = []
        var raftNode: Node?
        for (key, value) in fields(node, path, allowed: ["masters", "workers", "etcd", "raft", "controlPlane"] + controlPlaneFields) ?? [] {
            let fieldPath = path + "." + key
            switch key {
            case "masters":
                if let count = int(value, fieldPath, 1...7) {
                    // Kept even when refused, so that targets are judged against the masters the file
                    // declares ("no machine master-3 in a cluster of 2 masters"); the plan is rejected.
                    plan.memberCount = count
                    if ![1, 3, 5, 7].contains(count) { error(value, fieldPath, "\(count) masters: etcd membership must be 1, 3, 5 or 7") }
                } else {
                    mastersUnknown = true
                }
            case "workers":
                if let count = int(value, fieldPath, 0...5000), count > 0 {
                    error(value, fieldPath, "worker counts are not read here: declare worker Nodes under spec.nodes (with spec.cluster.controlPlane: true); use 0")
                }
            case "controlPlane":
                enabled = bool(value, fieldPath)
            case "raft": raftNode = value
            case "kube-apiserver": readApiserverFlags(value, fieldPath, into: &controlPlane); flagNodes.append((key, value))
            case "load-balancer": readLoadBalancer(value, fieldPath, into: &controlPlane.loadBalancer); flagNodes.append((key, value))
            case "leader-election": readLeaderElection(value, fieldPath, into: &controlPlane.leaderElection); flagNodes.append((key, value))
            case "kube-scheduler": readSchedulerFlags(value, fieldPath, into: &controlPlane); flagNodes.append((key, value))
            case "kubelet": readKubeletFlags(value, fieldPath, into: &plan.cluster.workers.kubelet); flagNodes.append((key, value))
            case "kube-proxy": readKubeProxyFlags(value, fieldPath, into: &plan.cluster.workers.kubeProxy); flagNodes.append((key, value))
            case "container-runtime": readRuntime(value, fieldPath, into: &plan.cluster.workers); flagNodes.append((key, value))
            case "kube-controller-manager": readControllerManagerFlags(value, fieldPath, into: &controlPlane.nodeLifecycle); flagNodes.append((key, value))
            default:
                readEtcdFlags(value, fieldPath, into: &plan.flags)
            }
        }
        // After etcd's flags, wherever the file puts it: it may not repeat their timings.
        if let raftNode { readRaftSection(raftNode, path + ".raft", into: &plan.flags) }
        if enabled == true {
            controlPlane.loadBalancer.backendCount = plan.memberCount
            plan.cluster.controlPlane = controlPlane
            plan.cluster.layout.controlPlane = true
        } else {
            for (key, value) in flagNodes { error(value, path + "." + key, "\"\(key)\" needs \"controlPlane: true\" (masters that run the Kubernetes control plane)") }
        }
    }
}
