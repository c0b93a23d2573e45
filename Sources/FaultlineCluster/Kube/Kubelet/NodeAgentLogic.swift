import FaultlineSim

/// A worker's kubelet as far as the control plane needs it before the worker model exists: it runs
/// the pods bound to its node (Running and Ready after an image-pull-and-start latency), finishes
/// their graceful deletion, and keeps its connection through the load balancer alive by reading its
/// Node every `nodeStatusUpdateFrequency` (10 s). Node leases, status and probes come with the
/// worker model.
///
/// Invariant: each pod is started at most once per incarnation (`starting`), and its status is
/// written only while it is bound here and not terminating.
public struct NodeAgentLogic: ProcessLogic {
    static let heartbeatToken: UInt64 = 1
    static let heartbeatMs: Int64 = 10_000
    /// How long containers take to stop after a graceful delete (well under the 30 s grace period).
    static let stopMs: Int64 = 1_000

    public let nodeName: String
    let user: ApiUser
    let startLatency: LatencyDistribution
    var random: SimRandom
    /// Timer tokens of pods being started or stopped, and the pod each is for.
    var pending: [UInt64: (key: String, stop: Bool)] = [:]
    var starting: Set<String> = []
    var stopping: Set<String> = []
    var tagCounter: UInt64 = 0
    var tokenCounter: UInt64 = 1
    var calls: [UInt64: String] = [:]
    var addresses = 0

    public init(nodeName: String, startLatency: LatencyDistribution, random: SimRandom) {
        self.nodeName = nodeName
        self.user = .node(nodeName)
        self.startLatency = startLatency
        self.random = random
    }

    public static func informers(nodeName: String) -> [InformerConfig] {
        var pods = InformerConfig(resource: .pods, user: .node(nodeName))
        pods.nodeNameSelector = nodeName
        return [pods]
    }

    public mutating func started(_ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        out.after(Self.heartbeatMs, token: Self.heartbeatToken)
    }

    public mutating func startedLeading(_ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {}

    public mutating func informerEvent(_ index: Int, _ event: InformerEvent, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        switch event {
        case .added(.pod(let pod)), .updated(_, .pod(let pod)):
            let key = KubeObject.pod(pod).registryKey
            guard pod.spec.nodeName == nodeName else { return }
            if pod.metadata.deletionTimestamp != nil {
                guard !stopping.contains(key) else { return }
                stopping.insert(key)
                schedule(key, stop: true, afterMs: Self.stopMs, &out)
            } else if pod.status.phase == .pending && !starting.contains(key) {
                starting.insert(key)
                let latency = startLatency.sample(&random)
                schedule(key, stop: false, afterMs: max(1, latency.nanoseconds / 1_000_000), &out)
            }
        case .deleted(let object):
            starting.remove(object.registryKey)
            stopping.remove(object.registryKey)
        case .added, .updated, .synced, .observedResourceVersion:
            break
        }
    }

    mutating func schedule(_ key: String, stop: Bool, afterMs: Int64, _ out: inout ProcessOutbox) {
        tokenCounter += 1
        pending[tokenCounter] = (key, stop)
        out.after(afterMs, token: tokenCounter)
    }

    public mutating func timer(_ token: UInt64, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        if token == Self.heartbeatToken {
            out.after(Self.heartbeatMs, token: Self.heartbeatToken)
            send(ApiRequest(id: 0, user: user, verb: .get, resource: .nodes, name: nodeName), key: "", &out)
            return
        }
        guard let (key, stop) = pending.removeValue(forKey: token),
              case .pod(let pod) = informers.informers[0].object(forKey: key), pod.spec.nodeName == nodeName else { return }
        if stop {
            var request = ApiRequest(id: 0, user: user, verb: .delete, resource: .pods, namespace: pod.metadata.namespace, name: pod.metadata.name)
            request.gracePeriodSeconds = 0
            send(request, key: key, &out)
            return
        }
        guard pod.metadata.deletionTimestamp == nil, pod.status.phase == .pending else { return }
        var running = pod
        running.status.phase = .running
        running.status.ready = true
        running.status.readySince = view.now
        addresses += 1
        running.status.podIP = "10.\(nodeName.utf8.count % 200).\(addresses / 250).\(addresses % 250 + 1)"
        var request = ApiRequest(id: 0, user: user, verb: .update, resource: .pods, namespace: pod.metadata.namespace, name: pod.metadata.name)
        request.subresource = .status
        request.object = .pod(running)
        send(request, key: key, &out)
    }

    mutating func send(_ request: ApiRequest, key: String, _ out: inout ProcessOutbox) {
        tagCounter += 1
        calls[tagCounter] = key
        out.send(request, tag: tagCounter)
    }

    public mutating func completed(_ tag: UInt64, _ result: ApiResult, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        calls[tag] = nil
    }

    public mutating func failed(_ tag: UInt64, _ failure: ClientFailure, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        guard let key = calls.removeValue(forKey: tag), !key.isEmpty else { return }
        // Try again on the next change or after a second: forget the attempt.
        if starting.remove(key) != nil { schedule(key, stop: false, afterMs: 1_000, &out); starting.insert(key) }
        if stopping.contains(key) { schedule(key, stop: true, afterMs: 1_000, &out) }
    }
}
