import FaultlineSim
@testable import FaultlineCluster

/// Drives one `ApiServer` directly, playing its etcd member with a real `MVCCStore`: every KV request
/// the server emits is applied and answered at once (unless etcd is `silent`), and the one watch
/// stream gets every change after each write.
struct ApiServerHarness {
    static let apiHost = HostID(index: 1)
    static let etcdHost = HostID(index: 2)
    static let client = HostID(index: 9)

    var server: ApiServer
    var store = MVCCStore()
    var now = SimInstant.start
    /// etcd swallows requests (a partitioned or hung member): the server's timers must fire.
    var silent = false
    /// etcd answers every KV request "unavailable" (no leader).
    var unavailable = false
    var kvRequests: [KVRequest] = []
    var clientMessages: [ApiClientBound] = []
    var observations: [ApiServerObservation] = []
    var timers: [(due: SimInstant, timer: ApiServerTimer)] = []
    var etcdWatch: (id: UInt64, next: Int64, sent: UInt32)?
    var nextRequestID: UInt64 = 1

    init(config: ApiServerConfig = ApiServerConfig(etcdEndpoints: [etcdHost]), start: Bool = true) {
        server = ApiServer(index: 0, host: Self.apiHost, config: config, random: SimRandom(seed: 7, stream: "apiserver"))
        if start { restart() }
    }

    mutating func restart() {
        var output = ApiServerOutput()
        server.start(now: now, into: &output)
        pump(output)
    }

    // MARK: Client side

    mutating func request(_ verb: ApiVerb, _ resource: ResourceKind, namespace: String = "default", name: String = "",
                          object: KubeObject? = nil, user: ApiUser = .admin, connection: UInt64 = 1,
                          configure: (inout ApiRequest) -> Void = { _ in }) -> ApiRequest {
        var request = ApiRequest(id: nextRequestID, user: user, verb: verb, resource: resource, namespace: namespace, name: name)
        nextRequestID += 1
        request.object = object
        configure(&request)
        var output = ApiServerOutput()
        server.receive(.request(connection: connection, request), from: Self.client, now: now, into: &output)
        pump(output)
        return request
    }

    /// The answer to `request`, if one was sent.
    func result(_ request: ApiRequest) -> ApiResult? {
        for message in clientMessages {
            if case .response(_, let id, let result) = message, id == request.id { return result }
        }
        return nil
    }

    func status(_ request: ApiRequest) -> ApiStatus? {
        if case .failure(let status)? = result(request) { return status }
        return nil
    }

    func object(_ request: ApiRequest) -> KubeObject? {
        if case .object(let object)? = result(request) { return object }
        return nil
    }

    /// The watch messages of `request`, in order: (sequence, events) or (sequence, ended status).
    func watchMessages(_ request: ApiRequest) -> [(sequence: UInt32, events: [ApiWatchEvent], ended: ApiStatus?)] {
        clientMessages.compactMap { message in
            switch message {
            case .watchEvents(_, let id, let sequence, let events) where id == request.id: return (sequence, events, nil)
            case .watchEnded(_, let id, let sequence, let status) where id == request.id: return (sequence, [], status)
            default: return nil
            }
        }
    }

    mutating func probe(_ mode: HealthCheckMode, id: UInt64) {
        var output = ApiServerOutput()
        server.receive(.probe(probeID: id, mode), from: Self.client, now: now, into: &output)
        pump(output)
    }

    func probeResult(_ id: UInt64) -> Bool? {
        for message in clientMessages {
            if case .probeResult(let probeID, let healthy) = message, probeID == id { return healthy }
        }
        return nil
    }

    mutating func close(connection: UInt64) {
        var output = ApiServerOutput()
        server.receive(.close(connection: connection), from: Self.client, now: now, into: &output)
        pump(output)
    }

    // MARK: Time

    /// Advances the clock by `ms`, firing due timers in order.
    mutating func advance(ms: Int64) {
        let target = now + .milliseconds(ms)
        while let next = timers.indices.min(by: { timers[$0].due < timers[$1].due }), timers[next].due <= target {
            let (due, timer) = timers.remove(at: next)
            now = due
            var output = ApiServerOutput()
            server.timerFired(timer, now: now, into: &output)
            pump(output)
        }
        now = target
    }

    // MARK: etcd side

    /// Writes straight to etcd (another apiserver's write), then streams it to the watch.
    mutating func etcdPut(_ object: KubeObject) {
        var stored = object
        stored.metadata.resourceVersion = 0
        _ = store.apply(.put(key: object.registryKey, value: .object(stored)))
        pump(ApiServerOutput())
    }

    mutating func pump(_ first: ApiServerOutput) {
        var queue = [first]
        while !queue.isEmpty {
            let output = queue.removeFirst()
            clientMessages += output.toClients.map(\.1)
            observations += output.observations
            timers += output.timers.map { (now + .milliseconds($0.afterMs), $0.1) }
            for (_, message) in output.toEtcd {
                for reply in etcdReplies(message) {
                    var next = ApiServerOutput()
                    server.receive(reply, now: now, into: &next)
                    queue.append(next)
                }
            }
            for reply in watchNotifications() {
                var next = ApiServerOutput()
                server.receive(reply, now: now, into: &next)
                queue.append(next)
            }
        }
    }

    mutating func etcdReplies(_ message: EtcdServerBound) -> [EtcdClientBound] {
        guard !silent else { return [] }
        switch message {
        case .kv(let request, _):
            kvRequests.append(request)
            if unavailable { return [.kvResponse(requestID: request.id, .unavailable(reason: "no leader"))] }
            switch request.operation {
            case .range(let key, let end, _):
                let kvs = (try? store.range(key, end: end)) ?? []
                return [.kvResponse(requestID: request.id, .ok(EtcdResponse(revision: store.revision, succeeded: true, kvs: kvs, deleted: 0, error: nil)))]
            case .txn(let txn):
                return [.kvResponse(requestID: request.id, .ok(store.apply(.txn(txn))))]
            case .compact(let revision):
                return [.kvResponse(requestID: request.id, .ok(store.apply(.compact(revision: revision))))]
            }
        case .watchCreate(let create):
            let start = create.startRevision > 0 ? create.startRevision : store.revision + 1
            etcdWatch = (create.watchID, start, 1)
            return [.watch(watchID: create.watchID, sequence: 0, .created(startRevision: start))]
        case .watchPing(let id):
            guard let watch = etcdWatch, watch.id == id else {
                return [.watch(watchID: id, sequence: WatchResponse.unsequenced, .canceled(.unknownWatch, compactRevision: 0))]
            }
            etcdWatch?.sent += 1
            return [.watch(watchID: id, sequence: watch.sent, .progress(revision: store.revision))]
        case .raft, .request, .leaseRequest:
            return []
        }
    }

    mutating func watchNotifications() -> [EtcdClientBound] {
        guard !silent, let watch = etcdWatch, watch.next <= store.revision else { return [] }
        let events = (try? store.events(from: watch.next, key: "/registry/", end: "/registry0")) ?? []
        etcdWatch?.next = store.revision + 1
        guard !events.isEmpty else { return [] }
        etcdWatch?.sent += 1
        return [.watch(watchID: watch.id, sequence: watch.sent, .events(events))]
    }
}

func samplePod(_ name: String, labels: StringPairs = ["app": "web"]) -> KubeObject {
    var meta = ObjectMeta(name: name, namespace: "default")
    meta.labels = labels
    return .pod(Pod(metadata: meta, spec: PodSpec(containers: [Container(name: "app", image: "nginx:1.27")])))
}

func bindingBody(_ name: String, to node: String) -> KubeObject {
    guard case .pod(var pod) = samplePod(name) else { fatalError() }
    pod.spec.nodeName = node
    return .pod(pod)
}
