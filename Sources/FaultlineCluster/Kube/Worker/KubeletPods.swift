import FaultlineSim

/// The kubelet's pod workers: what each pod bound here needs, from the pod (informer) and its
/// containers (the last relist).
extension KubeletLogic {
    /// Syncs every pod bound here, in key order, when something changed since the last sync (an
    /// informer event, a relist that differs, a back-off that ended) or a pod waits for readiness.
    mutating func sync(_ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {
        guard podsDirty, runtimeAnsweredAt != nil else { return }
        podsDirty = false
        let informer = informers.informers[0]
        var pods: [Pod] = []
        for object in informer.objects {
            if case .pod(let pod) = object, pod.spec.nodeName == nodeName { pods.append(pod) }
        }
        pods.sort { Self.key($0) < Self.key($1) }
        admit(pods, &out, view)
        var live: Set<String> = []
        for pod in pods {
            let key = Self.key(pod)
            live.insert(key)
            syncPod(pod, key: key, view, &out)
        }
        // Containers of pods that are gone from the API (deleted while this kubelet was away).
        if informer.hasSynced {
            for key in containers.keys.sorted() where !live.contains(key) {
                if let container = containers[key] { out.runtimeCalls.append(.stop(podKey: key, uid: container.uid)) }
                admitted.remove(key)
                crashLoops[key] = nil
            }
        }
    }

    static func key(_ pod: Pod) -> String { pod.metadata.namespace + "/" + pod.metadata.name }

    /// Admission (`canAdmitPod`): pods that already run are admitted first, then the others in key
    /// order while they fit in allocatable; the rest fail with `OutOf<resource>`.
    mutating func admit(_ pods: [Pod], _ out: inout ProcessOutbox, _ view: ProcessView) {
        var used = ResourceList.zero
        var candidates: [Pod] = []
        for pod in pods where pod.isActive {
            let key = Self.key(pod)
            if admitted.contains(key) || containers[key] != nil {
                admitted.insert(key)
                used = used + pod.spec.requests
            } else {
                candidates.append(pod)
            }
        }
        for pod in candidates {
            let requests = pod.spec.requests
            let total = used + requests
            if total.fits(in: template.status.allocatable) || flags.bugs.contains(.skipsAdmission) {
                admitted.insert(Self.key(pod))
                used = total
            } else {
                var failed = pod
                failed.status.phase = .failed
                failed.status.ready = false
                failed.status.reason = total.milliCPU > template.status.allocatable.milliCPU ? "OutOfcpu"
                    : total.memoryBytes > template.status.allocatable.memoryBytes ? "OutOfmemory" : "OutOfpods"
                writeStatus(failed, key: Self.key(pod), &out)
            }
        }
    }

    mutating func syncPod(_ pod: Pod, key: String, _ view: ProcessView, _ out: inout ProcessOutbox) {
        let container = containers[key].flatMap { $0.uid == pod.metadata.uid ? $0 : nil }
        if pod.metadata.deletionTimestamp != nil || !pod.isActive {
            if let container, container.isRunning || isCreating(container) {
                out.runtimeCalls.append(.stop(podKey: key, uid: container.uid))
            } else if pod.metadata.deletionTimestamp != nil && !podWrites.contains(key) {
                // Containers gone: the final delete (grace period 0) removes the object.
                var request = ApiRequest(id: 0, user: user, verb: .delete, resource: .pods, namespace: pod.metadata.namespace, name: pod.metadata.name)
                request.gracePeriodSeconds = 0
                podWrites.insert(key)
                send(request, .finalDelete(key: key), &out)
            }
            return
        }
        guard admitted.contains(key) else { return }
        var status = pod.status
        status.reason = ""
        switch container?.state {
        case nil:
            if let loop = crashLoops[key], view.now < loop.restartAt { break }
            let image = pod.spec.containers.first?.image ?? ""
            out.runtimeCalls.append(.start(podKey: key, uid: pod.metadata.uid, image: image, requests: pod.spec.requests))
        case .creating:
            break
        case .running(let since):
            status.phase = .running
            status.podIP = container!.address
            status.restartCount = max(0, container!.attempts - 1)
            let readyAt = since + .milliseconds(readinessDelayMs)
            if view.now >= readyAt {
                if !status.ready { status.readySince = view.now }
                status.ready = true
            } else {
                status.ready = false
                podsDirty = true  // sync again on the next relist until the probe passes
            }
        case .exited(let code, let exitedAt):
            status.ready = false
            status.restartCount = max(0, container!.attempts - 1)
            if pod.spec.restartPolicy == "Never" {
                status.phase = code == 0 ? .succeeded : .failed
            } else {
                restartAfterBackOff(key, pod: pod, container: container!, exitedAt: exitedAt, view, &out)
                status.reason = "CrashLoopBackOff"
            }
        }
        if status != pod.status && !podWrites.contains(key) {
            var updated = pod
            updated.status = status
            writeStatus(updated, key: key, &out)
        }
    }

    func isCreating(_ container: RuntimeContainer) -> Bool {
        if case .creating = container.state { return true }
        return false
    }

    /// CrashLoopBackOff: the first restart is immediate, then 10 s doubling to 5 min; a container that
    /// ran for 10 minutes starts the count again.
    mutating func restartAfterBackOff(_ key: String, pod: Pod, container: RuntimeContainer, exitedAt: SimInstant, _ view: ProcessView, _ out: inout ProcessOutbox) {
        var loop = crashLoops[key] ?? (restarts: 0, exitedAt: .start, restartAt: .start)
        if loop.exitedAt != exitedAt {
            let ranLong = exitedAt - container.startedAt >= .milliseconds(Self.backOffResetMs)
            loop.restarts = ranLong ? 1 : loop.restarts + 1
            loop.exitedAt = exitedAt
            let delayMs = loop.restarts == 1 ? 0 : min(Self.initialBackOffMs << min(loop.restarts - 2, 16), Self.maxBackOffMs)
            loop.restartAt = exitedAt + .milliseconds(delayMs)
            crashLoops[key] = loop
            if delayMs > 0 {
                tagCounter += 1
                out.after(max(1, (loop.restartAt - view.now).nanoseconds / 1_000_000), token: 1_000 + tagCounter)
            }
        }
        guard view.now >= loop.restartAt else { return }
        let image = pod.spec.containers.first?.image ?? ""
        out.runtimeCalls.append(.start(podKey: key, uid: pod.metadata.uid, image: image, requests: pod.spec.requests))
    }

    mutating func writeStatus(_ pod: Pod, key: String, _ out: inout ProcessOutbox) {
        guard !podWrites.contains(key) else { return }
        var request = ApiRequest(id: 0, user: user, verb: .update, resource: .pods, namespace: pod.metadata.namespace, name: pod.metadata.name)
        request.subresource = .status
        var body = pod
        body.metadata.resourceVersion = 0  // a patch of the status: last writer wins, as with kubelet's PATCH
        request.object = .pod(body)
        podWrites.insert(key)
        send(request, .podStatus(key: key), &out)
    }
}
