import FaultlineSim
import Testing
@testable import FaultlineCluster

@Suite struct ApiServerTests {
    @Test func startListsEtcdAndSyncsTheCache() {
        let harness = ApiServerHarness()
        #expect(harness.server.isCacheSynced)
        #expect(harness.observations.contains(.cacheSynced(revision: 1)))
        #expect(harness.etcdWatch != nil)
        #expect(!harness.server.isReady)  // no probe has run the etcd check yet
    }

    @Test func createAnswers201WithTheRevisionAndASecondCreateIs409AlreadyExists() {
        var harness = ApiServerHarness()
        let first = harness.request(.create, .pods, object: samplePod("web-1"))
        guard let created = harness.object(first) else { Issue.record("no object"); return }
        #expect(created.metadata.resourceVersion == harness.store.revision)
        #expect(created.metadata.uid != 0)
        #expect(created.metadata.generation == 1)
        #expect(harness.observations.contains(.objectWritten(created)))
        #expect(harness.observations.contains(.requestServed(requestID: first.id, user: .admin, verb: .create, resource: .pods, subresource: nil, code: .created)))
        // etcd stores no resourceVersion inside the value.
        #expect(harness.store.get("/registry/pods/default/web-1")?.value.object?.metadata.resourceVersion == 0)

        let second = harness.request(.create, .pods, object: samplePod("web-1"))
        #expect(harness.status(second)?.code == .conflict)
        #expect(harness.status(second)?.reason == "AlreadyExists")
        #expect(harness.status(second)?.message == "pods \"web-1\" already exists")
    }

    @Test func updateWithAStaleResourceVersionIs409Conflict() {
        var harness = ApiServerHarness()
        let sent1 = harness.request(.create, .pods, object: samplePod("web-1"))
        guard let created = harness.object(sent1) else { Issue.record("no answer"); return }
        var relabeled = created
        relabeled.metadata.labels["tier"] = "front"
        let update = harness.request(.update, .pods, name: "web-1", object: relabeled)
        #expect(harness.object(update)?.metadata.resourceVersion == harness.store.revision)
        #expect(harness.object(update)?.metadata.labels["tier"] == "front")
        // The same (now stale) resourceVersion again.
        relabeled.metadata.labels["tier"] = "back"
        let stale = harness.request(.update, .pods, name: "web-1", object: relabeled)
        #expect(harness.status(stale)?.code == .conflict)
        #expect(harness.status(stale)?.reason == "Conflict")
        #expect(harness.status(stale)?.message.hasSuffix("the object has been modified; please apply your changes to the latest version and try again") == true)
        // resourceVersion 0: unconditional, applied on the latest.
        relabeled.metadata.resourceVersion = 0
        let unconditional = harness.request(.update, .pods, name: "web-1", object: relabeled)
        #expect(harness.object(unconditional)?.metadata.labels["tier"] == "back")
        #expect(harness.object(unconditional)?.metadata.uid == created.metadata.uid)
        // A missing object is 404.
        var missing = samplePod("ghost")
        missing.metadata.resourceVersion = 5
        let sent2 = harness.request(.update, .pods, name: "ghost", object: missing)
        #expect(harness.status(sent2)?.code == .notFound)
    }

    @Test func specChangesBumpGenerationButStatusUpdatesKeepSpec() {
        var harness = ApiServerHarness()
        var template = PodTemplate(labels: ["app": "web"], spec: PodSpec(containers: [Container(name: "web", image: "nginx:1.27")]))
        template.spec.containers[0].requests = ResourceList(milliCPU: 100, memoryBytes: 64 << 20)
        let deployment = Deployment(metadata: ObjectMeta(name: "web", namespace: "default"), spec: DeploymentSpec(selector: ["app": "web"], template: template))
        let sent3 = harness.request(.create, .deployments, object: .deployment(deployment))
        guard case .deployment(var stored)? = harness.object(sent3) else { Issue.record("no answer"); return }
        stored.spec.replicas = 5
        let sent4 = harness.request(.update, .deployments, name: "web", object: .deployment(stored))
        guard case .deployment(var scaled)? = harness.object(sent4) else { Issue.record("no answer"); return }
        #expect(scaled.metadata.generation == 2)
        scaled.status.availableReplicas = 5
        scaled.spec.replicas = 9  // ignored by the status subresource
        let statusUpdate = harness.request(.update, .deployments, name: "web", object: .deployment(scaled)) { $0.subresource = .status }
        guard case .deployment(let after)? = harness.object(statusUpdate) else { Issue.record("status update failed"); return }
        #expect(after.status.availableReplicas == 5)
        #expect(after.spec.replicas == 5)
        #expect(after.metadata.generation == 2)
    }

    @Test func bindingTwiceIs409AndTheBugLetsItOverwrite() {
        for buggy in [false, true] {
            var config = ApiServerConfig(etcdEndpoints: [ApiServerHarness.etcdHost])
            if buggy { config.bugs = [.bindingIgnoresExistingNode] }
            var harness = ApiServerHarness(config: config)
            _ = harness.request(.create, .pods, object: samplePod("web-1"))
            let first = harness.request(.create, .pods, name: "web-1", object: bindingBody("web-1", to: "worker-1"), user: .scheduler) { $0.subresource = .binding }
            #expect(harness.result(first).map { if case .object = $0 { true } else { false } } == true)
            let second = harness.request(.create, .pods, name: "web-1", object: bindingBody("web-1", to: "worker-2"), user: .scheduler) { $0.subresource = .binding }
            guard case .pod(let stored)? = harness.store.get("/registry/pods/default/web-1")?.value.object else { Issue.record("no pod"); return }
            if buggy {
                #expect(harness.object(second) != nil)
                #expect(stored.spec.nodeName == "worker-2")
            } else {
                #expect(harness.status(second)?.code == .conflict)
                #expect(harness.status(second)?.message.contains("is already assigned to node \"worker-1\"") == true)
                #expect(stored.spec.nodeName == "worker-1")
            }
        }
    }

    @Test func aForbiddenRequestIs403AndNeverReachesEtcd() {
        var harness = ApiServerHarness()
        let before = harness.kvRequests.count
        let request = harness.request(.create, .deployments, object: samplePod("x"), user: .node("worker-1"))
        #expect(harness.status(request)?.code == .forbidden)
        #expect(harness.kvRequests.count == before)
        let anonymous = harness.request(.list, .pods, user: .anonymous)
        #expect(harness.status(anonymous)?.code == .forbidden)
        #expect(harness.kvRequests.count == before)
    }

    @Test func anInvalidObjectIs422WithTheFieldPath() {
        var harness = ApiServerHarness()
        let before = harness.kvRequests.count
        guard case .pod(var pod) = samplePod("web-1") else { Issue.record("no answer"); return }
        pod.spec.containers[0].image = ""
        let request = harness.request(.create, .pods, object: .pod(pod))
        #expect(harness.status(request)?.code == .unprocessableEntity)
        #expect(harness.status(request)?.field == "spec.containers[0].image")
        #expect(harness.kvRequests.count == before)
    }

    @Test func aWatchFromARevisionOlderThanTheWindowIs410Gone() {
        var config = ApiServerConfig(etcdEndpoints: [ApiServerHarness.etcdHost])
        config.watchCacheEventsPerResource = 3
        var harness = ApiServerHarness(config: config)
        let firstRevision = harness.store.revision
        for index in 1...5 { _ = harness.request(.create, .pods, object: samplePod("web-\(index)")) }
        let old = harness.request(.watch, .pods) { $0.resourceVersion = firstRevision }
        #expect(harness.result(old) == .watching)
        let messages = harness.watchMessages(old)
        #expect(messages.count == 1)
        #expect(messages.first?.ended?.code == .gone)
        #expect(messages.first?.ended?.message.hasPrefix("too old resource version") == true)
        // A revision still in the window gets exactly the later events.
        let windowed = harness.store.revision - 2
        let recent = harness.request(.watch, .pods) { $0.resourceVersion = windowed }
        #expect(harness.watchMessages(recent).first?.events.map(\.resourceVersion) == [harness.store.revision - 1, harness.store.revision])
    }

    @Test func theBrokenCacheResumesAtTheResourceVersionItWasAskedFor() {
        var config = ApiServerConfig(etcdEndpoints: [ApiServerHarness.etcdHost])
        config.bugs = [.watchResumesAtResourceVersion]
        var harness = ApiServerHarness(config: config)
        for index in 1...3 { _ = harness.request(.create, .pods, object: samplePod("web-\(index)")) }
        let latest = harness.store.revision
        let watch = harness.request(.watch, .pods) { $0.resourceVersion = latest }
        // The event at `latest` is the one the client saw last: a correct cache sends nothing.
        #expect(harness.watchMessages(watch).first?.events.map(\.resourceVersion) == [latest])
        var correct = ApiServerHarness(config: ApiServerConfig(etcdEndpoints: [ApiServerHarness.etcdHost]))
        for index in 1...3 { _ = correct.request(.create, .pods, object: samplePod("web-\(index)")) }
        let revision = correct.store.revision
        let resumed = correct.request(.watch, .pods) { $0.resourceVersion = revision }
        #expect(correct.watchMessages(resumed).allSatisfy { $0.events.isEmpty })
    }

    @Test func aWatchFromZeroGetsAddedForExistingObjectsThenLaterEventsInOrder() {
        var harness = ApiServerHarness()
        _ = harness.request(.create, .pods, object: samplePod("b"))
        _ = harness.request(.create, .pods, object: samplePod("a"))
        _ = harness.request(.create, .pods, object: samplePod("other", labels: ["app": "db"]))
        let watch = harness.request(.watch, .pods, connection: 2) { $0.labelSelector = ["app": "web"] }
        let sent5 = harness.request(.create, .pods, object: samplePod("c"))
        guard let created = harness.object(sent5) else { Issue.record("no answer"); return }
        _ = harness.request(.delete, .pods, name: "a")
        let messages = harness.watchMessages(watch)
        #expect(messages.map(\.sequence) == [0, 1, 2])
        guard messages.count == 3 else { Issue.record("no answer"); return }
        #expect(messages[0].events.map { if case .added(let object) = $0 { object.metadata.name } else { "?" } } == ["a", "b"])
        #expect(messages[1].events == [.added(created)])
        guard case .deleted(let gone)? = messages[2].events.first else { Issue.record("no delete"); return }
        #expect(gone.metadata.name == "a")
        #expect(gone.metadata.resourceVersion == harness.store.revision)
    }

    @Test func aPodMovingIntoANodeSelectorIsAddedForTheKubelet() {
        var harness = ApiServerHarness()
        _ = harness.request(.create, .pods, object: samplePod("web-1"))
        let kubelet = harness.request(.watch, .pods, namespace: "", user: .node("worker-1"), connection: 3) { $0.nodeNameSelector = "worker-1" }
        #expect(harness.result(kubelet) == .watching)
        _ = harness.request(.create, .pods, name: "web-1", object: bindingBody("web-1", to: "worker-1"), user: .scheduler) { $0.subresource = .binding }
        let events = harness.watchMessages(kubelet).flatMap(\.events)
        guard case .added(let pod)? = events.first, events.count == 1 else { Issue.record("expected one ADDED, got \(events)"); return }
        #expect(pod.metadata.name == "web-1")
    }

    @Test func anyListIsServedFromTheCacheWhileConsistentAsksEtcd() {
        var harness = ApiServerHarness()
        _ = harness.request(.create, .pods, object: samplePod("web-1"))
        var before = harness.kvRequests.count
        let cached = harness.request(.list, .pods) { $0.consistency = .any }
        #expect(harness.kvRequests.count == before)
        guard case .list(let objects, let revision)? = harness.result(cached) else { Issue.record("no list"); return }
        #expect(objects.map(\.metadata.name) == ["web-1"])
        #expect(revision == harness.store.revision)
        before = harness.kvRequests.count
        let consistent = harness.request(.list, .pods)
        #expect(harness.kvRequests.count == before + 1)
        guard case .list(let fresh, _)? = harness.result(consistent) else { Issue.record("no list"); return }
        #expect(fresh == objects)
        // A consistent get, and a 404.
        let sent6 = harness.request(.get, .pods, name: "web-1")
        #expect(harness.object(sent6)?.metadata.name == "web-1")
        let sent7 = harness.request(.get, .pods, name: "nope")
        #expect(harness.status(sent7)?.code == .notFound)
    }

    @Test func aStaleCacheServesOldStateToAnyReadsAndTheBugToConsistentOnes() {
        for buggy in [false, true] {
            var config = ApiServerConfig(etcdEndpoints: [ApiServerHarness.etcdHost])
            if buggy { config.bugs = [.staleReadsForConsistentRequests] }
            var harness = ApiServerHarness(config: config)
            harness.etcdWatch = nil  // the cache's stream silently stops
            _ = harness.request(.create, .pods, object: samplePod("web-1"))
            let consistent = harness.request(.get, .pods, name: "web-1")
            #expect((harness.object(consistent) != nil) == !buggy)
            let any = harness.request(.get, .pods, name: "web-1") { $0.consistency = .any }
            #expect(harness.status(any)?.code == .notFound)
        }
    }

    @Test func readyzIsHealthyOnlyAfterTheEtcdReadReturnsAndUnhealthyOnTimeout() {
        var harness = ApiServerHarness()
        harness.silent = true
        harness.probe(.httpReadyz, id: 1)
        #expect(harness.probeResult(1) == nil)  // waiting on etcd
        harness.probe(.tcp, id: 2)
        #expect(harness.probeResult(2) == true)
        harness.advance(ms: 2_000)
        #expect(harness.probeResult(1) == false)
        #expect(!harness.server.isReady)
        harness.silent = false
        harness.probe(.httpReadyz, id: 3)
        #expect(harness.probeResult(3) == true)
        #expect(harness.server.isReady)
        #expect(harness.observations.contains(.readinessChanged(ready: true, reason: "etcd check passed")))
        harness.silent = true
        harness.advance(ms: 1_500)
        harness.probe(.httpHealthz, id: 4)
        harness.advance(ms: 2_000)
        #expect(harness.probeResult(4) == false)
        #expect(harness.observations.last { if case .readinessChanged = $0 { true } else { false } } == .readinessChanged(ready: false, reason: "etcd: request timed out"))
    }

    @Test func anEtcdTimeoutOnAWriteIs504AndReportedAsUnknown() {
        var harness = ApiServerHarness()
        harness.silent = true
        let create = harness.request(.create, .pods, object: samplePod("web-1"))
        #expect(harness.result(create) == nil)
        harness.advance(ms: 5_000)
        #expect(harness.status(create)?.code == .gatewayTimeout)
        #expect(harness.observations.contains(.writeOutcomeUnknown(requestID: create.id, key: "/registry/pods/default/web-1")))
        harness.silent = false
        harness.unavailable = true
        let again = harness.request(.create, .pods, object: samplePod("web-2"))
        #expect(harness.status(again)?.code == .serviceUnavailable)
    }

    @Test func boundPodsAreDeletedGracefullyAndOthersAtOnce() {
        var harness = ApiServerHarness()
        _ = harness.request(.create, .pods, object: samplePod("web-1"))
        _ = harness.request(.create, .pods, object: samplePod("web-2"))
        _ = harness.request(.create, .pods, name: "web-1", object: bindingBody("web-1", to: "worker-1"), user: .scheduler) { $0.subresource = .binding }
        let graceful = harness.request(.delete, .pods, name: "web-1")
        #expect(harness.object(graceful)?.metadata.deletionTimestamp == harness.now + .seconds(30))
        #expect(harness.store.get("/registry/pods/default/web-1") != nil)
        // The kubelet finishes with grace 0; the node authorizer allows it for its own pod.
        let final = harness.request(.delete, .pods, name: "web-1", user: .node("worker-1")) { $0.gracePeriodSeconds = 0 }
        #expect(harness.object(final)?.metadata.resourceVersion == harness.store.revision)
        #expect(harness.store.get("/registry/pods/default/web-1") == nil)
        // Unbound: at once. A stale precondition: 409.
        let precondition = harness.request(.delete, .pods, name: "web-2") { $0.resourceVersion = 1 }
        #expect(harness.status(precondition)?.code == .conflict)
        _ = harness.request(.delete, .pods, name: "web-2")
        #expect(harness.store.get("/registry/pods/default/web-2") == nil)
        let sent8 = harness.request(.delete, .pods, name: "web-2")
        #expect(harness.status(sent8)?.code == .notFound)
    }

    @Test func aRestartDropsConnectionsAndWatches() {
        var harness = ApiServerHarness()
        let watch = harness.request(.watch, .pods, connection: 5)
        #expect(harness.server.watchCount == 1)
        harness.silent = true
        let pendingGet = harness.request(.get, .pods, name: "web-1", connection: 5)
        harness.silent = false
        harness.restart()
        #expect(harness.server.watchCount == 0)
        #expect(harness.server.pendingEtcdRequests == 0)
        _ = harness.request(.create, .pods, object: samplePod("web-1"), connection: 6)
        #expect(harness.watchMessages(watch).isEmpty)
        harness.advance(ms: 10_000)
        #expect(harness.result(pendingGet) == nil)  // its timeout died with the process
    }

    @Test func closingAConnectionEndsItsWatchesAndDropsLateAnswers() {
        var harness = ApiServerHarness()
        let watch = harness.request(.watch, .pods, connection: 5)
        harness.close(connection: 5)
        #expect(harness.server.watchCount == 0)
        _ = harness.request(.create, .pods, object: samplePod("web-1"), connection: 6)
        #expect(harness.watchMessages(watch).isEmpty)
    }

    @Test func aCompactedResumeRelistsAndEndsClientWatches() {
        var harness = ApiServerHarness()
        let watch = harness.request(.watch, .pods, connection: 5)
        var output = ApiServerOutput()
        let id = harness.etcdWatch!.id
        harness.server.receive(.watch(watchID: id, sequence: harness.etcdWatch!.sent, .canceled(.compacted, compactRevision: 5)), now: harness.now, into: &output)
        harness.etcdWatch = nil
        harness.pump(output)
        #expect(harness.watchMessages(watch).last?.ended?.code == .serviceUnavailable)
        #expect(!harness.server.isCacheSynced)
        let sent9 = harness.request(.watch, .pods)
        #expect(harness.status(sent9)?.code == .tooManyRequests)
        harness.advance(ms: 1_000)
        #expect(harness.server.isCacheSynced)
    }

    @Test func compactionCompactsToTheRevisionSeenAnIntervalEarlier() {
        var harness = ApiServerHarness()
        _ = harness.request(.create, .pods, object: samplePod("web-1"))
        let seen = harness.store.revision
        harness.advance(ms: 300_000)
        _ = harness.request(.create, .pods, object: samplePod("web-2"))
        harness.advance(ms: 300_000)
        #expect(harness.observations.contains(.compactionRequested(revision: seen)))
        #expect(harness.store.compactedRevision == seen)
    }

    @Test func tooManyWatchesOnAConnectionIs429() {
        var config = ApiServerConfig(etcdEndpoints: [ApiServerHarness.etcdHost])
        config.maxWatchesPerConnection = 2
        var harness = ApiServerHarness(config: config)
        _ = harness.request(.watch, .pods)
        _ = harness.request(.watch, .nodes, namespace: "")
        let sent10 = harness.request(.watch, .leases)
        #expect(harness.status(sent10)?.code == .tooManyRequests)
    }
}
