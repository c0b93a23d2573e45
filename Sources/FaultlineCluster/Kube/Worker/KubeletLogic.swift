import FaultlineSim

/// A worker's kubelet (a host process, not a pod): it registers its Node, renews its node Lease every
/// `nodeLeaseDurationSeconds / 4` (10 s), computes its node status every 10 s and posts it when it
/// changed or 5 minutes passed, and runs the pods bound to it through the container runtime:
/// admission against allocatable, start, CrashLoopBackOff restarts, readiness, status reports, the
/// graceful stop and final delete of terminating pods. It talks to the apiservers only through the
/// load balancer, so losing the balancer is losing the kubelet, as far as the control plane knows.
///
/// Invariants: at most one status write per pod and one lease and node-status write in flight; pods
/// are synced in key order; containers found running after a kubelet restart are adopted, never
/// restarted (containers outlive the kubelet); orphan containers are stopped only once the pod
/// informer has synced (before that, an empty cache is not evidence that a pod is gone).
public struct KubeletLogic: ProcessLogic {
    enum Token {
        static let register: UInt64 = 1, lease: UInt64 = 2, status: UInt64 = 3, relist: UInt64 = 4, runtimeCheck: UInt64 = 5
    }
    /// PLEG's relist period.
    static let relistPeriodMs: Int64 = 1_000
    static let runtimeCheckPeriodMs: Int64 = 5_000
    /// CrashLoopBackOff: first restart at once, then 10 s doubling to 5 min, reset after 10 min running.
    static let initialBackOffMs: Int64 = 10_000
    static let maxBackOffMs: Int64 = 300_000
    static let backOffResetMs: Int64 = 600_000
    static let nodeLeaseNamespace = "kube-node-lease"

    enum Call {
        case registerNode, lease(create: Bool), nodeGet, nodeStatus, podStatus(key: String), finalDelete(key: String)
    }

    public let nodeName: String
    let template: Node
    let flags: KubeletFlags
    let readinessDelayMs: Int64
    let user: ApiUser
    /// For the loops' jitter: kubelet runs its lease and status loops with `wait.JitterUntil(..., 0.04)`.
    var random: SimRandom
    static let jitterFactor = 0.04
    var registered = false
    var registerBackOffMs: Int64 = 100
    var leaseExists = false
    var leaseInFlight = false
    /// Failed attempts of the current renewal (`retryUpdateLease`: up to 5, at once).
    var leaseAttempts = 0
    static let maxLeaseAttempts = 5
    var statusInFlight = false
    /// The Ready condition last posted, and when (nil: never in this incarnation).
    var posted: (ready: ConditionStatus, reason: String, at: SimInstant)?
    /// When the runtime last answered, on the kubelet's clock; and what the kubelet concluded.
    var runtimeAnsweredAt: SimInstant?
    var runtimeUp = true
    /// The runtime's containers at the last relist, by pod key.
    var containers: [String: RuntimeContainer] = [:]
    var runtimeGeneration: UInt64 = 0
    var podsDirty = true
    /// Pods admitted to run here, and pods rejected (they fail with `OutOf<resource>`).
    var admitted: Set<String> = []
    var crashLoops: [String: (restarts: Int, exitedAt: SimInstant, restartAt: SimInstant)] = [:]
    var podWrites: Set<String> = []
    var tagCounter: UInt64 = 0
    var calls: [UInt64: Call] = [:]

    public init(node: Node, flags: KubeletFlags, readinessDelayMs: Int64, random: SimRandom) {
        self.random = random
        self.nodeName = node.metadata.name
        self.template = node
        self.flags = flags
        self.readinessDelayMs = readinessDelayMs
        self.user = .node(node.metadata.name)
    }

    public static func informers(nodeName: String) -> [InformerConfig] {
        var pods = InformerConfig(resource: .pods, user: .node(nodeName))
        pods.nodeNameSelector = nodeName
        return [pods]
    }

    // MARK: Lifecycle and timers

    public mutating func started(_ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        register(view, &out)
        // Kubelets start at different moments of a real cluster's life: the loops start at a random
        // phase, so a fault lands anywhere in a node's renewal cycle.
        out.after(1 + Int64(random.unitInterval() * Double(flags.leaseRenewIntervalMs)), token: Token.lease)
        out.after(1 + Int64(random.unitInterval() * Double(flags.nodeStatusUpdateFrequencyMs)), token: Token.status)
        out.after(Self.relistPeriodMs, token: Token.relist)
        out.after(Self.runtimeCheckPeriodMs, token: Token.runtimeCheck)
        out.runtimeCalls.append(.relist(knownGeneration: runtimeGeneration))
    }

    public mutating func startedLeading(_ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {}

    public mutating func timer(_ token: UInt64, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        switch token {
        case Token.register:
            register(view, &out)
        case Token.lease:
            out.after(jittered(flags.leaseRenewIntervalMs), token: Token.lease)
            renewLease(view, &out)
        case Token.status:
            out.after(jittered(flags.nodeStatusUpdateFrequencyMs), token: Token.status)
            postStatusIfDue(view, &out)
        case Token.relist:
            out.after(Self.relistPeriodMs, token: Token.relist)
            out.runtimeCalls.append(.relist(knownGeneration: runtimeGeneration))
        case Token.runtimeCheck:
            out.after(Self.runtimeCheckPeriodMs, token: Token.runtimeCheck)
            let up = runtimeAnsweredAt.map { view.localNow < $0 + .milliseconds(flags.runtimeDownAfterMs) } ?? false
            if up != runtimeUp {
                runtimeUp = up
                out.workerObservations.append(.runtimeStatus(node: nodeName, up: up))
                postStatusIfDue(view, &out)
            }
        default:
            podsDirty = true  // a crash-loop back-off ended
            sync(view, informers, &out)
        }
    }

    public mutating func informerEvent(_ index: Int, _ event: InformerEvent, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        switch event {
        case .added, .updated, .deleted, .synced:
            podsDirty = true
            sync(view, informers, &out)
        case .observedResourceVersion:
            break
        }
    }

    public mutating func runtimeAnswered(_ answer: RuntimeAnswer, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        switch answer {
        case .unavailable:
            return
        case .unchanged:
            break
        case .containers(let listing, let generation):
            runtimeGeneration = generation
            var byKey: [String: RuntimeContainer] = [:]
            byKey.reserveCapacity(listing.count)
            for container in listing { byKey[container.podKey] = container }
            containers = byKey
            podsDirty = true
        }
        runtimeAnsweredAt = view.localNow
        if !runtimeUp {
            runtimeUp = true
            out.workerObservations.append(.runtimeStatus(node: nodeName, up: true))
            postStatusIfDue(view, &out)
        }
        sync(view, informers, &out)
    }

    // MARK: Node registration, lease, status

    mutating func register(_ view: ProcessView, _ out: inout ProcessOutbox) {
        var node = template
        node.status.lastHeartbeat = view.localNow
        node.status.readyTransition = view.now
        node.status.ready = .isTrue
        node.status.readyReason = "KubeletReady"
        var request = ApiRequest(id: 0, user: user, verb: .create, resource: .nodes, name: nodeName)
        request.object = .node(node)
        send(request, .registerNode, &out)
    }

    mutating func renewLease(_ view: ProcessView, _ out: inout ProcessOutbox) {
        guard !leaseInFlight else { return }
        var lease = Lease(metadata: ObjectMeta(name: nodeName, namespace: Self.nodeLeaseNamespace), holderIdentity: nodeName,
                          leaseDurationSeconds: flags.nodeLeaseDurationSeconds)
        lease.renewTime = view.localNow
        var request = ApiRequest(id: 0, user: user, verb: leaseExists ? .update : .create, resource: .leases,
                                 namespace: Self.nodeLeaseNamespace, name: nodeName)
        request.object = .lease(lease)
        leaseInFlight = true
        send(request, .lease(create: !leaseExists), &out)
    }

    /// `period * (1 + jitter * U[0, 1))`, as `wait.Jitter` draws it.
    mutating func jittered(_ periodMs: Int64) -> Int64 {
        periodMs + Int64(Double(periodMs) * Self.jitterFactor * random.unitInterval())
    }

    var readyCondition: (ConditionStatus, String) {
        runtimeUp ? (.isTrue, "KubeletReady") : (.isFalse, "container runtime is down")
    }

    /// Starts a status sync (`tryUpdateNodeStatus`): first a GET of its Node from the apiserver's cache
    /// (`resourceVersion=0`), since what to post is decided against the server's copy, not against
    /// what this kubelet posted last — the node lifecycle controller may have set Ready=Unknown
    /// meanwhile, and the kubelet must put it back at its next sync, not 5 minutes later.
    mutating func postStatusIfDue(_ view: ProcessView, _ out: inout ProcessOutbox) {
        guard registered, !statusInFlight else { return }
        var request = ApiRequest(id: 0, user: user, verb: .get, resource: .nodes, name: nodeName)
        request.consistency = .any
        statusInFlight = true
        send(request, .nodeGet, &out)
    }

    /// The second half of a status sync: posts the status when the server's Ready condition differs
    /// from the kubelet's, or `nodeStatusReportFrequency` (5 min) passed since the last post.
    mutating func postStatus(against server: Node, _ view: ProcessView, _ out: inout ProcessOutbox) {
        let (ready, reason) = readyCondition
        let changed = server.status.ready != ready || server.status.readyReason != reason
        if !changed, let posted, view.localNow < posted.at + .milliseconds(flags.nodeStatusReportFrequencyMs) {
            statusInFlight = false
            return
        }
        var node = template
        node.status.ready = ready
        node.status.readyReason = reason
        node.status.lastHeartbeat = view.localNow
        node.status.readyTransition = changed ? view.now : server.status.readyTransition
        var request = ApiRequest(id: 0, user: user, verb: .update, resource: .nodes, name: nodeName)
        request.subresource = .status
        request.object = .node(node)
        posted = (ready, reason, view.localNow)
        send(request, .nodeStatus, &out)
    }

    // MARK: API calls

    mutating func send(_ request: ApiRequest, _ call: Call, _ out: inout ProcessOutbox) {
        tagCounter += 1
        calls[tagCounter] = call
        out.send(request, tag: tagCounter)
    }

    public mutating func completed(_ tag: UInt64, _ result: ApiResult, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        if case .nodeGet? = calls[tag] {
            calls[tag] = nil
            guard case .object(.node(let server)) = result else { statusInFlight = false; return }
            return postStatus(against: server, view, &out)
        }
        settle(tag, failure: nil, view, informers, &out)
    }

    public mutating func failed(_ tag: UInt64, _ failure: ClientFailure, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        settle(tag, failure: failure, view, informers, &out)
    }

    mutating func settle(_ tag: UInt64, failure: ClientFailure?, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        guard let call = calls.removeValue(forKey: tag) else { return }
        var code: ApiStatusCode?
        if case .status(let status)? = failure { code = status.code }
        switch call {
        case .registerNode:
            if failure == nil || code == .conflict {
                registered = true
                posted = nil
                postStatusIfDue(view, &out)
            } else {
                // registerWithAPIServer: 100 ms doubling to 7 s.
                out.after(registerBackOffMs, token: Token.register)
                registerBackOffMs = min(registerBackOffMs * 2, 7_000)
            }
        case .lease(let create):
            leaseInFlight = false
            if failure == nil || (create && code == .conflict) {
                leaseExists = true
                leaseAttempts = 0
                return
            }
            if code == .notFound { leaseExists = false }
            // Upstream retries at once, and from the second failure on closes every connection
            // (`onRepeatedHeartbeatFailure`): a stuck or failing apiserver behind the load balancer is
            // left for another one.
            leaseAttempts += 1
            if leaseAttempts >= 2 { out.closeConnection = true }
            if leaseAttempts < Self.maxLeaseAttempts {
                renewLease(view, &out)
            } else {
                leaseAttempts = 0
            }
        case .nodeGet:
            statusInFlight = false
            if code == .notFound { registered = false; register(view, &out) }
        case .nodeStatus:
            statusInFlight = false
            if failure != nil { posted = nil }  // post again on the next tick
            if code == .notFound { registered = false; register(view, &out) }
        case .podStatus(let key), .finalDelete(let key):
            podWrites.remove(key)
            if failure != nil { podsDirty = true }
        }
    }
}
