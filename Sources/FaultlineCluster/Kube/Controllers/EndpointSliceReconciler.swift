import FaultlineSim

/// Upstream's EndpointSlice controller, reduced to one slice per Service: the slice a Service
/// should have given the pods of its namespace, and the write that gets it there.
public enum EndpointSliceReconciler {
    /// The label that ties a slice to its Service.
    public static let serviceNameLabel = "kubernetes.io/service-name"
    /// The label upstream's controller puts on the slices it manages.
    public static let managedByLabel = "endpointslice.kubernetes.io/managed-by"
    public static let managedByValue = "endpointslice-controller.k8s.io"

    /// The model's stable slice name (upstream draws `<service>-<5 random characters>`).
    public static func sliceName(for service: Service) -> String { service.metadata.name + "-slice" }

    /// The slice `service` should have: one endpoint per pod of its namespace that matches the
    /// selector, is bound to a node, has an IP and has not finished; `ready` is the pod's Ready
    /// condition and not terminating (terminating pods stay listed, not ready, as upstream since
    /// the EndpointSliceTerminatingCondition feature). Sorted by pod name. nil for a Service
    /// without a selector, whose endpoints upstream leaves to the user.
    public static func desiredSlice(for service: Service, pods: [Pod]) -> EndpointSlice? {
        if service.selector.isEmpty { return nil }
        var endpoints: [Endpoint] = []
        for pod in pods where pod.metadata.namespace == service.metadata.namespace && pod.metadata.labels.matches(service.selector) {
            guard let node = pod.spec.nodeName, !node.isEmpty, !pod.status.podIP.isEmpty else { continue }
            if pod.status.phase == .succeeded || pod.status.phase == .failed { continue }
            let ready = pod.status.ready && pod.metadata.deletionTimestamp == nil
            endpoints.append(Endpoint(podName: pod.metadata.name, nodeName: node, address: pod.status.podIP, ready: ready))
        }
        endpoints.sort { $0.podName < $1.podName }
        var meta = ObjectMeta(name: sliceName(for: service), namespace: service.metadata.namespace)
        meta.labels[serviceNameLabel] = service.metadata.name
        meta.labels[managedByLabel] = managedByValue
        meta.ownerReferences = [OwnerReference(kind: .services, name: service.metadata.name, uid: service.metadata.uid, controller: true)]
        return EndpointSlice(metadata: meta, endpoints: endpoints)
    }

    /// The write that makes `existing` (the stored slice of that name, if any) match the desired
    /// slice: a create, an update carrying the stored metadata (resourceVersion precondition) with
    /// the desired labels, owner and endpoints, or nil when nothing differs.
    public static func reconcile(_ service: Service, pods: [Pod], existing: EndpointSlice?) -> ControllerAction? {
        guard let desired = desiredSlice(for: service, pods: pods) else { return nil }
        guard var updated = existing else { return .create(.endpointSlice(desired)) }
        updated.metadata.labels = desired.metadata.labels
        updated.metadata.ownerReferences = desired.metadata.ownerReferences
        updated.endpoints = desired.endpoints
        return updated == existing ? nil : .update(.endpointSlice(updated))
    }
}
