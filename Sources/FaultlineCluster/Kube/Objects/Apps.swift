import FaultlineSim

/// An absolute number or a percentage (`maxSurge: 25%`).
public enum IntOrPercent: Sendable, Hashable, CustomStringConvertible {
    case count(Int)
    case percent(Int)

    /// Kubernetes' `GetScaledValueFromIntOrPercent`: a percentage of `total`, rounded up or down.
    public func scaled(_ total: Int, roundUp: Bool) -> Int {
        switch self {
        case .count(let value): return value
        case .percent(let percent):
            let product = percent * total
            return roundUp ? (product + 99) / 100 : product / 100
        }
    }

    public var description: String {
        switch self {
        case .count(let value): return String(value)
        case .percent(let value): return "\(value)%"
        }
    }
}

/// `spec.strategy` of a Deployment.
public enum DeploymentStrategy: Sendable, Hashable {
    /// `RollingUpdate` with `maxSurge` and `maxUnavailable` (both 25% by default).
    case rollingUpdate(maxSurge: IntOrPercent, maxUnavailable: IntOrPercent)
    /// `Recreate`: scale the old ReplicaSets to zero, then the new one up.
    case recreate

    public static let `default` = DeploymentStrategy.rollingUpdate(maxSurge: .percent(25), maxUnavailable: .percent(25))
}

/// A Deployment's `spec`.
public struct DeploymentSpec: Sendable, Hashable {
    public var replicas: Int = 1
    /// `selector.matchLabels`.
    public var selector: StringPairs
    public var template: PodTemplate
    public var strategy: DeploymentStrategy = .default
    public var minReadySeconds: Int64 = 0
    public var revisionHistoryLimit: Int = 10
    /// `progressDeadlineSeconds` (600 by default).
    public var progressDeadlineSeconds: Int64 = 600
    public var paused: Bool = false

    public init(selector: StringPairs, template: PodTemplate) {
        self.selector = selector
        self.template = template
    }
}

/// A Deployment's `status`.
public struct DeploymentStatus: Sendable, Hashable {
    public var observedGeneration: Int64 = 0
    public var replicas: Int = 0
    public var updatedReplicas: Int = 0
    public var readyReplicas: Int = 0
    public var availableReplicas: Int = 0
    public var unavailableReplicas: Int = 0
    public init() {}
}

/// An `apps/v1` Deployment.
public struct Deployment: Sendable, Hashable {
    public var metadata: ObjectMeta
    public var spec: DeploymentSpec
    public var status = DeploymentStatus()

    public init(metadata: ObjectMeta, spec: DeploymentSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    /// The rollout is complete: the controller saw the latest spec and every replica is updated and
    /// available, with no old replicas left (what `kubectl rollout status` waits for).
    public var isComplete: Bool {
        status.observedGeneration >= metadata.generation && status.updatedReplicas == spec.replicas
            && status.replicas == spec.replicas && status.availableReplicas == spec.replicas
    }
}

/// A ReplicaSet's `spec`.
public struct ReplicaSetSpec: Sendable, Hashable {
    public var replicas: Int
    public var selector: StringPairs
    public var template: PodTemplate
    public var minReadySeconds: Int64 = 0

    public init(replicas: Int, selector: StringPairs, template: PodTemplate) {
        self.replicas = replicas
        self.selector = selector
        self.template = template
    }
}

/// A ReplicaSet's `status`.
public struct ReplicaSetStatus: Sendable, Hashable {
    public var observedGeneration: Int64 = 0
    public var replicas: Int = 0
    public var readyReplicas: Int = 0
    public var availableReplicas: Int = 0
    public init() {}
}

/// An `apps/v1` ReplicaSet.
public struct ReplicaSet: Sendable, Hashable {
    public var metadata: ObjectMeta
    public var spec: ReplicaSetSpec
    public var status = ReplicaSetStatus()

    public init(metadata: ObjectMeta, spec: ReplicaSetSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    /// `deployment.kubernetes.io/revision`, 0 when absent.
    public var revision: Int { Int(metadata.annotations["deployment.kubernetes.io/revision"] ?? "") ?? 0 }
}
