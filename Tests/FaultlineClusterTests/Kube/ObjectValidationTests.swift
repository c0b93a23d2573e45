import Testing
@testable import FaultlineCluster

private func web(replicas: Int = 3) -> Deployment {
    var template = PodTemplate(labels: ["app": "web"], spec: PodSpec(containers: [Container(name: "web", image: "nginx:1.27")]))
    template.spec.containers[0].requests = ResourceList(milliCPU: 100, memoryBytes: 64 << 20)
    var spec = DeploymentSpec(selector: ["app": "web"], template: template)
    spec.replicas = replicas
    return Deployment(metadata: ObjectMeta(name: "web", namespace: "default"), spec: spec)
}

/// The failure of `object`, expecting one.
private func invalid(_ object: KubeObject, sourceLocation: SourceLocation = #_sourceLocation) -> ApiStatus? {
    let status = ObjectValidation.validate(object)
    #expect(status?.code == .unprocessableEntity, sourceLocation: sourceLocation)
    #expect(status?.reason == "Invalid", sourceLocation: sourceLocation)
    return status
}

@Suite struct ObjectValidationTests {
    @Test func aPlainDeploymentServicePodNodeAndLeaseAreValid() {
        #expect(ObjectValidation.validate(.deployment(web())) == nil)
        let service = Service(metadata: ObjectMeta(name: "web", namespace: "default"), selector: ["app": "web"], ports: [ServicePort(port: 80, targetPort: 8080)])
        #expect(ObjectValidation.validate(.service(service)) == nil)
        #expect(ObjectValidation.validate(.pod(Pod(metadata: ObjectMeta(name: "web-1", namespace: "default"), spec: web().spec.template.spec))) == nil)
        let resources = ResourceList(milliCPU: 4000, memoryBytes: 16 << 30, pods: 110)
        #expect(ObjectValidation.validate(.node(Node(metadata: ObjectMeta(name: "worker-1"), status: NodeStatus(capacity: resources, allocatable: resources)))) == nil)
        #expect(ObjectValidation.validate(.lease(Lease(metadata: ObjectMeta(name: "kube-scheduler", namespace: "kube-system"), holderIdentity: nil, leaseDurationSeconds: 15))) == nil)
    }

    @Test func negativeReplicasReadLikeTheApiserver() {
        let status = invalid(.deployment(web(replicas: -1)))
        #expect(status?.field == "spec.replicas")
        #expect(status?.message == "Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0")
    }

    @Test func aSelectorThatMissesTheTemplateIs422AtTheTemplateLabels() {
        var deployment = web()
        deployment.spec.selector = ["app": "api"]
        let status = invalid(.deployment(deployment))
        #expect(status?.field == "spec.template.metadata.labels")
        #expect(status?.message.contains("`selector` does not match template `labels`") == true)
        deployment.spec.selector = StringPairs()
        #expect(invalid(.deployment(deployment))?.field == "spec.selector")
    }

    @Test func containersNeedUniqueLabelNamesAndAnImage() {
        var deployment = web()
        deployment.spec.template.spec.containers.append(Container(name: "web", image: "busybox"))
        #expect(invalid(.deployment(deployment))?.field == "spec.template.spec.containers[1].name")
        deployment.spec.template.spec.containers[1] = Container(name: "Side_Car", image: "busybox")
        #expect(invalid(.deployment(deployment))?.field == "spec.template.spec.containers[1].name")
        deployment.spec.template.spec.containers[1] = Container(name: "sidecar", image: "")
        let status = invalid(.deployment(deployment))
        #expect(status?.field == "spec.template.spec.containers[1].image")
        #expect(status?.message.hasSuffix("spec.template.spec.containers[1].image: Required value") == true)
        deployment.spec.template.spec.containers = []
        #expect(invalid(.deployment(deployment))?.field == "spec.template.spec.containers")
    }

    @Test func requestsAreNonNegativeAndWithinLimits() {
        var deployment = web()
        deployment.spec.template.spec.containers[0].requests.milliCPU = -1
        #expect(invalid(.deployment(deployment))?.field == "spec.template.spec.containers[0].resources.requests[cpu]")
        deployment.spec.template.spec.containers[0].requests.milliCPU = 2000
        deployment.spec.template.spec.containers[0].limits.milliCPU = 1000
        let status = invalid(.deployment(deployment))
        #expect(status?.field == "spec.template.spec.containers[0].resources.requests")
        #expect(status?.message.contains("must be less than or equal to cpu limit of 1") == true)
    }

    @Test func rollingUpdateNeedsRoomToMove() {
        var deployment = web()
        deployment.spec.strategy = .rollingUpdate(maxSurge: .count(0), maxUnavailable: .percent(0))
        let status = invalid(.deployment(deployment))
        #expect(status?.field == "spec.strategy.rollingUpdate.maxUnavailable")
        #expect(status?.message.contains("may not be 0 when `maxSurge` is 0") == true)
        deployment.spec.strategy = .rollingUpdate(maxSurge: .count(1), maxUnavailable: .percent(101))
        #expect(invalid(.deployment(deployment))?.message.contains("Invalid value: \"101%\": must not be greater than 100%") == true)
        deployment.spec.strategy = .rollingUpdate(maxSurge: .percent(200), maxUnavailable: .percent(0))
        #expect(ObjectValidation.validate(.deployment(deployment)) == nil, "maxSurge may exceed 100%")
        deployment.spec.strategy = .recreate
        deployment.spec.revisionHistoryLimit = -1
        #expect(invalid(.deployment(deployment))?.field == "spec.revisionHistoryLimit")
        deployment.spec.revisionHistoryLimit = 10
        deployment.spec.minReadySeconds = 600
        #expect(invalid(.deployment(deployment))?.message.contains("spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds") == true)
    }

    @Test func everyFailureIsListedInCheckOrder() {
        var deployment = web(replicas: -2)
        deployment.metadata.name = "Web"
        let status = invalid(.deployment(deployment))
        #expect(status?.field == "metadata.name")
        #expect(status?.message.hasPrefix("Deployment.apps \"Web\" is invalid: [metadata.name: Invalid value: \"Web\": a lowercase RFC 1123 subdomain") == true)
        #expect(status?.message.contains(", spec.replicas: Invalid value: -2: must be greater than or equal to 0]") == true)
    }

    @Test func namesFollowTheirKindsDNSRules() {
        var service = Service(metadata: ObjectMeta(name: "1web", namespace: "default"), selector: [:], ports: [ServicePort(port: 80, targetPort: 80)])
        #expect(invalid(.service(service))?.message.contains("DNS-1035 label") == true)
        service.metadata.name = "web.v2"
        #expect(invalid(.service(service))?.field == "metadata.name")
        var pod = Pod(metadata: ObjectMeta(name: "web.v2-1", namespace: "default"), spec: web().spec.template.spec)
        #expect(ObjectValidation.validate(.pod(pod)) == nil, "pods take DNS subdomains")
        pod.metadata.namespace = ""
        #expect(invalid(.pod(pod))?.field == "metadata.namespace")
        let node = Node(metadata: ObjectMeta(name: "worker-1", namespace: "default"), status: NodeStatus(capacity: .zero, allocatable: .zero))
        #expect(invalid(.node(node))?.message.contains("metadata.namespace: Forbidden: not allowed on this type") == true)
        pod.metadata.namespace = "default"
        pod.metadata.name = String(repeating: "a", count: 254)
        #expect(invalid(.pod(pod))?.message.contains("must be no more than 253 characters") == true)
    }

    @Test(arguments: [
        ("app", "web", true), ("example.com/app", "web", true), ("app", "", true), ("app", "a_b.c-d", true),
        ("-app", "web", false), ("app", "-web", false), ("a/b/c", "x", false), ("/app", "x", false), ("Example.com/app", "x", false),
        ("app", String(repeating: "v", count: 64), false), (String(repeating: "k", count: 64), "v", false), ("app", "web site", false),
    ] as [(String, String, Bool)])
    func labelSyntax(_ key: String, _ value: String, _ valid: Bool) {
        var deployment = web()
        deployment.metadata.labels[key] = value
        let status = ObjectValidation.validate(.deployment(deployment))
        #expect((status == nil) == valid, "\(key)=\(value): \(status?.description ?? "valid")")
        if !valid { #expect(status?.field == "metadata.labels") }
    }

    @Test func servicePortsAreInRangeAndNamedWhenSeveral() {
        var service = Service(metadata: ObjectMeta(name: "web", namespace: "default"), selector: ["app": "web"], ports: [])
        #expect(invalid(.service(service))?.message == "Service \"web\" is invalid: spec.ports: Required value")
        service.ports = [ServicePort(name: "http", port: 0, targetPort: 8080)]
        #expect(invalid(.service(service))?.message.contains("spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive") == true)
        service.ports = [ServicePort(name: "http", port: 80, targetPort: 65536)]
        #expect(invalid(.service(service))?.field == "spec.ports[0].targetPort")
        service.ports = [ServicePort(name: "http", port: 80, targetPort: 80), ServicePort(port: 443, targetPort: 443)]
        #expect(invalid(.service(service))?.field == "spec.ports[1].name")
    }

    @Test func nodeAllocatableStaysWithinCapacity() {
        let capacity = ResourceList(milliCPU: 4000, memoryBytes: 8 << 30, pods: 110)
        var node = Node(metadata: ObjectMeta(name: "worker-1"), status: NodeStatus(capacity: capacity, allocatable: capacity))
        node.status.allocatable.milliCPU = 4500
        let status = invalid(.node(node))
        #expect(status?.field == "status.allocatable[cpu]")
        #expect(status?.message.contains("Invalid value: \"4500m\": must be less than or equal to capacity 4") == true)
        node.status.allocatable = capacity
        node.status.capacity.memoryBytes = -1
        #expect(invalid(.node(node))?.field == "status.capacity[memory]")
        node.status.capacity = capacity
        node.taints = [Taint(key: "dedicated", effect: .noSchedule), Taint(key: "dedicated", value: "x", effect: .noSchedule)]
        #expect(invalid(.node(node))?.field == "spec.taints[1]")
    }

    @Test func leasesAndTolerations() {
        let lease = Lease(metadata: ObjectMeta(name: "l", namespace: "kube-system"), holderIdentity: "a", leaseDurationSeconds: 0)
        #expect(invalid(.lease(lease))?.message == "Lease.coordination.k8s.io \"l\" is invalid: spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0")
        var pod = Pod(metadata: ObjectMeta(name: "p", namespace: "default"), spec: web().spec.template.spec)
        pod.spec.tolerations = [Toleration(key: "", operator: .equal, value: "x")]
        #expect(invalid(.pod(pod))?.field == "spec.tolerations[0].operator")
        pod.spec.tolerations = [Toleration(key: "k", operator: .exists, value: "x")]
        #expect(invalid(.pod(pod))?.field == "spec.tolerations[0].operator")
        pod.spec.tolerations = [Toleration(key: "k", operator: .exists, effect: .noSchedule, tolerationSeconds: 30)]
        #expect(invalid(.pod(pod))?.field == "spec.tolerations[0].effect")
        pod.spec.tolerations = [Toleration(key: "k", operator: .exists, effect: .noExecute, tolerationSeconds: 30)]
        #expect(ObjectValidation.validate(.pod(pod)) == nil)
    }

    // MARK: Updates

    @Test func selectorsAndUidsAreImmutable() {
        var old = web()
        old.metadata.uid = 7
        var new = old
        new.spec.replicas = 5
        #expect(ObjectValidation.validateUpdate(old: .deployment(old), new: .deployment(new)) == nil)
        new.spec.selector = ["app": "web", "tier": "front"]
        new.spec.template.labels["tier"] = "front"
        let status = ObjectValidation.validateUpdate(old: .deployment(old), new: .deployment(new))
        #expect(status?.code == .unprocessableEntity)
        #expect(status?.field == "spec.selector")
        #expect(status?.message.contains("field is immutable") == true)
        new = old
        new.metadata.uid = 8
        #expect(ObjectValidation.validateUpdate(old: .deployment(old), new: .deployment(new))?.field == "metadata.uid")
        let set = ReplicaSet(metadata: old.metadata, spec: ReplicaSetSpec(replicas: 1, selector: ["app": "web"], template: old.spec.template))
        var changed = set
        changed.spec.selector = ["app": "other"]
        #expect(ObjectValidation.validateUpdate(old: .replicaSet(set), new: .replicaSet(changed))?.field == "spec.selector")
    }

    @Test func aPodIsBoundOnceAndOnlyByBinding() {
        let pending = Pod(metadata: ObjectMeta(name: "p", namespace: "default"), spec: web().spec.template.spec)
        var bound = pending
        bound.spec.nodeName = "worker-1"
        #expect(ObjectValidation.validateUpdate(old: .pod(pending), new: .pod(bound), subresource: .binding) == nil)
        #expect(ObjectValidation.validateUpdate(old: .pod(pending), new: .pod(bound))?.field == "spec.nodeName")
        var moved = bound
        moved.spec.nodeName = "worker-2"
        #expect(ObjectValidation.validateUpdate(old: .pod(bound), new: .pod(moved))?.field == "spec.nodeName")
        let rebind = ObjectValidation.validateUpdate(old: .pod(bound), new: .pod(moved), subresource: .binding)
        #expect(rebind?.code == .conflict)
        #expect(rebind?.message.contains("is already assigned to node \"worker-1\"") == true)
        var newImage = bound
        newImage.spec.containers[0].image = "nginx:1.28"
        #expect(ObjectValidation.validateUpdate(old: .pod(bound), new: .pod(newImage)) == nil)
        var moreCPU = bound
        moreCPU.spec.containers[0].requests.milliCPU = 200
        #expect(ObjectValidation.validateUpdate(old: .pod(bound), new: .pod(moreCPU))?.field == "spec")
        var status = bound
        status.status.ready = true
        #expect(ObjectValidation.validateUpdate(old: .pod(bound), new: .pod(status), subresource: .status) == nil)
    }
}
