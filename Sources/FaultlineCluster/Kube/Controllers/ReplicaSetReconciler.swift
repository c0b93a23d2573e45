import FaultlineSim

/// What one ReplicaSet is still waiting to observe (upstream's `ControllerExpectations` with the
/// `UIDTrackingControllerExpectations` deletion keys): while creates or deletes it asked for are
/// unobserved, the controller does not count replicas again, or a slow informer would make it
/// create (or delete) the same pods twice.
///
/// Invariant: `pendingDeleteUIDs` is sorted and unique. Expectations older than `timeout` count as
/// satisfied, so a lost watch event delays the controller by at most five minutes.
public struct ReplicaSetExpectations: Sendable, Hashable {
    /// Upstream's `ExpectationsTimeout`.
    public static let timeout = SimDuration.minutes(5)

    /// Creates asked for and not yet seen in the informer (may go negative, as upstream).
    public var pendingCreates: Int = 0
    /// Pods asked to be deleted and not yet seen deleted or terminating.
    public var pendingDeleteUIDs: [UInt64] = []
    /// When the expectations were last set (nil: never, which is satisfied).
    public var setAt: SimInstant?

    public init() {}

    /// `SatisfiedExpectations`: nothing pending, never set, or expired.
    public func isSatisfied(at now: SimInstant) -> Bool {
        guard let setAt else { return true }
        if pendingCreates <= 0 && pendingDeleteUIDs.isEmpty { return true }
        return now - setAt > Self.timeout
    }

    /// The informer saw one of this ReplicaSet's pods added (`CreationObserved`).
    public mutating func creationObserved() { pendingCreates -= 1 }

    /// Creates that were never sent or failed (slow start stops at the first failing batch): they
    /// will not be observed, so stop waiting for them.
    public mutating func creationsSkipped(_ count: Int) { pendingCreates -= count }

    /// The informer saw the pod deleted, or given a deletionTimestamp (`DeletionObserved`); pods
    /// this controller did not ask to delete are ignored.
    public mutating func deletionObserved(uid: UInt64) {
        pendingDeleteUIDs.removeAll { $0 == uid }
    }
}

/// The outcome of one ReplicaSet sync.
public struct ReplicaSetSyncResult: Sendable, Hashable {
    /// Pod creates (in slow-start order), then pod deletes, then the status update.
    public var actions: [ControllerAction] = []
    /// Slow-start batch sizes that partition the leading `.create` actions: send batch k only after
    /// every create of batch k-1 succeeded; on a failure, report the unsent and failed creates
    /// through `ReplicaSetExpectations.creationsSkipped`.
    public var createBatchSizes: [Int] = []
    /// The expectations to keep until the next sync.
    public var expectations: ReplicaSetExpectations
    /// Sync again after this long: pods are ready but not yet available for `minReadySeconds`.
    public var requeueAfter: SimDuration?
}

/// Upstream's ReplicaSet controller (`pkg/controller/replicaset`): `manageReplicas` and the status
/// calculation as a pure function.
public enum ReplicaSetReconciler {
    /// `BurstReplicas`: at most this many creates or deletes per sync.
    public static let burstReplicas = 500
    /// `SlowStartInitialBatchSize`.
    public static let slowStartInitialBatchSize = 1
    /// The apiserver's `generateName` alphabet (no vowels, no look-alike digits).
    static let nameSuffixAlphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    /// Syncs `replicaSet` given the pods it controls (the caller filters by controllerRef uid).
    ///
    /// - Parameters:
    ///   - relatedPods: the active pods of every ReplicaSet of the same owner, for the "doubled up
    ///     on one node" rank of deletion victims; nil uses `ownedPods`.
    ///   - random: draws the 5-character pod name suffixes (upstream's apiserver `generateName`).
    public static func sync(
        _ replicaSet: ReplicaSet, ownedPods: [Pod], relatedPods: [Pod]? = nil,
        expectations: ReplicaSetExpectations, now: SimInstant, random: inout SimRandom
    ) -> ReplicaSetSyncResult {
        let active = ownedPods.filter(\.isActive)
        var result = ReplicaSetSyncResult(expectations: expectations)
        if expectations.isSatisfied(at: now) && replicaSet.metadata.deletionTimestamp == nil {
            let diff = active.count - replicaSet.spec.replicas
            if diff < 0 {
                let count = min(-diff, burstReplicas)
                var taken = ownedPods.map(\.metadata.name)
                for _ in 0..<count {
                    let pod = newPod(for: replicaSet, avoiding: taken, random: &random)
                    taken.append(pod.metadata.name)
                    result.actions.append(.create(.pod(pod)))
                }
                result.createBatchSizes = slowStartBatchSizes(count)
                result.expectations = ReplicaSetExpectations()
                result.expectations.pendingCreates = count
                result.expectations.setAt = now
            } else if diff > 0 {
                let victims = podsToDelete(active, count: min(diff, burstReplicas), relatedPods: relatedPods ?? active, now: now)
                for pod in victims {
                    result.actions.append(.delete(.pods, namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid))
                }
                result.expectations = ReplicaSetExpectations()
                result.expectations.pendingDeleteUIDs = Array(Set(victims.map(\.metadata.uid))).sorted()
                result.expectations.setAt = now
            }
        }
        let status = status(of: replicaSet, activePods: active, now: now)
        if status != replicaSet.status {
            var updated = replicaSet
            updated.status = status
            result.actions.append(.updateStatus(.replicaSet(updated)))
        }
        if replicaSet.spec.minReadySeconds > 0 && status.readyReplicas == replicaSet.spec.replicas
            && status.availableReplicas != replicaSet.spec.replicas {
            result.requeueAfter = .seconds(replicaSet.spec.minReadySeconds)
        }
        return result
    }

    /// `calculateStatus`: counts over active pods (not terminating, not finished).
    public static func status(of replicaSet: ReplicaSet, activePods: [Pod], now: SimInstant) -> ReplicaSetStatus {
        var status = ReplicaSetStatus()
        status.observedGeneration = replicaSet.metadata.generation
        status.replicas = activePods.count
        status.readyReplicas = activePods.filter(\.status.ready).count
        status.availableReplicas = activePods.filter { $0.isAvailable(minReadySeconds: replicaSet.spec.minReadySeconds, at: now) }.count
        return status
    }

    /// `slowStartBatch`'s sizes for `count` creates: 1, 2, 4, ... with the remainder last.
    public static func slowStartBatchSizes(_ count: Int, initial: Int = slowStartInitialBatchSize) -> [Int] {
        var sizes: [Int] = []
        var remaining = count
        var batch = min(remaining, initial)
        while batch > 0 {
            sizes.append(batch)
            remaining -= batch
            batch = min(2 * batch, remaining)
        }
        return sizes
    }

    /// A pod for `replicaSet` (upstream's `GetPodFromTemplate`): the template's labels (which carry
    /// `pod-template-hash` for a Deployment's ReplicaSet), annotations and spec, the namespace, and
    /// a controller owner reference; named `<rs>-<5 random characters>` distinct from `avoiding`.
    public static func newPod(for replicaSet: ReplicaSet, avoiding taken: [String], random: inout SimRandom) -> Pod {
        var name: String
        repeat {
            var suffix = ""
            for _ in 0..<5 { suffix.append(nameSuffixAlphabet[random.uniform(0..<nameSuffixAlphabet.count)]) }
            name = replicaSet.metadata.name + "-" + suffix
        } while taken.contains(name)
        var meta = ObjectMeta(name: name, namespace: replicaSet.metadata.namespace)
        meta.labels = replicaSet.spec.template.labels
        meta.annotations = replicaSet.spec.template.annotations
        meta.ownerReferences = [OwnerReference(kind: .replicasets, name: replicaSet.metadata.name, uid: replicaSet.metadata.uid, controller: true)]
        var spec = replicaSet.spec.template.spec
        spec.nodeName = nil
        return Pod(metadata: meta, spec: spec)
    }

    /// `getPodsToDelete`: the first `count` pods in `ActivePodsWithRanks` order, the rank of a pod
    /// being how many active `relatedPods` share its node.
    public static func podsToDelete(_ pods: [Pod], count: Int, relatedPods: [Pod], now: SimInstant) -> [Pod] {
        if count >= pods.count { return pods }
        var perNode: [String: Int] = [:]
        for pod in relatedPods where pod.isActive { perNode[pod.spec.nodeName ?? "", default: 0] += 1 }
        let ranked = pods.map { (pod: $0, rank: perNode[$0.spec.nodeName ?? ""] ?? 0) }
        let sorted = ranked.sorted { deletesBefore($0.pod, rank: $0.rank, $1.pod, rank: $1.rank, now: now) }
        return Array(sorted.prefix(count).map(\.pod))
    }

    /// The `ActivePodsWithRanks` order (with LogarithmicScaleDown, on by default): true when `a`
    /// should be deleted before `b`. Unassigned before assigned; Pending < Unknown < Running; not
    /// ready before ready; lower `controller.kubernetes.io/pod-deletion-cost` first; more pods on
    /// the same node (higher rank) first; ready for less time first, compared in powers-of-two
    /// buckets of the time since ready; more restarts first; newer first (same buckets). Ties in a
    /// bucket go to the lower uid, and remaining ties to the name, so the order is total.
    public static func deletesBefore(_ a: Pod, rank rankA: Int, _ b: Pod, rank rankB: Int, now: SimInstant) -> Bool {
        let aAssigned = !(a.spec.nodeName ?? "").isEmpty
        let bAssigned = !(b.spec.nodeName ?? "").isEmpty
        if aAssigned != bAssigned { return !aAssigned }
        if phaseOrdinal(a.status.phase) != phaseOrdinal(b.status.phase) {
            return phaseOrdinal(a.status.phase) < phaseOrdinal(b.status.phase)
        }
        if a.status.ready != b.status.ready { return !a.status.ready }
        if deletionCost(a) != deletionCost(b) { return deletionCost(a) < deletionCost(b) }
        if rankA != rankB { return rankA > rankB }
        if a.status.ready && b.status.ready && a.status.readySince != b.status.readySince {
            // A missing readySince stands for Go's zero time: it sorts first.
            guard let aSince = a.status.readySince, let bSince = b.status.readySince else { return a.status.readySince == nil }
            let diff = logarithmicRank(since: aSince, now: now) - logarithmicRank(since: bSince, now: now)
            if diff != 0 { return diff < 0 }
            if a.metadata.uid != b.metadata.uid { return a.metadata.uid < b.metadata.uid }
        }
        if a.status.restartCount != b.status.restartCount { return a.status.restartCount > b.status.restartCount }
        if a.metadata.creationTimestamp != b.metadata.creationTimestamp {
            let diff = logarithmicRank(since: a.metadata.creationTimestamp, now: now) - logarithmicRank(since: b.metadata.creationTimestamp, now: now)
            if diff != 0 { return diff < 0 }
            if a.metadata.uid != b.metadata.uid { return a.metadata.uid < b.metadata.uid }
        }
        return a.metadata.name < b.metadata.name
    }

    /// `podPhaseToOrdinal`: Pending 0, Unknown 1, Running 2 (finished pods are never active).
    static func phaseOrdinal(_ phase: PodPhase) -> Int {
        switch phase {
        case .pending, .succeeded, .failed: return 0
        case .unknown: return 1
        case .running: return 2
        }
    }

    /// `controller.kubernetes.io/pod-deletion-cost`, 0 when absent or malformed.
    static func deletionCost(_ pod: Pod) -> Int {
        Int(pod.metadata.annotations["controller.kubernetes.io/pod-deletion-cost"] ?? "") ?? 0
    }

    /// floor(log2(now - since in nanoseconds)), or -1 when `since` is not in the past
    /// (upstream's `logarithmicRankDiff` operand), computed in integers.
    static func logarithmicRank(since: SimInstant, now: SimInstant) -> Int {
        let elapsed = (now - since).nanoseconds
        return elapsed > 0 ? 63 - elapsed.leadingZeroBitCount : -1
    }
}
