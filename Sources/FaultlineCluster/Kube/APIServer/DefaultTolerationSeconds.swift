import FaultlineSim

/// The DefaultTolerationSeconds admission plugin (`plugin/pkg/admission/defaulttolerationseconds`):
/// a new pod that does not already tolerate the `node.kubernetes.io/not-ready` or
/// `node.kubernetes.io/unreachable` NoExecute taint gets an `Exists` / `NoExecute` toleration for it
/// with the apiserver's default seconds (300), so the taint eviction controller evicts it 5 minutes
/// after its node is lost rather than at once.
///
/// Invariant: existing tolerations are kept as they are, in order; at most the two defaults are
/// appended (not-ready first).
public enum DefaultTolerationSeconds {
    public static func admit(_ pod: inout Pod, notReadySeconds: Int64, unreachableSeconds: Int64) {
        var toleratesNotReady = false, toleratesUnreachable = false
        for toleration in pod.spec.tolerations {
            // Upstream: a toleration with an empty key or the taint's key, and effect NoExecute or none.
            guard toleration.effect == nil || toleration.effect == .noExecute else { continue }
            if toleration.key.isEmpty || toleration.key == NodeLifecycleController.notReadyTaintKey {
                toleratesNotReady = true
            }
            if toleration.key.isEmpty || toleration.key == NodeLifecycleController.unreachableTaintKey {
                toleratesUnreachable = true
            }
        }
        if !toleratesNotReady {
            pod.spec.tolerations.append(Toleration(key: NodeLifecycleController.notReadyTaintKey, operator: .exists, effect: .noExecute,
                                                   tolerationSeconds: notReadySeconds))
        }
        if !toleratesUnreachable {
            pod.spec.tolerations.append(Toleration(key: NodeLifecycleController.unreachableTaintKey, operator: .exists, effect: .noExecute,
                                                   tolerationSeconds: unreachableSeconds))
        }
    }
}
