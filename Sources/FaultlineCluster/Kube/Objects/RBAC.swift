/// One rule of a Role or ClusterRole: `verbs` on `resources` (`*` matches all).
public struct PolicyRule: Sendable, Hashable {
    public var verbs: [String]
    public var resources: [String]
    public init(verbs: [String], resources: [String]) {
        self.verbs = verbs
        self.resources = resources
    }
}

/// A `rbac.authorization.k8s.io/v1` ClusterRole (or a namespaced Role when `metadata.namespace` is set).
public struct Role: Sendable, Hashable {
    public var metadata: ObjectMeta
    public var rules: [PolicyRule]
    public init(metadata: ObjectMeta, rules: [PolicyRule]) {
        self.metadata = metadata
        self.rules = rules
    }
}

/// A (Cluster)RoleBinding: grants `roleName` to users and groups.
public struct RoleBinding: Sendable, Hashable {
    public var metadata: ObjectMeta
    public var roleName: String
    /// User names (`system:kube-scheduler`) and groups (`system:nodes`, `system:masters`).
    public var subjects: [String]
    public init(metadata: ObjectMeta, roleName: String, subjects: [String]) {
        self.metadata = metadata
        self.roleName = roleName
        self.subjects = subjects
    }
}
