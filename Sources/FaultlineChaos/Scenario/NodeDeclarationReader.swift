import FaultlineCluster
import Yams

/// Reading worker Nodes declared in a scenario (until kubelets register them).
extension ScenarioReader {
    // MARK: Declared nodes

    /// Nodes declared in a scenario (one entry of a list), in this form:
    ///
    ///     - name: worker-1                  # or namePrefix + count: pool-1 ... pool-<count>
    ///       capacity: {cpu: "4", memory: 16Gi, pods: 110}   # cpu and memory required; pods 110 (kubelet --max-pods)
    ///       allocatable: {cpu: 3800m}       # each resource not given is its capacity
    ///       labels: {disk: ssd}
    ///       zone: us-east-1a                # sets topology.kubernetes.io/zone
    ///       taints: [{key: dedicated, value: db, effect: NoSchedule}]
    ///       unschedulable: false
    ///     - namePrefix: pool
    ///       count: 10                       # 1 to 5000; 1 when absent
    ///       capacity: {cpu: 2, memory: 8Gi}
    ///
    /// Every node carries the labels the kubelet sets (`kubernetes.io/hostname` = its name,
    /// `kubernetes.io/os: linux`, `kubernetes.io/arch: amd64`); `labels` may override os and arch.
    /// The result is in name order of the count (`pool-1`, `pool-2`, ...); nil when unusable.
    mutating func readNodeDeclaration(_ node: Node, _ path: String) -> [KubeObject]? {
        let before = diagnostics.count
        let allowed = ["name", "namePrefix", "count", "capacity", "allocatable", "labels", "zone", "taints", "unschedulable"]
        guard let items = fields(node, path, allowed: allowed) else { return nil }
        let nameNode = entry(items, "name"), prefixNode = entry(items, "namePrefix"), countNode = entry(items, "count")
        var names: [String] = []
        switch (nameNode, prefixNode) {
        case (let single?, nil):
            if let countNode { error(countNode, join(path, "count"), "\"count\" goes with \"namePrefix\", not \"name\"") }
            if let name = kubeString(single, join(path, "name")) { names = [name] }
        case (nil, let prefix?):
            let count = countNode.map { int($0, join(path, "count"), 1...5000) } ?? 1
            if let prefix = kubeString(prefix, join(path, "namePrefix")), let count { names = (1...count).map { "\(prefix)-\($0)" } }
        case (.some, .some):
            error(prefixNode, join(path, "namePrefix"), "give either \"name\" or \"namePrefix\", not both")
        case (nil, nil):
            error(node, path, "missing required field \"name\" (or \"namePrefix\" with \"count\")")
        }
        guard let capacityNode = entry(items, "capacity") else {
            error(node, path, "missing required field \"capacity\"")
            return nil
        }
        let capacity = readNodeResources(capacityNode, join(path, "capacity"), defaults: nil)
        var template = FaultlineCluster.Node(metadata: ObjectMeta(name: ""), status: NodeStatus(capacity: capacity ?? .zero, allocatable: capacity ?? .zero))
        template.metadata.labels["kubernetes.io/os"] = "linux"
        template.metadata.labels["kubernetes.io/arch"] = "amd64"
        var zone: (name: String, node: Node)?
        for (key, value) in items {
            let fieldPath = join(path, key)
            switch key {
            case "allocatable":
                if let capacity, let allocatable = readNodeResources(value, fieldPath, defaults: capacity) { template.status.allocatable = allocatable }
            case "labels":
                for (label, text) in stringPairs(value, fieldPath) ?? StringPairs() { template.metadata.labels[label] = text }
            case "zone": if let name = kubeString(value, fieldPath) { zone = (name, value) }
            case "taints":
                for (index, item) in (list(value, fieldPath) ?? []).enumerated() {
                    if let taint = readTaint(item, fieldPath + "[\(index)]") { template.taints.append(taint) }
                }
            case "unschedulable": if let flag = bool(value, fieldPath) { template.unschedulable = flag }
            default: break  // names and capacity, read above
            }
        }
        if let zone {
            let key = "topology.kubernetes.io/zone"
            if let labelled = template.metadata.labels[key], labelled != zone.name {
                error(zone.node, join(path, "zone"), "zone \"\(zone.name)\" contradicts label \(key)=\"\(labelled)\"")
            }
            template.metadata.labels[key] = zone.name
        }
        guard diagnostics.count == before, capacity != nil, !names.isEmpty else { return nil }
        let nodes: [KubeObject] = names.map { name in
            var declared = template
            declared.metadata.name = name
            declared.metadata.labels["kubernetes.io/hostname"] = name
            return .node(declared)
        }
        let nameField = prefixNode == nil ? "name" : "namePrefix"
        let valid = reportValidation(of: nodes, in: node, path) { field in
            // API field paths onto this format's layout.
            if field == "metadata.name" { return nameField }
            if field.hasPrefix("metadata.labels") { return "labels" }
            if field.hasPrefix("spec.taints") { return String(field.dropFirst("spec.".count)) }
            for resources in ["capacity", "allocatable"] where field.hasPrefix("status.\(resources)[") {
                return resources + "." + field.dropFirst("status.\(resources)[".count).dropLast()
            }
            return field
        }
        return valid ? nodes : nil
    }

    /// cpu, memory and pods; without `defaults` (capacity) cpu and memory are required and pods is 110.
    mutating func readNodeResources(_ node: Node, _ path: String, defaults: ResourceList?) -> ResourceList? {
        guard let items = fields(node, path, allowed: ["cpu", "memory", "pods"]) else { return nil }
        var resources = defaults ?? ResourceList(pods: 110)
        var valid = true
        if defaults == nil {
            for required in ["cpu", "memory"] where entry(items, required) == nil {
                error(node, path, "missing required field \"\(required)\"")
                valid = false
            }
        }
        for (key, value) in items {
            let fieldPath = join(path, key)
            guard case .scalar(let scalar) = value else {
                error(value, fieldPath, "expected a quantity, found \(describe(value))")
                valid = false
                continue
            }
            let parsed: Result<Int64, QuantityError>
            switch key {
            case "cpu": parsed = Quantity.parseMilliCPU(scalar.string)
            case "memory": parsed = Quantity.parseBytes(scalar.string)
            default: parsed = Quantity.parseCount(scalar.string)
            }
            switch (parsed, key) {
            case (.failure(let failure), _):
                error(value, fieldPath, failure.description)
                valid = false
            case (.success(let amount), "cpu"): resources.milliCPU = amount
            case (.success(let amount), "memory"): resources.memoryBytes = amount
            case (.success(let amount), _): resources.pods = amount
            }
        }
        return valid ? resources : nil
    }

    mutating func readTaint(_ node: Node, _ path: String) -> Taint? {
        guard let items = fields(node, path, allowed: ["key", "value", "effect"]) else { return nil }
        for required in ["key", "effect"] where entry(items, required) == nil {
            error(node, path, "missing required field \"\(required)\"")
        }
        guard let keyNode = entry(items, "key"), let effectNode = entry(items, "effect"),
              let key = kubeString(keyNode, join(path, "key")),
              let effectName = choice(effectNode, join(path, "effect"), TaintEffect.allCases.map(\.rawValue), what: "taint effect"),
              let effect = TaintEffect(rawValue: effectName) else { return nil }
        let value = entry(items, "value").flatMap { kubeString($0, join(path, "value")) } ?? ""
        return Taint(key: key, value: value, effect: effect)
    }
}
