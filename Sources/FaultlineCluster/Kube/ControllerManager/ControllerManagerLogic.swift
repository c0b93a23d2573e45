import FaultlineSim

/// kube-controller-manager's controllers as a process logic: Deployment, ReplicaSet (with expectations
/// and slow-start create batches), EndpointSlice and the garbage collector, reconciling keys their
/// informers mark dirty (`DeploymentReconciler`, `ReplicaSetReconciler`, `EndpointSliceReconciler`,
/// `GarbageCollector`), and the node lifecycle and taint eviction controllers
/// (`NodeLifecycleController`, `TaintEvictionController`, wired in ControllerManagerNodeLifecycle.swift).
/// It works only while it leads and its informers have synced.
///
/// Invariants: a key with a write in flight is not reconciled again until the write is answered
/// (one write per object at a time, so resourceVersion preconditions do not fight each other); a
/// failed write marks its key dirty again after a back-off; dirty keys are processed in key order.
public struct ControllerManagerLogic: ProcessLogic {
    static let deployments = 0, replicaSets = 1, pods = 2, services = 3, endpointSlices = 4, nodes = 5, nodeLeases = 6
    static let workToken: UInt64 = 1
    static let gcToken: UInt64 = 2
    static let retryToken: UInt64 = 3
    static let monitorToken: UInt64 = 4, taintQueueToken: UInt64 = 5
    /// Eviction timers carry this bit and a generation (a re-armed timer makes older ones stale).
    static let evictionTokenBit: UInt64 = 1 << 40
    /// The garbage collector's scan period (upstream reacts to events; a periodic scan of the
    /// informers finds the same orphans).
    static let gcPeriodMs: Int64 = 20_000
    static let retryBackOffMs: Int64 = 1_000

    let user = ApiUser.controllerManager
    var random: SimRandom
    var dirtyDeployments: Set<String> = []
    var dirtyReplicaSets: Set<String> = []
    var dirtyServices: Set<String> = []
    var retry: [String] = []
    /// Keys with a write in flight, and what each tag wrote for (lookups only).
    var busy: Set<String> = []
    var inFlight: [UInt64: (key: String, replicaSet: String?)] = [:]
    var expectations: [String: ReplicaSetExpectations] = [:]
    /// Slow-start creates waiting for the batch before them, per ReplicaSet key.
    var pendingCreates: [String: (pods: [Pod], batches: [Int], outstanding: Int)] = [:]
    var tagCounter: UInt64 = 0
    var workPending = false
    var gcStarted = false
    var nodeLifecycle: NodeLifecycleController
    var taintEviction = TaintEvictionController()
    /// Node names whose informer events await the taint pass; whether pods or taints changed since the
    /// last eviction sync; the timers running (the taint queue pass, the next eviction).
    var dirtyNodes: Set<String> = []
    var evictionDirty = false
    /// The pod informer's node index, and the nodes whose informer copy has a NoExecute taint (the
    /// only nodes whose pods the taint eviction controller needs to look at).
    var podsByNode = PodNodeIndex()
    var noExecuteNodes: Set<String> = []
    var monitorStarted = false
    var taintQueuePending = false
    var evictionTimerGeneration: UInt64 = 0
    var evictionTimerArmedAt: SimInstant?

    public init(nodeLifecycle: NodeLifecycleFlags = NodeLifecycleFlags(), random: SimRandom) {
        self.nodeLifecycle = NodeLifecycleController(flags: nodeLifecycle)
        self.random = random
    }

    /// Informers 0...4 as before; 5: nodes; 6: Leases in `kube-node-lease` (node heartbeats).
    public static func informers(user: ApiUser) -> [InformerConfig] {
        var leases = InformerConfig(resource: .leases, user: user)
        leases.namespace = RBACAuthorizer.nodeLeaseNamespace
        return [ResourceKind.deployments, .replicasets, .pods, .services, .endpointslices, .nodes].map { InformerConfig(resource: $0, user: user) } + [leases]
    }

    public mutating func started(_ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {}

    public mutating func startedLeading(_ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        nodeLifecycle.startedLeading()
        markAll(informers)
        kick(&out)
        if !gcStarted {
            gcStarted = true
            out.after(Self.gcPeriodMs, token: Self.gcToken)
        }
        if !monitorStarted {
            monitorStarted = true
            out.after(nodeLifecycle.flags.nodeMonitorPeriodMs, token: Self.monitorToken)
        }
    }

    mutating func markAll(_ informers: InformerSet) {
        for object in informers.informers[Self.deployments].objects { dirtyDeployments.insert(object.registryKey) }
        for object in informers.informers[Self.replicaSets].objects { dirtyReplicaSets.insert(object.registryKey) }
        for object in informers.informers[Self.services].objects { dirtyServices.insert(object.registryKey) }
    }

    mutating func kick(_ out: inout ProcessOutbox) {
        guard !workPending else { return }
        workPending = true
        out.after(1, token: Self.workToken)
    }

    static func ownerKey(_ meta: ObjectMeta) -> String? {
        guard let owner = meta.controllerRef else { return nil }
        return owner.kind.registryKey(namespace: meta.namespace, name: owner.name)
    }

    public mutating func informerEvent(_ index: Int, _ event: InformerEvent, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        let object: KubeObject
        switch event {
        case .added(let added): object = added
        case .updated(_, let updated): object = updated
        case .deleted(let deleted): object = deleted
        case .synced:
            markAll(informers)
            if index == Self.pods { podsByNode.rebuild(from: informers.informers[Self.pods]) }
            if index == Self.nodes { rebuildNoExecuteNodes(informers) }
            return kick(&out)
        case .observedResourceVersion: return
        }
        let key = object.registryKey
        switch object {
        case .deployment:
            dirtyDeployments.insert(key)
        case .replicaSet(let set):
            dirtyReplicaSets.insert(key)
            if let owner = Self.ownerKey(set.metadata) { dirtyDeployments.insert(owner) }
        case .pod(let pod):
            if let owner = Self.ownerKey(pod.metadata) {
                dirtyReplicaSets.insert(owner)
                if case .added = event { expectations[owner]?.creationObserved() }
                if case .deleted = event { expectations[owner]?.deletionObserved(uid: pod.metadata.uid) }
            }
            podsByNode.apply(event)
            if !taintEviction.isIdle || podTouchesNoExecuteNode(event) { evictionDirty = true }
            for service in informers.informers[Self.services].objects where service.metadata.namespace == pod.metadata.namespace {
                dirtyServices.insert(service.registryKey)
            }
        case .service:
            dirtyServices.insert(key)
        case .endpointSlice(let slice):
            if let service = slice.metadata.labels["kubernetes.io/service-name"] {
                dirtyServices.insert(ResourceKind.services.registryKey(namespace: slice.metadata.namespace, name: service))
            }
        case .node, .lease:
            nodeLifecycleEvent(event, object, view)
        case .namespace, .clusterRole, .clusterRoleBinding:
            break
        }
        kick(&out)
    }

    public mutating func timer(_ token: UInt64, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        switch token {
        case Self.gcToken:
            out.after(Self.gcPeriodMs, token: Self.gcToken)
            if view.leading && informers.hasSynced { collectGarbage(informers, &out) }
        case Self.retryToken:
            for key in retry { mark(key) }
            retry.removeAll()
            kick(&out)
        case Self.monitorToken, Self.taintQueueToken:
            nodeLifecycleTimer(token, view, informers, &out)
        case let eviction where eviction & Self.evictionTokenBit != 0:
            evictionTimer(eviction & ~Self.evictionTokenBit, view, informers, &out)
        default:
            workPending = false
            guard view.leading, informers.hasSynced else { return }
            reconcile(view, informers, &out)
        }
    }

    mutating func mark(_ key: String) {
        if key.hasPrefix(ResourceKind.deployments.registryPrefix) { dirtyDeployments.insert(key) }
        else if key.hasPrefix(ResourceKind.replicasets.registryPrefix) { dirtyReplicaSets.insert(key) }
        else if key.hasPrefix(ResourceKind.services.registryPrefix) { dirtyServices.insert(key) }
        else if key.hasPrefix(ResourceKind.nodes.registryPrefix) { dirtyNodes.insert(String(key.dropFirst(ResourceKind.nodes.registryPrefix.count))) }
        else if key.hasPrefix(ResourceKind.pods.registryPrefix) { evictionDirty = true }
    }

    mutating func reconcile(_ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        let deployments = dirtyDeployments.subtracting(busy).sorted()
        dirtyDeployments.subtract(deployments)
        for key in deployments {
            guard case .deployment(let deployment) = informers.informers[Self.deployments].object(forKey: key) else { continue }
            let owned = informers.informers[Self.replicaSets].objects.compactMap { object -> ReplicaSet? in
                guard case .replicaSet(let set) = object, set.metadata.controllerRef?.uid == deployment.metadata.uid else { return nil }
                return set
            }
            let result = DeploymentReconciler.sync(deployment, replicaSets: owned, now: view.now)
            for action in result.actions { perform(action, for: key, replicaSet: nil, &out) }
        }
        let replicaSets = dirtyReplicaSets.subtracting(busy).sorted()
        dirtyReplicaSets.subtract(replicaSets)
        for key in replicaSets where pendingCreates[key] == nil {
            guard case .replicaSet(let set) = informers.informers[Self.replicaSets].object(forKey: key) else {
                expectations[key] = nil
                continue
            }
            let owned = informers.informers[Self.pods].objects.compactMap { object -> Pod? in
                guard case .pod(let pod) = object, pod.metadata.controllerRef?.uid == set.metadata.uid else { return nil }
                return pod
            }
            var result = ReplicaSetReconciler.sync(set, ownedPods: owned, expectations: expectations[key] ?? ReplicaSetExpectations(), now: view.now, random: &random)
            expectations[key] = result.expectations
            if let requeue = result.requeueAfter {
                retry.append(key)
                out.after(max(1, requeue.nanoseconds / 1_000_000), token: Self.retryToken)
            }
            var creates: [Pod] = []
            for action in result.actions {
                if case .create(.pod(let pod)) = action { creates.append(pod) } else { perform(action, for: key, replicaSet: nil, &out) }
            }
            if !creates.isEmpty {
                if result.createBatchSizes.isEmpty { result.createBatchSizes = [creates.count] }
                pendingCreates[key] = (creates, result.createBatchSizes, 0)
                sendNextBatch(key, &out)
            }
        }
        let services = dirtyServices.subtracting(busy).sorted()
        dirtyServices.subtract(services)
        for key in services {
            guard case .service(let service) = informers.informers[Self.services].object(forKey: key) else { continue }
            let pods = informers.informers[Self.pods].objects.compactMap { object -> Pod? in
                guard case .pod(let pod) = object, pod.metadata.namespace == service.metadata.namespace else { return nil }
                return pod
            }
            let existing = informers.informers[Self.endpointSlices].object(namespace: service.metadata.namespace, name: EndpointSliceReconciler.sliceName(for: service))
            var slice: EndpointSlice?
            if case .endpointSlice(let found) = existing { slice = found }
            if let action = EndpointSliceReconciler.reconcile(service, pods: pods, existing: slice) { perform(action, for: key, replicaSet: nil, &out) }
        }
        reconcileNodeLifecycle(view, informers, &out)
    }

    /// Sends the next slow-start batch of a ReplicaSet's creates (1, 2, 4, ...): a batch goes out only
    /// when every create of the previous one succeeded.
    mutating func sendNextBatch(_ key: String, _ out: inout ProcessOutbox) {
        guard var pending = pendingCreates[key] else { return }
        guard pending.outstanding == 0, let size = pending.batches.first else {
            if pending.outstanding == 0 { pendingCreates[key] = nil; mark(key) }
            return
        }
        pending.batches.removeFirst()
        let batch = pending.pods.prefix(size)
        pending.pods.removeFirst(batch.count)
        pending.outstanding = batch.count
        pendingCreates[key] = pending
        for pod in batch { perform(.create(.pod(pod)), for: nil, replicaSet: key, &out) }
    }

    mutating func perform(_ action: ControllerAction, for key: String?, replicaSet: String?, _ out: inout ProcessOutbox) {
        var request: ApiRequest
        switch action {
        case .create(let object):
            request = ApiRequest(id: 0, user: user, verb: .create, resource: object.resource, namespace: object.metadata.namespace, name: object.metadata.name)
            request.object = object
        case .update(let object):
            request = ApiRequest(id: 0, user: user, verb: .update, resource: object.resource, namespace: object.metadata.namespace, name: object.metadata.name)
            request.object = object
        case .updateStatus(let object):
            request = ApiRequest(id: 0, user: user, verb: .update, resource: object.resource, namespace: object.metadata.namespace, name: object.metadata.name)
            request.subresource = .status
            request.object = object
        case .delete(let resource, let namespace, let name, _):
            request = ApiRequest(id: 0, user: user, verb: .delete, resource: resource, namespace: namespace, name: name)
        }
        tagCounter += 1
        if let key { busy.insert(key) }
        inFlight[tagCounter] = (key ?? "", replicaSet)
        out.send(request, tag: tagCounter, asLeader: true)
    }

    public mutating func completed(_ tag: UInt64, _ result: ApiResult, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        settle(tag, failed: false, &out)
    }

    public mutating func failed(_ tag: UInt64, _ failure: ClientFailure, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        settle(tag, failed: true, &out)
    }

    mutating func settle(_ tag: UInt64, failed: Bool, _ out: inout ProcessOutbox) {
        guard let call = inFlight.removeValue(forKey: tag) else { return }
        if !call.key.isEmpty {
            busy.remove(call.key)
            if failed {
                nodeLifecycleWriteFailed(call.key)
                retry.append(call.key)
                out.after(Self.retryBackOffMs, token: Self.retryToken)
            }
        }
        if let set = call.replicaSet, var pending = pendingCreates[set] {
            pending.outstanding -= 1
            if failed {
                // Upstream skips the rest of the slow start: the creates not sent are not expected.
                expectations[set]?.creationsSkipped(1 + pending.pods.count)
                pending.pods.removeAll()
                pending.batches.removeAll()
            }
            pendingCreates[set] = pending
            sendNextBatch(set, &out)
        }
        kick(&out)
    }

    mutating func collectGarbage(_ informers: InformerSet, _ out: inout ProcessOutbox) {
        var owned: [OwnedObject] = []
        var uids: Set<UInt64> = []
        for informer in informers.informers {
            for object in informer.objects {
                uids.insert(object.metadata.uid)
                if !object.metadata.ownerReferences.isEmpty { owned.append(OwnedObject(object)) }
            }
        }
        for action in GarbageCollector.orphanDeletions(owned, existingUIDs: uids) { perform(action, for: nil, replicaSet: nil, &out) }
    }
}
