import FaultlineSim

/// Deliberately broken scheduler variants, to prove the checkers can fail.
public struct SchedulerBugs: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Skips NodeResourcesFit: binds pods to nodes that cannot hold them (`nodes.no-overcommit`).
    public static let ignoresResourceFit = SchedulerBugs(rawValue: 1 << 0)
    public static let byName: [(String, SchedulerBugs)] = [("ignores-resource-fit", .ignoresResourceFit)]
}

/// kube-scheduler's scheduling loop as a process logic: a queue of unscheduled pods with back-off,
/// the default profile's filters and scores (`SchedulingAlgorithm`), and binding through the
/// `pods/binding` subresource. It schedules only while it leads and its informers have synced.
///
/// The cache "assumes" a pod on its node as soon as the bind is sent, as upstream does, so that pods
/// scheduled in one cycle account for each other before the informer shows the binding.
///
/// Invariants: a pod key is in `queue` at most once; `inFlight` holds one tag per bind sent and not
/// answered; an assumed pod is forgotten when the informer shows it bound, deleted, or the bind fails.
public struct SchedulerLogic: ProcessLogic {
    static let podsInformer = 0
    static let nodesInformer = 1
    /// Pods scheduled per work step before yielding (the real loop schedules one pod at a time).
    static let podsPerStep = 64
    static let workToken: UInt64 = 1

    let flags: SchedulerFlags
    let bugs: SchedulerBugs
    let user = ApiUser.scheduler
    var random: SimRandom
    var nextStartNodeIndex = 0
    /// Unscheduled pod keys, in arrival order, and when each may be tried again (back-off).
    var queue: [String] = []
    var notBefore: [String: SimInstant] = [:]
    var attempts: [String: Int] = [:]
    /// Pods assumed on a node while their bind is in flight or not yet seen (lookups only).
    var assumed: [String: String] = [:]
    var inFlight: [UInt64: String] = [:]
    var tagCounter: UInt64 = 0
    var workPending = false

    public init(flags: SchedulerFlags, bugs: SchedulerBugs, random: SimRandom) {
        self.flags = flags
        self.bugs = bugs
        self.random = random
    }

    /// The informers the scheduler runs: every pod, every node.
    public static func informers(user: ApiUser) -> [InformerConfig] {
        [InformerConfig(resource: .pods, user: user), InformerConfig(resource: .nodes, user: user)]
    }

    public mutating func started(_ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {}

    public mutating func startedLeading(_ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        kick(&out)
    }

    public mutating func informerEvent(_ index: Int, _ event: InformerEvent, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        switch event {
        case .added(let object), .updated(_, let object):
            guard case .pod(let pod) = object else { return kick(&out) }  // a node change may make room
            let key = object.registryKey
            if pod.spec.nodeName != nil || pod.metadata.deletionTimestamp != nil {
                assumed[key] = nil
                dequeue(key)
            } else if !queue.contains(key) && assumed[key] == nil {
                queue.append(key)
                kick(&out)
            }
        case .deleted(let object):
            let key = object.registryKey
            assumed[key] = nil
            dequeue(key)
            kick(&out)
        case .synced:
            kick(&out)
        case .observedResourceVersion:
            break
        }
    }

    mutating func dequeue(_ key: String) {
        queue.removeAll { $0 == key }
        notBefore[key] = nil
        attempts[key] = nil
    }

    mutating func kick(_ out: inout ProcessOutbox) {
        guard !workPending else { return }
        workPending = true
        out.after(1, token: Self.workToken)
    }

    public mutating func timer(_ token: UInt64, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        workPending = false
        guard view.leading, informers.hasSynced, !queue.isEmpty else { return }
        var nodes = nodeInfos(informers)
        var scheduled = 0
        var earliestRetry: SimInstant?
        var position = 0
        while position < queue.count && scheduled < Self.podsPerStep {
            let key = queue[position]
            if let until = notBefore[key], until > view.now {
                earliestRetry = min(earliestRetry ?? until, until)
                position += 1
                continue
            }
            guard case .pod(let pod) = informers.informers[Self.podsInformer].object(forKey: key), pod.spec.nodeName == nil else {
                queue.remove(at: position)
                continue
            }
            scheduled += 1
            switch place(pod, on: nodes) {
            case .scheduled(let nodeName):
                queue.remove(at: position)
                assumed[key] = nodeName
                if let index = nodes.firstIndex(where: { $0.node.metadata.name == nodeName }) {
                    nodes[index] = NodeInfo(node: nodes[index].node, requested: nodes[index].requested + pod.spec.requests,
                                            nonZeroRequested: nodes[index].nonZeroRequested + SchedulingAlgorithm.nonZeroRequests(of: pod.spec))
                }
                bind(pod, to: nodeName, key: key, &out)
            case .unschedulable:
                let until = backOff(key, view.now)
                earliestRetry = min(earliestRetry ?? until, until)
                position += 1
            }
        }
        if scheduled == Self.podsPerStep {
            kick(&out)
        } else if let earliestRetry {
            workPending = true
            out.after(max(1, (earliestRetry - view.now).nanoseconds / 1_000_000), token: Self.workToken)
        }
    }

    mutating func place(_ pod: Pod, on nodes: [NodeInfo]) -> SchedulingResult {
        let profile = SchedulerProfile(scoringStrategy: flags.scoring == .mostAllocated ? .mostAllocated : .leastAllocated)
        if bugs.contains(.ignoresResourceFit) {
            // Broken on purpose: any node that passes the other filters will do, however full.
            let relaxed = nodes.map { NodeInfo(node: $0.node, requested: .zero, nonZeroRequested: .zero) }
            return SchedulingAlgorithm.schedule(pod, nodes: relaxed, profile: profile, nextStartNodeIndex: &nextStartNodeIndex, random: &random)
        }
        return SchedulingAlgorithm.schedule(pod, nodes: nodes, profile: profile, nextStartNodeIndex: &nextStartNodeIndex, random: &random)
    }

    /// The nodes with the pods bound or assumed on them.
    func nodeInfos(_ informers: InformerSet) -> [NodeInfo] {
        var podsByNode: [String: [Pod]] = [:]
        for object in informers.informers[Self.podsInformer].objects {
            guard case .pod(let pod) = object, pod.isActive || pod.metadata.deletionTimestamp != nil else { continue }
            if let node = pod.spec.nodeName ?? assumed[object.registryKey] { podsByNode[node, default: []].append(pod) }
        }
        return informers.informers[Self.nodesInformer].objects.compactMap { object in
            guard case .node(let node) = object else { return nil }
            return NodeInfo(node: node, pods: podsByNode[node.metadata.name] ?? [])
        }
    }

    mutating func backOff(_ key: String, _ now: SimInstant) -> SimInstant {
        let tries = attempts[key, default: 0]
        attempts[key] = tries + 1
        let delayMs = min(flags.podMaxBackoffMs, flags.podInitialBackoffMs << min(tries, 20))
        let until = now + .milliseconds(delayMs)
        notBefore[key] = until
        return until
    }

    mutating func bind(_ pod: Pod, to nodeName: String, key: String, _ out: inout ProcessOutbox) {
        var bound = pod
        bound.spec.nodeName = nodeName
        var request = ApiRequest(id: 0, user: user, verb: .create, resource: .pods, namespace: pod.metadata.namespace, name: pod.metadata.name)
        request.subresource = .binding
        request.object = .pod(bound)
        tagCounter += 1
        inFlight[tagCounter] = key
        out.send(request, tag: tagCounter, asLeader: true)
    }

    public mutating func completed(_ tag: UInt64, _ result: ApiResult, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        inFlight[tag] = nil  // bound: the informer will show it
    }

    public mutating func failed(_ tag: UInt64, _ failure: ClientFailure, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        guard let key = inFlight.removeValue(forKey: tag) else { return }
        // Upstream forgets the assumed pod and puts it back in the queue with back-off; a pod that
        // is bound after all (the answer was lost) leaves the queue when the informer shows it.
        assumed[key] = nil
        if !queue.contains(key) { queue.append(key) }
        _ = backOff(key, view.now)
        kick(&out)
    }
}
