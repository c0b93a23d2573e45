import FaultlineSim

/// What a write decides from the object it read (`GuaranteedUpdate`'s `tryUpdate`).
enum WriteDecision: Sendable {
    case fail(ApiStatus)
    /// Put `object` if the key's mod revision is still the one read.
    case put(KubeObject)
    /// Delete the key if its mod revision is still the one read.
    case delete
    /// Nothing to write: answer with `object` (a graceful delete already in progress).
    case done(KubeObject)
}

/// Creates, updates, status updates, binds and deletes: every write is a compare-and-swap on the key's
/// `mod_revision` (etcd3 store's `GuaranteedUpdate` / `conditionalDelete`), never a blind put.
extension ApiServer {
    // MARK: - Create

    /// create: the apiserver fills in uid, creationTimestamp and generation, then a txn puts the object
    /// only if the key does not exist (`createRevision == 0`); otherwise 409 AlreadyExists.
    mutating func create(_ call: ClientCall, now: SimInstant, into output: inout ApiServerOutput) {
        guard var object = call.request.object else { preconditionFailure("checked by badRequest") }
        var uid: UInt64 = 0
        while uid == 0 { uid = random.next() }
        object.metadata.uid = uid
        object.metadata.creationTimestamp = now
        object.metadata.generation = 1
        object.metadata.resourceVersion = 0  // the storage layer never stores a version
        object.metadata.deletionTimestamp = nil
        if case .pod(var pod) = object {
            DefaultTolerationSeconds.admit(&pod, notReadySeconds: config.defaultNotReadyTolerationSeconds,
                                           unreachableSeconds: config.defaultUnreachableTolerationSeconds)
            object = .pod(pod)
        }
        let key = object.registryKey
        let txn = Txn(compare: [.createRevision(key: key, .equal, 0)], success: [.put(key: key, value: .object(object))], failure: [])
        sendEtcd(.txn(txn), for: .create(call, object: object), into: &output)
    }

    mutating func createAnswered(_ call: ClientCall, _ object: KubeObject, _ result: KVResult, into output: inout ApiServerOutput) {
        switch result {
        case .unavailable(let reason):
            finish(call, .failure(ApiErrors.unavailable(reason)), into: &output)
        case .ok(let response):
            guard response.succeeded else {
                return finish(call, .failure(ApiErrors.alreadyExists(object.resource, object.metadata.name)), into: &output)
            }
            var stored = object
            stored.metadata.resourceVersion = response.revision
            output.observations.append(.objectWritten(stored))
            finish(call, .object(stored), into: &output)
        }
    }

    // MARK: - Guaranteed update

    /// Starts a write: with the watch cache's copy as the first guess (as `GuaranteedUpdate` takes the
    /// cacher's object), else a read of etcd.
    mutating func startWrite(_ call: ClientCall, _ intent: WriteIntent, now: SimInstant, into output: inout ApiServerOutput) {
        let key = call.request.resource.registryKey(namespace: call.request.namespace, name: call.request.name)
        if cache.synced, let guess = cache.object(call.request.resource, key: key) {
            attemptWrite(call, intent, attempt: 1, current: guess, confirmed: false, now: now, into: &output)
        } else {
            sendEtcd(.range(key: key, end: nil, serializable: false), for: .readForWrite(call, intent, attempt: 1), into: &output)
        }
    }

    mutating func readForWriteAnswered(_ call: ClientCall, _ intent: WriteIntent, _ attempt: Int, _ result: KVResult,
                                       now: SimInstant, into output: inout ApiServerOutput) {
        switch result {
        case .unavailable(let reason):
            finish(call, .failure(ApiErrors.unavailable(reason)), into: &output)
        case .ok(let response):
            if let error = response.error { return finish(call, .failure(ApiErrors.internalError("etcdserver: \(error.rawValue)")), into: &output) }
            attemptWrite(call, intent, attempt: attempt, current: response.kvs.first.flatMap(WatchCache.object), confirmed: true, now: now, into: &output)
        }
    }

    /// Decides on `current` and sends the compare-and-swap. A decision that fails on an unconfirmed
    /// (cached) object is retried on etcd's copy first, as `GuaranteedUpdate` does when
    /// `origStateIsCurrent` is false.
    mutating func attemptWrite(_ call: ClientCall, _ intent: WriteIntent, attempt: Int, current: KubeObject?, confirmed: Bool,
                               now: SimInstant, into output: inout ApiServerOutput) {
        let request = call.request
        let key = request.resource.registryKey(namespace: request.namespace, name: request.name)
        let decision = decide(intent, request, current: current, now: now)
        switch decision {
        case .fail, .done:
            if !confirmed {
                sendEtcd(.range(key: key, end: nil, serializable: false), for: .readForWrite(call, intent, attempt: attempt), into: &output)
                return
            }
            if case .fail(let status) = decision { finish(call, .failure(status), into: &output) }
            if case .done(let object) = decision { finish(call, .object(object), into: &output) }
        case .put(var object):
            guard let current else { preconditionFailure("a put replaces an existing object") }
            let written = object
            object.metadata.resourceVersion = 0
            let txn = Txn(compare: [.modRevision(key: key, .equal, current.metadata.resourceVersion)],
                          success: [.put(key: key, value: .object(object))], failure: [.get(key: key)])
            sendEtcd(.txn(txn), for: .write(call, intent, attempt: attempt, written: written, previous: current), into: &output)
        case .delete:
            guard let current else { preconditionFailure("a delete removes an existing object") }
            let txn = Txn(compare: [.modRevision(key: key, .equal, current.metadata.resourceVersion)],
                          success: [.delete(key: key)], failure: [.get(key: key)])
            sendEtcd(.txn(txn), for: .write(call, intent, attempt: attempt, written: nil, previous: current), into: &output)
        }
    }

    mutating func writeAnswered(_ call: ClientCall, _ intent: WriteIntent, _ attempt: Int, written: KubeObject?, previous: KubeObject,
                                _ result: KVResult, now: SimInstant, into output: inout ApiServerOutput) {
        guard case .ok(let response) = result else {
            if case .unavailable(let reason) = result { finish(call, .failure(ApiErrors.unavailable(reason)), into: &output) }
            return
        }
        if let error = response.error { return finish(call, .failure(ApiErrors.internalError("etcdserver: \(error.rawValue)")), into: &output) }
        guard response.succeeded else {
            // Someone else wrote first: the failure branch read the key's current state.
            guard attempt < config.maxUpdateAttempts else {
                return finish(call, .failure(ApiErrors.conflict(call.request.resource, call.request.name)), into: &output)
            }
            let current = response.kvs.first.flatMap(WatchCache.object)
            attemptWrite(call, intent, attempt: attempt + 1, current: current, confirmed: true, now: now, into: &output)
            return
        }
        if var object = written {
            object.metadata.resourceVersion = response.revision
            output.observations.append(.objectWritten(object))
            finish(call, .object(object), into: &output)
        } else {
            var gone = previous
            gone.metadata.resourceVersion = response.revision
            output.observations.append(.objectDeleted(gone))
            finish(call, .object(gone), into: &output)
        }
    }

    // MARK: - Decisions

    /// What `intent` does to `current` (nil: the key does not exist).
    func decide(_ intent: WriteIntent, _ request: ApiRequest, current: KubeObject?, now: SimInstant) -> WriteDecision {
        guard let current else { return .fail(ApiErrors.notFound(request.resource, request.name)) }
        let currentRV = current.metadata.resourceVersion
        switch intent {
        case .update, .status:
            guard let object = request.object else { return .fail(ApiErrors.internalError("no body")) }
            let asked = object.metadata.resourceVersion
            if asked != 0 && asked != currentRV { return .fail(ApiErrors.conflict(request.resource, request.name)) }
            var updated = intent == .status ? Self.withStatus(of: object, onto: current) : object
            updated.metadata.uid = current.metadata.uid
            updated.metadata.creationTimestamp = current.metadata.creationTimestamp
            updated.metadata.deletionTimestamp = current.metadata.deletionTimestamp
            updated.metadata.resourceVersion = currentRV
            updated.metadata.generation = current.metadata.generation
            if intent == .status { updated.metadata = current.metadata }
            if let status = ObjectValidation.validateUpdate(old: current, new: updated, subresource: intent == .status ? .status : nil) {
                return .fail(status)
            }
            if Self.specChanged(from: current, to: updated) { updated.metadata.generation += 1 }
            return .put(updated)
        case .bind:
            guard case .pod(var pod) = current else { return .fail(ApiErrors.internalError("binding a non-pod")) }
            let target: String?
            if case .pod(let body)? = request.object { target = body.spec.nodeName } else { target = nil }
            if pod.metadata.deletionTimestamp != nil {
                return .fail(ApiStatus(.conflict, reason: "Conflict",
                                       message: "Operation cannot be fulfilled on pods/binding \"\(pod.metadata.name)\": pod \(pod.metadata.name) is being deleted, cannot be assigned to a host"))
            }
            if case .pod(let body)? = request.object, body.metadata.uid != 0, body.metadata.uid != pod.metadata.uid {
                return .fail(ApiStatus(.conflict, reason: "Conflict",
                                       message: "Operation cannot be fulfilled on pods/binding \"\(pod.metadata.name)\": Precondition failed: UID in precondition: \(body.metadata.uid), UID in object meta: \(pod.metadata.uid)"))
            }
            let old = KubeObject.pod(pod)
            pod.spec.nodeName = target
            if config.bugs.contains(.bindingIgnoresExistingNode) {
                // Broken on purpose: `assignPod` without its "already assigned" check.
                guard target != nil else { return .fail(ObjectValidation.validateUpdate(old: old, new: .pod(pod), subresource: .binding)!) }
                return .put(.pod(pod))
            }
            if let status = ObjectValidation.validateUpdate(old: old, new: .pod(pod), subresource: .binding) { return .fail(status) }
            return .put(.pod(pod))
        case .delete:
            if request.resourceVersion != 0 && request.resourceVersion != currentRV {
                return .fail(ApiErrors.preconditionFailed(request.resource, request.name, expected: request.resourceVersion, actual: currentRV))
            }
            guard case .pod(var pod) = current else { return .delete }
            // The pod strategy's CheckGracefulDelete: unbound or finished pods go at once.
            var grace = request.gracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds
            if pod.spec.nodeName == nil || pod.status.phase == .succeeded || pod.status.phase == .failed { grace = 0 }
            guard grace > 0 else { return .delete }
            if pod.metadata.deletionTimestamp != nil { return .done(current) }
            pod.metadata.deletionTimestamp = now + .seconds(grace)
            return .put(.pod(pod))
        }
    }

    /// `current` with the status of `source` (the status subresource keeps spec and metadata).
    static func withStatus(of source: KubeObject, onto current: KubeObject) -> KubeObject {
        switch (current, source) {
        case (.pod(var pod), .pod(let new)): pod.status = new.status; return .pod(pod)
        case (.node(var node), .node(let new)): node.status = new.status; return .node(node)
        case (.deployment(var deployment), .deployment(let new)): deployment.status = new.status; return .deployment(deployment)
        case (.replicaSet(var set), .replicaSet(let new)): set.status = new.status; return .replicaSet(set)
        default: return current
        }
    }

    /// True when the spec changed (what bumps `metadata.generation`). Kinds without a spec (leases,
    /// endpoint slices, namespaces, RBAC objects) never bump it.
    static func specChanged(from old: KubeObject, to new: KubeObject) -> Bool {
        switch (old, new) {
        case (.pod(let before), .pod(let after)): return before.spec != after.spec
        case (.deployment(let before), .deployment(let after)): return before.spec != after.spec
        case (.replicaSet(let before), .replicaSet(let after)): return before.spec != after.spec
        case (.node(let before), .node(let after)): return before.unschedulable != after.unschedulable || before.taints != after.taints
        case (.service(let before), .service(let after)):
            return before.selector != after.selector || before.ports != after.ports || before.internalTrafficPolicy != after.internalTrafficPolicy
        default: return false
        }
    }
}
