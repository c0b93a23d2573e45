/// One field that failed validation, worded as the apiserver's `field.Error` prints it:
/// `spec.replicas: Invalid value: -1: must be greater than or equal to 0`.
public struct FieldError: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// `Invalid value: <value>: <detail>`; `value` is already printed (strings quoted).
        case invalid(value: String)
        /// `Required value` (and `: <detail>` when there is one).
        case required
        /// `Duplicate value: <value>`.
        case duplicate(value: String)
        /// `Unsupported value: <value>: supported values: "A", "B"`.
        case notSupported(value: String, supported: [String])
        /// `Forbidden: <detail>`.
        case forbidden
    }

    /// The field path, e.g. `spec.template.spec.containers[0].name`.
    public var field: String
    public var kind: Kind
    public var detail: String

    public init(_ field: String, _ kind: Kind, _ detail: String = "") {
        self.field = field
        self.kind = kind
        self.detail = detail
    }

    /// The text after the field path: `Invalid value: -1: must be greater than or equal to 0`.
    public var message: String {
        switch kind {
        case .invalid(let value): return "Invalid value: \(value)\(detail.isEmpty ? "" : ": " + detail)"
        case .required: return "Required value\(detail.isEmpty ? "" : ": " + detail)"
        case .duplicate(let value): return "Duplicate value: \(value)"
        case .notSupported(let value, let supported):
            return "Unsupported value: \(value): supported values: \(supported.map { "\"\($0)\"" }.joined(separator: ", "))"
        case .forbidden: return "Forbidden: \(detail)"
        }
    }

    public var description: String { "\(field): \(message)" }
}

/// The apiserver's object validation: what makes a create or update answer 422 Unprocessable Entity.
///
/// Wording and field paths follow `pkg/apis/core/validation` and `pkg/apis/apps/validation`, so a
/// message here reads like the one `kubectl` would print. The rules cover the fields the model
/// has; the first failing field becomes `ApiStatus.field`, and the message lists every failure in
/// the order the apiserver checks them (metadata, then spec in declaration order).
public enum ObjectValidation {
    /// nil when `object` is valid; otherwise a 422 `Invalid` status naming the first bad field.
    public static func validate(_ object: KubeObject) -> ApiStatus? {
        status(for: object, errors(object))
    }

    /// Validation of an update: the fields that may not change, then the new object itself.
    ///
    /// `subresource` is `.binding` when the scheduler binds a pod: the only way `spec.nodeName` goes
    /// from unset to set; binding an already bound pod is a 409 Conflict, as upstream.
    public static func validateUpdate(old: KubeObject, new: KubeObject, subresource: ApiSubresource? = nil) -> ApiStatus? {
        if subresource == .binding, case .pod(let oldPod) = old, let bound = oldPod.spec.nodeName {
            return ApiStatus(.conflict, reason: "Conflict",
                             message: "Operation cannot be fulfilled on pods/binding \"\(oldPod.metadata.name)\": pod \(oldPod.metadata.name) is already assigned to node \"\(bound)\"")
        }
        var found = immutabilityErrors(old: old, new: new, subresource: subresource)
        found += errors(new)
        return status(for: new, found)
    }

    // MARK: Status

    /// `Deployment.apps "web" is invalid: spec.replicas: ...` (several failures in brackets).
    static func status(for object: KubeObject, _ found: [FieldError]) -> ApiStatus? {
        guard let first = found.first else { return nil }
        let detail = found.count == 1 ? first.description : "[" + found.map(\.description).joined(separator: ", ") + "]"
        return ApiStatus(.unprocessableEntity, reason: "Invalid",
                         message: "\(qualifiedKind(object.resource)) \"\(object.metadata.name)\" is invalid: \(detail)", field: first.field)
    }

    /// The kind with its API group, as apiserver messages name it (`Deployment.apps`, `Pod`).
    static func qualifiedKind(_ resource: ResourceKind) -> String {
        switch resource {
        case .namespaces, .nodes, .pods, .services: return resource.kindName
        case .deployments, .replicasets: return resource.kindName + ".apps"
        case .endpointslices: return resource.kindName + ".discovery.k8s.io"
        case .leases: return resource.kindName + ".coordination.k8s.io"
        case .clusterroles, .clusterrolebindings: return resource.kindName + ".rbac.authorization.k8s.io"
        }
    }

    // MARK: Objects

    /// Every failure of `object`, in the apiserver's order (what `validate` summarizes).
    public static func errors(_ object: KubeObject) -> [FieldError] {
        var found = metadataErrors(object.metadata, resource: object.resource)
        switch object {
        case .deployment(let deployment): found += deploymentErrors(deployment.spec)
        case .replicaSet(let set):
            found += nonNegative(set.spec.replicas, "spec.replicas")
            found += selectorErrors(set.spec.selector, template: set.spec.template, kind: "replicaset")
            found += nonNegative(set.spec.minReadySeconds, "spec.minReadySeconds")
        case .pod(let pod): found += podSpecErrors(pod.spec, "spec")
        case .service(let service): found += serviceErrors(service)
        case .node(let node): found += nodeErrors(node)
        case .lease(let lease):
            if lease.leaseDurationSeconds <= 0 {
                found.append(FieldError("spec.leaseDurationSeconds", .invalid(value: String(lease.leaseDurationSeconds)), "must be greater than 0"))
            }
            if lease.leaseTransitions < 0 { found += nonNegative(lease.leaseTransitions, "spec.leaseTransitions") }
        case .endpointSlice(let slice):
            for (index, endpoint) in slice.endpoints.enumerated() where !endpoint.nodeName.isEmpty {
                found += dns1123Subdomain(endpoint.nodeName, "endpoints[\(index)].nodeName")
            }
        case .namespace, .clusterRole, .clusterRoleBinding:
            break
        }
        return found
    }

    static func metadataErrors(_ meta: ObjectMeta, resource: ResourceKind) -> [FieldError] {
        var found: [FieldError] = []
        if meta.name.isEmpty {
            found.append(FieldError("metadata.name", .required, "name or generateName is required"))
        } else {
            switch resource {
            // Services become DNS names (`<name>.<namespace>.svc`) whose first label must start with a letter.
            case .services: found += dns1035Label(meta.name, "metadata.name")
            case .namespaces: found += dns1123Label(meta.name, "metadata.name")
            case .nodes, .pods, .deployments, .replicasets, .endpointslices, .leases: found += dns1123Subdomain(meta.name, "metadata.name")
            case .clusterroles, .clusterrolebindings: found += pathSegmentName(meta.name, "metadata.name")
            }
        }
        if resource.isNamespaced {
            if meta.namespace.isEmpty {
                found.append(FieldError("metadata.namespace", .required))
            } else {
                found += dns1123Label(meta.namespace, "metadata.namespace")
            }
        } else if !meta.namespace.isEmpty {
            found.append(FieldError("metadata.namespace", .forbidden, "not allowed on this type"))
        }
        found += labelErrors(meta.labels, "metadata.labels")
        found += annotationErrors(meta.annotations, "metadata.annotations")
        return found
    }

    static func deploymentErrors(_ spec: DeploymentSpec) -> [FieldError] {
        var found = nonNegative(spec.replicas, "spec.replicas")
        found += selectorErrors(spec.selector, template: spec.template, kind: "deployment")
        switch spec.strategy {
        case .recreate: break
        case .rollingUpdate(let maxSurge, let maxUnavailable):
            let path = "spec.strategy.rollingUpdate"
            found += intOrPercentErrors(maxUnavailable, path + ".maxUnavailable")
            found += intOrPercentErrors(maxSurge, path + ".maxSurge")
            if isZero(maxSurge) && isZero(maxUnavailable) {
                // Neither a surge nor an unavailable pod: the rollout could never take a step.
                found.append(FieldError(path + ".maxUnavailable", .invalid(value: printed(maxUnavailable)), "may not be 0 when `maxSurge` is 0"))
            }
            if case .percent(let percent) = maxUnavailable, percent > 100 {
                found.append(FieldError(path + ".maxUnavailable", .invalid(value: printed(maxUnavailable)), "must not be greater than 100%"))
            }
        }
        found += nonNegative(spec.minReadySeconds, "spec.minReadySeconds")
        found += nonNegative(spec.revisionHistoryLimit, "spec.revisionHistoryLimit")
        found += nonNegative(spec.progressDeadlineSeconds, "spec.progressDeadlineSeconds")
        if spec.progressDeadlineSeconds <= spec.minReadySeconds {
            found.append(FieldError("spec.progressDeadlineSeconds", .invalid(value: String(spec.progressDeadlineSeconds)), "must be greater than minReadySeconds"))
        }
        return found
    }

    /// The selector must be non-empty and select the template's own pods (otherwise the controller
    /// would create pods it does not own, forever).
    static func selectorErrors(_ selector: StringPairs, template: PodTemplate, kind: String) -> [FieldError] {
        var found: [FieldError] = []
        if selector.isEmpty {
            found.append(FieldError("spec.selector", .invalid(value: printed(selector)), "empty selector is invalid for \(kind)"))
        } else {
            found += labelErrors(selector, "spec.selector.matchLabels")
            if !template.labels.matches(selector) {
                found.append(FieldError("spec.template.metadata.labels", .invalid(value: printed(template.labels)), "`selector` does not match template `labels`"))
            }
        }
        found += labelErrors(template.labels, "spec.template.metadata.labels")
        found += annotationErrors(template.annotations, "spec.template.metadata.annotations")
        found += podSpecErrors(template.spec, "spec.template.spec")
        if template.spec.restartPolicy != "Always" {
            found.append(FieldError("spec.template.spec.restartPolicy", .notSupported(value: quoted(template.spec.restartPolicy), supported: ["Always"])))
        }
        return found
    }

    static func podSpecErrors(_ spec: PodSpec, _ path: String) -> [FieldError] {
        var found: [FieldError] = []
        if spec.containers.isEmpty { found.append(FieldError(path + ".containers", .required)) }
        var names: [String] = []
        for (index, container) in spec.containers.enumerated() {
            let containerPath = path + ".containers[\(index)]"
            if container.name.isEmpty {
                found.append(FieldError(containerPath + ".name", .required))
            } else if names.contains(container.name) {
                found.append(FieldError(containerPath + ".name", .duplicate(value: quoted(container.name))))
            } else {
                found += dns1123Label(container.name, containerPath + ".name")
            }
            names.append(container.name)
            let padded = container.image.first.map(\.isWhitespace) == true || container.image.last.map(\.isWhitespace) == true
            if padded || container.image.isEmpty {
                found.append(container.image.isEmpty
                    ? FieldError(containerPath + ".image", .required)
                    : FieldError(containerPath + ".image", .invalid(value: quoted(container.image)), "must not have leading or trailing whitespace"))
            }
            found += resourceErrors(container, containerPath + ".resources")
        }
        found += labelErrors(spec.nodeSelector, path + ".nodeSelector")
        for (index, toleration) in spec.tolerations.enumerated() {
            found += tolerationErrors(toleration, path + ".tolerations[\(index)]")
        }
        if let nodeName = spec.nodeName { found += dns1123Subdomain(nodeName, path + ".nodeName") }
        if !["Always", "OnFailure", "Never"].contains(spec.restartPolicy) {
            found.append(FieldError(path + ".restartPolicy", .notSupported(value: quoted(spec.restartPolicy), supported: ["Always", "OnFailure", "Never"])))
        }
        found += nonNegative(spec.terminationGracePeriodSeconds, path + ".terminationGracePeriodSeconds")
        return found
    }

    /// Requests and limits are non-negative, and a request never exceeds its limit (a zero limit
    /// means "no limit" in the model, as an absent one does upstream).
    static func resourceErrors(_ container: Container, _ path: String) -> [FieldError] {
        var found: [FieldError] = []
        let requests = container.requests, limits = container.limits
        for (name, amount, text) in [("cpu", requests.milliCPU, Quantity.formatMilliCPU(requests.milliCPU)),
                                     ("memory", requests.memoryBytes, Quantity.formatBytes(requests.memoryBytes))] where amount < 0 {
            found.append(FieldError(path + ".requests[\(name)]", .invalid(value: quoted(text)), "must be greater than or equal to 0"))
        }
        for (name, amount, text) in [("cpu", limits.milliCPU, Quantity.formatMilliCPU(limits.milliCPU)),
                                     ("memory", limits.memoryBytes, Quantity.formatBytes(limits.memoryBytes))] where amount < 0 {
            found.append(FieldError(path + ".limits[\(name)]", .invalid(value: quoted(text)), "must be greater than or equal to 0"))
        }
        if limits.milliCPU > 0 && requests.milliCPU > limits.milliCPU {
            found.append(FieldError(path + ".requests", .invalid(value: quoted(Quantity.formatMilliCPU(requests.milliCPU))),
                                    "must be less than or equal to cpu limit of \(Quantity.formatMilliCPU(limits.milliCPU))"))
        }
        if limits.memoryBytes > 0 && requests.memoryBytes > limits.memoryBytes {
            found.append(FieldError(path + ".requests", .invalid(value: quoted(Quantity.formatBytes(requests.memoryBytes))),
                                    "must be less than or equal to memory limit of \(Quantity.formatBytes(limits.memoryBytes))"))
        }
        return found
    }

    static func tolerationErrors(_ toleration: Toleration, _ path: String) -> [FieldError] {
        var found: [FieldError] = []
        if !toleration.key.isEmpty { found += qualifiedName(toleration.key, path + ".key") }
        switch toleration.operator {
        case .exists:
            if !toleration.value.isEmpty {
                found.append(FieldError(path + ".operator", .invalid(value: quoted(toleration.value)), "value must be empty when `operator` is 'Exists'"))
            }
        case .equal:
            if toleration.key.isEmpty {
                found.append(FieldError(path + ".operator", .invalid(value: quoted("Equal")),
                                        "operator must be Exists when `key` is empty, which means \"match all values and all keys\""))
            }
            found += labelValue(toleration.value, path + ".value")
        }
        if toleration.tolerationSeconds != nil && toleration.effect != .noExecute {
            found.append(FieldError(path + ".effect", .invalid(value: quoted(toleration.effect?.rawValue ?? "")),
                                    "effect must be 'NoExecute' when `tolerationSeconds` is set"))
        }
        return found
    }

    static func serviceErrors(_ service: Service) -> [FieldError] {
        var found: [FieldError] = []
        if service.ports.isEmpty { found.append(FieldError("spec.ports", .required)) }
        var names: [String] = []
        var numbers: [Int] = []
        for (index, port) in service.ports.enumerated() {
            let path = "spec.ports[\(index)]"
            if port.name.isEmpty {
                // With several ports, endpoints and DNS SRV records need names to tell them apart.
                if service.ports.count > 1 { found.append(FieldError(path + ".name", .required)) }
            } else if names.contains(port.name) {
                found.append(FieldError(path + ".name", .duplicate(value: quoted(port.name))))
            } else {
                found += dns1123Label(port.name, path + ".name")
            }
            names.append(port.name)
            found += portNumber(port.port, path + ".port")
            if numbers.contains(port.port) {
                found.append(FieldError(path, .duplicate(value: "core.ServicePort{Name:\(quoted(port.name)), Protocol:\"TCP\", Port:\(port.port)}")))
            }
            numbers.append(port.port)
            found += portNumber(port.targetPort, path + ".targetPort")
        }
        found += labelErrors(service.selector, "spec.selector")
        return found
    }

    static func nodeErrors(_ node: Node) -> [FieldError] {
        var found: [FieldError] = []
        let capacity = node.status.capacity, allocatable = node.status.allocatable
        let fields: [(name: String, capacity: Int64, allocatable: Int64, format: (Int64) -> String)] = [
            ("cpu", capacity.milliCPU, allocatable.milliCPU, Quantity.formatMilliCPU),
            ("memory", capacity.memoryBytes, allocatable.memoryBytes, Quantity.formatBytes),
            ("pods", capacity.pods, allocatable.pods, { String($0) }),
        ]
        for field in fields where field.capacity < 0 {
            found.append(FieldError("status.capacity[\(field.name)]", .invalid(value: quoted(field.format(field.capacity))), "must be greater than or equal to 0"))
        }
        for field in fields where field.allocatable < 0 {
            found.append(FieldError("status.allocatable[\(field.name)]", .invalid(value: quoted(field.format(field.allocatable))), "must be greater than or equal to 0"))
        }
        for field in fields where field.allocatable > field.capacity && field.capacity >= 0 {
            found.append(FieldError("status.allocatable[\(field.name)]", .invalid(value: quoted(field.format(field.allocatable))),
                                    "must be less than or equal to capacity \(field.format(field.capacity))"))
        }
        var seen: [String] = []
        for (index, taint) in node.taints.enumerated() {
            let path = "spec.taints[\(index)]"
            if taint.key.isEmpty { found.append(FieldError(path + ".key", .required)) } else { found += qualifiedName(taint.key, path + ".key") }
            found += labelValue(taint.value, path + ".value")
            // A taint is identified by key and effect: two with the same pair are ambiguous.
            let identity = "\(taint.key):\(taint.effect.rawValue)"
            if seen.contains(identity) { found.append(FieldError(path, .duplicate(value: quoted(identity)), "")) }
            seen.append(identity)
        }
        return found
    }

    // MARK: Updates

    static func immutabilityErrors(old: KubeObject, new: KubeObject, subresource: ApiSubresource?) -> [FieldError] {
        var found: [FieldError] = []
        let oldMeta = old.metadata, newMeta = new.metadata
        if oldMeta.uid != 0 && newMeta.uid != oldMeta.uid {
            found.append(FieldError("metadata.uid", .invalid(value: quoted(String(newMeta.uid))), "field is immutable"))
        }
        if newMeta.name != oldMeta.name {
            found.append(FieldError("metadata.name", .invalid(value: quoted(newMeta.name)), "field is immutable"))
        }
        if newMeta.namespace != oldMeta.namespace {
            found.append(FieldError("metadata.namespace", .invalid(value: quoted(newMeta.namespace)), "field is immutable"))
        }
        switch (old, new) {
        case (.deployment(let before), .deployment(let after)):
            if before.spec.selector != after.spec.selector {
                found.append(FieldError("spec.selector", .invalid(value: printed(after.spec.selector)), "field is immutable"))
            }
        case (.replicaSet(let before), .replicaSet(let after)):
            if before.spec.selector != after.spec.selector {
                found.append(FieldError("spec.selector", .invalid(value: printed(after.spec.selector)), "field is immutable"))
            }
        case (.pod(let before), .pod(let after)):
            found += podUpdateErrors(before.spec, after.spec, subresource: subresource)
        case (.node, _), (.service, _), (.lease, _), (.endpointSlice, _), (.namespace, _), (.clusterRole, _), (.clusterRoleBinding, _),
             (.deployment, _), (.replicaSet, _), (.pod, _):
            if old.resource != new.resource {
                found.append(FieldError("kind", .invalid(value: quoted(new.resource.kindName)), "may not change from \(old.resource.kindName)"))
            }
        }
        return found
    }

    /// A pod's spec is fixed once created: only images change, tolerations may be added, and
    /// `nodeName` is set once by the binding subresource (the status subresource ignores spec).
    static func podUpdateErrors(_ before: PodSpec, _ after: PodSpec, subresource: ApiSubresource?) -> [FieldError] {
        switch subresource {
        case .status: return []
        case .binding:
            return before.nodeName == nil && after.nodeName != nil ? [] : [FieldError("target.name", .required)]
        case nil: break
        }
        if after.nodeName != before.nodeName {
            return [FieldError("spec.nodeName", .invalid(value: quoted(after.nodeName ?? "")), "field is immutable; only the binding subresource sets it")]
        }
        var comparable = after
        comparable.tolerations = before.tolerations
        for index in comparable.containers.indices where index < before.containers.count {
            comparable.containers[index].image = before.containers[index].image
        }
        let onlyAdditions = before.tolerations.allSatisfy { after.tolerations.contains($0) }
        guard comparable == before && onlyAdditions else {
            return [FieldError("spec", .forbidden,
                               "pod updates may not change fields other than `spec.containers[*].image`, `spec.tolerations` (only additions to existing tolerations)")]
        }
        return []
    }
}
