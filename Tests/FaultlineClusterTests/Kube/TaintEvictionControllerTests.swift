import FaultlineSim
import Testing
@testable import FaultlineCluster

private func at(_ seconds: Double) -> SimInstant { .start + .seconds(seconds) }

private func makeNode(_ name: String, taints: [Taint]) -> Node {
    var node = Node(metadata: ObjectMeta(name: name), status: NodeStatus(capacity: .zero, allocatable: .zero))
    node.taints = taints
    return node
}

private func makePod(_ name: String, uid: UInt64, node: String = "n1", tolerations: [Toleration]) -> Pod {
    var meta = ObjectMeta(name: name, namespace: "shop")
    meta.uid = uid
    var pod = Pod(metadata: meta, spec: PodSpec(containers: [Container(name: "c", image: "i")]))
    pod.spec.nodeName = node
    pod.spec.tolerations = tolerations
    pod.status.phase = .running
    return pod
}

private func admitted(_ name: String, uid: UInt64, node: String = "n1") -> Pod {
    var pod = makePod(name, uid: uid, node: node, tolerations: [])
    DefaultTolerationSeconds.admit(&pod, notReadySeconds: 300, unreachableSeconds: 300)
    return pod
}

private let unreachable = Taint(key: NodeLifecycleController.unreachableTaintKey, effect: .noExecute, timeAdded: at(100))

private func deleted(_ actions: [ControllerAction]) -> [String] {
    actions.compactMap { if case .delete(.pods, let namespace, let name, _) = $0 { return namespace + "/" + name } else { return nil } }
}

@Suite struct TaintEvictionControllerTests {
    @Test func defaultTolerationsAreAddedUnlessThePodAlreadyToleratesTheTaints() {
        let pod = admitted("p", uid: 1)
        #expect(pod.spec.tolerations == [
            Toleration(key: NodeLifecycleController.notReadyTaintKey, operator: .exists, effect: .noExecute, tolerationSeconds: 300),
            Toleration(key: NodeLifecycleController.unreachableTaintKey, operator: .exists, effect: .noExecute, tolerationSeconds: 300),
        ])
        var own = makePod("q", uid: 2, tolerations: [Toleration(key: NodeLifecycleController.unreachableTaintKey, operator: .exists, tolerationSeconds: 5)])
        DefaultTolerationSeconds.admit(&own, notReadySeconds: 300, unreachableSeconds: 300)
        #expect(own.spec.tolerations.map(\.key) == [NodeLifecycleController.unreachableTaintKey, NodeLifecycleController.notReadyTaintKey])
        var everything = makePod("r", uid: 3, tolerations: [Toleration(key: "", operator: .exists)])
        DefaultTolerationSeconds.admit(&everything, notReadySeconds: 300, unreachableSeconds: 300)
        #expect(everything.spec.tolerations.count == 1)
        var noSchedule = makePod("s", uid: 4, tolerations: [Toleration(key: NodeLifecycleController.notReadyTaintKey, operator: .exists, effect: .noSchedule)])
        DefaultTolerationSeconds.admit(&noSchedule, notReadySeconds: 300, unreachableSeconds: 300)
        #expect(noSchedule.spec.tolerations.count == 3, "a NoSchedule toleration does not count")
    }

    @Test func evictionTimesFollowTolerations() {
        let nodes = [makeNode("n1", taints: [unreachable, Taint(key: "other", effect: .noSchedule)])]
        let pods = [
            admitted("default", uid: 1),
            makePod("none", uid: 2, tolerations: []),
            makePod("forever", uid: 3, tolerations: [Toleration(key: NodeLifecycleController.unreachableTaintKey, operator: .exists, effect: .noExecute)]),
            makePod("elsewhere", uid: 4, node: "n2", tolerations: []),
        ]
        var controller = TaintEvictionController()
        var output = controller.sync(nodes: nodes, pods: pods, now: at(101))
        #expect(deleted(output.actions) == ["shop/none"], "no toleration: at once")
        #expect(output.observations.count == 1)
        if case .podEvicted(let pod, let node)? = output.observations.first { #expect(pod == "shop/none" && node == "n1") } else { Issue.record("no podEvicted") }
        #expect(controller.schedule.map(\.pod) == ["shop/default"])
        #expect(controller.nextEvictionAt == at(400), "300 s after timeAdded")
        output = controller.sync(nodes: nodes, pods: pods, now: at(399.9))
        #expect(output.actions.isEmpty, "the delete of shop/none is not repeated; shop/default not due")
        output = controller.sync(nodes: nodes, pods: pods, now: at(400))
        #expect(deleted(output.actions) == ["shop/default"])
        output = controller.sync(nodes: nodes, pods: pods, now: at(100_000))
        #expect(output.actions.isEmpty, "tolerated forever; deletes already sent are not repeated")
        #expect(controller.schedule.isEmpty)
    }

    @Test func theFirstTaintToExpireDecidesAndTheSmallestMatchingSecondsCounts() {
        let notReady = Taint(key: NodeLifecycleController.notReadyTaintKey, effect: .noExecute, timeAdded: at(200))
        var pod = makePod("p", uid: 1, tolerations: [
            Toleration(key: NodeLifecycleController.unreachableTaintKey, operator: .exists, effect: .noExecute),
            Toleration(key: NodeLifecycleController.unreachableTaintKey, operator: .exists, effect: .noExecute, tolerationSeconds: 600),
            Toleration(key: NodeLifecycleController.notReadyTaintKey, operator: .exists, tolerationSeconds: 30),
        ])
        #expect(TaintEvictionController.evictionTime(pod, taints: [unreachable, notReady], start: at(0), now: at(250)) == at(230))
        pod.spec.tolerations.removeLast()
        #expect(TaintEvictionController.evictionTime(pod, taints: [unreachable, notReady], start: at(0), now: at(250)) == at(250), "not-ready not tolerated")
        #expect(TaintEvictionController.evictionTime(pod, taints: [unreachable], start: at(0), now: at(250)) == at(700))
        let untimed = Taint(key: NodeLifecycleController.unreachableTaintKey, effect: .noExecute)
        #expect(TaintEvictionController.evictionTime(pod, taints: [untimed], start: at(50), now: at(250)) == at(650))
    }

    @Test func removedTaintsCancelAndTerminatingPodsAreSkipped() {
        var controller = TaintEvictionController()
        var terminating = makePod("gone", uid: 2, tolerations: [])
        terminating.metadata.deletionTimestamp = at(130)
        let pods = [admitted("p", uid: 1), terminating]
        var output = controller.sync(nodes: [makeNode("n1", taints: [unreachable])], pods: pods, now: at(110))
        #expect(output.actions.isEmpty)
        #expect(controller.schedule.count == 1)
        output = controller.sync(nodes: [makeNode("n1", taints: [])], pods: pods, now: at(120))
        #expect(controller.schedule.isEmpty)
        output = controller.sync(nodes: [makeNode("n1", taints: [])], pods: pods, now: at(500))
        #expect(output.actions.isEmpty)
    }

    @Test func aFailedDeleteIsRetriedAndABusyPodWaits() {
        var controller = TaintEvictionController()
        let nodes = [makeNode("n1", taints: [unreachable])]
        let pods = [makePod("p", uid: 1, tolerations: [])]
        var output = controller.sync(nodes: nodes, pods: pods, busy: [ResourceKind.pods.registryKey(namespace: "shop", name: "p")], now: at(101))
        #expect(output.actions.isEmpty && controller.schedule.count == 1)
        output = controller.sync(nodes: nodes, pods: pods, now: at(102))
        #expect(deleted(output.actions) == ["shop/p"])
        controller.deleteFailed(pod: "shop/p")
        output = controller.sync(nodes: nodes, pods: pods, now: at(103))
        #expect(deleted(output.actions) == ["shop/p"])
    }
}
