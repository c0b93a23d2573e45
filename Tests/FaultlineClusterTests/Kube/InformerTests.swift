import FaultlineSim
import Testing
@testable import FaultlineCluster

private let processHost = HostID(index: 4)
private let balancer = HostID(index: 9)

private func ms(_ value: Int64) -> SimInstant { .start + .milliseconds(value) }

private func pod(_ name: String, rv: Int64, node: String? = nil) -> KubeObject {
    var meta = ObjectMeta(name: name, namespace: "default")
    meta.resourceVersion = rv
    var pod = Pod(metadata: meta, spec: PodSpec(containers: [Container(name: "app", image: "nginx")]))
    pod.spec.nodeName = node
    return .pod(pod)
}

/// Drives an `InformerSet` with one pod informer, as the apiserver would.
private struct Harness {
    var set: InformerSet
    var outputs: [InformerSetOutput] = []
    var now = ms(0)

    init(consistency: ReadConsistency = .any) {
        var config = InformerConfig(resource: .pods, user: .scheduler)
        config.initialListConsistency = consistency
        let informer = Informer(config: config, random: SimRandom(seed: 1, stream: "informer/pods"))
        set = InformerSet(client: ApiClient(host: processHost, endpoint: balancer), informers: [informer])
    }

    var requests: [(connection: UInt64, request: ApiRequest)] {
        outputs.compactMap {
            if case .send(.request(let connection, let request), _) = $0 { return (connection, request) }
            return nil
        }
    }

    var events: [InformerEvent] {
        outputs.compactMap {
            if case .informer(0, let event) = $0 { return event }
            return nil
        }
    }

    var handlerEvents: [InformerEvent] {
        events.filter {
            switch $0 {
            case .added, .updated, .deleted: return true
            case .synced, .observedResourceVersion: return false
            }
        }
    }

    var informerTimers: [(afterMs: Int64, timer: InformerSetTimer)] {
        outputs.compactMap {
            if case .setTimer(let afterMs, let timer) = $0, case .informer = timer { return (afterMs, timer) }
            return nil
        }
    }

    mutating func start() {
        set.start(now: now, into: &outputs)
    }

    mutating func answer(_ result: ApiResult) {
        let last = requests.last!
        outputs.removeAll()
        set.receive(.response(connection: last.connection, requestID: last.request.id, result), now: now, into: &outputs)
    }

    mutating func deliver(_ message: ApiClientBound) {
        outputs.removeAll()
        set.receive(message, now: now, into: &outputs)
    }

    /// Fires the informer's back-off timer; returns its wait.
    mutating func fireBackoff() -> Int64 {
        let timer = informerTimers.last!
        now = now + .milliseconds(timer.afterMs)
        outputs.removeAll()
        set.timerFired(timer.timer, now: now, into: &outputs)
        return timer.afterMs
    }

    /// Lists `objects` at `rv` and opens the watch that follows; returns the watch request.
    mutating func syncAndWatch(_ objects: [KubeObject], rv: Int64) -> (connection: UInt64, request: ApiRequest) {
        start()
        answer(.list(objects, resourceVersion: rv))
        let watch = requests.last!
        deliver(.response(connection: watch.connection, requestID: watch.request.id, .watching))
        return watch
    }
}

@Test func anInformerListsFromTheCacheThenWatchesFromTheListRevision() {
    var harness = Harness()
    harness.start()
    let list = harness.requests.last!.request
    #expect(list.verb == .list && list.resource == .pods)
    #expect(list.consistency == .any && list.resourceVersion == 0, "resourceVersion=0: served from the watch cache")
    harness.answer(.list([pod("a", rv: 5), pod("b", rv: 7)], resourceVersion: 20))
    #expect(harness.events == [
        .added(pod("a", rv: 5)), .added(pod("b", rv: 7)),
        .observedResourceVersion(.pods, 20, fromWatch: false), .synced,
    ])
    let watch = harness.requests.last!.request
    #expect(watch.verb == .watch && watch.resourceVersion == 20)
    #expect(harness.set.hasSynced)
    #expect(harness.set.informers[0].objects.map(\.metadata.name) == ["a", "b"])
}

@Test func aConsistentInformerListsFromEtcd() {
    var harness = Harness(consistency: .consistent)
    harness.start()
    #expect(harness.requests.last!.request.consistency == .consistent)
}

@Test func watchEventsUpdateTheStoreAndReportResourceVersions() {
    var harness = Harness()
    let watch = harness.syncAndWatch([pod("a", rv: 5)], rv: 20)
    harness.deliver(.watchEvents(connection: watch.connection, requestID: watch.request.id, sequence: 0, [
        .modified(pod("a", rv: 21, node: "n1")), .added(pod("c", rv: 22)), .deleted(pod("a", rv: 23)), .bookmark(resourceVersion: 30),
    ]))
    #expect(harness.events == [
        .updated(old: pod("a", rv: 5), new: pod("a", rv: 21, node: "n1")), .observedResourceVersion(.pods, 21, fromWatch: true),
        .added(pod("c", rv: 22)), .observedResourceVersion(.pods, 22, fromWatch: true),
        .deleted(pod("a", rv: 23)), .observedResourceVersion(.pods, 23, fromWatch: true),
        .observedResourceVersion(.pods, 30, fromWatch: true),
    ])
    #expect(harness.set.informers[0].objects == [pod("c", rv: 22)])
    #expect(harness.set.informers[0].lastSyncResourceVersion == 30)
}

@Test func aWatchGapRewatchesFromTheLastResourceVersionAfterABackoff() {
    var harness = Harness()
    let watch = harness.syncAndWatch([pod("a", rv: 5)], rv: 20)
    harness.deliver(.watchEvents(connection: watch.connection, requestID: watch.request.id, sequence: 0, [.modified(pod("a", rv: 25))]))
    harness.deliver(.watchEvents(connection: watch.connection, requestID: watch.request.id, sequence: 2, [.modified(pod("a", rv: 27))]))
    #expect(harness.requests.isEmpty, "nothing is sent before the back-off")
    let wait = harness.fireBackoff()
    #expect((800..<1_600).contains(wait), "client-go's back-off manager: 800 ms with jitter 1.0")
    let rewatch = harness.requests.last!
    #expect(rewatch.request.verb == .watch && rewatch.request.resourceVersion == 25)
    #expect(rewatch.connection != watch.connection, "the broken connection is replaced")
    #expect(harness.set.informers[0].object(namespace: "default", name: "a") == pod("a", rv: 25))
}

@Test func aCleanWatchEndRewatchesAtOnceAndAnErrorEndBacksOff() {
    var harness = Harness()
    let watch = harness.syncAndWatch([], rv: 20)
    harness.deliver(.watchEvents(connection: watch.connection, requestID: watch.request.id, sequence: 0, [.added(pod("a", rv: 24))]))
    harness.deliver(.watchEnded(connection: watch.connection, requestID: watch.request.id, sequence: 1, ApiStatus(.ok, reason: "", message: "timeout")))
    let rewatch = harness.requests.last!
    #expect(rewatch.request.verb == .watch && rewatch.request.resourceVersion == 24)
    #expect(rewatch.connection == watch.connection)

    harness.deliver(.response(connection: rewatch.connection, requestID: rewatch.request.id, .watching))
    harness.deliver(.watchEnded(connection: rewatch.connection, requestID: rewatch.request.id, sequence: 0, ApiStatus(.internalServerError, reason: "InternalError", message: "etcd")))
    #expect(harness.requests.isEmpty)
    _ = harness.fireBackoff()
    #expect(harness.requests.last!.request.verb == .watch)
    #expect(harness.requests.last!.request.resourceVersion == 24)
}

@Test func goneRelistsAndTheDiffDeletesVanishedObjects() {
    var harness = Harness()
    let watch = harness.syncAndWatch([pod("a", rv: 5), pod("b", rv: 7)], rv: 20)
    harness.deliver(.watchEvents(connection: watch.connection, requestID: watch.request.id, sequence: 0, [.modified(pod("a", rv: 25))]))
    let gone = ApiStatus(.gone, reason: "Expired", message: "too old resource version: 25")
    harness.deliver(.watchEnded(connection: watch.connection, requestID: watch.request.id, sequence: 1, gone))
    #expect(harness.requests.isEmpty)
    _ = harness.fireBackoff()
    let relist = harness.requests.last!.request
    #expect(relist.verb == .list)
    #expect(relist.consistency == .any && relist.resourceVersion == 25, "a relist asks for nothing older than what was seen")
    harness.answer(.list([pod("a", rv: 25), pod("c", rv: 40)], resourceVersion: 50))
    #expect(harness.handlerEvents == [.added(pod("c", rv: 40)), .deleted(pod("b", rv: 7))],
            "unchanged objects notify nothing; vanished ones are deleted")
    #expect(!harness.events.contains(.synced), "synced is reported once")
    #expect(harness.set.informers[0].objects.map(\.metadata.name) == ["a", "c"])
    #expect(harness.requests.last!.request.verb == .watch && harness.requests.last!.request.resourceVersion == 50)
}

@Test func aFailedListBacksOffAndAGoneListBecomesConsistent() {
    var harness = Harness()
    harness.start()
    harness.answer(.failure(ApiStatus(.forbidden, reason: "Forbidden", message: "rbac not ready")))
    #expect(harness.requests.isEmpty)
    let first = harness.fireBackoff()
    #expect(harness.requests.last!.request.verb == .list)
    harness.answer(.failure(ApiStatus(.gone, reason: "Expired", message: "")))
    let second = harness.fireBackoff()
    #expect((1_600..<3_200).contains(second), "the step doubles (first wait \(first))")
    #expect(harness.requests.last!.request.consistency == .consistent)
}

@Test func theOwnersCallsShareTheConnection() {
    var harness = Harness()
    let watch = harness.syncAndWatch([], rv: 20)
    harness.outputs.removeAll()
    var put = ApiRequest(id: 0, user: .scheduler, verb: .create, resource: .pods, namespace: "default", name: "x")
    put.object = pod("x", rv: 0)
    harness.set.send(put, tag: RequestTag(42), now: harness.now, into: &harness.outputs)
    let sent = harness.requests.last!
    #expect(sent.connection == watch.connection)
    harness.deliver(.response(connection: sent.connection, requestID: sent.request.id, .object(pod("x", rv: 21))))
    let completed: [RequestTag] = harness.outputs.compactMap {
        if case .completed(let tag, _) = $0 { return tag }
        return nil
    }
    #expect(completed == [RequestTag(42)])
}

@Test func restartForgetsTheStoreAndListsFromTheCacheAgain() {
    var harness = Harness()
    _ = harness.syncAndWatch([pod("a", rv: 5)], rv: 20)
    harness.set.restart()
    #expect(harness.set.informers[0].objects.isEmpty && !harness.set.hasSynced)
    harness.outputs.removeAll()
    harness.start()
    let list = harness.requests.last!
    #expect(list.request.consistency == .any && list.request.resourceVersion == 0, "the stale-read hazard of issue 59848")
}

@Test func theBackoffManagerDoublesToItsCapAndResets() {
    var backoff = BackoffManager(initialMs: 800, capMs: 30_000, resetAfterMs: 120_000, jitterTenths: 0)
    var random = SimRandom(seed: 3, stream: "backoff")
    var waits: [Int64] = []
    for step in 0..<8 { waits.append(backoff.nextWaitMs(now: ms(Int64(step) * 1_000), random: &random)) }
    #expect(waits == [800, 1_600, 3_200, 6_400, 12_800, 25_600, 30_000, 30_000])
    #expect(backoff.nextWaitMs(now: ms(8_000 + 120_001), random: &random) == 800)
}
