import FaultlineSim

/// A kubectl-like admin client through the load balancer: the first one creates the scenario's
/// declared nodes and workloads at the start and carries out its actions at their times (retrying,
/// as a script around kubectl would); every one runs the background load of reads and writes whose
/// history `api.linearizable` checks.
///
/// Invariants: one load operation in flight per client (closed loop, like the etcd clients); a write
/// whose outcome is unknown (timed out, 504, connection lost) is recorded with `returned == nil`; a
/// request that definitely failed is not recorded (it had no effect).
public struct AdminLogic: ProcessLogic {
    /// Timer tokens: 1 = next bootstrap or action step, 2 = next load operation.
    static let scriptToken: UInt64 = 1
    static let loadToken: UInt64 = 2
    static let retryMs: Int64 = 1_000
    /// Load operations start once the load objects had time to be created.
    static let loadStartMs: Int64 = 5_000
    static let loadNamespace = "default"

    /// What the script does next.
    enum Step: Sendable {
        case create(KubeObject)
        case act(AdminAction)
    }

    let index: Int
    let user = ApiUser.admin
    let load: ApiLoad
    var random: SimRandom
    /// The bootstrap creates (index 0 only), then the timed actions.
    var script: [(at: SimInstant, step: Step)]
    var scriptPosition = 0
    var scriptCall: UInt64?
    /// A read-modify-write in progress: the action and what was read.
    var actionAttempts = 0
    var tagCounter: UInt64 = 0
    /// The load operation in flight.
    var loadCall: (tag: UInt64, operation: ClientOperation)?
    var loadCounter = 0

    public init(index: Int, bootstrap: [KubeObject], actions: [(at: SimDuration, action: AdminAction)], load: ApiLoad, random: SimRandom) {
        self.index = index
        self.load = load
        self.random = random
        var script: [(at: SimInstant, step: Step)] = []
        if index == 0 {
            script = bootstrap.map { (.start, .create($0)) }
            if load.clients > 0 {
                for object in 0..<load.objects {
                    var lease = Lease(metadata: ObjectMeta(name: "load-\(object)", namespace: Self.loadNamespace), holderIdentity: nil, leaseDurationSeconds: 3600)
                    lease.metadata.labels["faultline.dev/load"] = "true"
                    script.append((.start, .create(.lease(lease))))
                }
            }
            script += actions.map { (.start + $0.at, .act($0.action)) }
        }
        self.script = script
    }

    public mutating func started(_ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        if !script.isEmpty { out.after(max(1, (script[0].at - view.now).nanoseconds / 1_000_000), token: Self.scriptToken) }
        if load.clients > index { out.after(Self.loadStartMs, token: Self.loadToken) }
    }

    public mutating func startedLeading(_ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {}

    public mutating func informerEvent(_ index: Int, _ event: InformerEvent, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {}

    public mutating func timer(_ token: UInt64, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        switch token {
        case Self.scriptToken: runScript(view, &out)
        default: issueLoad(view, &out)
        }
    }

    // MARK: The script

    mutating func runScript(_ view: ProcessView, _ out: inout ProcessOutbox) {
        guard scriptCall == nil, scriptPosition < script.count else { return }
        let (at, step) = script[scriptPosition]
        guard at <= view.now else {
            out.after(max(1, (at - view.now).nanoseconds / 1_000_000), token: Self.scriptToken)
            return
        }
        switch step {
        case .create(let object):
            var request = ApiRequest(id: 0, user: user, verb: .create, resource: object.resource, namespace: object.metadata.namespace, name: object.metadata.name)
            request.object = object
            sendScript(request, &out)
        case .act(let action):
            switch action {
            case .apply(let object):
                var request = ApiRequest(id: 0, user: user, verb: .create, resource: object.resource, namespace: object.metadata.namespace, name: object.metadata.name)
                request.object = object
                sendScript(request, &out)
            case .scale(let namespace, let name, _), .setImage(let namespace, let name, _, _), .rollback(let namespace, let name):
                // Read, modify, write with the read's resourceVersion (what kubectl does).
                sendScript(ApiRequest(id: 0, user: user, verb: .get, resource: .deployments, namespace: namespace, name: name), &out)
            case .delete(let resource, let namespace, let name):
                sendScript(ApiRequest(id: 0, user: user, verb: .delete, resource: resource, namespace: namespace, name: name), &out)
            }
        }
    }

    /// `kubectl delete pod --grace-period=0 --force` (Chaos Mesh's pod-kill): sent once, not retried.
    public mutating func forceDelete(namespace: String, name: String, _ out: inout ProcessOutbox) {
        var request = ApiRequest(id: 0, user: user, verb: .delete, resource: .pods, namespace: namespace, name: name)
        request.gracePeriodSeconds = 0
        tagCounter += 1
        out.send(request, tag: tagCounter)
    }

    mutating func sendScript(_ request: ApiRequest, _ out: inout ProcessOutbox) {
        tagCounter += 1
        scriptCall = tagCounter
        out.send(request, tag: tagCounter)
    }

    mutating func advanceScript(_ view: ProcessView, _ out: inout ProcessOutbox) {
        scriptCall = nil
        scriptPosition += 1
        actionAttempts = 0
        runScript(view, &out)
    }

    mutating func retryScript(_ out: inout ProcessOutbox) {
        scriptCall = nil
        actionAttempts += 1
        out.after(Self.retryMs, token: Self.scriptToken)
    }

    /// The answer to a script call: done, the write that follows a read, or a retry.
    mutating func scriptAnswer(_ result: ApiResult?, _ failure: ClientFailure?, _ view: ProcessView, _ out: inout ProcessOutbox) {
        let step = script[scriptPosition].step
        if case .status(let status) = failure, status.code == .conflict, case .create = step { return advanceScript(view, &out) }  // exists
        if case .status(let status) = failure, status.code == .conflict, case .act(.apply) = step { return advanceScript(view, &out) }
        if case .status(let status) = failure, status.code == .notFound, case .act(.delete) = step { return advanceScript(view, &out) }
        guard let result else { return retryScript(&out) }
        guard case .act(let action) = step, case .object(.deployment(var deployment)) = result else { return advanceScript(view, &out) }
        switch action {
        case .scale(_, _, let replicas):
            guard deployment.spec.replicas != replicas else { return advanceScript(view, &out) }
            deployment.spec.replicas = replicas
        case .setImage(_, _, let container, let image):
            guard let position = deployment.spec.template.spec.containers.firstIndex(where: { $0.name == container }) else { return advanceScript(view, &out) }
            guard deployment.spec.template.spec.containers[position].image != image else { return advanceScript(view, &out) }
            deployment.spec.template.spec.containers[position].image = image
        case .rollback:
            // `kubectl rollout undo`: the template of the previous revision. The controller keeps the
            // revision history in ReplicaSets; the admin reads them through the Deployment's owner.
            guard let previous = previousTemplates[deployment.metadata.uid] else { return advanceScript(view, &out) }
            deployment.spec.template = previous
        case .apply, .delete:
            return advanceScript(view, &out)  // the write was the call itself
        }
        var request = ApiRequest(id: 0, user: user, verb: .update, resource: .deployments, namespace: deployment.metadata.namespace, name: deployment.metadata.name)
        request.object = .deployment(deployment)
        writing = true
        sendScript(request, &out)
    }

    /// Templates the admin replaced with `setImage`, by Deployment uid: what `rollback` restores.
    var previousTemplates: [UInt64: PodTemplate] = [:]
    /// True while the write of a read-modify-write is in flight.
    var writing = false

    // MARK: The load

    mutating func issueLoad(_ view: ProcessView, _ out: inout ProcessOutbox) {
        guard loadCall == nil else { return }
        let object = random.uniform(0..<max(1, load.objects))
        let name = "load-\(object)"
        tagCounter += 1
        var request: ApiRequest
        var operation: ClientOperation
        if random.bernoulli(1 - ApiLoad.writeFraction) {
            request = ApiRequest(id: 0, user: user, verb: .get, resource: .leases, namespace: Self.loadNamespace, name: name)
            operation = ClientOperation(client: index, kind: .get, key: name, value: "", ok: true, called: view.now, returned: nil)
        } else {
            loadCounter += 1
            let value = "a\(index)-\(loadCounter)"
            var lease = Lease(metadata: ObjectMeta(name: name, namespace: Self.loadNamespace), holderIdentity: value, leaseDurationSeconds: 3600)
            lease.metadata.labels["faultline.dev/load"] = "true"
            request = ApiRequest(id: 0, user: user, verb: .update, resource: .leases, namespace: Self.loadNamespace, name: name)
            request.object = .lease(lease)  // resourceVersion 0: an unconditional update
            operation = ClientOperation(client: index, kind: .put, key: name, value: value, ok: true, called: view.now, returned: nil)
        }
        loadCall = (tagCounter, operation)
        out.send(request, tag: tagCounter)
    }

    mutating func loadAnswer(_ result: ApiResult?, _ failure: ClientFailure?, _ view: ProcessView, _ out: inout ProcessOutbox) {
        guard var (_, operation) = loadCall else { return }
        loadCall = nil
        switch (result, failure) {
        case (.object(.lease(let lease))?, _):
            if operation.kind == .get { operation.value = lease.holderIdentity ?? "" }
            operation.returned = view.now
            out.observations.append(.apiOperation(operation))
        case (_, .timedOut?), (_, .connectionReset?):
            if operation.kind != .get { out.observations.append(.apiOperation(operation)) }  // outcome unknown
            out.closeConnection = true  // like kubectl, the next command connects anew (the LB picks again)
        case (_, .status(let status)?) where status.code == .gatewayTimeout || status.code == .internalServerError:
            if operation.kind != .get { out.observations.append(.apiOperation(operation)) }  // etcd may have applied it
            out.closeConnection = true
        case (_, .status(let status)?) where status.code == .notFound && operation.kind == .get:
            operation.value = ""
            operation.returned = view.now
            out.observations.append(.apiOperation(operation))
        default:
            break  // refused before it took effect
        }
        let thinkNs = random.exponential(mean: Double(load.thinkTime.nanoseconds))
        out.after(max(1, Int64(thinkNs) / 1_000_000), token: Self.loadToken)
    }

    public mutating func completed(_ tag: UInt64, _ result: ApiResult, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        if tag == loadCall?.tag { return loadAnswer(result, nil, view, &out) }
        guard tag == scriptCall else { return }
        if writing {
            writing = false
            return advanceScript(view, &out)
        }
        if case .act(.setImage) = script[scriptPosition].step, case .object(.deployment(let deployment)) = result {
            previousTemplates[deployment.metadata.uid] = deployment.spec.template
        }
        scriptAnswer(result, nil, view, &out)
    }

    public mutating func failed(_ tag: UInt64, _ failure: ClientFailure, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        if tag == loadCall?.tag { return loadAnswer(nil, failure, view, &out) }
        guard tag == scriptCall else { return }
        writing = false
        scriptAnswer(nil, failure, view, &out)
    }
}
