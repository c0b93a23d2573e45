import FaultlineCluster
import Testing
import Yams
@testable import FaultlineChaos

private let file = "Scenarios/manifests.yaml"
private let prefix = "spec.workloads[0]"

/// Reads one manifest; returns the object and the reader's diagnostics.
private func read(_ yaml: String) throws -> (KubeObject?, [ScenarioDiagnostic]) {
    let node = try #require(try Yams.compose(yaml: yaml))
    var reader = ScenarioReader(file: file)
    let object = reader.readManifest(node, prefix)
    return (object, reader.diagnostics)
}

private func readNodes(_ yaml: String) throws -> ([KubeObject]?, [ScenarioDiagnostic]) {
    let node = try #require(try Yams.compose(yaml: yaml))
    var reader = ScenarioReader(file: file)
    let nodes = reader.readNodeDeclaration(node, "spec.nodes[0]")
    return (nodes, reader.diagnostics)
}

/// A valid Deployment; line 16 holds the cpu request, line 5 `replicas`.
private let deployment = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        resources:
          requests: {cpu: 250m, memory: 1.5Gi}
          limits: {memory: 2Gi}
        ports: [{containerPort: 8080, name: http}]

"""

@Suite struct ManifestReaderTests {
    @Test func aDeploymentIsReadWithUpstreamDefaults() throws {
        let (object, diagnostics) = try read(deployment)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        guard case .deployment(let parsed)? = object else { Issue.record("expected a Deployment"); return }
        #expect(parsed.metadata.name == "web")
        #expect(parsed.metadata.namespace == "default")
        #expect(parsed.spec.replicas == 3)
        #expect(parsed.spec.selector == ["app": "web"])
        #expect(parsed.spec.strategy == .rollingUpdate(maxSurge: .percent(25), maxUnavailable: .percent(25)))
        #expect(parsed.spec.revisionHistoryLimit == 10)
        #expect(parsed.spec.progressDeadlineSeconds == 600)
        let container = try #require(parsed.spec.template.spec.containers.first)
        #expect(container.requests.milliCPU == 250)
        #expect(container.requests.memoryBytes == 1_610_612_736)
        #expect(container.limits.memoryBytes == 2 << 30)
        #expect(container.limits.milliCPU == 0)
    }

    @Test func replicasDefaultToOneAndRequestsToLimits() throws {
        let yaml = deployment.replacingOccurrences(of: "  replicas: 3\n", with: "")
            .replacingOccurrences(of: "requests: {cpu: 250m, memory: 1.5Gi}", with: "requests: {memory: 1Gi}")
            .replacingOccurrences(of: "limits: {memory: 2Gi}", with: "limits: {cpu: 2, memory: 2Gi}")
        let (object, diagnostics) = try read(yaml)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        guard case .deployment(let parsed)? = object else { Issue.record("expected a Deployment"); return }
        #expect(parsed.spec.replicas == 1)
        #expect(parsed.spec.template.spec.containers[0].requests.milliCPU == 2000, "a cpu limit without a request requests the limit")
        #expect(parsed.spec.template.spec.containers[0].requests.memoryBytes == 1 << 30, "an explicit request stays")
    }

    @Test func aBadQuantityNamesThePathLineAndReason() throws {
        let (object, diagnostics) = try read(deployment.replacingOccurrences(of: "cpu: 250m", with: "cpu: 5OOm"))
        #expect(object == nil)
        let diagnostic = try #require(diagnostics.first)
        #expect(diagnostics.count == 1)
        #expect(diagnostic.path == "spec.workloads[0].spec.template.spec.containers[0].resources.requests.cpu")
        #expect(diagnostic.message.hasPrefix("\"5OOm\" is not a quantity: unknown suffix \"OOm\""))
        #expect(diagnostic.line == 16)
        #expect(diagnostic.description.hasPrefix("\(file):16:"))
    }

    @Test func unknownFieldsAreErrorsWithASuggestion() throws {
        let (object, diagnostics) = try read(deployment.replacingOccurrences(of: "  replicas: 3", with: "  replica: 3"))
        #expect(object == nil)
        let diagnostic = try #require(diagnostics.first)
        #expect(diagnostic.path == "spec.workloads[0].spec.replica")
        #expect(diagnostic.message.contains("did you mean \"replicas\"?"))
        #expect(diagnostic.line == 5)
        let probe = deployment.replacingOccurrences(of: "        image: nginx:1.27", with: "        image: nginx:1.27\n        livenessProbe: {}")
        let (_, unmodelled) = try read(probe)
        #expect(unmodelled.first?.path == "spec.workloads[0].spec.template.spec.containers[0].livenessProbe")
        #expect(unmodelled.first?.message.contains("does not model") == true)
    }

    @Test func apiserverValidationIsReportedAtTheField() throws {
        let (object, diagnostics) = try read(deployment.replacingOccurrences(of: "  replicas: 3", with: "  replicas: -1"))
        #expect(object == nil)
        let diagnostic = try #require(diagnostics.first)
        #expect(diagnostic.path == "spec.workloads[0].spec.replicas")
        #expect(diagnostic.message == "Invalid value: -1: must be greater than or equal to 0")
        #expect(diagnostic.line == 5)

        let (_, mismatch) = try read(deployment.replacingOccurrences(of: "matchLabels: {app: web}", with: "matchLabels: {app: api}"))
        #expect(mismatch.first?.path == "spec.workloads[0].spec.template.metadata.labels")
        #expect(mismatch.first?.message.contains("`selector` does not match template `labels`") == true)
        #expect(mismatch.first?.line == 10)
    }

    @Test func typesAreStrictAsTheApiserverDecoderIs() throws {
        let (_, quoted) = try read(deployment.replacingOccurrences(of: "replicas: 3", with: "replicas: \"3\""))
        #expect(quoted.first?.path == "spec.workloads[0].spec.replicas")
        #expect(quoted.first?.message.contains("remove the quotes") == true)
        let (_, number) = try read(deployment.replacingOccurrences(of: "metadata: {name: web, labels: {app: web}}", with: "metadata: {name: web, labels: {version: 1}}"))
        #expect(number.first?.path == "spec.workloads[0].metadata.labels.version")
        #expect(number.first?.message.contains("quote it") == true)
    }

    @Test func strategiesAndPercentages() throws {
        let rolling = deployment + "  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: \"0%\"}}\n"
        let (object, diagnostics) = try read(rolling)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        guard case .deployment(let parsed)? = object else { Issue.record("expected a Deployment"); return }
        #expect(parsed.spec.strategy == .rollingUpdate(maxSurge: .count(1), maxUnavailable: .percent(0)))
        let (_, bothZero) = try read(deployment + "  strategy: {rollingUpdate: {maxSurge: 0, maxUnavailable: 0}}\n")
        #expect(bothZero.first?.path == "spec.workloads[0].spec.strategy.rollingUpdate.maxUnavailable")
        let (_, badPercent) = try read(deployment + "  strategy: {rollingUpdate: {maxSurge: \"5\"}}\n")
        #expect(badPercent.first?.path == "spec.workloads[0].spec.strategy.rollingUpdate.maxSurge")
        let (recreate, _) = try read(deployment + "  strategy: {type: Recreate}\n")
        if case .deployment(let parsed)? = recreate { #expect(parsed.spec.strategy == .recreate) } else { Issue.record("Recreate refused") }
        let (_, mixed) = try read(deployment + "  strategy: {type: Recreate, rollingUpdate: {maxSurge: 1}}\n")
        #expect(mixed.first?.path == "spec.workloads[0].spec.strategy.rollingUpdate")
    }

    @Test func aServiceIsReadAndOnlyClusterIPIsModelled() throws {
        let yaml = """
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          selector: {app: web}
          ports: [{name: http, port: 80, targetPort: 8080}, {name: metrics, port: 9090, protocol: TCP}]
          internalTrafficPolicy: Local
        """
        let (object, diagnostics) = try read(yaml)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        guard case .service(let service)? = object else { Issue.record("expected a Service"); return }
        #expect(service.metadata.namespace == "default")
        #expect(service.ports == [ServicePort(name: "http", port: 80, targetPort: 8080), ServicePort(name: "metrics", port: 9090, targetPort: 9090)])
        #expect(service.internalTrafficPolicy == .local)
        let (_, nodePort) = try read(yaml + "\n  type: NodePort")
        #expect(nodePort.first?.path == "spec.workloads[0].spec.type")
        #expect(nodePort.first?.message.contains("not modelled") == true)
        let (_, badPort) = try read(yaml.replacingOccurrences(of: "port: 80,", with: "port: 70000,"))
        #expect(badPort.first?.path == "spec.workloads[0].spec.ports[0].port")
        #expect(badPort.first?.message == "Invalid value: 70000: must be between 1 and 65535, inclusive")
        #expect(badPort.first?.line == 6)
    }

    @Test func otherKindsAreNamedAsUnsupported() throws {
        let (object, diagnostics) = try read("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec: {}\n")
        #expect(object == nil)
        #expect(diagnostics.first?.path == "spec.workloads[0].kind")
        #expect(diagnostics.first?.message.contains("supported: apps/v1 Deployment, v1 Service") == true)
        let (_, wrongGroup) = try read(deployment.replacingOccurrences(of: "apiVersion: apps/v1", with: "apiVersion: extensions/v1beta1"))
        #expect(wrongGroup.first?.path == "spec.workloads[0].apiVersion")
    }

    // MARK: Nodes

    @Test func declaredNodesGetNamesZonesAndDefaults() throws {
        let (nodes, diagnostics) = try readNodes("""
        namePrefix: pool
        count: 3
        capacity: {cpu: "4", memory: 16Gi}
        allocatable: {cpu: 3800m}
        zone: us-east-1a
        labels: {disk: ssd}
        taints: [{key: dedicated, value: db, effect: NoSchedule}]
        """)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let declared = (nodes ?? []).compactMap { object -> FaultlineCluster.Node? in
            if case .node(let node) = object { return node } else { return nil }
        }
        #expect(declared.map(\.metadata.name) == ["pool-1", "pool-2", "pool-3"])
        let first = try #require(declared.first)
        #expect(first.status.capacity == ResourceList(milliCPU: 4000, memoryBytes: 16 << 30, pods: 110))
        #expect(first.status.allocatable == ResourceList(milliCPU: 3800, memoryBytes: 16 << 30, pods: 110))
        #expect(first.zone == "us-east-1a")
        #expect(first.metadata.labels["kubernetes.io/hostname"] == "pool-1")
        #expect(first.metadata.labels["disk"] == "ssd")
        #expect(first.taints == [Taint(key: "dedicated", value: "db", effect: .noSchedule)])
        #expect(first.metadata.namespace.isEmpty)
    }

    @Test func nodeDeclarationErrorsPointAtTheirFields() throws {
        let (tooBig, diagnostics) = try readNodes("name: worker-1\ncapacity: {cpu: 2, memory: 8Gi}\nallocatable: {cpu: 3}\n")
        #expect(tooBig == nil)
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.path == "spec.nodes[0].allocatable.cpu")
        #expect(diagnostics.first?.line == 3)
        let (_, badName) = try readNodes("namePrefix: Pool\ncount: 2\ncapacity: {cpu: 2, memory: 8Gi}\n")
        #expect(badName.count == 1, "one report for every node of the count: \(badName)")
        #expect(badName.first?.path == "spec.nodes[0].namePrefix")
        let (_, missing) = try readNodes("name: w\ncapacity: {cpu: 2}\n")
        #expect(missing.first?.message == "missing required field \"memory\"")
        let (_, quantity) = try readNodes("name: w\ncapacity: {cpu: 2, memory: 8GB}\n")
        #expect(quantity.first?.path == "spec.nodes[0].capacity.memory")
        #expect(quantity.first?.message.contains("unknown suffix \"GB\"") == true)
        let (_, both) = try readNodes("name: w\ncount: 2\ncapacity: {cpu: 2, memory: 8Gi}\n")
        #expect(both.first?.path == "spec.nodes[0].count")
    }
}
