import FaultlineSim
import Testing
@testable import FaultlineCluster

private func at(_ seconds: Double) -> SimInstant { .start + .seconds(seconds) }

/// A tiny cluster around the two pure controllers, as kube-controller-manager drives them: kubelets
/// renew their Leases every 10 s (with a clock 3 h ahead, to prove Lease times are never compared with
/// the controller's), `monitor` runs every 5 s (offset 2.5 s from the renewals), the queue pass every
/// 100 ms, node writes trigger the event-driven taint pass, and the taint eviction controller syncs
/// every 100 ms. Writes are checked against the stored resourceVersion, as the apiserver does.
struct NodeLifecycleHarness {
    var controller: NodeLifecycleController
    var eviction = TaintEvictionController()
    var nodes: [String: Node] = [:]
    var leases: [String: Lease] = [:]
    var pods: [String: Pod] = [:]
    /// Nodes whose kubelet renews its Lease.
    var alive: Set<String> = []
    var now: SimInstant = .start
    var observations: [(at: SimInstant, KubeObservation)] = []
    var statusWrites: [(at: SimInstant, node: String, ready: ConditionStatus)] = []
    var conflicts = 0
    static let holderClockOffset: SimDuration = .seconds(Int64(3 * 3600))

    init(flags: NodeLifecycleFlags = NodeLifecycleFlags(), zones: [(zone: String, count: Int)], podsPerNode: [Toleration]? = nil) {
        controller = NodeLifecycleController(flags: flags)
        var uid: UInt64 = 1
        for (zone, count) in zones {
            for index in 1...count {
                let name = "\(zone)-n\(index)"
                var meta = ObjectMeta(name: name)
                meta.uid = uid; uid += 1
                meta.resourceVersion = 1
                meta.labels["topology.kubernetes.io/zone"] = zone
                nodes[name] = Node(metadata: meta, status: NodeStatus(capacity: ResourceList(milliCPU: 4000, pods: 110), allocatable: ResourceList(milliCPU: 4000, pods: 110)))
                var leaseMeta = ObjectMeta(name: name, namespace: "kube-node-lease")
                leaseMeta.resourceVersion = 1
                leases[name] = Lease(metadata: leaseMeta, holderIdentity: name, leaseDurationSeconds: 40)
                alive.insert(name)
            }
        }
    }

    /// A running, Ready pod on `node` with `tolerations`.
    mutating func addPod(_ name: String, on node: String, tolerations: [Toleration]) {
        var meta = ObjectMeta(name: name, namespace: "default")
        meta.uid = UInt64(1000 + pods.count)
        meta.resourceVersion = 1
        var pod = Pod(metadata: meta, spec: PodSpec(containers: [Container(name: "c", image: "i")]))
        pod.spec.nodeName = node
        pod.spec.tolerations = tolerations
        pod.status.phase = .running
        pod.status.ready = true
        pod.status.readySince = now
        pods[name] = pod
    }

    var input: NodeLifecycleInput {
        NodeLifecycleInput(nodes: nodes.keys.sorted().compactMap { nodes[$0] }, leases: leases.keys.sorted().compactMap { leases[$0] },
                           pods: pods.keys.sorted().compactMap { pods[$0] })
    }

    func noExecute(_ node: String) -> [Taint] { nodes[node]?.taints.filter { $0.effect == .noExecute } ?? [] }
    func noSchedule(_ node: String) -> [Taint] { nodes[node]?.taints.filter { $0.effect == .noSchedule } ?? [] }
    var evicted: [String] { observations.compactMap { if case .podEvicted(let pod, _) = $0.1 { return pod } else { return nil } } }

    /// The kubelet of `node` comes back: it posts Ready=True and renews again.
    mutating func revive(_ node: String) {
        alive.insert(node)
        guard var stored = nodes[node] else { return }
        stored.status.ready = .isTrue
        stored.status.readyReason = "KubeletReady"
        stored.status.lastHeartbeat = now + Self.holderClockOffset
        stored.status.readyTransition = now
        stored.metadata.resourceVersion += 1
        nodes[node] = stored
        nodeChanged(node)
    }

    mutating func nodeChanged(_ name: String) {
        if let node = nodes[name] { controller.observe(node, now: now) }
        apply(controller.taintPass(input, dirty: [name], now: now))
    }

    /// Applies every write of one step (all were in flight together), then delivers the node events.
    mutating func apply(_ output: NodeLifecycleOutput) {
        observations += output.observations.map { (now, $0) }
        var changed: [String] = []
        for action in output.actions { if let node = apply(action) { changed.append(node) } }
        for node in changed { nodeChanged(node) }
    }

    /// Applies one write; returns the node it changed.
    @discardableResult
    mutating func apply(_ action: ControllerAction) -> String? {
        switch action {
        case .updateStatus(.node(let node)), .update(.node(let node)):
            let name = node.metadata.name
            guard var stored = nodes[name], stored.metadata.resourceVersion == node.metadata.resourceVersion else { conflicts += 1; return nil }
            if case .updateStatus = action {
                stored.status = node.status
                statusWrites.append((now, name, node.status.ready))
            } else {
                stored.taints = node.taints
            }
            stored.metadata.resourceVersion += 1
            nodes[name] = stored
            return name
        case .updateStatus(.pod(let pod)):
            guard var stored = pods[pod.metadata.name], stored.metadata.resourceVersion == pod.metadata.resourceVersion else { conflicts += 1; return nil }
            stored.status = pod.status
            stored.metadata.resourceVersion += 1
            pods[pod.metadata.name] = stored
            return nil
        case .delete(.pods, _, let name, let uid):
            guard var stored = pods[name], stored.metadata.uid == uid else { conflicts += 1; return nil }
            stored.metadata.deletionTimestamp = now + .seconds(stored.spec.terminationGracePeriodSeconds)
            stored.metadata.resourceVersion += 1
            pods[name] = stored
            return nil
        default:
            Issue.record("unexpected action \(action)")
            return nil
        }
    }

    /// Runs in 100 ms ticks up to `end`.
    mutating func run(until end: SimInstant) {
        while now < end {
            now = now + .milliseconds(100)
            let ms = (now - .start).nanoseconds / 1_000_000
            if ms % 10_000 == 0 {
                for name in alive.sorted() {
                    leases[name]?.renewTime = now + Self.holderClockOffset
                    leases[name]?.metadata.resourceVersion += 1
                    if let lease = leases[name] { controller.observe(lease, now: now) }
                }
            }
            if ms % 5_000 == 2_500 { apply(controller.monitor(input, now: now)) }
            apply(controller.processTaintQueues(input, now: now))
            let result = eviction.sync(nodes: input.nodes, pods: pods.keys.sorted().compactMap { pods[$0] }, now: now)
            observations += result.observations.map { (now, $0) }
            for action in result.actions { apply(action) }
        }
    }
}

private let defaultTolerations: [Toleration] = {
    var pod = Pod(metadata: ObjectMeta(name: "p"), spec: PodSpec(containers: []))
    DefaultTolerationSeconds.admit(&pod, notReadySeconds: 300, unreachableSeconds: 300)
    return pod.spec.tolerations
}()

@Suite struct NodeLifecycleControllerTests {
    @Test func aSilentNodeBecomesUnknownAfterTheGracePeriodNotBefore() {
        var cluster = NodeLifecycleHarness(zones: [("a", 3)])
        cluster.addPod("web-1", on: "a-n1", tolerations: defaultTolerations)
        cluster.addPod("web-2", on: "a-n2", tolerations: defaultTolerations)
        cluster.run(until: at(100))
        cluster.alive.remove("a-n1")  // last renewal at t = 100 s
        cluster.run(until: at(150))
        #expect(cluster.nodes["a-n1"]?.status.ready == .isTrue, "not Unknown at t + 50 s")
        #expect(cluster.pods["web-1"]?.status.ready == true)
        cluster.run(until: at(155))
        #expect(cluster.nodes["a-n1"]?.status.ready == .unknown, "Unknown by t + 55 s")
        let write = cluster.statusWrites.first { $0.node == "a-n1" }
        #expect(write.map { $0.at > at(150) && $0.at <= at(155) } == true)
        #expect(cluster.nodes["a-n1"]?.status.readyReason == "NodeStatusUnknown")
        #expect(cluster.pods["web-1"]?.status.ready == false, "its pods are marked NotReady")
        #expect(cluster.pods["web-2"]?.status.ready == true, "pods elsewhere are not")
        #expect(cluster.noSchedule("a-n1").map(\.key) == [NodeLifecycleController.unreachableTaintKey])
        let taint = cluster.noExecute("a-n1")
        #expect(taint.map(\.key) == [NodeLifecycleController.unreachableTaintKey])
        #expect(taint.first?.timeAdded.map { $0 > at(150) && $0 <= at(155.2) } == true)
        #expect(cluster.noExecute("a-n2").isEmpty && cluster.noSchedule("a-n2").isEmpty)
        #expect(cluster.conflicts == 0)
    }

    @Test func aNewNodeGetsTheStartupGrace() {
        var flags = NodeLifecycleFlags()
        flags.nodeStartupGracePeriodMs = 120_000
        var cluster = NodeLifecycleHarness(flags: flags, zones: [("a", 2)])
        cluster.nodes["a-n1"]?.status.ready = .unknown  // registered, never Ready
        cluster.alive.remove("a-n1")
        cluster.run(until: at(100))
        #expect(cluster.statusWrites.isEmpty, "startup grace, not monitor grace")
        cluster.run(until: at(125))
        #expect(cluster.noSchedule("a-n1").map(\.key) == [NodeLifecycleController.unreachableTaintKey])
    }

    @Test func aDeclaredNodeWithoutAKubeletIsNotJudged() {
        var cluster = NodeLifecycleHarness(zones: [("a", 2)])
        cluster.leases["a-n1"] = nil
        cluster.alive.remove("a-n1")
        cluster.run(until: at(300))
        #expect(cluster.statusWrites.isEmpty)
        // Its kubelet appears (a Lease), then goes silent: judged from then on.
        var meta = ObjectMeta(name: "a-n1", namespace: "kube-node-lease")
        meta.resourceVersion = 1
        cluster.leases["a-n1"] = Lease(metadata: meta, holderIdentity: "a-n1", leaseDurationSeconds: 40)
        cluster.run(until: at(360))
        #expect(cluster.statusWrites.map(\.node) == ["a-n1"])
    }

    @Test func nodeStatusHeartbeatsCountAsWellAsLeases() {
        var controller = NodeLifecycleController(flags: NodeLifecycleFlags())
        var node = Node(metadata: ObjectMeta(name: "n1"), status: NodeStatus(capacity: .zero, allocatable: .zero))
        controller.observe(node, now: at(1))
        node.status.lastHeartbeat = at(9_999)  // the kubelet's clock, far ahead
        controller.observe(node, now: at(30))
        #expect(controller.probeTimestamp(of: "n1") == at(30))
        controller.observe(node, now: at(60))
        #expect(controller.probeTimestamp(of: "n1") == at(30), "no change, no new probe")
        #expect(controller.monitor(NodeLifecycleInput(nodes: [node]), now: at(80)).actions.isEmpty)
        #expect(controller.monitor(NodeLifecycleInput(nodes: [node]), now: at(80.1)).actions.count == 1)
    }

    @Test func taintsInAZoneAreRateLimitedTenSecondsApart() {
        var cluster = NodeLifecycleHarness(zones: [("a", 20)])
        cluster.run(until: at(100))
        let lost = (1...5).map { "a-n\($0)" }
        for name in lost { cluster.alive.remove(name) }
        cluster.run(until: at(220))
        let added = lost.compactMap { cluster.noExecute($0).first?.timeAdded }.sorted()
        #expect(added.count == 5)
        for (earlier, later) in zip(added, added.dropFirst()) {
            let gap = later - earlier
            #expect(gap >= .milliseconds(9_900) && gap <= .milliseconds(10_200), "gap \(gap)")
        }
        #expect(cluster.controller.zoneStates["a"] == .normal)
        #expect(cluster.conflicts == 0)
    }

    /// Zone a loses its nodes first (tainted), then zone b: every zone is fully disrupted, so the
    /// taints go and nobody is evicted; with the bug, pods are evicted.
    static func fullDisruption(bugs: NodeLifecycleBugs) -> NodeLifecycleHarness {
        var flags = NodeLifecycleFlags()
        flags.bugs = bugs
        var cluster = NodeLifecycleHarness(flags: flags, zones: [("a", 3), ("b", 3)])
        for zone in ["a", "b"] {
            cluster.addPod("\(zone)-tolerant", on: "\(zone)-n1", tolerations: defaultTolerations)
            cluster.addPod("\(zone)-intolerant", on: "\(zone)-n2", tolerations: [])
        }
        cluster.run(until: at(100))
        for index in 1...3 { cluster.alive.remove("a-n\(index)") }
        cluster.run(until: at(200))
        for index in 1...3 { cluster.alive.remove("b-n\(index)") }
        cluster.run(until: at(1_000))
        return cluster
    }

    @Test func fullDisruptionOfEveryZoneStopsTaintingAndRemovesTaints() {
        let cluster = Self.fullDisruption(bugs: [])
        #expect(cluster.evicted == ["default/a-intolerant"], "zone a alone was fully disrupted: its tainted, intolerant pod went")
        #expect(cluster.controller.evictionsStopped)
        for zone in ["a", "b"] {
            for index in 1...3 { #expect(cluster.noExecute("\(zone)-n\(index)").isEmpty, "\(zone)-n\(index)") }
        }
        #expect(cluster.pods["b-intolerant"]?.metadata.deletionTimestamp == nil)
        #expect(cluster.pods["a-tolerant"]?.metadata.deletionTimestamp == nil, "300 s passed, but the taint was removed")
        let states = cluster.observations.compactMap { if case .zoneStateChanged(let zone, let state) = $0.1 { return "\(zone)=\(state)" } else { return nil } }
        #expect(states == ["a=FullDisruption", "b=FullDisruption"])
    }

    @Test func theEvictsInFullDisruptionBugEvictsEverything() {
        let cluster = Self.fullDisruption(bugs: .evictsInFullDisruption)
        #expect(cluster.evicted.sorted() == ["default/a-intolerant", "default/a-tolerant", "default/b-intolerant", "default/b-tolerant"])
        #expect(!cluster.noExecute("b-n3").isEmpty)
    }

    @Test func partialDisruptionOfASmallZoneStopsTainting() {
        var cluster = NodeLifecycleHarness(zones: [("a", 10), ("b", 2)])
        cluster.run(until: at(100))
        for index in 1...6 { cluster.alive.remove("a-n\(index)") }
        cluster.run(until: at(400))
        #expect(cluster.controller.zoneStates["a"] == .partialDisruption)
        for index in 1...6 {
            #expect(cluster.nodes["a-n\(index)"]?.status.ready == .unknown)
            #expect(cluster.noExecute("a-n\(index)").isEmpty, "a-n\(index)")
            #expect(!cluster.noSchedule("a-n\(index)").isEmpty, "NoSchedule taints are not rate limited")
        }
        // Two of ten is Normal: those are tainted.
        var normal = NodeLifecycleHarness(zones: [("a", 10), ("b", 2)])
        normal.run(until: at(100))
        for index in 1...2 { normal.alive.remove("a-n\(index)") }
        normal.run(until: at(400))
        #expect(normal.controller.zoneStates["a"] == .normal)
        #expect(!normal.noExecute("a-n1").isEmpty && !normal.noExecute("a-n2").isEmpty)
    }

    @Test func partialDisruptionOfALargeZoneUsesTheSecondaryRate() {
        var cluster = NodeLifecycleHarness(zones: [("a", 60)])
        cluster.run(until: at(100))
        for index in 1...40 { cluster.alive.remove("a-n\(index)") }
        cluster.run(until: at(400))
        #expect(cluster.controller.zoneStates["a"] == .partialDisruption)
        let added = (1...40).compactMap { cluster.noExecute("a-n\($0)").first?.timeAdded }.sorted()
        #expect(added.count == 3, "one per 100 s over ~245 s: \(added)")
        if added.count >= 2 { #expect(added[1] - added[0] >= .seconds(Int64(99))) }
    }

    @Test func aNodeReturningReadyLosesItsTaintsAndItsPodsStay() {
        var cluster = NodeLifecycleHarness(zones: [("a", 3)])
        cluster.addPod("web", on: "a-n1", tolerations: defaultTolerations)
        cluster.run(until: at(100))
        cluster.alive.remove("a-n1")
        cluster.run(until: at(200))
        #expect(!cluster.noExecute("a-n1").isEmpty)
        #expect(cluster.eviction.schedule.map(\.pod) == ["default/web"])
        cluster.revive("a-n1")
        #expect(cluster.noExecute("a-n1").isEmpty && cluster.noSchedule("a-n1").isEmpty)
        cluster.run(until: at(600))
        #expect(cluster.eviction.schedule.isEmpty)
        #expect(cluster.evicted.isEmpty)
        #expect(cluster.nodes["a-n1"]?.status.ready == .isTrue)
        #expect(cluster.conflicts == 0)
    }

    @Test func tokenBucketWithBurstOne() {
        var limiter = TokenBucketLimiter(ratePerSecond: 0.1, now: at(0))
        var accepted: [Bool] = []
        for time in [0, 9.9, 10] { accepted.append(limiter.tryAccept(now: at(time))) }
        #expect(accepted == [true, false, true])
        limiter.swap(ratePerSecond: 1, now: at(11))
        accepted = [limiter.tryAccept(now: at(11.5)), limiter.tryAccept(now: at(12))]
        #expect(accepted == [false, true], "a swap while waiting drains the new bucket")
        limiter.swap(ratePerSecond: 0, now: at(20))
        accepted = [limiter.tryAccept(now: at(1_000))]
        #expect(accepted == [false])
        #expect(ZoneState.compute(ready: 0, notReady: 1, unhealthyThreshold: 0.55) == .fullDisruption)
        #expect(ZoneState.compute(ready: 2, notReady: 2, unhealthyThreshold: 0.5) == .normal, "at most 2 not ready is Normal")
        #expect(ZoneState.compute(ready: 2, notReady: 3, unhealthyThreshold: 0.55) == .partialDisruption)
        #expect(ZoneState.compute(ready: 3, notReady: 3, unhealthyThreshold: 0.55) == .normal)
    }
}
