/// One API write a controller decided on: the output of the pure reconcilers, which the
/// kube-controller-manager process turns into API requests.
///
/// Invariant: a reconciler emits at most one write per object per sync, so the resourceVersion
/// preconditions never conflict with each other; the caller resyncs once its writes are observed
/// (upstream controllers requeue on their own informer events the same way).
public enum ControllerAction: Sendable, Hashable {
    /// POST the object (`metadata.uid` and `resourceVersion` are 0; the apiserver assigns them).
    case create(KubeObject)
    /// PUT the full object; `metadata.resourceVersion` is the optimistic-concurrency precondition.
    case update(KubeObject)
    /// PUT the `status` subresource; `metadata.resourceVersion` is the precondition.
    case updateStatus(KubeObject)
    /// DELETE with `preconditions.uid`, so a recreated object of the same name is left alone.
    case delete(ResourceKind, namespace: String, name: String, uid: UInt64)
}
