import FaultlineSim

/// The state of one pod's containers on a node, as the runtime keeps it (the model runs a pod's
/// containers as one unit).
public struct RuntimeContainer: Sendable, Hashable {
    public enum State: Sendable, Hashable {
        /// Pulling the image and starting; `token` names the runtime's pending start.
        case creating(token: UInt64)
        case running(since: SimInstant)
        case exited(code: Int, at: SimInstant)
    }
    public let podKey: String
    public let uid: UInt64
    public var state: State
    public var address: String
    /// How many times it was started (the kubelet reports `restartCount = attempts - 1`).
    public var attempts: Int
    public let requests: ResourceList
    /// When the current or last run started.
    public var startedAt: SimInstant = .start

    public var isRunning: Bool {
        if case .running = state { return true }
        return false
    }
}

/// A call the kubelet makes to the runtime over the node's CRI socket.
public enum RuntimeCall: Sendable, Hashable {
    /// RunPodSandbox + CreateContainer + StartContainer (pulling the image first when needed).
    case start(podKey: String, uid: UInt64, image: String, requests: ResourceList)
    /// StopContainer + RemovePodSandbox.
    case stop(podKey: String, uid: UInt64)
    /// The pod lifecycle event generator's relist (ListContainers) and the runtime's Status;
    /// `knownGeneration` is the runtime generation of the caller's last listing.
    case relist(knownGeneration: UInt64)
}

/// What the runtime answered a relist with: every container it knows, sorted by pod key, or nothing
/// when it is down (the socket refuses the connection).
public enum RuntimeAnswer: Sendable {
    case containers([RuntimeContainer], generation: UInt64)
    /// Up, and nothing changed since the caller's last listing.
    case unchanged
    case unavailable
}

/// containerd on one node: containers, the image cache, addresses.
///
/// Invariants: at most one container per pod key; a container is `creating` for exactly one pending
/// start token; containers and the address counter live with the node's pods (a machine crash clears
/// them, a containerd restart only aborts starts in progress); the image cache is on disk and
/// survives both.
public struct ContainerRuntime: Sendable {
    public let nodeName: String
    /// By pod key (lookups only; listing sorts).
    public private(set) var containers: [String: RuntimeContainer] = [:]
    var images: Set<String> = []
    var addressCounter = 0
    var tokenCounter: UInt64 = 0
    /// Pending starts by token.
    var pendingStarts: [UInt64: String] = [:]
    /// Bumped on every change, so a relist that finds nothing new costs nothing (PLEG compares too).
    public private(set) var generation: UInt64 = 0
    let addressPrefix: String

    public init(nodeName: String, nodeIndex: Int) {
        self.nodeName = nodeName
        self.addressPrefix = "10.\(64 + nodeIndex / 250).\(nodeIndex % 250)."
    }

    /// Starts a pod's containers: returns the start token and how long the pull and start take, or
    /// nil when the pod already has a live container.
    public mutating func start(podKey: String, uid: UInt64, image: String, requests: ResourceList,
                               pull: LatencyDistribution, startup: LatencyDistribution, random: inout SimRandom, now: SimInstant) -> (token: UInt64, delay: SimDuration)? {
        var attempts = 0
        if let existing = containers[podKey] {
            switch existing.state {
            case .creating, .running:
                if existing.uid == uid { return nil }
            case .exited:
                break
            }
            if existing.uid == uid { attempts = existing.attempts }
        }
        tokenCounter += 1
        var delay = startup.sample(&random)
        if !images.contains(image) {
            delay = delay + pull.sample(&random)
            images.insert(image)  // the pull completes with the start; a crash mid-pull only costs time
        }
        let address: String
        if let existing = containers[podKey], existing.uid == uid {
            address = existing.address
        } else {
            addressCounter += 1
            address = addressPrefix + "\(addressCounter)"
        }
        containers[podKey] = RuntimeContainer(podKey: podKey, uid: uid, state: .creating(token: tokenCounter), address: address,
                                              attempts: attempts, requests: requests)
        generation += 1
        pendingStarts[tokenCounter] = podKey
        return (tokenCounter, delay)
    }

    /// A pending start finished: the container runs. Returns it, or nil when the start was aborted.
    public mutating func startFinished(token: UInt64, now: SimInstant) -> RuntimeContainer? {
        guard let key = pendingStarts.removeValue(forKey: token), var container = containers[key],
              container.state == .creating(token: token) else { return nil }
        container.state = .running(since: now)
        container.startedAt = now
        container.attempts += 1
        containers[key] = container
        generation += 1
        return container
    }

    /// Stops and removes a pod's containers; returns what was running.
    public mutating func stop(podKey: String, uid: UInt64) -> RuntimeContainer? {
        guard let container = containers[podKey], container.uid == uid else { return nil }
        containers[podKey] = nil
        if case .creating(let token) = container.state { pendingStarts[token] = nil }
        generation += 1
        return container.isRunning ? container : nil
    }

    /// The container's process exits on its own (or is killed: `code` 137).
    public mutating func exit(podKey: String, code: Int, now: SimInstant) -> RuntimeContainer? {
        guard var container = containers[podKey], container.isRunning else { return nil }
        container.state = .exited(code: code, at: now)
        containers[podKey] = container
        generation += 1
        return container
    }

    /// containerd restarted: starts in progress are lost; running and exited containers stay.
    public mutating func daemonRestarted() {
        for (token, key) in pendingStarts.sorted(by: { $0.key < $1.key }) {
            if let container = containers[key], container.state == .creating(token: token) { containers[key] = nil; generation += 1 }
        }
        pendingStarts.removeAll()
    }

    /// The machine went down: every container is gone. Returns those that were running, sorted.
    public mutating func machineCrashed() -> [RuntimeContainer] {
        let running = containers.values.filter(\.isRunning).sorted { $0.podKey < $1.podKey }
        containers.removeAll()
        pendingStarts.removeAll()
        generation += 1
        return running
    }

    /// Every container, sorted by pod key (the CRI ListContainers answer).
    public var listing: [RuntimeContainer] { containers.values.sorted { $0.podKey < $1.podKey } }

    /// Whether a running container serves `podKey` here.
    public func serves(_ podKey: String) -> Bool { containers[podKey]?.isRunning ?? false }

    /// The running containers of pods whose key starts with `prefix`-less keys, sorted (for targets).
    public var runningPodKeys: [String] { containers.values.filter(\.isRunning).map(\.podKey).sorted() }
}
