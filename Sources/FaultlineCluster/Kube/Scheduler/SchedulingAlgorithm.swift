import FaultlineSim

/// One node as the scheduler's cache sees it: the node and what the pods already assigned to it
/// request (upstream's `framework.NodeInfo`).
///
/// Invariant: `requested.pods == podCount`; `nonZeroRequested` counts every container that requests
/// no cpu (memory) as 100m (200Mi), which is what scoring uses, while filtering uses `requested`.
public struct NodeInfo: Sendable, Hashable {
    public var node: Node
    /// The sum of the assigned pods' declared requests (`pods` = the number of assigned pods).
    public var requested: ResourceList
    /// The same sum with upstream's defaults for containers that request nothing.
    public var nonZeroRequested: ResourceList
    public var podCount: Int { Int(requested.pods) }

    public init(node: Node, requested: ResourceList, nonZeroRequested: ResourceList) {
        self.node = node
        self.requested = requested
        self.nonZeroRequested = nonZeroRequested
    }

    /// Sums `pods`, skipping finished ones: the scheduler's pod informer excludes Succeeded and
    /// Failed pods, while terminating pods still hold their resources until they are gone.
    public init(node: Node, pods: [Pod]) {
        var requested = ResourceList.zero
        var nonZero = ResourceList.zero
        for pod in pods where pod.status.phase != .succeeded && pod.status.phase != .failed {
            requested = requested + pod.spec.requests
            nonZero = nonZero + SchedulingAlgorithm.nonZeroRequests(of: pod.spec)
        }
        self.init(node: node, requested: requested, nonZeroRequested: nonZero)
    }
}

/// The scheduler profile knobs the model varies (the rest is upstream's default profile).
public struct SchedulerProfile: Sendable, Hashable {
    /// `NodeResourcesFit`'s `scoringStrategy.type`.
    public enum ScoringStrategy: String, Sendable, Hashable {
        /// Prefer the node with the most free cpu and memory (spreads pods; the default).
        case leastAllocated = "LeastAllocated"
        /// Prefer the node with the least free cpu and memory (bin-packs pods).
        case mostAllocated = "MostAllocated"
    }

    public var scoringStrategy: ScoringStrategy = .leastAllocated
    /// `percentageOfNodesToScore`; 0 selects upstream's adaptive default (50% - nodes/125, at least 5%).
    public var percentageOfNodesToScore: Int = 0
    /// Plugin weights of the default profile (NodeResourcesFit 1, TaintToleration 3).
    public var resourcesFitWeight: Int64 = 1
    public var taintTolerationWeight: Int64 = 3

    public init(scoringStrategy: ScoringStrategy = .leastAllocated, percentageOfNodesToScore: Int = 0) {
        self.scoringStrategy = scoringStrategy
        self.percentageOfNodesToScore = percentageOfNodesToScore
    }
}

/// The outcome of one scheduling cycle.
public enum SchedulingResult: Sendable, Hashable {
    /// Bind the pod to this node.
    case scheduled(nodeName: String)
    /// No node fits; the message is upstream's `FitError` text (`0/3 nodes are available: ...`).
    case unschedulable(message: String)
}

/// kube-scheduler's default profile for one pod, as a pure function of the pod, the node cache and
/// the caller-kept rotating start index.
///
/// Filters (in upstream's order, stopping at the first that rejects a node): NodeUnschedulable,
/// NodeName, TaintToleration, NodeAffinity (nodeSelector only), NodeResourcesFit. A NotReady or
/// unreachable node is rejected only through the `node.kubernetes.io/not-ready` / `unreachable`
/// taints the node lifecycle controller puts on it, never by reading its Ready condition (as upstream).
/// Scores: NodeResourcesFit (LeastAllocated or MostAllocated over cpu and memory, weight 1 each)
/// and TaintToleration (PreferNoSchedule), weighted by the profile; ties go to a reservoir sample.
public enum SchedulingAlgorithm {
    /// Upstream's `minFeasibleNodesToFind`: clusters smaller than this are always filtered whole.
    public static let minFeasibleNodesToFind = 100
    /// Upstream's `minFeasibleNodesPercentageToFind`.
    public static let minFeasibleNodesPercentageToFind = 5
    /// `MaxNodeScore`.
    public static let maxNodeScore: Int64 = 100
    /// `DefaultMilliCPURequest`: what scoring assumes for a container that requests no cpu.
    public static let defaultMilliCPURequest: Int64 = 100
    /// `DefaultMemoryRequest` (200Mi): what scoring assumes for a container that requests no memory.
    public static let defaultMemoryRequestBytes: Int64 = 200 * 1024 * 1024

    /// The taint `kubectl cordon` is equivalent to; tolerating it lets a pod onto an unschedulable node.
    public static let unschedulableTaintKey = "node.kubernetes.io/unschedulable"

    /// Schedules `pod` onto one of `nodes`.
    ///
    /// Filtering starts at `nextStartNodeIndex` (modulo the node count) and stops once
    /// `numFeasibleNodesToFind` feasible nodes are found; the index then advances by the number of
    /// nodes examined, so successive pods start where the last one stopped (upstream's
    /// `nextStartNodeIndex`). `random` is drawn from only when at least two feasible nodes tie for
    /// the best score, so a run is deterministic given the stream.
    public static func schedule(
        _ pod: Pod, nodes: [NodeInfo], profile: SchedulerProfile = SchedulerProfile(),
        nextStartNodeIndex: inout Int, random: inout SimRandom
    ) -> SchedulingResult {
        guard !nodes.isEmpty else { return .unschedulable(message: "no nodes available to schedule pods") }
        let wanted = numFeasibleNodesToFind(percentageOfNodesToScore: profile.percentageOfNodesToScore, nodeCount: nodes.count)
        let start = ((nextStartNodeIndex % nodes.count) + nodes.count) % nodes.count
        var feasible: [Int] = []
        // Reason -> number of nodes; only read through a sorted list of strings below.
        var reasonCounts: [String: Int] = [:]
        var examined = 0
        for offset in 0..<nodes.count {
            let index = (start + offset) % nodes.count
            examined += 1
            let reasons = filterReasons(pod, on: nodes[index])
            if reasons.isEmpty {
                feasible.append(index)
                if feasible.count >= wanted { break }
            } else {
                for reason in reasons { reasonCounts[reason, default: 0] += 1 }
            }
        }
        nextStartNodeIndex = (start + examined) % nodes.count

        guard let first = feasible.first else {
            let histogram = reasonCounts.map { "\($0.value) \($0.key)" }.sorted()
            return .unschedulable(message: "0/\(nodes.count) nodes are available: " + histogram.joined(separator: ", ") + ".")
        }
        // Upstream skips scoring (and the random draw) when only one node is feasible.
        if feasible.count == 1 { return .scheduled(nodeName: nodes[first].node.metadata.name) }

        let scores = totalScores(pod, feasible: feasible.map { nodes[$0] }, profile: profile)
        var selected = 0
        var tiedAtMax = 1
        for candidate in 1..<scores.count {
            if scores[candidate] > scores[selected] {
                selected = candidate
                tiedAtMax = 1
            } else if scores[candidate] == scores[selected] {
                // Reservoir sampling: each of the k tied nodes ends up chosen with probability 1/k.
                tiedAtMax += 1
                if random.uniform(0..<tiedAtMax) == 0 { selected = candidate }
            }
        }
        return .scheduled(nodeName: nodes[feasible[selected]].node.metadata.name)
    }

    /// Upstream's `numFeasibleNodesToFind`: every node below 100 nodes; otherwise
    /// `percentage` of them (adaptive `50 - nodes/125`, at least 5%, when `percentage` is 0),
    /// but never fewer than 100.
    public static func numFeasibleNodesToFind(percentageOfNodesToScore: Int, nodeCount: Int) -> Int {
        if nodeCount < minFeasibleNodesToFind || percentageOfNodesToScore >= 100 { return nodeCount }
        var percentage = percentageOfNodesToScore
        if percentage <= 0 {
            percentage = max(50 - nodeCount / 125, minFeasibleNodesPercentageToFind)
        }
        return max(nodeCount * percentage / 100, minFeasibleNodesToFind)
    }

    /// The reasons the filters give for rejecting `pod` on `info` (empty: the node is feasible).
    /// Only the first rejecting plugin speaks; NodeResourcesFit may give several reasons at once.
    public static func filterReasons(_ pod: Pod, on info: NodeInfo) -> [String] {
        let node = info.node
        // NodeUnschedulable.
        if node.unschedulable {
            let cordon = Taint(key: unschedulableTaintKey, effect: .noSchedule)
            if !pod.spec.tolerations.contains(where: { $0.tolerates(cordon) }) { return ["node(s) were unschedulable"] }
        }
        // NodeName.
        if let wanted = pod.spec.nodeName, !wanted.isEmpty, wanted != node.metadata.name {
            return ["node(s) didn't match the requested node name"]
        }
        // TaintToleration: the first NoSchedule or NoExecute taint no toleration covers.
        for taint in node.taints where taint.effect == .noSchedule || taint.effect == .noExecute {
            if !pod.spec.tolerations.contains(where: { $0.tolerates(taint) }) {
                return ["node(s) had untolerated taint {\(taint.key): \(taint.value)}"]
            }
        }
        // NodeAffinity (nodeSelector).
        if !node.metadata.labels.matches(pod.spec.nodeSelector) {
            return ["node(s) didn't match Pod's node affinity/selector"]
        }
        // NodeResourcesFit: pods first, then every insufficient resource.
        var reasons: [String] = []
        let allocatable = node.status.allocatable
        if Int64(info.podCount) + 1 > allocatable.pods { reasons.append("Too many pods") }
        let request = pod.spec.requests
        if request.milliCPU > 0 && request.milliCPU > allocatable.milliCPU - info.requested.milliCPU {
            reasons.append("Insufficient cpu")
        }
        if request.memoryBytes > 0 && request.memoryBytes > allocatable.memoryBytes - info.requested.memoryBytes {
            reasons.append("Insufficient memory")
        }
        return reasons
    }

    /// The weighted sum of the score plugins for each feasible node, in the order given.
    public static func totalScores(_ pod: Pod, feasible: [NodeInfo], profile: SchedulerProfile) -> [Int64] {
        let fit = feasible.map { resourcesFitScore(pod, on: $0, strategy: profile.scoringStrategy) }
        let taints = taintTolerationScores(pod, on: feasible)
        return zip(fit, taints).map { profile.resourcesFitWeight * $0 + profile.taintTolerationWeight * $1 }
    }

    /// NodeResourcesFit's score (0...100): cpu and memory, weight 1 each, with the pod's and the
    /// node's non-zero requests; a resource the node has none of is left out of the average.
    public static func resourcesFitScore(_ pod: Pod, on info: NodeInfo, strategy: SchedulerProfile.ScoringStrategy) -> Int64 {
        let podRequest = nonZeroRequests(of: pod.spec)
        let allocatable = info.node.status.allocatable
        let resources = [
            (info.nonZeroRequested.milliCPU + podRequest.milliCPU, allocatable.milliCPU),
            (info.nonZeroRequested.memoryBytes + podRequest.memoryBytes, allocatable.memoryBytes),
        ]
        var sum: Int64 = 0
        var weights: Int64 = 0
        for (requested, capacity) in resources where capacity != 0 {
            sum += resourceScore(requested: requested, capacity: capacity, strategy: strategy)
            weights += 1
        }
        return weights == 0 ? 0 : sum / weights
    }

    /// One resource's score: `least_allocated.go` gives 0 when over capacity; `most_allocated.go`
    /// caps the request at the capacity (pods without requests get default values that may overflow).
    public static func resourceScore(requested: Int64, capacity: Int64, strategy: SchedulerProfile.ScoringStrategy) -> Int64 {
        if capacity == 0 { return 0 }
        switch strategy {
        case .leastAllocated:
            if requested > capacity { return 0 }
            return (capacity - requested) * maxNodeScore / capacity
        case .mostAllocated:
            return min(requested, capacity) * maxNodeScore / capacity
        }
    }

    /// TaintToleration's normalized scores: fewer untolerated PreferNoSchedule taints score higher;
    /// 100 everywhere when no node has any (upstream's reversed `DefaultNormalizeScore`).
    public static func taintTolerationScores(_ pod: Pod, on nodes: [NodeInfo]) -> [Int64] {
        let preferTolerations = pod.spec.tolerations.filter { $0.effect == nil || $0.effect == .preferNoSchedule }
        let counts: [Int64] = nodes.map { info in
            Int64(info.node.taints.filter { taint in
                taint.effect == .preferNoSchedule && !preferTolerations.contains(where: { $0.tolerates(taint) })
            }.count)
        }
        let highest = counts.max() ?? 0
        if highest == 0 { return counts.map { _ in maxNodeScore } }
        return counts.map { maxNodeScore - maxNodeScore * $0 / highest }
    }

    /// Upstream's `GetNonzeroRequests` summed over containers (plus one pod).
    public static func nonZeroRequests(of spec: PodSpec) -> ResourceList {
        spec.containers.reduce(ResourceList(pods: 1)) { total, container in
            let cpu = container.requests.milliCPU == 0 ? defaultMilliCPURequest : container.requests.milliCPU
            let memory = container.requests.memoryBytes == 0 ? defaultMemoryRequestBytes : container.requests.memoryBytes
            return total + ResourceList(milliCPU: cpu, memoryBytes: memory)
        }
    }
}
