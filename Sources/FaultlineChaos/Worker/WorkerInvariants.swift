import FaultlineCluster

extension InvariantName {
    public static let servicesKeepServing = InvariantID("services.keep-serving", .safety, "The data plane outlives the control plane: no Service request is refused for lack of endpoints while the Service has ready endpoints whose containers run (steadily for 10 s), through a node whose kube-proxy had programmed its rules since the node last booted.")
    public static let evictionsNoStormInFullDisruption = InvariantID("evictions.no-storm-in-full-disruption", .safety, "No pod is evicted while every zone has been fully disrupted (all nodes NotReady) for 10 s: the node controller suspects its own connectivity and stops evicting (kubernetes issue 24200).")
    public static let servicesNoStaleEndpoints = InvariantID("services.no-stale-endpoints", .safety, "kube-proxy's sync bound: once a node's kube-proxy has received the EndpointSlice change that took a pod out of a Service's ready endpoints, the node sends that Service's requests to the pod for at most --iptables-min-sync-period (1 s) more, unless its kube-proxy stopped.")
    public static let servicesServedAfterHeal = InvariantID("services.served-after-heal", .liveness, "After the last heal, every Service with traffic is served again (a second in which at least 99% of its requests are served) within the convergence bound.")

    /// The worker side's safety invariants, in report order.
    public static let workerSafety = [servicesKeepServing, servicesNoStaleEndpoints, evictionsNoStormInFullDisruption]
}
