import FaultlineSim
import Testing
@testable import FaultlineCluster

private func makeReplicaSet(replicas: Int, minReadySeconds: Int64 = 0) -> ReplicaSet {
    var meta = ObjectMeta(name: "web-abc", namespace: "shop")
    meta.uid = 77
    meta.generation = 2
    meta.resourceVersion = 40
    var template = PodTemplate(labels: ["app": "web", "pod-template-hash": "abc"], spec: PodSpec(containers: [Container(name: "web", image: "web:1")]))
    template.annotations = ["team": "a"]
    var set = ReplicaSet(metadata: meta, spec: ReplicaSetSpec(replicas: replicas, selector: ["app": "web"], template: template))
    set.spec.minReadySeconds = minReadySeconds
    return set
}

private func makePod(_ name: String, uid: UInt64, node: String? = "n1", phase: PodPhase = .running, readySince: SimInstant? = nil,
                     created: SimInstant = .start) -> Pod {
    var meta = ObjectMeta(name: name, namespace: "shop")
    meta.uid = uid
    meta.creationTimestamp = created
    meta.ownerReferences = [OwnerReference(kind: .replicasets, name: "web-abc", uid: 77)]
    var pod = Pod(metadata: meta, spec: PodSpec(containers: [Container(name: "web", image: "web:1")]))
    pod.spec.nodeName = node
    pod.status.phase = phase
    if let readySince {
        pod.status.ready = true
        pod.status.readySince = readySince
    }
    return pod
}

private func at(_ seconds: Int64) -> SimInstant { .start + .seconds(seconds) }

private func creates(_ actions: [ControllerAction]) -> [Pod] {
    actions.compactMap { if case .create(.pod(let pod)) = $0 { return pod } else { return nil } }
}

private func deletedNames(_ actions: [ControllerAction]) -> [String] {
    actions.compactMap { if case .delete(.pods, _, let name, _) = $0 { return name } else { return nil } }
}

@Suite struct ReplicaSetReconcilerTests {
    @Test func slowStartBatchesDouble() {
        #expect(ReplicaSetReconciler.slowStartBatchSizes(0) == [])
        #expect(ReplicaSetReconciler.slowStartBatchSizes(1) == [1])
        #expect(ReplicaSetReconciler.slowStartBatchSizes(10) == [1, 2, 4, 3])
        #expect(ReplicaSetReconciler.slowStartBatchSizes(15) == [1, 2, 4, 8])
        #expect(ReplicaSetReconciler.slowStartBatchSizes(500) == [1, 2, 4, 8, 16, 32, 64, 128, 245])
    }

    @Test func missingReplicasAreCreatedFromTheTemplate() throws {
        var random = SimRandom(seed: 9, stream: "rs")
        let pods = [makePod("web-abc-aaaaa", uid: 1, readySince: .start), makePod("web-abc-bbbbb", uid: 2, readySince: .start)]
        let result = ReplicaSetReconciler.sync(makeReplicaSet(replicas: 5), ownedPods: pods, expectations: ReplicaSetExpectations(), now: at(10), random: &random)
        let created = creates(result.actions)
        #expect(created.count == 3)
        #expect(result.createBatchSizes == [1, 2])
        #expect(result.expectations.pendingCreates == 3)
        #expect(result.expectations.setAt == at(10))
        #expect(Set(created.map(\.metadata.name)).count == 3)
        for pod in created {
            #expect(pod.metadata.name.hasPrefix("web-abc-") && pod.metadata.name.count == "web-abc-".count + 5)
            #expect(pod.metadata.namespace == "shop")
            #expect(pod.metadata.labels == ["app": "web", "pod-template-hash": "abc"])
            #expect(pod.metadata.annotations == ["team": "a"])
            #expect(pod.metadata.ownerReferences == [OwnerReference(kind: .replicasets, name: "web-abc", uid: 77, controller: true)])
            #expect(pod.spec.nodeName == nil)
        }
        // Status: two active, ready and available pods; the write carries the stored resourceVersion.
        guard case .updateStatus(.replicaSet(let updated)) = try #require(result.actions.last) else {
            Issue.record("no status update")
            return
        }
        #expect(updated.status.replicas == 2 && updated.status.readyReplicas == 2 && updated.status.availableReplicas == 2)
        #expect(updated.status.observedGeneration == 2)
        #expect(updated.metadata.resourceVersion == 40)
        // The same stream gives the same names.
        var again = SimRandom(seed: 9, stream: "rs")
        let replay = ReplicaSetReconciler.sync(makeReplicaSet(replicas: 5), ownedPods: pods, expectations: ReplicaSetExpectations(), now: at(10), random: &again)
        #expect(replay == result)
    }

    @Test func unobservedCreatesHoldTheNextSyncUntilTheyExpire() {
        var random = SimRandom(seed: 1, stream: "rs")
        let set = makeReplicaSet(replicas: 3)
        let first = ReplicaSetReconciler.sync(set, ownedPods: [], expectations: ReplicaSetExpectations(), now: at(0), random: &random)
        #expect(creates(first.actions).count == 3)
        // The informer has seen none of the pods yet: creating again would overshoot.
        var expectations = first.expectations
        let early = ReplicaSetReconciler.sync(set, ownedPods: [], expectations: expectations, now: at(60), random: &random)
        #expect(creates(early.actions).isEmpty)
        // Seeing two of them is not enough either; the third is skipped by a failed batch.
        expectations.creationObserved()
        expectations.creationObserved()
        #expect(!expectations.isSatisfied(at: at(61)))
        expectations.creationsSkipped(1)
        #expect(expectations.isSatisfied(at: at(61)))
        // Expectations older than five minutes no longer block.
        let late = ReplicaSetReconciler.sync(set, ownedPods: [], expectations: first.expectations, now: at(301), random: &random)
        #expect(creates(late.actions).count == 3)
    }

    @Test func aSyncCreatesAtMostBurstReplicas() {
        var random = SimRandom(seed: 1, stream: "rs")
        let result = ReplicaSetReconciler.sync(makeReplicaSet(replicas: 600), ownedPods: [], expectations: ReplicaSetExpectations(), now: at(0), random: &random)
        #expect(creates(result.actions).count == 500)
        #expect(result.createBatchSizes.reduce(0, +) == 500)
    }

    @Test func scaleDownDeletesVictimsInActivePodsWithRanksOrder() {
        var random = SimRandom(seed: 1, stream: "rs")
        let now = at(10_000)
        var unknown = makePod("unknown", uid: 3, phase: .unknown)
        unknown.status.ready = false
        let pods = [
            makePod("ready-long", uid: 6, readySince: at(100)),            // ready ~9900s: oldest bucket
            makePod("ready-recent", uid: 5, readySince: at(9_990)),        // ready 10s
            makePod("running-unready", uid: 4),
            unknown,
            makePod("pending", uid: 2, phase: .pending),
            makePod("unassigned", uid: 1, node: nil, phase: .pending),
        ]
        let result = ReplicaSetReconciler.sync(makeReplicaSet(replicas: 1), ownedPods: pods, expectations: ReplicaSetExpectations(), now: now, random: &random)
        #expect(deletedNames(result.actions) == ["unassigned", "pending", "unknown", "running-unready", "ready-recent"])
        #expect(result.expectations.pendingDeleteUIDs == [1, 2, 3, 4, 5])
        var expectations = result.expectations
        expectations.deletionObserved(uid: 99)  // not ours: ignored
        #expect(expectations.pendingDeleteUIDs.count == 5)
        for uid: UInt64 in 1...5 { expectations.deletionObserved(uid: uid) }
        #expect(expectations.isSatisfied(at: now))
    }

    @Test func doubledUpPodsGoFirstAndReadyTimesCompareInPowersOfTwo() {
        let now = at(1_000)
        // Same readiness; "crowded" shares its node with another related pod.
        let crowded = makePod("crowded", uid: 1, node: "a", readySince: at(10))
        let alone = makePod("alone", uid: 2, node: "b", readySince: at(900))
        let neighbour = makePod("neighbour", uid: 3, node: "a", readySince: at(10))
        let victims = ReplicaSetReconciler.podsToDelete([alone, crowded], count: 1, relatedPods: [alone, crowded, neighbour], now: now)
        #expect(victims.map(\.metadata.name) == ["crowded"])
        // Without the rank, the more recently ready one goes first.
        #expect(ReplicaSetReconciler.podsToDelete([crowded, alone], count: 1, relatedPods: [], now: now).map(\.metadata.name) == ["alone"])
        // Ready 990s and 900s ago fall in the same power-of-two bucket of nanoseconds (2^39..2^40):
        // the lower uid goes first, whatever the exact times.
        let a = makePod("a", uid: 20, node: "x", readySince: at(10))
        let b = makePod("b", uid: 10, node: "y", readySince: at(100))
        #expect(ReplicaSetReconciler.podsToDelete([a, b], count: 1, relatedPods: [], now: now).map(\.metadata.name) == ["b"])
    }

    @Test func terminatingAndFinishedPodsAreNotActive() throws {
        var random = SimRandom(seed: 1, stream: "rs")
        var terminating = makePod("terminating", uid: 1, readySince: .start)
        terminating.metadata.deletionTimestamp = at(5)
        let done = makePod("done", uid: 2, phase: .succeeded)
        let live = makePod("live", uid: 3, readySince: .start)
        let result = ReplicaSetReconciler.sync(makeReplicaSet(replicas: 2), ownedPods: [terminating, done, live], expectations: ReplicaSetExpectations(), now: at(10), random: &random)
        #expect(creates(result.actions).count == 1)
        #expect(deletedNames(result.actions).isEmpty)
        guard case .updateStatus(.replicaSet(let updated)) = try #require(result.actions.last) else {
            Issue.record("no status update")
            return
        }
        #expect(updated.status.replicas == 1)
    }

    @Test func availabilityWaitsForMinReadySeconds() {
        var random = SimRandom(seed: 1, stream: "rs")
        let set = makeReplicaSet(replicas: 2, minReadySeconds: 30)
        let pods = [makePod("a", uid: 1, readySince: at(0)), makePod("b", uid: 2, readySince: at(20))]
        let status = ReplicaSetReconciler.status(of: set, activePods: pods, now: at(40))
        #expect(status.replicas == 2 && status.readyReplicas == 2 && status.availableReplicas == 1)
        let result = ReplicaSetReconciler.sync(set, ownedPods: pods, expectations: ReplicaSetExpectations(), now: at(40), random: &random)
        #expect(result.requeueAfter == .seconds(30))
        // Nothing changed: no write at all.
        var settled = set
        settled.status = ReplicaSetReconciler.status(of: set, activePods: pods, now: at(50))
        let quiet = ReplicaSetReconciler.sync(settled, ownedPods: pods, expectations: ReplicaSetExpectations(), now: at(50), random: &random)
        #expect(quiet.actions.isEmpty)
        #expect(quiet.requeueAfter == nil)
    }

    @Test func aReplicaSetBeingDeletedIsNotScaled() {
        var random = SimRandom(seed: 1, stream: "rs")
        var set = makeReplicaSet(replicas: 3)
        set.metadata.deletionTimestamp = at(1)
        let result = ReplicaSetReconciler.sync(set, ownedPods: [], expectations: ReplicaSetExpectations(), now: at(2), random: &random)
        #expect(creates(result.actions).isEmpty)
    }
}
