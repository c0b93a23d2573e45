import FaultlineCluster
import Yams

/// Reading Kubernetes manifests and declared nodes from a scenario, as `kubectl apply
/// --validate=strict` takes them: unknown fields are errors (with a "did you mean"), a string where
/// the API wants a number (or the reverse) is an error, upstream defaults are applied, and the
/// result then passes the apiserver's own validation (`ObjectValidation`), reported at the field.
///
/// Fields Kubernetes has but the model does not (probes, volumes, env...) are refused by name rather
/// than dropped, so nothing the file says is silently ignored. The one exception is
/// `containers[].ports`: validated, then dropped, because upstream they are informational too
/// (a container port that is not listed is still reachable).
extension ScenarioReader {
    /// What `readManifest` accepts, for the error that names them.
    static let supportedManifests = "apps/v1 Deployment, v1 Service"

    /// Pod spec fields that exist upstream but that the model does not simulate.
    static let unmodelledPodSpecFields = [
        "initContainers", "volumes", "affinity", "topologySpreadConstraints", "serviceAccountName", "securityContext",
        "priorityClassName", "hostNetwork", "dnsPolicy", "imagePullSecrets", "activeDeadlineSeconds", "nodeName",
    ]
    static let unmodelledContainerFields = [
        "command", "args", "env", "envFrom", "livenessProbe", "readinessProbe", "startupProbe", "volumeMounts",
        "imagePullPolicy", "securityContext", "lifecycle", "workingDir",
    ]
    static let unmodelledServiceSpecFields = [
        "clusterIP", "clusterIPs", "sessionAffinity", "externalTrafficPolicy", "externalIPs", "loadBalancerIP", "ipFamilies",
    ]

    // MARK: Manifests

    /// A Deployment (`apps/v1`) or a Service (`v1`) at `path`; nil (after recording every problem)
    /// when it is unusable or the apiserver would refuse it.
    mutating func readManifest(_ node: Node, _ path: String) -> KubeObject? {
        let before = diagnostics.count
        guard let top = fields(node, path, allowed: ["apiVersion", "kind", "metadata", "spec"]) else { return nil }
        for required in ["apiVersion", "kind", "metadata", "spec"] where entry(top, required) == nil {
            error(node, path, "missing required field \"\(required)\"")
        }
        guard let versionNode = entry(top, "apiVersion"), let kindNode = entry(top, "kind"),
              let version = string(versionNode, join(path, "apiVersion")), let kind = string(kindNode, join(path, "kind")) else { return nil }
        let metadata = entry(top, "metadata"), spec = entry(top, "spec")
        var object: KubeObject?
        switch (version, kind) {
        case ("apps/v1", "Deployment"):
            let meta = metadata.flatMap { readObjectMeta($0, join(path, "metadata")) }
            let deploymentSpec = spec.flatMap { readDeploymentSpec($0, join(path, "spec")) }
            if let meta, let deploymentSpec { object = .deployment(Deployment(metadata: meta, spec: deploymentSpec)) }
        case ("v1", "Service"):
            let meta = metadata.flatMap { readObjectMeta($0, join(path, "metadata")) }
            let service = spec.flatMap { readServiceSpec($0, join(path, "spec"), metadata: meta ?? ObjectMeta(name: "")) }
            if meta != nil, let service { object = .service(service) }
        case (_, "Deployment"), (_, "Service"):
            let expected = kind == "Deployment" ? "apps/v1" : "v1"
            error(versionNode, join(path, "apiVersion"), "\(kind) is read as apiVersion \(expected), found \"\(version)\"")
        default:
            error(kindNode, join(path, "kind"), "\(version) \(kind) is not supported in scenarios (supported: \(Self.supportedManifests))")
        }
        guard let object, diagnostics.count == before else { return nil }
        return reportValidation(of: [object], in: node, path, locate: { $0 }) ? object : nil
    }

    /// Records the apiserver's validation failures of `objects` at `path` + the failing field (the
    /// YAML position of the deepest node the field path reaches); false when there was any.
    /// `locate` maps an API field path onto the YAML layout when the two differ.
    mutating func reportValidation(of objects: [KubeObject], in root: Node, _ path: String, locate: (String) -> String) -> Bool {
        var reported = 0
        // Nodes declared with `count` share every field but the name: report a field for the first
        // node that fails there only (the others' messages differ only by the generated name).
        var earlierFields: [String] = []
        for object in objects {
            var failedFields: [String] = []
            for failure in ObjectValidation.errors(object) {
                let field = locate(failure.field)
                guard !earlierFields.contains(field) else { continue }
                failedFields.append(field)
                reported += 1
                error(deepestNode(root, field), join(path, field), failure.message)
            }
            earlierFields += failedFields
        }
        return reported == 0
    }

    /// Walks `field` (`spec.template.spec.containers[0].resources.requests[cpu]`) down from `root`
    /// as far as the YAML goes.
    func deepestNode(_ root: Node, _ field: String) -> Node {
        var current = root
        for step in fieldSteps(field) {
            switch (current, step) {
            case (.mapping(let mapping), .key(let key)):
                guard let next = mapping.first(where: { $0.key.string == key })?.value else { return current }
                current = next
            case (.sequence(let sequence), .index(let index)):
                guard index >= 0 && index < sequence.count else { return current }
                current = sequence[sequence.index(sequence.startIndex, offsetBy: index)]
            case (.scalar, _), (.alias, _), (.mapping, .index), (.sequence, .key):
                return current
            }
        }
        return current
    }

    enum FieldStep: Equatable { case key(String), index(Int) }

    func fieldSteps(_ field: String) -> [FieldStep] {
        var steps: [FieldStep] = []
        for part in field.split(separator: ".") {
            let pieces = part.split(separator: "[", omittingEmptySubsequences: false)
            if let name = pieces.first, !name.isEmpty { steps.append(.key(String(name))) }
            for piece in pieces.dropFirst() {
                let inner = String(piece.dropLast(piece.hasSuffix("]") ? 1 : 0))
                steps.append(Int(inner).map(FieldStep.index) ?? .key(inner))
            }
        }
        return steps
    }

    // MARK: Metadata

    mutating func readObjectMeta(_ node: Node, _ path: String) -> ObjectMeta? {
        guard let items = fields(node, path, allowed: ["name", "namespace", "labels", "annotations"]) else { return nil }
        guard let nameNode = entry(items, "name") else {
            error(node, path, "missing required field \"name\"")
            return nil
        }
        guard let name = kubeString(nameNode, join(path, "name")) else { return nil }
        var meta = ObjectMeta(name: name, namespace: "default")
        for (key, value) in items {
            let fieldPath = join(path, key)
            switch key {
            case "namespace": if let namespace = kubeString(value, fieldPath) { meta.namespace = namespace }
            case "labels": if let labels = stringPairs(value, fieldPath) { meta.labels = labels }
            case "annotations": if let annotations = stringPairs(value, fieldPath) { meta.annotations = annotations }
            default: break  // name, read above
            }
        }
        return meta
    }

    // MARK: Deployment

    mutating func readDeploymentSpec(_ node: Node, _ path: String) -> DeploymentSpec? {
        let allowed = ["replicas", "selector", "template", "strategy", "minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds", "paused"]
        guard let items = fields(node, path, allowed: allowed) else { return nil }
        for required in ["selector", "template"] where entry(items, required) == nil {
            error(node, path, "missing required field \"\(required)\"")
        }
        guard let selectorNode = entry(items, "selector"), let templateNode = entry(items, "template"),
              let selector = readSelector(selectorNode, join(path, "selector")),
              let template = readPodTemplate(templateNode, join(path, "template")) else { return nil }
        var spec = DeploymentSpec(selector: selector, template: template)
        for (key, value) in items {
            let fieldPath = join(path, key)
            switch key {
            case "replicas": if let n = kubeInt(value, fieldPath) { spec.replicas = n }
            case "strategy": if let strategy = readStrategy(value, fieldPath) { spec.strategy = strategy }
            case "minReadySeconds": if let n = kubeInt(value, fieldPath) { spec.minReadySeconds = Int64(n) }
            case "revisionHistoryLimit": if let n = kubeInt(value, fieldPath) { spec.revisionHistoryLimit = n }
            case "progressDeadlineSeconds": if let n = kubeInt(value, fieldPath) { spec.progressDeadlineSeconds = Int64(n) }
            case "paused": if let flag = bool(value, fieldPath) { spec.paused = flag }
            default: break  // selector and template, read above
            }
        }
        return spec
    }

    /// `matchLabels` only: set-based selectors are not modelled.
    mutating func readSelector(_ node: Node, _ path: String) -> StringPairs? {
        guard let items = fields(node, path, allowed: ["matchLabels", "matchExpressions"]) else { return nil }
        var selector = StringPairs()
        for (key, value) in items {
            switch key {
            case "matchLabels": selector = stringPairs(value, join(path, key)) ?? selector
            default: error(value, join(path, key), "matchExpressions are not modelled; select with matchLabels")
            }
        }
        return selector
    }

    mutating func readPodTemplate(_ node: Node, _ path: String) -> PodTemplate? {
        guard let items = fields(node, path, allowed: ["metadata", "spec"]) else { return nil }
        guard let specNode = entry(items, "spec") else {
            error(node, path, "missing required field \"spec\"")
            return nil
        }
        guard let spec = readPodSpec(specNode, join(path, "spec")) else { return nil }
        var template = PodTemplate(spec: spec)
        if let metadata = entry(items, "metadata") {
            let metaPath = join(path, "metadata")
            for (key, value) in fields(metadata, metaPath, allowed: ["labels", "annotations"]) ?? [] {
                switch key {
                case "labels": template.labels = stringPairs(value, join(metaPath, key)) ?? template.labels
                default: template.annotations = stringPairs(value, join(metaPath, key)) ?? template.annotations
                }
            }
        }
        return template
    }

    /// `RollingUpdate` (25% / 25% unless given) or `Recreate`.
    mutating func readStrategy(_ node: Node, _ path: String) -> DeploymentStrategy? {
        guard let items = fields(node, path, allowed: ["type", "rollingUpdate"]) else { return nil }
        let type = entry(items, "type").flatMap { choice($0, join(path, "type"), ["RollingUpdate", "Recreate"], what: "strategy type") } ?? "RollingUpdate"
        var maxSurge = IntOrPercent.percent(25), maxUnavailable = IntOrPercent.percent(25)
        if let rolling = entry(items, "rollingUpdate") {
            let rollingPath = join(path, "rollingUpdate")
            guard type == "RollingUpdate" else {
                error(rolling, rollingPath, "may not be specified when strategy `type` is 'Recreate'")
                return nil
            }
            for (key, value) in fields(rolling, rollingPath, allowed: ["maxSurge", "maxUnavailable"]) ?? [] {
                guard let amount = intOrPercent(value, join(rollingPath, key)) else { continue }
                if key == "maxSurge" { maxSurge = amount } else { maxUnavailable = amount }
            }
        }
        return type == "Recreate" ? .recreate : .rollingUpdate(maxSurge: maxSurge, maxUnavailable: maxUnavailable)
    }

    // MARK: Pod spec

    mutating func readPodSpec(_ node: Node, _ path: String) -> PodSpec? {
        let allowed = ["containers", "nodeSelector", "tolerations", "terminationGracePeriodSeconds", "restartPolicy", "schedulerName"]
        guard let items = modelledFields(node, path, allowed: allowed, unmodelled: Self.unmodelledPodSpecFields) else { return nil }
        guard let containersNode = entry(items, "containers") else {
            error(node, path, "missing required field \"containers\"")
            return nil
        }
        var containers: [Container] = []
        for (index, item) in (list(containersNode, join(path, "containers")) ?? []).enumerated() {
            if let container = readContainer(item, join(path, "containers") + "[\(index)]") { containers.append(container) }
        }
        var spec = PodSpec(containers: containers)
        for (key, value) in items {
            let fieldPath = join(path, key)
            switch key {
            case "nodeSelector": spec.nodeSelector = stringPairs(value, fieldPath) ?? spec.nodeSelector
            case "tolerations":
                for (index, item) in (list(value, fieldPath) ?? []).enumerated() {
                    if let toleration = readToleration(item, fieldPath + "[\(index)]") { spec.tolerations.append(toleration) }
                }
            case "terminationGracePeriodSeconds": if let n = kubeInt(value, fieldPath, Int(Int64.min)...Int(Int64.max)) { spec.terminationGracePeriodSeconds = Int64(n) }
            case "restartPolicy": if let policy = kubeString(value, fieldPath) { spec.restartPolicy = policy }
            case "schedulerName": if let name = kubeString(value, fieldPath) { spec.schedulerName = name }
            default: break  // containers, read above
            }
        }
        return spec
    }

    mutating func readContainer(_ node: Node, _ path: String) -> Container? {
        guard let items = modelledFields(node, path, allowed: ["name", "image", "resources", "ports"], unmodelled: Self.unmodelledContainerFields) else { return nil }
        var container = Container(name: "", image: "")
        for (key, value) in items {
            let fieldPath = join(path, key)
            switch key {
            case "name": container.name = kubeString(value, fieldPath) ?? ""
            case "image": container.image = kubeString(value, fieldPath) ?? ""
            case "resources": readResources(value, fieldPath, into: &container)
            default: readContainerPorts(value, fieldPath)
            }
        }
        return container
    }

    /// `requests` and `limits` of cpu and memory. As upstream defaulting does, a resource with a
    /// limit and no request requests its limit.
    mutating func readResources(_ node: Node, _ path: String, into container: inout Container) {
        var requested: [String] = []
        for (group, groupNode) in fields(node, path, allowed: ["requests", "limits"]) ?? [] {
            let groupPath = join(path, group)
            for (resource, amountNode) in fields(groupNode, groupPath, allowed: ["cpu", "memory"]) ?? [] {
                let amountPath = join(groupPath, resource)
                guard case .scalar(let scalar) = amountNode else {
                    error(amountNode, amountPath, "expected a quantity like 500m or 1Gi, found \(describe(amountNode))")
                    continue
                }
                let parsed = resource == "cpu" ? Quantity.parseMilliCPU(scalar.string) : Quantity.parseBytes(scalar.string)
                switch (parsed, group, resource) {
                case (.failure(let failure), _, _): error(amountNode, amountPath, failure.description)
                case (.success(let amount), "requests", "cpu"): container.requests.milliCPU = amount; requested.append(resource)
                case (.success(let amount), "requests", _): container.requests.memoryBytes = amount; requested.append(resource)
                case (.success(let amount), _, "cpu"): container.limits.milliCPU = amount
                case (.success(let amount), _, _): container.limits.memoryBytes = amount
                }
            }
        }
        if !requested.contains("cpu") && container.limits.milliCPU > 0 { container.requests.milliCPU = container.limits.milliCPU }
        if !requested.contains("memory") && container.limits.memoryBytes > 0 { container.requests.memoryBytes = container.limits.memoryBytes }
    }

    /// Validated as the apiserver does, then dropped (see the type's comment).
    mutating func readContainerPorts(_ node: Node, _ path: String) {
        var names: [String] = []
        for (index, item) in (list(node, path) ?? []).enumerated() {
            let itemPath = path + "[\(index)]"
            guard let items = fields(item, itemPath, allowed: ["containerPort", "name", "protocol"]) else { continue }
            if entry(items, "containerPort") == nil { error(item, itemPath, "missing required field \"containerPort\"") }
            for (key, value) in items {
                let fieldPath = join(itemPath, key)
                switch key {
                case "containerPort": _ = kubeInt(value, fieldPath, 1...65535)
                case "name":
                    guard let name = kubeString(value, fieldPath) else { continue }
                    if let problem = ianaServiceNameProblem(name) { error(value, fieldPath, "\"\(name)\" is not a port name: \(problem)") }
                    if names.contains(name) { error(value, fieldPath, "duplicate port name \"\(name)\"") }
                    names.append(name)
                default: _ = choice(value, fieldPath, ["TCP", "UDP", "SCTP"], what: "protocol")
                }
            }
        }
    }

    /// Why `name` is not an IANA service name (what port names must be), or nil.
    func ianaServiceNameProblem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        if bytes.isEmpty || bytes.count > 15 { return "must be 1 to 15 characters" }
        let allowed = bytes.allSatisfy { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "-") }
        if !allowed { return "must contain only lower-case letters, digits and '-'" }
        if !bytes.contains(where: { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }) { return "must contain at least one letter" }
        if bytes.first == UInt8(ascii: "-") || bytes.last == UInt8(ascii: "-") || name.contains("--") {
            return "must not begin or end with '-' or hold '--'"
        }
        return nil
    }

    mutating func readToleration(_ node: Node, _ path: String) -> Toleration? {
        guard let items = fields(node, path, allowed: ["key", "operator", "value", "effect", "tolerationSeconds"]) else { return nil }
        var toleration = Toleration(key: "")
        for (key, value) in items {
            let fieldPath = join(path, key)
            switch key {
            case "key": toleration.key = kubeString(value, fieldPath) ?? ""
            case "operator":
                if let text = choice(value, fieldPath, ["Equal", "Exists"], what: "operator"), let op = Toleration.Operator(rawValue: text) { toleration.operator = op }
            case "value": toleration.value = kubeString(value, fieldPath) ?? ""
            case "effect":
                // An empty effect tolerates every effect.
                if case .scalar(let scalar) = value, scalar.string.isEmpty { continue }
                if let text = choice(value, fieldPath, TaintEffect.allCases.map(\.rawValue), what: "taint effect") { toleration.effect = TaintEffect(rawValue: text) }
            default:
                if let seconds = kubeInt(value, fieldPath, Int(Int64.min)...Int(Int64.max)) { toleration.tolerationSeconds = Int64(seconds) }
            }
        }
        return toleration
    }

    // MARK: Service

    mutating func readServiceSpec(_ node: Node, _ path: String, metadata: ObjectMeta) -> Service? {
        let allowed = ["selector", "ports", "type", "internalTrafficPolicy"]
        guard let items = modelledFields(node, path, allowed: allowed, unmodelled: Self.unmodelledServiceSpecFields) else { return nil }
        var service = Service(metadata: metadata, selector: StringPairs(), ports: [])
        for (key, value) in items {
            let fieldPath = join(path, key)
            switch key {
            case "selector": service.selector = stringPairs(value, fieldPath) ?? service.selector
            case "ports":
                for (index, item) in (list(value, fieldPath) ?? []).enumerated() {
                    if let port = readServicePort(item, fieldPath + "[\(index)]") { service.ports.append(port) }
                }
            case "type":
                guard let type = choice(value, fieldPath, ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"], what: "service type") else { continue }
                if type != "ClusterIP" { error(value, fieldPath, "type \(type) is not modelled; only ClusterIP services are") }
            default:
                if let text = choice(value, fieldPath, ["Cluster", "Local"], what: "traffic policy"), let policy = Service.TrafficPolicy(rawValue: text) {
                    service.internalTrafficPolicy = policy
                }
            }
        }
        return service
    }

    mutating func readServicePort(_ node: Node, _ path: String) -> ServicePort? {
        guard let items = modelledFields(node, path, allowed: ["name", "port", "targetPort", "protocol"], unmodelled: ["nodePort", "appProtocol"]) else { return nil }
        guard let portNode = entry(items, "port") else {
            error(node, path, "missing required field \"port\"")
            return nil
        }
        guard let number = kubeInt(portNode, join(path, "port")) else { return nil }
        var port = ServicePort(port: number, targetPort: number)
        for (key, value) in items {
            let fieldPath = join(path, key)
            switch key {
            case "name": port.name = kubeString(value, fieldPath) ?? ""
            case "targetPort":
                if case .scalar(let scalar) = value, scalar.style != .plain || Int(scalar.string) == nil {
                    error(value, fieldPath, "named target ports (\"\(scalar.string)\") are not modelled; give the container's port number")
                } else if let target = kubeInt(value, fieldPath) {
                    port.targetPort = target
                }
            case "protocol":
                guard let text = choice(value, fieldPath, ["TCP", "UDP", "SCTP"], what: "protocol") else { continue }
                if text != "TCP" { error(value, fieldPath, "protocol \(text) is not modelled; only TCP is") }
            default: break  // port, read above
            }
        }
        return port
    }
}
