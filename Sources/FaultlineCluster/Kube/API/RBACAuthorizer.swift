import FaultlineSim

/// The answer of `RBACAuthorizer.authorize`.
public enum AuthorizationDecision: Sendable, Hashable {
    case allow
    /// 403 Forbidden with kube-apiserver's message.
    case deny(ApiStatus)

    public var isAllowed: Bool {
        switch self {
        case .allow: return true
        case .deny: return false
        }
    }
}

/// Which authorizer of the chain allowed a request (for traces and tests).
public enum AuthorizerName: String, Sendable, Hashable {
    /// `system:masters`: kube-apiserver's privileged-group short cut, before any mode.
    case privilegedGroup
    /// The Node authorizer (with the NodeRestriction admission checks folded in).
    case node
    /// RBAC with the bootstrap roles.
    case bootstrapRBAC
    /// RBAC with the scenario's extra roles and bindings.
    case scenarioRBAC
}

/// Authorization as kube-apiserver does it with `--authorization-mode=Node,RBAC`, over the requests
/// the model sends. A pure function of the request and the configured extra roles.
///
/// The chain (first "allow" wins; nothing ever says "deny" early, as with Kubernetes' union
/// authorizer, so an extra grant can always widen access):
/// 1. `system:masters` group: everything (the apiserver's privileged-group authorizer).
/// 2. The Node authorizer, for users `system:node:<name>` in group `system:nodes`: get/list/watch
///    nodes, pods, services and endpointslices; create/update its own Node (and `nodes/status`);
///    get/create/update/delete its own Lease in `kube-node-lease`; update `pods/status` and delete pods
///    bound to it. Kubernetes splits this between the Node authorizer and the NodeRestriction
///    admission plugin (which checks own-node and bound-pod on create and update); the model folds the
///    admission checks in, so cross-node writes are refused here with the 403 message below. It never
///    binds pods.
/// 3. RBAC with the bootstrap roles that matter here (bootstrappolicy, trimmed to the model's
///    resources): `system:kube-scheduler` and `system:kube-controller-manager` (the latter with the
///    controllers' roles collapsed into it, as with `--use-service-account-credentials=false`).
///    Authenticated users and anonymous get nothing on resources.
/// 4. RBAC with the scenario's extra `Role`s and `RoleBinding`s.
///
/// RBAC matching: a rule's verbs match the verb or `*`; its resources match `resource`,
/// `resource/subresource` exactly, `*`, or `*/subresource`. `PolicyRule` in the model carries no API
/// groups, so an extra rule matches in every group. For `create`, the request has no name (the
/// apiserver authorizes create before the name is known), so rules restricted to names never match
/// create.
///
/// Extra bindings: a `RoleBinding` with an empty namespace is a ClusterRoleBinding and refers to a
/// cluster role (a `Role` with an empty namespace); one with a namespace grants only in that namespace
/// and refers to the `Role` of that name there, else to the cluster role of that name. Roles and
/// bindings are searched in array order (never a Dictionary), so the result is deterministic.
///
/// Denials: `ApiStatus(.forbidden, reason: "Forbidden", message:)` with the apiserver's message,
/// e.g. `pods "web-1" is forbidden: User "system:node:worker-2" cannot update resource "pods/status" in
/// API group "" in the namespace "default"` (the resource before "is forbidden" is qualified with its
/// group: `leases.coordination.k8s.io`; without a name: `pods is forbidden: ...`; cluster-scoped:
/// `... at the cluster scope`).
public struct RBACAuthorizer: Sendable {
    /// A bootstrap rule: verbs on resources (with `/subresource`), optionally restricted to names and
    /// to one namespace.
    struct BootstrapRule: Sendable {
        var verbs: [ApiVerb]
        var resources: [String]
        var names: [String] = []
        var namespace: String?
    }

    public private(set) var extraRoles: [Role]
    public private(set) var extraBindings: [RoleBinding]

    public static let mastersGroup = "system:masters"
    public static let nodesGroup = "system:nodes"
    public static let nodeUserPrefix = "system:node:"
    public static let nodeLeaseNamespace = "kube-node-lease"

    public init(extraRoles: [Role] = [], extraBindings: [RoleBinding] = []) {
        self.extraRoles = extraRoles
        self.extraBindings = extraBindings
    }

    /// Adds a role and a binding (the scenario's grants), after the existing ones.
    public mutating func grant(_ role: Role, boundTo binding: RoleBinding) {
        extraRoles.append(role)
        extraBindings.append(binding)
    }

    // MARK: - Deciding

    /// Authorizes `request`. `boundNodeName` is the `spec.nodeName` of the pod a request targets, when
    /// the caller knows it (the Node authorizer needs it for pods/status and pod deletes).
    public func authorize(_ request: ApiRequest, boundNodeName: String? = nil) -> AuthorizationDecision {
        if allowedBy(request, boundNodeName: boundNodeName) != nil { return .allow }
        return .deny(Self.forbidden(request))
    }

    /// The authorizer that allows `request`, nil when it is denied.
    public func allowedBy(_ request: ApiRequest, boundNodeName: String? = nil) -> AuthorizerName? {
        let user = request.user
        if user.groups.contains(Self.mastersGroup) { return .privilegedGroup }
        if let nodeName = Self.nodeName(of: user), Self.nodeAuthorizerAllows(request, nodeName: nodeName, boundNodeName: boundNodeName) {
            return .node
        }
        if bootstrapAllows(request) { return .bootstrapRBAC }
        if extraAllows(request) { return .scenarioRBAC }
        return nil
    }

    /// The node a user acts for: `system:node:<name>` in group `system:nodes`, else nil.
    public static func nodeName(of user: ApiUser) -> String? {
        guard user.name.hasPrefix(nodeUserPrefix), user.groups.contains(nodesGroup) else { return nil }
        let name = String(user.name.dropFirst(nodeUserPrefix.count))
        return name.isEmpty ? nil : name
    }

    /// `resource` or `resource/subresource`, as RBAC and the 403 message spell it.
    public static func resourcePath(_ request: ApiRequest) -> String {
        if let subresource = request.subresource { return "\(request.resource.rawValue)/\(subresource.rawValue)" }
        return request.resource.rawValue
    }

    /// The API group of a resource (`""` for the core group).
    public static func apiGroup(of resource: ResourceKind) -> String {
        switch resource {
        case .namespaces, .nodes, .pods, .services: return ""
        case .deployments, .replicasets: return "apps"
        case .endpointslices: return "discovery.k8s.io"
        case .leases: return "coordination.k8s.io"
        case .clusterroles, .clusterrolebindings: return "rbac.authorization.k8s.io"
        }
    }

    /// kube-apiserver's 403 for `request` (`errors.NewForbidden` around `forbiddenMessage`).
    public static func forbidden(_ request: ApiRequest) -> ApiStatus {
        let group = apiGroup(of: request.resource)
        let qualified = group.isEmpty ? request.resource.rawValue : "\(request.resource.rawValue).\(group)"
        let scope = request.namespace.isEmpty ? "at the cluster scope" : "in the namespace \(quoted(request.namespace))"
        let detail = "User \(quoted(request.user.name)) cannot \(request.verb.rawValue) resource \(quoted(resourcePath(request))) in API group \(quoted(group)) \(scope)"
        let name = attributeName(request)
        let message = name.isEmpty ? "\(qualified) is forbidden: \(detail)" : "\(qualified) \(quoted(name)) is forbidden: \(detail)"
        return ApiStatus(.forbidden, reason: "Forbidden", message: message)
    }

    // MARK: - Node authorizer

    static func nodeAuthorizerAllows(_ request: ApiRequest, nodeName: String, boundNodeName: String?) -> Bool {
        let verb = request.verb
        let isRead: Bool
        switch verb {
        case .get, .list, .watch: isRead = true
        case .create, .update, .delete: isRead = false
        }
        // NodeRestriction checks the object's name on create, where the request has none.
        let target = request.name.isEmpty ? (request.object?.metadata.name ?? "") : request.name
        switch request.resource {
        case .nodes:
            guard let subresource = request.subresource else {
                if isRead { return true }
                return (verb == .create || verb == .update) && target == nodeName
            }
            switch subresource {
            case .status: return verb == .update && target == nodeName
            case .binding: return false
            }
        case .pods:
            guard let subresource = request.subresource else {
                if isRead { return true }
                return verb == .delete && boundNodeName == nodeName
            }
            switch subresource {
            case .status: return verb == .update && boundNodeName == nodeName
            case .binding: return false
            }
        case .services, .endpointslices:
            return isRead && request.subresource == nil
        case .leases:
            guard request.subresource == nil, request.namespace == nodeLeaseNamespace, target == nodeName else { return false }
            switch verb {
            case .get, .create, .update, .delete: return true
            case .list, .watch: return false
            }
        case .namespaces, .deployments, .replicasets, .clusterroles, .clusterrolebindings:
            return false
        }
    }

    // MARK: - RBAC

    /// The name RBAC sees: none for create and for collections.
    static func attributeName(_ request: ApiRequest) -> String {
        switch request.verb {
        case .create: return request.subresource == nil ? "" : request.name
        case .get, .list, .watch, .update, .delete: return request.name
        }
    }

    static let schedulerRules: [BootstrapRule] = [
        BootstrapRule(verbs: [.get, .list, .watch], resources: ["pods", "nodes", "services", "namespaces", "replicasets"]),
        // Preemption deletes victims.
        BootstrapRule(verbs: [.delete], resources: ["pods"]),
        BootstrapRule(verbs: [.create], resources: ["pods/binding"]),
        BootstrapRule(verbs: [.update], resources: ["pods/status"]),
        BootstrapRule(verbs: [.create], resources: ["leases"], namespace: "kube-system"),
        BootstrapRule(verbs: [.get, .update], resources: ["leases"], names: ["kube-scheduler"], namespace: "kube-system"),
    ]

    static let controllerManagerRules: [BootstrapRule] = [
        BootstrapRule(
            verbs: [.get, .list, .watch, .create, .update, .delete],
            resources: ["deployments", "replicasets", "pods", "endpointslices"]),
        BootstrapRule(verbs: [.update], resources: ["deployments/status", "replicasets/status", "pods/status"]),
        // Node lifecycle: taints, conditions, and deleting nodes that are gone.
        BootstrapRule(verbs: [.get, .list, .watch, .update, .delete], resources: ["nodes"]),
        BootstrapRule(verbs: [.update], resources: ["nodes/status"]),
        // Node heartbeats (the node lifecycle controller watches the node Leases).
        BootstrapRule(verbs: [.get, .list, .watch], resources: ["leases"], namespace: nodeLeaseNamespace),
        BootstrapRule(verbs: [.get, .list, .watch], resources: ["services", "namespaces"]),
        BootstrapRule(verbs: [.create], resources: ["leases"], namespace: "kube-system"),
        BootstrapRule(verbs: [.get, .update], resources: ["leases"], names: ["kube-controller-manager"], namespace: "kube-system"),
    ]

    func bootstrapAllows(_ request: ApiRequest) -> Bool {
        let rules: [BootstrapRule]
        switch request.user.name {
        case ApiUser.scheduler.name: rules = Self.schedulerRules
        case ApiUser.controllerManager.name: rules = Self.controllerManagerRules
        default: return false
        }
        let resource = Self.resourcePath(request)
        let name = Self.attributeName(request)
        return rules.contains { rule in
            rule.verbs.contains(request.verb) && rule.resources.contains(resource)
                && (rule.names.isEmpty || rule.names.contains(name))
                && (rule.namespace.map { $0 == request.namespace } ?? true)
        }
    }

    func extraAllows(_ request: ApiRequest) -> Bool {
        let user = request.user
        for binding in extraBindings {
            guard binding.subjects.contains(where: { $0 == user.name || user.groups.contains($0) }) else { continue }
            let bindingNamespace = binding.metadata.namespace
            let role: Role?
            if bindingNamespace.isEmpty {
                role = extraRoles.first { $0.metadata.name == binding.roleName && $0.metadata.namespace.isEmpty }
            } else {
                guard request.resource.isNamespaced, request.namespace == bindingNamespace else { continue }
                role = extraRoles.first { $0.metadata.name == binding.roleName && $0.metadata.namespace == bindingNamespace }
                    ?? extraRoles.first { $0.metadata.name == binding.roleName && $0.metadata.namespace.isEmpty }
            }
            guard let role else { continue }
            if role.rules.contains(where: { Self.ruleMatches($0, request) }) { return true }
        }
        return false
    }

    /// RBAC's `VerbMatches` and `ResourceMatches` for one rule.
    static func ruleMatches(_ rule: PolicyRule, _ request: ApiRequest) -> Bool {
        guard rule.verbs.contains(where: { $0 == "*" || $0 == request.verb.rawValue }) else { return false }
        let combined = resourcePath(request)
        return rule.resources.contains { resource in
            if resource == "*" || resource == combined { return true }
            if let subresource = request.subresource, resource == "*/\(subresource.rawValue)" { return true }
            return false
        }
    }
}

/// Go's `%q` for the plain names the model uses (quotes and backslashes escaped).
private func quoted(_ text: String) -> String {
    var result = "\""
    for character in text {
        switch character {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        default: result.append(character)
        }
    }
    return result + "\""
}
