import FaultlineSim

/// The request path: connection bookkeeping, authorization, validation, then reads (etcd or watch
/// cache), writes (ApiServerWrites.swift) and watches.
extension ApiServer {
    mutating func handle(_ request: ApiRequest, on key: ConnectionKey, now: SimInstant, into output: inout ApiServerOutput) {
        if connections[key] == nil {
            guard connections.count < config.maxConnections else {
                output.observations.append(.requestServed(requestID: request.id, user: request.user, verb: request.verb,
                                                          resource: request.resource, subresource: request.subresource, code: .tooManyRequests))
                output.toClients.append((key.host, .response(connection: key.connection, requestID: request.id, .failure(ApiErrors.tooMany()))))
                return
            }
            connections[key] = 0
        }
        // Authentication: the model trusts `request.user` (client certificates). Authorization: the
        // Node authorizer needs the pod's node, which the apiserver knows from its watch cache.
        var boundNode: String?
        if request.resource == .pods, !request.name.isEmpty,
           case .pod(let pod)? = cache.object(.pods, key: request.resource.registryKey(namespace: request.namespace, name: request.name)) {
            boundNode = pod.spec.nodeName
        }
        if case .deny(let status) = config.authorizer.authorize(request, boundNodeName: boundNode) {
            answer(key, request, .failure(status), into: &output)
            return
        }
        if let status = Self.badRequest(request) {
            answer(key, request, .failure(status), into: &output)
            return
        }
        if request.verb == .watch {
            openWatch(request, on: key, into: &output)
            return
        }
        // Admission: validation before anything reaches etcd (updates are validated again against
        // the stored object, which needs it read).
        if let object = request.object, request.subresource == nil, request.verb == .create || request.verb == .update,
           let status = ObjectValidation.validate(object) {
            answer(key, request, .failure(status), into: &output)
            return
        }
        let isMutation: Bool
        switch request.verb {
        case .create, .update, .delete: isMutation = true
        case .get, .list, .watch: isMutation = false
        }
        if isMutation {
            guard inflightMutations < config.maxInflightMutations else { return answer(key, request, .failure(ApiErrors.tooMany()), into: &output) }
            inflightMutations += 1
        } else {
            guard inflightReads < config.maxInflightReads else { return answer(key, request, .failure(ApiErrors.tooMany()), into: &output) }
            inflightReads += 1
        }
        let call = ClientCall(key: key, request: request, isMutation: isMutation)
        switch request.verb {
        case .get, .list: read(call, into: &output)
        case .create where request.subresource == .binding: startWrite(call, .bind, now: now, into: &output)
        case .create: create(call, now: now, into: &output)
        case .update: startWrite(call, request.subresource == .status ? .status : .update, now: now, into: &output)
        case .delete: startWrite(call, .delete, now: now, into: &output)
        case .watch: preconditionFailure("watches are handled above")
        }
    }

    /// Requests malformed for their verb (400), and subresources a kind does not have (404).
    static func badRequest(_ request: ApiRequest) -> ApiStatus? {
        let resource = request.resource
        if resource.isNamespaced && request.namespace.isEmpty && [.create, .update, .delete, .get].contains(request.verb) {
            return ApiStatus(.notFound, reason: "NotFound", message: "the server could not find the requested resource")
        }
        switch request.subresource {
        case .binding?:
            guard resource == .pods, request.verb == .create else {
                return ApiStatus(.notFound, reason: "NotFound", message: "the server could not find the requested resource")
            }
        case .status?:
            guard [.pods, .nodes, .deployments, .replicasets].contains(resource), [.get, .update].contains(request.verb) else {
                return ApiStatus(.notFound, reason: "NotFound", message: "the server could not find the requested resource")
            }
        case nil:
            break
        }
        switch request.verb {
        case .create, .update:
            guard let object = request.object, object.resource == resource else {
                return ApiStatus(.badRequest, reason: "BadRequest", message: "the body of the request does not hold a \(resource.kindName)")
            }
            if resource.isNamespaced && object.metadata.namespace != request.namespace {
                return ApiStatus(.badRequest, reason: "BadRequest", message: "the namespace of the provided object does not match the namespace sent on the request")
            }
            if request.verb == .update && object.metadata.name != request.name {
                return ApiStatus(.badRequest, reason: "BadRequest", message: "the name of the object (\(object.metadata.name)) does not match the name on the URL (\(request.name))")
            }
        case .get, .delete:
            if request.name.isEmpty {
                return ApiStatus(.badRequest, reason: "BadRequest", message: "resource name may not be empty")
            }
        case .list, .watch:
            break
        }
        return nil
    }

    // MARK: - Reads

    /// get / list. `.any` (resourceVersion="0") is served by the watch cache once it has synced; before,
    /// and for `.consistent`, a linearizable etcd Range (the broken variant serves `.consistent` from
    /// the cache too).
    mutating func read(_ call: ClientCall, into output: inout ApiServerOutput) {
        let request = call.request
        let fromCache = request.consistency == .any || config.bugs.contains(.staleReadsForConsistentRequests)
        if fromCache && cache.synced {
            if request.verb == .list {
                finish(call, .list(cache.list(request), resourceVersion: cache.revision), into: &output)
            } else if let object = cache.object(request.resource, key: request.resource.registryKey(namespace: request.namespace, name: request.name)) {
                finish(call, .object(object), into: &output)
            } else {
                finish(call, .failure(ApiErrors.notFound(request.resource, request.name)), into: &output)
            }
            return
        }
        if request.verb == .list {
            let prefix = request.resource.registryPrefix(namespace: request.namespace)
            sendEtcd(.range(key: prefix, end: Self.prefixEnd(prefix), serializable: false), for: .read(call), into: &output)
        } else {
            let key = request.resource.registryKey(namespace: request.namespace, name: request.name)
            sendEtcd(.range(key: key, end: nil, serializable: false), for: .read(call), into: &output)
        }
    }

    mutating func readAnswered(_ call: ClientCall, _ result: KVResult, into output: inout ApiServerOutput) {
        let request = call.request
        guard case .ok(let response) = result else {
            if case .unavailable(let reason) = result { finish(call, .failure(ApiErrors.unavailable(reason)), into: &output) }
            return
        }
        if let error = response.error {
            return finish(call, .failure(ApiErrors.internalError("etcdserver: \(error.rawValue)")), into: &output)
        }
        let objects = response.kvs.compactMap(WatchCache.object)
        if request.verb == .list {
            finish(call, .list(objects.filter(request.selects), resourceVersion: response.revision), into: &output)
        } else if let object = objects.first {
            finish(call, .object(object), into: &output)
        } else {
            finish(call, .failure(ApiErrors.notFound(request.resource, request.name)), into: &output)
        }
    }

    /// etcd's `GetPrefixRangeEnd`: the prefix with its last byte incremented.
    static func prefixEnd(_ prefix: String) -> String {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0xff {
                bytes[bytes.count - 1] = last + 1
                return String(decoding: bytes, as: UTF8.self)
            }
            bytes.removeLast()
        }
        return "\0"
    }

    // MARK: - Watches

    /// Opens a watch served from the cache. Before the cache has synced it answers 429 "storage is
    /// (re)initializing" (upstream's ResilientWatchCacheInitialization); a revision older than the
    /// cache's window gets the watch opened then ended with 410 Gone, as the cacher's error watcher does.
    mutating func openWatch(_ request: ApiRequest, on key: ConnectionKey, into output: inout ApiServerOutput) {
        guard cache.synced else { return answer(key, request, .failure(ApiErrors.initializing(request.resource)), into: &output) }
        guard watches.count < config.maxWatches, (connections[key] ?? 0) < config.maxWatchesPerConnection else {
            return answer(key, request, .failure(ApiErrors.tooMany()), into: &output)
        }
        var initial: [ApiWatchEvent]
        var after = max(request.resourceVersion, cache.revision)
        if config.bugs.contains(.watchResumesAtResourceVersion) && request.resourceVersion > 0,
           case .success(let events) = cache.events(after: request.resourceVersion - 1, for: request) {
            // Broken on purpose: resumes AT the resourceVersion asked instead of after it (an off-by-one),
            // so the client gets the last event it saw again.
            initial = events
        } else if request.resourceVersion == 0 {
            initial = cache.list(request).map { ApiWatchEvent.added($0) }
        } else {
            switch cache.events(after: request.resourceVersion, for: request) {
            case .success(let events): initial = events
            case .failure(let status):
                answer(key, request, .watching, into: &output)
                output.toClients.append((key.host, .watchEnded(connection: key.connection, requestID: request.id, sequence: 0, status)))
                return
            }
        }
        if request.resourceVersion > cache.revision { after = request.resourceVersion; initial = [] }
        connections[key, default: 0] += 1
        var watch = ClientWatch(key: key, request: request, after: after)
        answer(key, request, .watching, into: &output)
        if !initial.isEmpty {
            output.toClients.append((key.host, .watchEvents(connection: key.connection, requestID: request.id, sequence: 0, initial)))
            watch.sequence = 1
        }
        watches.append(watch)
    }

    /// Fans a batch of cache events out to the client watches it concerns (one message per watch per
    /// batch, in creation order).
    mutating func deliver(_ batch: [(ResourceKind, CachedEvent)], into output: inout ApiServerOutput) {
        guard !batch.isEmpty, !watches.isEmpty else { return }
        for position in watches.candidates(for: batch) {
            let request = watches[position].request
            var events: [ApiWatchEvent] = []
            for (resource, event) in batch where resource == request.resource && event.revision > watches[position].after {
                if let converted = event.watchEvent(for: request) { events.append(converted) }
            }
            guard !events.isEmpty else { continue }
            let key = watches[position].key
            output.toClients.append((key.host, .watchEvents(connection: key.connection, requestID: request.id, sequence: watches.takeSequence(at: position), events)))
        }
    }

    /// Ends every client watch with `status` (the cache re-lists: the cacher terminates its watchers).
    mutating func endAllWatches(_ status: ApiStatus, into output: inout ApiServerOutput) {
        for watch in watches.all {
            output.toClients.append((watch.key.host, .watchEnded(connection: watch.key.connection, requestID: watch.request.id, sequence: watch.sequence, status)))
            if let count = connections[watch.key] { connections[watch.key] = count - 1 }
        }
        watches.removeAll()
    }
}
