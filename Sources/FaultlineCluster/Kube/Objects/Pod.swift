import FaultlineSim

/// A taint effect (`NoSchedule`, `PreferNoSchedule`, `NoExecute`).
public enum TaintEffect: String, Sendable, Hashable, CaseIterable {
    case noSchedule = "NoSchedule"
    case preferNoSchedule = "PreferNoSchedule"
    case noExecute = "NoExecute"
}

/// `node.spec.taints[]`.
public struct Taint: Sendable, Hashable {
    public var key: String
    public var value: String
    public var effect: TaintEffect
    /// When a NoExecute taint was added (the taint manager counts tolerations from it).
    public var timeAdded: SimInstant?

    public init(key: String, value: String = "", effect: TaintEffect, timeAdded: SimInstant? = nil) {
        self.key = key
        self.value = value
        self.effect = effect
        self.timeAdded = timeAdded
    }
}

/// `pod.spec.tolerations[]`.
public struct Toleration: Sendable, Hashable {
    public enum Operator: String, Sendable, Hashable { case equal = "Equal", exists = "Exists" }
    /// Empty with `exists` tolerates every taint.
    public var key: String
    public var `operator`: Operator
    public var value: String
    /// nil tolerates every effect.
    public var effect: TaintEffect?
    /// For NoExecute: how long the pod stays bound after the taint appears (nil: forever).
    public var tolerationSeconds: Int64?

    public init(key: String, operator: Operator = .equal, value: String = "", effect: TaintEffect? = nil, tolerationSeconds: Int64? = nil) {
        self.key = key
        self.operator = `operator`
        self.value = value
        self.effect = effect
        self.tolerationSeconds = tolerationSeconds
    }

    /// Kubernetes' `Toleration.ToleratesTaint`.
    public func tolerates(_ taint: Taint) -> Bool {
        if let effect, effect != taint.effect { return false }
        if !key.isEmpty && key != taint.key { return false }
        switch self.operator {
        case .exists: return true
        case .equal: return value == taint.value
        }
    }
}

/// `spec.containers[]` (what scheduling and the runtime need).
public struct Container: Sendable, Hashable {
    public var name: String
    public var image: String
    public var requests: ResourceList
    public var limits: ResourceList

    public init(name: String, image: String, requests: ResourceList = .zero, limits: ResourceList = .zero) {
        self.name = name
        self.image = image
        self.requests = requests
        self.limits = limits
    }
}

/// A pod template's `spec` and a pod's `spec`.
public struct PodSpec: Sendable, Hashable {
    public var containers: [Container]
    public var nodeSelector = StringPairs()
    public var tolerations: [Toleration] = []
    /// Set once, by the Binding subresource (the scheduler); never changed afterwards.
    public var nodeName: String?
    public var schedulerName: String = "default-scheduler"
    public var terminationGracePeriodSeconds: Int64 = 30
    public var restartPolicy: String = "Always"

    public init(containers: [Container]) { self.containers = containers }

    /// The sum of the containers' requests plus one pod (what the scheduler and kubelet admit).
    public var requests: ResourceList {
        containers.reduce(ResourceList(pods: 1)) { $0 + ResourceList(milliCPU: $1.requests.milliCPU, memoryBytes: $1.requests.memoryBytes) }
    }
}

/// `spec.template` of a Deployment or ReplicaSet.
public struct PodTemplate: Sendable, Hashable {
    public var labels = StringPairs()
    public var annotations = StringPairs()
    public var spec: PodSpec

    public init(labels: StringPairs = StringPairs(), spec: PodSpec) {
        self.labels = labels
        self.spec = spec
    }

    /// A stable digest of the template, the model's `pod-template-hash` (Kubernetes hashes the
    /// template with FNV; any stable function of the template serves the same purpose).
    public var templateHash: String {
        var hash = labels.traceDigest
        for container in spec.containers {
            hash = mixHash(hash, stableHash(container.name) ^ stableHash(container.image))
            hash = mixHash(hash, UInt64(bitPattern: container.requests.milliCPU) ^ UInt64(bitPattern: container.requests.memoryBytes) << 1)
        }
        hash = mixHash(hash, spec.nodeSelector.traceDigest)
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        var text = ""
        for _ in 0..<10 {
            text.append(alphabet[Int(hash % UInt64(alphabet.count))])
            hash /= UInt64(alphabet.count)
        }
        return text
    }
}

/// `pod.status.phase`.
public enum PodPhase: String, Sendable, Hashable {
    case pending = "Pending", running = "Running", succeeded = "Succeeded", failed = "Failed", unknown = "Unknown"
}

/// `pod.status` (what controllers and the endpoints read).
public struct PodStatus: Sendable, Hashable {
    public var phase: PodPhase = .pending
    /// The Ready condition.
    public var ready: Bool = false
    /// When Ready last became true (availability counts `minReadySeconds` from it).
    public var readySince: SimInstant?
    public var podIP: String = ""
    public var restartCount: Int = 0
    public var reason: String = ""

    public init() {}
}

/// A `v1` Pod.
public struct Pod: Sendable, Hashable {
    public var metadata: ObjectMeta
    public var spec: PodSpec
    public var status = PodStatus()

    public init(metadata: ObjectMeta, spec: PodSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    /// Bound, not terminating, not finished: it counts against its node and its ReplicaSet.
    public var isActive: Bool {
        metadata.deletionTimestamp == nil && status.phase != .succeeded && status.phase != .failed
    }

    /// Ready for at least `minReadySeconds` at `now` (Kubernetes' `IsPodAvailable`).
    public func isAvailable(minReadySeconds: Int64, at now: SimInstant) -> Bool {
        guard status.ready, let since = status.readySince else { return false }
        return minReadySeconds == 0 || since + .seconds(minReadySeconds) <= now
    }
}
