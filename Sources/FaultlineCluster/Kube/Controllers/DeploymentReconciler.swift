import FaultlineSim

/// The outcome of one Deployment sync.
public struct DeploymentSyncResult: Sendable, Hashable {
    /// In order: the new ReplicaSet's create, updates of existing ReplicaSets (by creation order),
    /// deletes of old ReplicaSets beyond the history limit, then one write of the Deployment.
    public var actions: [ControllerAction] = []
    /// The status computed in this sync (written only when it differs from the stored one and the
    /// Deployment needs no annotation update this sync).
    public var status: DeploymentStatus
}

/// Upstream's Deployment controller (`pkg/controller/deployment`) as a pure function: the new
/// ReplicaSet, the rolling update (`reconcileNewReplicaSet`, `reconcileOldReplicaSets`), Recreate,
/// proportional scaling (`scale`), revision history cleanup and status.
///
/// Invariant: every sync emits at most one write per object (see `ControllerAction`). Upstream writes
/// the Deployment's revision annotation and its status separately; here, when the annotation changes,
/// the status waits for the next sync (the caller resyncs on the resulting watch event).
public enum DeploymentReconciler {
    public static let revisionAnnotation = "deployment.kubernetes.io/revision"
    /// The Deployment's `spec.replicas` when the ReplicaSet was last scaled (detects scaling events).
    public static let desiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas"
    /// `spec.replicas + maxSurge` when the ReplicaSet was last scaled (proportional scaling's base).
    public static let maxReplicasAnnotation = "deployment.kubernetes.io/max-replicas"
    public static let podTemplateHashLabel = "pod-template-hash"

    /// Syncs `deployment` given every ReplicaSet it controls (the caller filters by controllerRef).
    ///
    /// - Parameters:
    ///   - oldPodsRunning: Recreate only: whether any pod of an old ReplicaSet is still running,
    ///     terminating ones included (upstream reads its pod cache); nil derives it from the old
    ///     ReplicaSets' `status.replicas`, which misses terminating pods.
    ///   - now: the creation time recorded on a new ReplicaSet (the apiserver overwrites it).
    public static func sync(_ deployment: Deployment, replicaSets: [ReplicaSet], oldPodsRunning: Bool? = nil, now: SimInstant) -> DeploymentSyncResult {
        var rollout = Rollout(deployment: deployment, replicaSets: replicaSets, now: now)
        rollout.syncRevision()
        if deployment.metadata.deletionTimestamp != nil {
            return rollout.result()
        }
        if deployment.spec.paused {
            rollout.scale()
            rollout.cleanup()
            return rollout.result()
        }
        if rollout.isScalingEvent {
            rollout.scale()
            return rollout.result()
        }
        switch deployment.spec.strategy {
        case .recreate:
            if rollout.scaleDownOldForRecreate() { return rollout.result() }
            let running = oldPodsRunning ?? rollout.oldIndices.contains { rollout.sets[$0].status.replicas > 0 }
            if running { return rollout.result() }
            rollout.createNewIfMissing()
            if let index = rollout.newIndex { _ = rollout.scaleAndRecord(index, to: deployment.spec.replicas) }
            if isComplete(deployment) { rollout.cleanup() }
            return rollout.result()
        case .rollingUpdate:
            rollout.createNewIfMissing()
            if rollout.reconcileNewReplicaSet() { return rollout.result() }
            if rollout.reconcileOldReplicaSets() { return rollout.result() }
            if isComplete(deployment) { rollout.cleanup() }
            return rollout.result()
        }
    }

    /// `kubectl rollout undo --to-revision`: the Deployment with the template of the ReplicaSet of
    /// `revision` (0: the revision before the latest), without its `pod-template-hash` label. nil
    /// when there is no such revision or the template is already current. The apiserver bumps the
    /// generation, and the next sync adopts that ReplicaSet as the new one and raises its revision.
    public static func rollback(_ deployment: Deployment, to revision: Int, replicaSets: [ReplicaSet]) -> Deployment? {
        let revisions = Array(Set(replicaSets.map(\.revision).filter { $0 > 0 })).sorted()
        let target: Int
        if revision == 0 {
            guard revisions.count >= 2 else { return nil }
            target = revisions[revisions.count - 2]
        } else {
            target = revision
        }
        let candidates = replicaSets.filter { $0.revision == target }.sorted(by: createdBefore)
        guard let source = candidates.last else { return nil }
        let template = templateWithoutHash(source.spec.template)
        if template == deployment.spec.template { return nil }
        var rolledBack = deployment
        rolledBack.spec.template = template
        return rolledBack
    }

    /// `MaxSurge`: maxSurge of `spec.replicas` rounded up (0 for Recreate); see `resolveFenceposts`.
    public static func maxSurge(_ deployment: Deployment) -> Int {
        switch deployment.spec.strategy {
        case .recreate: return 0
        case .rollingUpdate(let surge, let unavailable):
            return resolveFenceposts(maxSurge: surge, maxUnavailable: unavailable, desired: deployment.spec.replicas).surge
        }
    }

    /// `MaxUnavailable`: maxUnavailable of `spec.replicas` rounded down, at most `spec.replicas`
    /// (0 for Recreate or zero replicas); see `resolveFenceposts`.
    public static func maxUnavailable(_ deployment: Deployment) -> Int {
        switch deployment.spec.strategy {
        case .recreate: return 0
        case .rollingUpdate(let surge, let unavailable):
            if deployment.spec.replicas == 0 { return 0 }
            let resolved = resolveFenceposts(maxSurge: surge, maxUnavailable: unavailable, desired: deployment.spec.replicas)
            return min(resolved.unavailable, deployment.spec.replicas)
        }
    }

    /// `ResolveFenceposts`: surge rounds up, unavailable down; when both come to 0, unavailable is 1
    /// so that a rollout can always make progress.
    public static func resolveFenceposts(maxSurge: IntOrPercent, maxUnavailable: IntOrPercent, desired: Int) -> (surge: Int, unavailable: Int) {
        let surge = maxSurge.scaled(desired, roundUp: true)
        let unavailable = maxUnavailable.scaled(desired, roundUp: false)
        return (surge, surge == 0 && unavailable == 0 ? 1 : unavailable)
    }

    /// `NewRSNewReplicas`: how far the new ReplicaSet may grow now. Rolling update: up to
    /// `replicas + maxSurge` pods over all ReplicaSets (by `spec.replicas`), never beyond
    /// `replicas`; Recreate: `replicas` at once.
    public static func newReplicaSetReplicas(_ deployment: Deployment, allReplicaSets: [ReplicaSet], newReplicaSet: ReplicaSet) -> Int {
        switch deployment.spec.strategy {
        case .recreate: return deployment.spec.replicas
        case .rollingUpdate(let surge, _):
            let maxTotal = deployment.spec.replicas + surge.scaled(deployment.spec.replicas, roundUp: true)
            let current = allReplicaSets.reduce(0) { $0 + $1.spec.replicas }
            if current >= maxTotal { return newReplicaSet.spec.replicas }
            let scaleUp = min(maxTotal - current, deployment.spec.replicas - newReplicaSet.spec.replicas)
            return newReplicaSet.spec.replicas + scaleUp
        }
    }

    /// `calculateStatus`: `replicas`, `updatedReplicas`, `readyReplicas` and `availableReplicas` sum
    /// the ReplicaSets' statuses; `unavailableReplicas` is the desired total (sum of `spec.replicas`)
    /// minus the available ones, at least 0.
    public static func calculateStatus(_ deployment: Deployment, allReplicaSets: [ReplicaSet], newReplicaSet: ReplicaSet?) -> DeploymentStatus {
        var status = DeploymentStatus()
        status.observedGeneration = deployment.metadata.generation
        status.replicas = allReplicaSets.reduce(0) { $0 + $1.status.replicas }
        status.updatedReplicas = newReplicaSet?.status.replicas ?? 0
        status.readyReplicas = allReplicaSets.reduce(0) { $0 + $1.status.readyReplicas }
        status.availableReplicas = allReplicaSets.reduce(0) { $0 + $1.status.availableReplicas }
        let desired = allReplicaSets.reduce(0) { $0 + $1.spec.replicas }
        status.unavailableReplicas = max(desired - status.availableReplicas, 0)
        return status
    }

    /// `DeploymentComplete` over the STORED status (as upstream, which gates cleanup on it).
    static func isComplete(_ deployment: Deployment) -> Bool {
        let status = deployment.status
        let replicas = deployment.spec.replicas
        return status.updatedReplicas == replicas && status.replicas == replicas && status.availableReplicas == replicas
            && status.observedGeneration >= deployment.metadata.generation
    }

    /// The template with the `pod-template-hash` label removed (upstream's `EqualIgnoreHash` basis).
    static func templateWithoutHash(_ template: PodTemplate) -> PodTemplate {
        var copy = template
        copy.labels[podTemplateHashLabel] = nil
        return copy
    }

    /// `ReplicaSetsByCreationTimestamp`: older first, then by name.
    static func createdBefore(_ a: ReplicaSet, _ b: ReplicaSet) -> Bool {
        if a.metadata.creationTimestamp != b.metadata.creationTimestamp { return a.metadata.creationTimestamp < b.metadata.creationTimestamp }
        return a.metadata.name < b.metadata.name
    }

    static func intAnnotation(_ set: ReplicaSet, _ key: String) -> Int? {
        set.metadata.annotations[key].flatMap { Int($0) }
    }
}

/// The working state of one sync: copies of the ReplicaSets that the steps change in place, as
/// upstream's steps pass along the objects their writes returned.
///
/// Invariant: `sets[0..<originals.count]` are the given ReplicaSets in creation order; a new
/// ReplicaSet to create, if any, is appended after them.
private struct Rollout {
    var deployment: Deployment
    let originals: [ReplicaSet]
    var sets: [ReplicaSet]
    var newIndex: Int?
    var deleted: [Int] = []
    let now: SimInstant
    /// The Deployment's annotations as given: a change (the revision) is written with `.update`.
    let originalAnnotations: StringPairs

    init(deployment: Deployment, replicaSets: [ReplicaSet], now: SimInstant) {
        self.deployment = deployment
        self.now = now
        originalAnnotations = deployment.metadata.annotations
        originals = replicaSets.sorted(by: DeploymentReconciler.createdBefore)
        sets = originals
        // FindNewReplicaSet: the oldest ReplicaSet whose template equals the Deployment's.
        newIndex = sets.firstIndex { DeploymentReconciler.templateWithoutHash($0.spec.template) == deployment.spec.template }
    }

    var oldIndices: [Int] { sets.indices.filter { $0 != newIndex } }
    var activeOldIndices: [Int] { oldIndices.filter { sets[$0].spec.replicas > 0 } }
    var isRollingUpdate: Bool {
        switch deployment.spec.strategy {
        case .rollingUpdate: return true
        case .recreate: return false
        }
    }
    var maxOldRevision: Int { oldIndices.map { sets[$0].revision }.max() ?? 0 }

    /// `getNewReplicaSet` for an existing new ReplicaSet: raise its revision above every old one
    /// (this is how a rollback's ReplicaSet becomes the latest revision), keep its minReadySeconds in
    /// step, and record the revision on the Deployment.
    mutating func syncRevision() {
        guard let index = newIndex else { return }
        let newRevision = maxOldRevision + 1
        if sets[index].revision < newRevision {
            sets[index].metadata.annotations[DeploymentReconciler.revisionAnnotation] = String(newRevision)
        }
        if sets[index].spec.minReadySeconds != deployment.spec.minReadySeconds {
            sets[index].spec.minReadySeconds = deployment.spec.minReadySeconds
        }
        deployment.metadata.annotations[DeploymentReconciler.revisionAnnotation] = String(sets[index].revision)
    }

    /// `getNewReplicaSet` with `createIfNotExisted`: `<deployment>-<hash>`, labelled and selected by
    /// the hash, sized by `NewRSNewReplicas`, revision `max old + 1`, owned by the Deployment.
    mutating func createNewIfMissing() {
        guard newIndex == nil else { return }
        let hash = deployment.spec.template.templateHash
        var template = deployment.spec.template
        template.labels[DeploymentReconciler.podTemplateHashLabel] = hash
        var selector = deployment.spec.selector
        selector[DeploymentReconciler.podTemplateHashLabel] = hash
        var meta = ObjectMeta(name: deployment.metadata.name + "-" + hash, namespace: deployment.metadata.namespace)
        meta.labels = template.labels
        meta.creationTimestamp = now
        meta.ownerReferences = [OwnerReference(kind: .deployments, name: deployment.metadata.name, uid: deployment.metadata.uid, controller: true)]
        var created = ReplicaSet(metadata: meta, spec: ReplicaSetSpec(replicas: 0, selector: selector, template: template))
        created.spec.minReadySeconds = deployment.spec.minReadySeconds
        let revision = maxOldRevision + 1
        created.spec.replicas = DeploymentReconciler.newReplicaSetReplicas(deployment, allReplicaSets: sets + [created], newReplicaSet: created)
        created.metadata.annotations[DeploymentReconciler.revisionAnnotation] = String(revision)
        annotateReplicas(&created)
        sets.append(created)
        newIndex = sets.count - 1
        deployment.metadata.annotations[DeploymentReconciler.revisionAnnotation] = String(revision)
    }

    func annotateReplicas(_ set: inout ReplicaSet) {
        set.metadata.annotations[DeploymentReconciler.desiredReplicasAnnotation] = String(deployment.spec.replicas)
        set.metadata.annotations[DeploymentReconciler.maxReplicasAnnotation] = String(deployment.spec.replicas + DeploymentReconciler.maxSurge(deployment))
    }

    /// `scaleReplicaSet`: set the size and the replicas annotations; true when the size changed.
    @discardableResult
    mutating func scale(_ index: Int, to replicas: Int) -> Bool {
        let changed = sets[index].spec.replicas != replicas
        sets[index].spec.replicas = replicas
        annotateReplicas(&sets[index])
        return changed
    }

    /// `scaleReplicaSetAndRecordEvent`: nothing at all when the size is already right.
    mutating func scaleAndRecord(_ index: Int, to replicas: Int) -> Bool {
        if sets[index].spec.replicas == replicas { return false }
        return scale(index, to: replicas)
    }

    /// `isScalingEvent`: an active ReplicaSet was last sized for another `spec.replicas`.
    var isScalingEvent: Bool {
        sets.indices.contains { index in
            guard sets[index].spec.replicas > 0, let desired = DeploymentReconciler.intAnnotation(sets[index], DeploymentReconciler.desiredReplicasAnnotation) else { return false }
            return desired != deployment.spec.replicas
        }
    }

    /// `scale`: a single active (or else the newest) ReplicaSet takes all replicas; a saturated new
    /// ReplicaSet retires the old ones; otherwise, mid-rollout, the change is spread over the active
    /// ReplicaSets in proportion to their size (`GetProportion`), leftovers to the first of them.
    mutating func scale() {
        let replicas = deployment.spec.replicas
        if let index = activeOrLatest() {
            _ = scaleAndRecord(index, to: replicas)
            return
        }
        if let index = newIndex, let desired = DeploymentReconciler.intAnnotation(sets[index], DeploymentReconciler.desiredReplicasAnnotation),
            sets[index].spec.replicas == replicas, desired == replicas, sets[index].status.availableReplicas == replicas {
            for old in activeOldIndices { _ = scaleAndRecord(old, to: 0) }
            return
        }
        guard isRollingUpdate else { return }
        var active = (oldIndices + (newIndex.map { [$0] } ?? [])).filter { sets[$0].spec.replicas > 0 }
        let current = active.reduce(0) { $0 + sets[$1].spec.replicas }
        let allowed = replicas > 0 ? replicas + DeploymentReconciler.maxSurge(deployment) : 0
        let toAdd = allowed - current
        if toAdd > 0 {
            // ReplicaSetsBySizeNewer: bigger first, then newer first.
            active.sort { a, b in
                if sets[a].spec.replicas != sets[b].spec.replicas { return sets[a].spec.replicas > sets[b].spec.replicas }
                return DeploymentReconciler.createdBefore(sets[b], sets[a])
            }
        } else if toAdd < 0 {
            // ReplicaSetsBySizeOlder: bigger first, then older first.
            active.sort { a, b in
                if sets[a].spec.replicas != sets[b].spec.replicas { return sets[a].spec.replicas > sets[b].spec.replicas }
                return DeploymentReconciler.createdBefore(sets[a], sets[b])
            }
        }
        var added = 0
        var sizes: [Int] = []
        for index in active {
            let proportion = toAdd == 0 ? 0 : self.proportion(index, toAdd: toAdd, added: added)
            sizes.append(sets[index].spec.replicas + proportion)
            added += proportion
        }
        for (position, index) in active.enumerated() {
            var size = sizes[position]
            if position == 0 && toAdd != 0 { size = max(size + toAdd - added, 0) }
            scale(index, to: size)
        }
    }

    /// `FindActiveOrLatest`: the only active ReplicaSet; with none, the new one or the newest old one.
    func activeOrLatest() -> Int? {
        if newIndex == nil && sets.isEmpty { return nil }
        let newestOldFirst = oldIndices.reversed()
        let active = (Array(newestOldFirst) + (newIndex.map { [$0] } ?? [])).filter { sets[$0].spec.replicas > 0 }
        switch active.count {
        case 0: return newIndex ?? newestOldFirst.first
        case 1: return active[0]
        default: return nil
        }
    }

    /// `GetProportion`: this ReplicaSet's rounded share of the new size, bounded by what is left.
    func proportion(_ index: Int, toAdd: Int, added: Int) -> Int {
        let set = sets[index]
        if set.spec.replicas == 0 || toAdd == added { return 0 }
        let fraction: Int
        if deployment.spec.replicas == 0 {
            fraction = -set.spec.replicas
        } else {
            let deploymentReplicas = deployment.spec.replicas + DeploymentReconciler.maxSurge(deployment)
            let annotated = DeploymentReconciler.intAnnotation(set, DeploymentReconciler.maxReplicasAnnotation) ?? deployment.status.replicas
            // Upstream divides in floating point and rounds half away from zero.
            let size = annotated == 0 ? Double(set.spec.replicas) : Double(set.spec.replicas * deploymentReplicas) / Double(annotated)
            fraction = Int(size.rounded()) - set.spec.replicas
        }
        let allowed = toAdd - added
        return toAdd > 0 ? min(fraction, allowed) : max(fraction, allowed)
    }

    /// `reconcileNewReplicaSet`: shrink an oversized new ReplicaSet, or grow it as far as maxSurge allows.
    mutating func reconcileNewReplicaSet() -> Bool {
        guard let index = newIndex else { return false }
        let replicas = deployment.spec.replicas
        if sets[index].spec.replicas == replicas { return false }
        if sets[index].spec.replicas > replicas { return scaleAndRecord(index, to: replicas) }
        let target = DeploymentReconciler.newReplicaSetReplicas(deployment, allReplicaSets: sets, newReplicaSet: sets[index])
        return scaleAndRecord(index, to: target)
    }

    /// `reconcileOldReplicaSets`: at most `allPods - minAvailable - newUnavailable` old pods may go;
    /// unhealthy old replicas go first, then old ReplicaSets shrink (oldest first) while more than
    /// `minAvailable = replicas - maxUnavailable` pods are available.
    mutating func reconcileOldReplicaSets() -> Bool {
        guard let index = newIndex else { return false }
        let active = activeOldIndices
        let oldPods = active.reduce(0) { $0 + sets[$1].spec.replicas }
        if oldPods == 0 { return false }
        let allPods = sets.reduce(0) { $0 + $1.spec.replicas }
        let minAvailable = deployment.spec.replicas - DeploymentReconciler.maxUnavailable(deployment)
        let newUnavailable = sets[index].spec.replicas - sets[index].status.availableReplicas
        let maxScaledDown = allPods - minAvailable - newUnavailable
        if maxScaledDown <= 0 { return false }

        // cleanupUnhealthyReplicas: old replicas that are not available cost nothing to remove.
        var cleaned = 0
        for old in active {
            if cleaned >= maxScaledDown { break }
            let set = sets[old]
            if set.spec.replicas == 0 || set.spec.replicas == set.status.availableReplicas { continue }
            let count = min(maxScaledDown - cleaned, set.spec.replicas - set.status.availableReplicas)
            _ = scaleAndRecord(old, to: set.spec.replicas - count)
            cleaned += count
        }

        // scaleDownOldReplicaSetsForRollingUpdate.
        var scaledDown = 0
        let available = sets.reduce(0) { $0 + $1.status.availableReplicas }
        if available > minAvailable {
            let total = available - minAvailable
            for old in active {
                if scaledDown >= total { break }
                if sets[old].spec.replicas == 0 { continue }
                let count = min(sets[old].spec.replicas, total - scaledDown)
                _ = scaleAndRecord(old, to: sets[old].spec.replicas - count)
                scaledDown += count
            }
        }
        return cleaned + scaledDown > 0
    }

    /// `scaleDownOldReplicaSetsForRecreate`.
    mutating func scaleDownOldForRecreate() -> Bool {
        var scaled = false
        for old in activeOldIndices where scaleAndRecord(old, to: 0) { scaled = true }
        return scaled
    }

    /// `cleanupDeployment`: delete the oldest revisions beyond `revisionHistoryLimit`, but only
    /// ReplicaSets that are empty, settled and not already being deleted.
    mutating func cleanup() {
        let alive = oldIndices.filter { sets[$0].metadata.deletionTimestamp == nil }
        let excess = alive.count - deployment.spec.revisionHistoryLimit
        if excess <= 0 { return }
        let byRevision = alive.sorted { a, b in
            if sets[a].revision != sets[b].revision { return sets[a].revision < sets[b].revision }
            return DeploymentReconciler.createdBefore(sets[a], sets[b])
        }
        for index in byRevision.prefix(excess) {
            let set = sets[index]
            if set.status.replicas != 0 || set.spec.replicas != 0 || set.metadata.generation > set.status.observedGeneration { continue }
            deleted.append(index)
        }
        deleted.sort()
    }

    /// The actions for everything this sync changed, and the status.
    func result() -> DeploymentSyncResult {
        let newSet = newIndex.map { sets[$0] }
        let status = DeploymentReconciler.calculateStatus(deployment, allReplicaSets: sets, newReplicaSet: newSet)
        var result = DeploymentSyncResult(status: status)
        for index in sets.indices where index >= originals.count {
            result.actions.append(.create(.replicaSet(sets[index])))
        }
        for index in originals.indices where sets[index] != originals[index] && !deleted.contains(index) {
            result.actions.append(.update(.replicaSet(sets[index])))
        }
        for index in deleted {
            let meta = sets[index].metadata
            result.actions.append(.delete(.replicasets, namespace: meta.namespace, name: meta.name, uid: meta.uid))
        }
        var updated = deployment
        if updated.metadata.annotations != originalAnnotations {
            result.actions.append(.update(.deployment(updated)))
        } else if status != deployment.status {
            updated.status = status
            result.actions.append(.updateStatus(.deployment(updated)))
        }
        return result
    }
}
