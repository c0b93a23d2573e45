import FaultlineSim
import Testing
@testable import FaultlineCluster

private func makeTemplate(_ image: String) -> PodTemplate {
    PodTemplate(labels: ["app": "web"], spec: PodSpec(containers: [Container(name: "web", image: image)]))
}

private func makeDeployment(replicas: Int, image: String, strategy: DeploymentStrategy = .default, revision: Int? = nil) -> Deployment {
    var meta = ObjectMeta(name: "web", namespace: "shop")
    meta.uid = 500
    meta.generation = 1
    meta.resourceVersion = 9
    if let revision { meta.annotations["deployment.kubernetes.io/revision"] = String(revision) }
    var deployment = Deployment(metadata: meta, spec: DeploymentSpec(selector: ["app": "web"], template: makeTemplate(image)))
    deployment.spec.replicas = replicas
    deployment.spec.strategy = strategy
    return deployment
}

/// A ReplicaSet as the controller makes it for `image`, last sized for `desired` replicas (max-replicas
/// `desired + surge`), with `available` of its `replicas` pods ready and available.
private func makeReplicaSet(_ image: String, revision: Int, replicas: Int, available: Int? = nil, desired: Int, surge: Int,
                            created seconds: Int64, uid: UInt64) -> ReplicaSet {
    var template = makeTemplate(image)
    let hash = template.templateHash
    template.labels["pod-template-hash"] = hash
    var meta = ObjectMeta(name: "web-\(hash)", namespace: "shop")
    meta.uid = uid
    meta.generation = 1
    meta.resourceVersion = Int64(100 + uid)
    meta.creationTimestamp = .start + .seconds(seconds)
    meta.labels = template.labels
    meta.annotations = [
        "deployment.kubernetes.io/revision": String(revision),
        "deployment.kubernetes.io/desired-replicas": String(desired),
        "deployment.kubernetes.io/max-replicas": String(desired + surge),
    ]
    meta.ownerReferences = [OwnerReference(kind: .deployments, name: "web", uid: 500)]
    var set = ReplicaSet(metadata: meta, spec: ReplicaSetSpec(replicas: replicas, selector: ["app": "web", "pod-template-hash": hash], template: template))
    set.status.observedGeneration = 1
    set.status.replicas = replicas
    set.status.readyReplicas = available ?? replicas
    set.status.availableReplicas = available ?? replicas
    return set
}

private func created(_ result: DeploymentSyncResult) -> [ReplicaSet] {
    result.actions.compactMap { if case .create(.replicaSet(let set)) = $0 { return set } else { return nil } }
}

private func updated(_ result: DeploymentSyncResult) -> [ReplicaSet] {
    result.actions.compactMap { if case .update(.replicaSet(let set)) = $0 { return set } else { return nil } }
}

private func deploymentWrite(_ result: DeploymentSyncResult) -> ControllerAction? {
    result.actions.first {
        switch $0 {
        case .update(.deployment), .updateStatus(.deployment): return true
        default: return false
        }
    }
}

private let now = SimInstant.start + .seconds(1_000)

@Suite struct DeploymentReconcilerTests {
    @Test func surgeRoundsUpUnavailableRoundsDownAndZeroZeroBecomesOne() {
        #expect(DeploymentReconciler.maxSurge(makeDeployment(replicas: 10, image: "v1")) == 3)
        #expect(DeploymentReconciler.maxUnavailable(makeDeployment(replicas: 10, image: "v1")) == 2)
        let strict = makeDeployment(replicas: 3, image: "v1", strategy: .rollingUpdate(maxSurge: .count(0), maxUnavailable: .count(0)))
        #expect(DeploymentReconciler.maxSurge(strict) == 0)
        #expect(DeploymentReconciler.maxUnavailable(strict) == 1)
        let percentZero = makeDeployment(replicas: 3, image: "v1", strategy: .rollingUpdate(maxSurge: .percent(0), maxUnavailable: .percent(25)))
        #expect(DeploymentReconciler.maxUnavailable(percentZero) == 1)  // floor(0.75) = 0, then 1
        let capped = makeDeployment(replicas: 3, image: "v1", strategy: .rollingUpdate(maxSurge: .count(1), maxUnavailable: .count(5)))
        #expect(DeploymentReconciler.maxUnavailable(capped) == 3)
        #expect(DeploymentReconciler.maxUnavailable(makeDeployment(replicas: 3, image: "v1", strategy: .recreate)) == 0)
    }

    @Test func aNewDeploymentGetsItsFirstReplicaSetAtFullSize() throws {
        let deployment = makeDeployment(replicas: 10, image: "v1")
        let result = DeploymentReconciler.sync(deployment, replicaSets: [], now: now)
        let set = try #require(created(result).first)
        let hash = deployment.spec.template.templateHash
        #expect(set.metadata.name == "web-\(hash)")
        #expect(set.metadata.namespace == "shop")
        #expect(set.spec.replicas == 10)
        #expect(set.revision == 1)
        #expect(set.metadata.labels == ["app": "web", "pod-template-hash": hash])
        #expect(set.spec.template.labels == ["app": "web", "pod-template-hash": hash])
        #expect(set.spec.selector == ["app": "web", "pod-template-hash": hash])
        #expect(set.metadata.ownerReferences == [OwnerReference(kind: .deployments, name: "web", uid: 500, controller: true)])
        #expect(set.metadata.annotations["deployment.kubernetes.io/desired-replicas"] == "10")
        #expect(set.metadata.annotations["deployment.kubernetes.io/max-replicas"] == "13")
        guard case .update(.deployment(let written)) = try #require(deploymentWrite(result)) else {
            Issue.record("expected the revision annotation update")
            return
        }
        #expect(written.metadata.annotations["deployment.kubernetes.io/revision"] == "1")
        #expect(written.metadata.resourceVersion == 9)
    }

    @Test func rollingUpdateOfTenReplicasWithTwentyFivePercentSurgeAndUnavailable() throws {
        var deployment = makeDeployment(replicas: 10, image: "v2", revision: 1)
        let old = makeReplicaSet("v1", revision: 1, replicas: 10, desired: 10, surge: 3, created: 0, uid: 1)

        // Sync 1: the new ReplicaSet is created at ceil(2.5) = 3 and, in the same sync, the old one
        // goes down by floor(2.5) = 2 (13 pods - minAvailable 8 - 3 unavailable new ones).
        let first = DeploymentReconciler.sync(deployment, replicaSets: [old], now: now)
        var new = try #require(created(first).first)
        #expect(new.spec.replicas == 3)
        #expect(new.revision == 2)
        #expect(updated(first).map(\.spec.replicas) == [8])
        #expect(updated(first).first?.metadata.resourceVersion == old.metadata.resourceVersion)
        if case .update(.deployment(let written))? = deploymentWrite(first) {
            #expect(written.metadata.annotations["deployment.kubernetes.io/revision"] == "2")
        } else {
            Issue.record("expected the revision annotation update")
        }

        // Sync 2: the old set shrank to 8 (all available), the new pods are not ready: the new set
        // may grow by 13 - 11 = 2, and nothing else happens in that sync.
        deployment.metadata.annotations["deployment.kubernetes.io/revision"] = "2"
        let oldNow = makeReplicaSet("v1", revision: 1, replicas: 8, desired: 10, surge: 3, created: 0, uid: 1)
        new.metadata.uid = 2
        new.status.replicas = 3
        let second = DeploymentReconciler.sync(deployment, replicaSets: [oldNow, new], now: now)
        #expect(created(second).isEmpty)
        #expect(updated(second).map(\.metadata.name) == [new.metadata.name])
        #expect(updated(second).map(\.spec.replicas) == [5])
        guard case .updateStatus(.deployment(let status))? = deploymentWrite(second) else {
            Issue.record("expected a status update")
            return
        }
        #expect(status.status.replicas == 11 && status.status.updatedReplicas == 3 && status.status.availableReplicas == 8)
        #expect(status.status.unavailableReplicas == 13 - 8)

        // Sync 3: 5 new pods, none available: 13 pods - 8 min - 5 unavailable = 0 may go.
        new.spec.replicas = 5
        new.status.replicas = 5
        let third = DeploymentReconciler.sync(deployment, replicaSets: [oldNow, new], now: now)
        #expect(updated(third).isEmpty)

        // Sync 4: 3 of the new pods became available: 11 available - 8 = 3 old pods go.
        new.status.availableReplicas = 3
        new.status.readyReplicas = 3
        let fourth = DeploymentReconciler.sync(deployment, replicaSets: [oldNow, new], now: now)
        #expect(updated(fourth).map(\.spec.replicas) == [5])
        #expect(updated(fourth).map(\.metadata.name) == [oldNow.metadata.name])
    }

    @Test func zeroSurgeZeroUnavailableStillMakesProgressOneAtATime() throws {
        let deployment = makeDeployment(replicas: 3, image: "v2", strategy: .rollingUpdate(maxSurge: .count(0), maxUnavailable: .count(0)), revision: 1)
        let old = makeReplicaSet("v1", revision: 1, replicas: 3, desired: 3, surge: 0, created: 0, uid: 1)
        let result = DeploymentReconciler.sync(deployment, replicaSets: [old], now: now)
        #expect(try #require(created(result).first).spec.replicas == 0)
        #expect(updated(result).map(\.spec.replicas) == [2])
    }

    @Test func unhealthyOldReplicasAreRemovedFirst() {
        let deployment = makeDeployment(replicas: 10, image: "v2", revision: 2)
        let old = makeReplicaSet("v1", revision: 1, replicas: 10, available: 6, desired: 10, surge: 3, created: 0, uid: 1)
        let new = makeReplicaSet("v2", revision: 2, replicas: 3, available: 0, desired: 10, surge: 3, created: 10, uid: 2)
        // 13 pods - 8 minAvailable - 3 unavailable new = 2 may go; the old set has 4 unavailable ones.
        // Only 6 pods are available, fewer than 8: the healthy scale-down alone would remove none.
        let result = DeploymentReconciler.sync(deployment, replicaSets: [old, new], now: now)
        #expect(updated(result).map(\.spec.replicas) == [8])
        #expect(updated(result).map(\.metadata.uid) == [1])
    }

    @Test func recreateScalesOldToZeroThenCreatesTheNewSetOnceOldPodsAreGone() throws {
        let deployment = makeDeployment(replicas: 3, image: "v2", strategy: .recreate, revision: 1)
        let old = makeReplicaSet("v1", revision: 1, replicas: 3, desired: 3, surge: 0, created: 0, uid: 1)
        let first = DeploymentReconciler.sync(deployment, replicaSets: [old], now: now)
        #expect(created(first).isEmpty)
        #expect(updated(first).map(\.spec.replicas) == [0])

        var draining = old
        draining.spec.replicas = 0
        draining.status.replicas = 2
        #expect(created(DeploymentReconciler.sync(deployment, replicaSets: [draining], now: now)).isEmpty)
        // Terminating pods are not in status.replicas: the caller's pod cache says whether they run.
        draining.status.replicas = 0
        #expect(created(DeploymentReconciler.sync(deployment, replicaSets: [draining], oldPodsRunning: true, now: now)).isEmpty)
        let last = DeploymentReconciler.sync(deployment, replicaSets: [draining], oldPodsRunning: false, now: now)
        let new = try #require(created(last).first)
        #expect(new.spec.replicas == 3)
        #expect(new.revision == 2)
    }

    @Test func scalingWithOneActiveReplicaSetResizesIt() {
        let deployment = makeDeployment(replicas: 4, image: "v1", revision: 1)
        let only = makeReplicaSet("v1", revision: 1, replicas: 10, desired: 10, surge: 3, created: 0, uid: 1)
        let result = DeploymentReconciler.sync(deployment, replicaSets: [only], now: now)
        #expect(updated(result).map(\.spec.replicas) == [4])
        #expect(updated(result).first?.metadata.annotations["deployment.kubernetes.io/desired-replicas"] == "4")
        #expect(updated(result).first?.metadata.annotations["deployment.kubernetes.io/max-replicas"] == "5")
    }

    @Test func scalingMidRolloutIsProportional() {
        let old = makeReplicaSet("v1", revision: 1, replicas: 8, desired: 10, surge: 3, created: 0, uid: 1)
        let new = makeReplicaSet("v2", revision: 2, replicas: 5, available: 0, desired: 10, surge: 3, created: 10, uid: 2)
        // Up to 20 (+5 surge = 25): 12 more pods; old gets round(8 * 25 / 13) - 8 = 7, new round(5 * 25 / 13) - 5 = 5.
        let up = DeploymentReconciler.sync(makeDeployment(replicas: 20, image: "v2", revision: 2), replicaSets: [old, new], now: now)
        #expect(updated(up).map(\.metadata.uid) == [1, 2])
        #expect(updated(up).map(\.spec.replicas) == [15, 10])
        #expect(updated(up).allSatisfy { $0.metadata.annotations["deployment.kubernetes.io/desired-replicas"] == "20" })
        #expect(updated(up).allSatisfy { $0.metadata.annotations["deployment.kubernetes.io/max-replicas"] == "25" })
        // Down to 5 (+2 surge = 7): 6 fewer; old round(8 * 7 / 13) - 8 = -4, new round(5 * 7 / 13) - 5 = -2.
        let down = DeploymentReconciler.sync(makeDeployment(replicas: 5, image: "v2", revision: 2), replicaSets: [old, new], now: now)
        #expect(updated(down).map(\.spec.replicas) == [4, 3])
    }

    @Test func aPausedDeploymentDoesNotRollOut() {
        var deployment = makeDeployment(replicas: 3, image: "v2", revision: 1)
        deployment.spec.paused = true
        let old = makeReplicaSet("v1", revision: 1, replicas: 3, desired: 3, surge: 1, created: 0, uid: 1)
        let result = DeploymentReconciler.sync(deployment, replicaSets: [old], now: now)
        #expect(created(result).isEmpty)
        #expect(updated(result).isEmpty)
    }

    @Test func rollbackCopiesTheTemplateAndTheNextSyncRaisesThatRevision() throws {
        let deployment = makeDeployment(replicas: 3, image: "v2", revision: 2)
        let first = makeReplicaSet("v1", revision: 1, replicas: 0, desired: 3, surge: 1, created: 0, uid: 1)
        let second = makeReplicaSet("v2", revision: 2, replicas: 3, desired: 3, surge: 1, created: 10, uid: 2)
        let back = try #require(DeploymentReconciler.rollback(deployment, to: 1, replicaSets: [first, second]))
        #expect(back.spec.template == makeTemplate("v1"))
        #expect(back.spec.template.labels["pod-template-hash"] == nil)
        #expect(DeploymentReconciler.rollback(deployment, to: 0, replicaSets: [first, second]) == back)
        #expect(DeploymentReconciler.rollback(deployment, to: 2, replicaSets: [first, second]) == nil)
        #expect(DeploymentReconciler.rollback(deployment, to: 7, replicaSets: [first, second]) == nil)

        // The old ReplicaSet is the new one again: no create; revision 3; it grows by the surge of 1.
        let result = DeploymentReconciler.sync(back, replicaSets: [first, second], now: now)
        #expect(created(result).isEmpty)
        let revived = try #require(updated(result).first { $0.metadata.uid == 1 })
        #expect(revived.revision == 3)
        #expect(revived.spec.replicas == 1)
        if case .update(.deployment(let written))? = deploymentWrite(result) {
            #expect(written.metadata.annotations["deployment.kubernetes.io/revision"] == "3")
        } else {
            Issue.record("expected the revision annotation update")
        }
    }

    @Test func oldRevisionsBeyondTheHistoryLimitAreDeletedOnceEmpty() {
        var deployment = makeDeployment(replicas: 3, image: "v5", revision: 5)
        deployment.spec.revisionHistoryLimit = 2
        deployment.status.observedGeneration = 1
        deployment.status.replicas = 3
        deployment.status.updatedReplicas = 3
        deployment.status.availableReplicas = 3
        var sets = (1...4).map { makeReplicaSet("v\($0)", revision: $0, replicas: 0, desired: 3, surge: 1, created: Int64($0), uid: UInt64($0)) }
        sets[1].status.replicas = 1  // revision 2 still has a pod: kept
        sets.append(makeReplicaSet("v5", revision: 5, replicas: 3, desired: 3, surge: 1, created: 5, uid: 5))
        let result = DeploymentReconciler.sync(deployment, replicaSets: sets.reversed(), now: now)
        let deletes = result.actions.compactMap { action -> UInt64? in
            if case .delete(.replicasets, _, _, let uid) = action { return uid } else { return nil }
        }
        #expect(deletes == [1])
        // Not complete: no cleanup at all.
        deployment.status.availableReplicas = 2
        #expect(!DeploymentReconciler.sync(deployment, replicaSets: sets, now: now).actions.contains {
            if case .delete = $0 { return true } else { return false }
        })
    }

    @Test func statusSumsTheReplicaSets() {
        let deployment = makeDeployment(replicas: 10, image: "v2")
        var old = makeReplicaSet("v1", revision: 1, replicas: 8, desired: 10, surge: 3, created: 0, uid: 1)
        old.status.replicas = 10
        old.status.readyReplicas = 9
        old.status.availableReplicas = 8
        var new = makeReplicaSet("v2", revision: 2, replicas: 5, desired: 10, surge: 3, created: 1, uid: 2)
        new.status.readyReplicas = 4
        new.status.availableReplicas = 3
        let status = DeploymentReconciler.calculateStatus(deployment, allReplicaSets: [old, new], newReplicaSet: new)
        #expect(status.observedGeneration == 1)
        #expect(status.replicas == 15)
        #expect(status.updatedReplicas == 5)
        #expect(status.readyReplicas == 13)
        #expect(status.availableReplicas == 11)
        #expect(status.unavailableReplicas == 2)  // 13 desired by spec - 11 available
    }

    /// A whole rollout against a toy ReplicaSet controller whose pods become available one sync
    /// after they are created: surge and availability bounds hold at every step, and it completes.
    @Test func aRolloutConvergesWithinItsSurgeAndAvailabilityBounds() throws {
        var deployment = makeDeployment(replicas: 10, image: "v2", revision: 1)
        var sets = [makeReplicaSet("v1", revision: 1, replicas: 10, desired: 10, surge: 3, created: 0, uid: 1)]
        var nextUID: UInt64 = 2
        var steps = 0
        while !(deployment.isComplete && sets.allSatisfy { $0.spec.template.spec.containers[0].image == "v2" || $0.spec.replicas == 0 }) {
            steps += 1
            try #require(steps < 40)
            let result = DeploymentReconciler.sync(deployment, replicaSets: sets, now: now)
            for action in result.actions {
                switch action {
                case .create(.replicaSet(var set)):
                    set.metadata.uid = nextUID
                    nextUID += 1
                    sets.append(set)
                case .update(.replicaSet(let set)):
                    let index = try #require(sets.firstIndex { $0.metadata.uid == set.metadata.uid })
                    let status = sets[index].status
                    sets[index] = set
                    sets[index].status = status
                case .update(.deployment(let written)):
                    deployment.metadata.annotations = written.metadata.annotations
                case .updateStatus(.deployment(let written)):
                    deployment.status = written.status
                default:
                    Issue.record("unexpected action \(action)")
                }
            }
            #expect(sets.reduce(0) { $0 + $1.spec.replicas } <= 13)
            // The toy ReplicaSet controller: last sync's pods are now available, scale-downs are immediate.
            for index in sets.indices {
                let spec = sets[index].spec.replicas
                sets[index].status.availableReplicas = min(spec, sets[index].status.replicas)
                sets[index].status.readyReplicas = sets[index].status.availableReplicas
                sets[index].status.replicas = spec
                sets[index].status.observedGeneration = sets[index].metadata.generation
            }
            #expect(sets.reduce(0) { $0 + $1.status.availableReplicas } >= 8)
        }
        #expect(sets.count == 2)
        #expect(sets.map(\.spec.replicas) == [0, 10])
        #expect(deployment.metadata.annotations["deployment.kubernetes.io/revision"] == "2")
        // Old/new sizes by sync: 8/3, 8/5, 5/5, 5/8, 3/8, 3/10, 0/10, then the status catches up.
        #expect(steps == 8)
    }
}
