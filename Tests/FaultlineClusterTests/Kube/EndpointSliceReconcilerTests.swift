import FaultlineSim
import Testing
@testable import FaultlineCluster

private func makeService() -> Service {
    var meta = ObjectMeta(name: "web", namespace: "shop")
    meta.uid = 42
    return Service(metadata: meta, selector: ["app": "web"], ports: [ServicePort(port: 80, targetPort: 8080)])
}

private func makePod(_ name: String, namespace: String = "shop", labels: StringPairs = ["app": "web", "tier": "front"],
                     node: String? = "n1", ip: String = "10.0.0.1", ready: Bool = true) -> Pod {
    var meta = ObjectMeta(name: name, namespace: namespace)
    meta.labels = labels
    var pod = Pod(metadata: meta, spec: PodSpec(containers: [Container(name: "web", image: "web:1")]))
    pod.spec.nodeName = node
    pod.status.phase = .running
    pod.status.podIP = ip
    pod.status.ready = ready
    return pod
}

@Suite struct EndpointSliceReconcilerTests {
    @Test func theSliceListsMatchingBoundPodsSortedByName() throws {
        var terminating = makePod("d-terminating", ip: "10.0.0.4")
        terminating.metadata.deletionTimestamp = .start + .seconds(3)
        var finished = makePod("f-finished", ip: "10.0.0.6")
        finished.status.phase = .succeeded
        let pods = [
            makePod("c-unready", node: "n2", ip: "10.0.0.3", ready: false),
            makePod("b-ready", ip: "10.0.0.2"),
            terminating,
            makePod("a-unbound", node: nil, ip: ""),
            makePod("e-no-ip", ip: ""),
            finished,
            makePod("g-other-namespace", namespace: "ops"),
            makePod("h-other-app", labels: ["app": "db"]),
        ]
        let slice = try #require(EndpointSliceReconciler.desiredSlice(for: makeService(), pods: pods))
        #expect(slice.metadata.name == "web-slice")
        #expect(slice.metadata.namespace == "shop")
        #expect(slice.metadata.labels["kubernetes.io/service-name"] == "web")
        #expect(slice.metadata.ownerReferences == [OwnerReference(kind: .services, name: "web", uid: 42)])
        #expect(slice.endpoints == [
            Endpoint(podName: "b-ready", nodeName: "n1", address: "10.0.0.2", ready: true),
            Endpoint(podName: "c-unready", nodeName: "n2", address: "10.0.0.3", ready: false),
            Endpoint(podName: "d-terminating", nodeName: "n1", address: "10.0.0.4", ready: false),
        ])
    }

    @Test func aWriteOnlyWhenTheSliceDiffers() throws {
        let service = makeService()
        var pods = [makePod("a", ip: "10.0.0.1"), makePod("b", ip: "10.0.0.2")]
        guard case .create(.endpointSlice(var stored))? = EndpointSliceReconciler.reconcile(service, pods: pods, existing: nil) else {
            Issue.record("expected a create")
            return
        }
        stored.metadata.uid = 7
        stored.metadata.resourceVersion = 55
        #expect(EndpointSliceReconciler.reconcile(service, pods: pods.reversed(), existing: stored) == nil)
        pods[1].status.ready = false
        guard case .update(.endpointSlice(let updated))? = EndpointSliceReconciler.reconcile(service, pods: pods, existing: stored) else {
            Issue.record("expected an update")
            return
        }
        #expect(updated.metadata.resourceVersion == 55)
        #expect(updated.metadata.uid == 7)
        #expect(updated.endpoints.map(\.ready) == [true, false])
    }

    @Test func aServiceWithoutSelectorIsLeftAlone() {
        var service = makeService()
        service.selector = StringPairs()
        #expect(EndpointSliceReconciler.desiredSlice(for: service, pods: [makePod("a")]) == nil)
        #expect(EndpointSliceReconciler.reconcile(service, pods: [makePod("a")], existing: nil) == nil)
    }
}
