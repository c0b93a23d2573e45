import FaultlineSim
import Testing
@testable import FaultlineCluster

private let gibibyte: Int64 = 1 << 30

private func makeNode(_ name: String, milliCPU: Int64 = 4_000, memoryBytes: Int64 = 8 * gibibyte, pods: Int64 = 110,
                      labels: StringPairs = StringPairs()) -> Node {
    var meta = ObjectMeta(name: name)
    meta.labels = labels
    let capacity = ResourceList(milliCPU: milliCPU, memoryBytes: memoryBytes, pods: pods)
    return Node(metadata: meta, status: NodeStatus(capacity: capacity, allocatable: capacity))
}

private func makePod(_ name: String, milliCPU: Int64 = 1_000, memoryBytes: Int64 = 2 * gibibyte) -> Pod {
    Pod(metadata: ObjectMeta(name: name, namespace: "default"),
        spec: PodSpec(containers: [Container(name: "app", image: "app:1", requests: ResourceList(milliCPU: milliCPU, memoryBytes: memoryBytes))]))
}

/// A node already holding `usedMilliCPU` / `usedMemoryBytes` of requests in one pod.
private func makeInfo(_ node: Node, usedMilliCPU: Int64 = 0, usedMemoryBytes: Int64 = 0) -> NodeInfo {
    if usedMilliCPU == 0 && usedMemoryBytes == 0 { return NodeInfo(node: node, pods: []) }
    return NodeInfo(node: node, pods: [makePod("used", milliCPU: usedMilliCPU, memoryBytes: usedMemoryBytes)])
}

private func schedule(_ pod: Pod, _ nodes: [NodeInfo], _ profile: SchedulerProfile = SchedulerProfile(), seed: UInt64 = 1) -> SchedulingResult {
    var start = 0
    var random = SimRandom(seed: seed, stream: "scheduler")
    return SchedulingAlgorithm.schedule(pod, nodes: nodes, profile: profile, nextStartNodeIndex: &start, random: &random)
}

@Suite struct SchedulingAlgorithmTests {
    @Test func leastAllocatedPrefersTheEmptierNodeAndMostAllocatedTheFuller() {
        let full = makeInfo(makeNode("full"), usedMilliCPU: 2_000, usedMemoryBytes: 4 * gibibyte)
        let empty = makeInfo(makeNode("empty"))
        let pod = makePod("web")
        // (4000 - 3000) * 100 / 4000 = 25 for cpu and for memory (8Gi - 6Gi of 8Gi).
        #expect(SchedulingAlgorithm.resourcesFitScore(pod, on: full, strategy: .leastAllocated) == 25)
        #expect(SchedulingAlgorithm.resourcesFitScore(pod, on: full, strategy: .mostAllocated) == 75)
        #expect(SchedulingAlgorithm.resourcesFitScore(pod, on: empty, strategy: .leastAllocated) == 75)
        #expect(schedule(pod, [full, empty]) == .scheduled(nodeName: "empty"))
        #expect(schedule(pod, [empty, full], SchedulerProfile(scoringStrategy: .mostAllocated)) == .scheduled(nodeName: "full"))
    }

    @Test func scoringCountsContainersWithoutRequestsAtUpstreamDefaults() {
        let bare = Pod(metadata: ObjectMeta(name: "bare"), spec: PodSpec(containers: [Container(name: "c", image: "i")]))
        let requests = SchedulingAlgorithm.nonZeroRequests(of: bare.spec)
        #expect(requests.milliCPU == 100 && requests.memoryBytes == 200 * 1024 * 1024 && requests.pods == 1)
        // Filtering uses the declared (zero) requests: a full node still fits a request-less pod.
        let full = makeInfo(makeNode("n", milliCPU: 1_000, memoryBytes: gibibyte), usedMilliCPU: 1_000, usedMemoryBytes: gibibyte)
        #expect(SchedulingAlgorithm.filterReasons(bare, on: full).isEmpty)
        // ...but scores it 0 under LeastAllocated (requested beyond capacity) and 100 under MostAllocated.
        #expect(SchedulingAlgorithm.resourcesFitScore(bare, on: full, strategy: .leastAllocated) == 0)
        #expect(SchedulingAlgorithm.resourcesFitScore(bare, on: full, strategy: .mostAllocated) == 100)
    }

    @Test func insufficientCPUGivesUpstreamsMessage() {
        let nodes = (0..<3).map { makeInfo(makeNode("n\($0)", milliCPU: 2_000), usedMilliCPU: 1_500) }
        let result = schedule(makePod("big"), nodes)
        #expect(result == .unschedulable(message: "0/3 nodes are available: 3 Insufficient cpu."))
    }

    @Test func mixedReasonsAreCountedAndSortedAsUpstreamSortsThem() {
        var nodes: [NodeInfo] = []
        for index in 0..<3 { nodes.append(makeInfo(makeNode("cpu\(index)", milliCPU: 500))) }
        for index in 0..<2 {
            var node = makeNode("gone\(index)", labels: ["disk": "ssd"])
            node.taints = [Taint(key: "node.kubernetes.io/unreachable", effect: .noExecute)]
            nodes.append(makeInfo(node))
        }
        for index in 0..<15 { nodes.append(makeInfo(makeNode("hdd\(index)", labels: ["disk": "hdd"]))) }
        var pod = makePod("p")
        pod.spec.nodeSelector = ["disk": "ssd"]
        // The cpu nodes have no disk label at all: NodeAffinity rejects them before NodeResourcesFit.
        for index in 0..<3 { nodes[index].node.metadata.labels = ["disk": "ssd"] }
        let expected = "0/20 nodes are available: 15 node(s) didn't match Pod's node affinity/selector, "
            + "2 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 3 Insufficient cpu."
        #expect(schedule(pod, nodes) == .unschedulable(message: expected))
    }

    @Test func aNodeWith110PodsAdmitsNoMore() {
        let node = makeNode("n")
        var info = NodeInfo(node: node, pods: [])
        info.requested.pods = 110
        info.nonZeroRequested.pods = 110
        #expect(info.podCount == 110)
        let tiny = makePod("tiny", milliCPU: 1, memoryBytes: 1)
        #expect(SchedulingAlgorithm.filterReasons(tiny, on: info) == ["Too many pods"])
        #expect(schedule(tiny, [info]) == .unschedulable(message: "0/1 nodes are available: 1 Too many pods."))
        info.requested.pods = 109
        #expect(schedule(tiny, [info]) == .scheduled(nodeName: "n"))
    }

    @Test func insufficientCPUAndMemoryAreBothReported() {
        let info = makeInfo(makeNode("n", milliCPU: 500, memoryBytes: gibibyte))
        #expect(SchedulingAlgorithm.filterReasons(makePod("p"), on: info) == ["Insufficient cpu", "Insufficient memory"])
    }

    @Test func cordonedNodesAreSkippedUnlessTheCordonTaintIsTolerated() {
        var cordoned = makeNode("cordoned")
        cordoned.unschedulable = true
        var pod = makePod("p")
        #expect(schedule(pod, [makeInfo(cordoned)]) == .unschedulable(message: "0/1 nodes are available: 1 node(s) were unschedulable."))
        pod.spec.tolerations = [Toleration(key: "node.kubernetes.io/unschedulable", operator: .exists, effect: .noSchedule)]
        #expect(schedule(pod, [makeInfo(cordoned)]) == .scheduled(nodeName: "cordoned"))
    }

    @Test func notReadyNodesAreAvoidedOnlyThroughTheirTaints() {
        var notReady = makeNode("not-ready")
        notReady.status.ready = .isFalse
        // Without the lifecycle controller's taint, the Ready condition alone does not filter.
        #expect(schedule(makePod("p"), [makeInfo(notReady)]) == .scheduled(nodeName: "not-ready"))
        notReady.taints = [Taint(key: "node.kubernetes.io/not-ready", effect: .noSchedule)]
        let healthy = makeNode("healthy")
        #expect(schedule(makePod("p"), [makeInfo(notReady), makeInfo(healthy)]) == .scheduled(nodeName: "healthy"))
        var tolerant = makePod("ds")
        tolerant.spec.tolerations = [Toleration(key: "node.kubernetes.io/not-ready", operator: .exists)]
        #expect(SchedulingAlgorithm.filterReasons(tolerant, on: makeInfo(notReady)).isEmpty)
    }

    @Test func preferNoScheduleTaintsLowerTheScore() {
        var tainted = makeNode("tainted")
        tainted.taints = [Taint(key: "spot", effect: .preferNoSchedule)]
        let plain = makeNode("plain")
        let infos = [makeInfo(tainted), makeInfo(plain)]
        #expect(SchedulingAlgorithm.taintTolerationScores(makePod("p"), on: infos) == [0, 100])
        // Even when the tainted node is emptier the weight 3 of TaintToleration wins.
        let busyPlain = makeInfo(plain, usedMilliCPU: 1_000, usedMemoryBytes: 2 * gibibyte)
        for seed: UInt64 in 1...5 { #expect(schedule(makePod("p"), [makeInfo(tainted), busyPlain], seed: seed) == .scheduled(nodeName: "plain")) }
        var tolerant = makePod("p")
        tolerant.spec.tolerations = [Toleration(key: "spot", operator: .exists, effect: .preferNoSchedule)]
        #expect(SchedulingAlgorithm.taintTolerationScores(tolerant, on: infos) == [100, 100])
        #expect(schedule(tolerant, [makeInfo(tainted), busyPlain]) == .scheduled(nodeName: "tainted"))
    }

    @Test func nodeNameAndNodeSelectorFilter() {
        var pod = makePod("p")
        pod.spec.nodeName = "b"
        #expect(SchedulingAlgorithm.filterReasons(pod, on: makeInfo(makeNode("a"))) == ["node(s) didn't match the requested node name"])
        pod.spec.nodeName = nil
        pod.spec.nodeSelector = ["zone": "a"]
        #expect(schedule(pod, [makeInfo(makeNode("x", labels: ["zone": "b"])), makeInfo(makeNode("y", labels: ["zone": "a"]))]) == .scheduled(nodeName: "y"))
    }

    @Test func adaptivePercentageOfNodesToScore() {
        let find = { SchedulingAlgorithm.numFeasibleNodesToFind(percentageOfNodesToScore: 0, nodeCount: $0) }
        #expect(find(50) == 50)
        #expect(find(100) == 100)      // 50% of 100 is below the floor of 100
        #expect(find(200) == 100)      // 49% of 200 = 98 -> 100
        #expect(find(1_000) == 420)    // 50 - 8 = 42%
        #expect(find(5_000) == 500)    // 50 - 40 = 10%
        #expect(find(6_000) == 300)    // 50 - 48 = 2% -> at least 5%
        #expect(SchedulingAlgorithm.numFeasibleNodesToFind(percentageOfNodesToScore: 30, nodeCount: 1_000) == 300)
        #expect(SchedulingAlgorithm.numFeasibleNodesToFind(percentageOfNodesToScore: 100, nodeCount: 1_000) == 1_000)
    }

    @Test func theScanStartsWhereTheLastOneStopped() {
        let nodes = (0..<1_000).map { makeInfo(makeNode("n\($0)")) }
        var start = 900
        var random = SimRandom(seed: 3, stream: "scheduler")
        let result = SchedulingAlgorithm.schedule(makePod("p"), nodes: nodes, nextStartNodeIndex: &start, random: &random)
        #expect(start == 320)  // 900 + 420 examined, modulo 1000
        // All nodes tie; the pick is one of the 420 examined (900...999 and 0...319).
        guard case .scheduled(let name) = result, let index = Int(name.dropFirst()) else {
            Issue.record("not scheduled: \(result)")
            return
        }
        #expect(index >= 900 || index < 320)
        // Infeasible nodes count as examined too: with only n5 fitting, the scan covers every node.
        var small = (0..<200).map { makeInfo(makeNode("s\($0)", milliCPU: 100)) }
        small[5] = makeInfo(makeNode("s5"))
        start = 10
        #expect(SchedulingAlgorithm.schedule(makePod("p"), nodes: small, nextStartNodeIndex: &start, random: &random) == .scheduled(nodeName: "s5"))
        #expect(start == 10)
    }

    @Test func tiesAreBrokenByTheRandomStreamDeterministically() {
        let nodes = (0..<8).map { makeInfo(makeNode("n\($0)")) }
        var picks: [String] = []
        for seed: UInt64 in 1...40 {
            let first = schedule(makePod("p"), nodes, seed: seed)
            #expect(first == schedule(makePod("p"), nodes, seed: seed))
            if case .scheduled(let name) = first { picks.append(name) }
        }
        #expect(picks.count == 40)
        #expect(Set(picks).count > 3)
    }
}
