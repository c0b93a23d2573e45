import Testing
@testable import FaultlineCluster
import FaultlineSim

@Suite struct ContainerRuntimeTests {
    var random = SimRandom(seed: 1, stream: "test")
    let pull = LatencyDistribution.constant(.seconds(2))
    let startup = LatencyDistribution.constant(.milliseconds(500))

    @Test mutating func startPullsOnceAndRunsAfterTheLatency() {
        var runtime = ContainerRuntime(nodeName: "worker-1", nodeIndex: 0)
        let first = runtime.start(podKey: "default/a", uid: 1, image: "nginx", requests: .zero, pull: pull, startup: startup, random: &random, now: .start)
        #expect(first?.delay == .milliseconds(2_500))
        #expect(runtime.start(podKey: "default/a", uid: 1, image: "nginx", requests: .zero, pull: pull, startup: startup, random: &random, now: .start) == nil)
        let second = runtime.start(podKey: "default/b", uid: 2, image: "nginx", requests: .zero, pull: pull, startup: startup, random: &random, now: .start)
        #expect(second?.delay == .milliseconds(500), "the image is cached")
        #expect(!runtime.serves("default/a"))
        let started = runtime.startFinished(token: first!.token, now: .start + .seconds(3))
        #expect(started?.attempts == 1)
        #expect(runtime.serves("default/a"))
    }

    @Test mutating func containersSurviveADaemonRestartButNotAMachineCrash() {
        var runtime = ContainerRuntime(nodeName: "worker-1", nodeIndex: 0)
        let a = runtime.start(podKey: "default/a", uid: 1, image: "nginx", requests: .zero, pull: pull, startup: startup, random: &random, now: .start)!
        _ = runtime.startFinished(token: a.token, now: .start + .seconds(3))
        let b = runtime.start(podKey: "default/b", uid: 2, image: "nginx", requests: .zero, pull: pull, startup: startup, random: &random, now: .start)!
        runtime.daemonRestarted()
        #expect(runtime.serves("default/a"))
        #expect(runtime.startFinished(token: b.token, now: .start + .seconds(4)) == nil, "a start in progress is lost with containerd")
        let lost = runtime.machineCrashed()
        #expect(lost.map(\.podKey) == ["default/a"])
        #expect(!runtime.serves("default/a"))
    }

    @Test mutating func aKilledContainerRestartsWithTheSameAddress() {
        var runtime = ContainerRuntime(nodeName: "worker-1", nodeIndex: 0)
        let a = runtime.start(podKey: "default/a", uid: 1, image: "nginx", requests: .zero, pull: pull, startup: startup, random: &random, now: .start)!
        let running = runtime.startFinished(token: a.token, now: .start + .seconds(3))!
        #expect(runtime.exit(podKey: "default/a", code: 137, now: .start + .seconds(10)) != nil)
        #expect(!runtime.serves("default/a"))
        let again = runtime.start(podKey: "default/a", uid: 1, image: "nginx", requests: .zero, pull: pull, startup: startup, random: &random, now: .start + .seconds(10))!
        let restarted = runtime.startFinished(token: again.token, now: .start + .seconds(11))!
        #expect(restarted.address == running.address)
        #expect(restarted.attempts == 2)
    }

    @Test mutating func localTrafficPolicyKeepsTrafficOnTheNode() {
        var rules = ServiceRules()
        rules.services["default/web"] = ServiceRule(endpoints: [
            Endpoint(podName: "a", nodeName: "worker-1", address: "10.0.0.1", ready: true),
            Endpoint(podName: "b", nodeName: "worker-2", address: "10.0.0.2", ready: true),
        ], trafficPolicy: .local)
        for _ in 0..<20 { #expect(rules.pick("default/web", fromNode: "worker-2", &random)?.podName == "b") }
        #expect(rules.pick("default/web", fromNode: "worker-3", &random) == nil)
        #expect(rules.pick("default/other", fromNode: "worker-1", &random) == nil)
    }
}
