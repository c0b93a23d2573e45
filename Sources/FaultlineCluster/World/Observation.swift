import FaultlineSim

/// What the etcd component reports.
public enum EtcdObservation {
    /// A member's Ready was handled: what it persisted, applied and its role.
    case ready(member: Int, RaftReady<EtcdRequest>)
    /// A member handed Raft messages to the network (after the Ready they belong to is durable, unless an
    /// unsafe variant sends them earlier): what it promised its peers, for `raft.persist-before-send`.
    case raftSent(member: Int, [RaftMessage<EtcdRequest>])
    /// A member (re)started from its durable state.
    case started(member: Int, durable: RaftDurableState<EtcdRequest>)
    /// A test client's operation completed (or timed out, with `returned == nil`).
    case operation(ClientOperation)
    /// A watcher received `response` on its stream `watchID`.
    case watch(watcher: Int, watchID: UInt64, WatchResponse)
    /// A lease holder learned something about its lease.
    case lease(holder: Int, LeaseObservation)
}

/// What the model reports to whoever checks it, one case per component. The model never reads
/// anything back from its observer.
public enum Observation {
    case etcd(EtcdObservation)
    case kube(KubeObservation)
    case worker(WorkerObservation)
}

/// What the Kubernetes components report.
public enum KubeObservation {
    /// The load balancer's health checks marked backend (apiserver index) up or down.
    case loadBalancerBackend(backend: Int, up: Bool)
    /// An apiserver's readiness (`/readyz`) changed.
    case apiserverReadiness(apiserver: Int, ready: Bool, reason: String)
    /// A leader-elected process started leading lease `lease` (`kube-system/kube-scheduler`).
    case leaderStarted(lease: String, identity: String)
    /// It stopped leading (renew deadline passed, lease lost) or its process ended while leading.
    case leaderStopped(lease: String, identity: String, reason: String)
    /// A leader-elected process sent a write as leader: whether it still believed it led, and whether
    /// its own clock had passed its renew deadline (it must have stopped by then).
    case leaderAction(lease: String, identity: String, leading: Bool, pastRenewDeadline: Bool, action: String)
    /// An admin client's operation on the API, in the history format of the etcd clients (a
    /// ConfigMap-like key per object; `returned == nil` when the outcome is unknown).
    case apiOperation(ClientOperation)
    /// A watcher (informer) received an event with `resourceVersion` on a watch of `resource`;
    /// `resumedFrom` is the resourceVersion the watch was started after (0: a fresh list and watch).
    case watchEventReceived(watcher: String, resource: ResourceKind, resourceVersion: Int64, resumedFrom: Int64)
    /// A watcher listed `resource` afresh at `resourceVersion` (a relist resets what it has seen).
    case relisted(watcher: String, resource: ResourceKind, resourceVersion: Int64)
    /// The taint eviction controller deleted `pod` (`namespace/name`) from `node` because of a NoExecute
    /// taint it does not tolerate (or no longer tolerates).
    case podEvicted(pod: String, node: String)
    /// The node lifecycle controller moved `zone` to `state` (`Normal`, `PartialDisruption`,
    /// `FullDisruption`).
    case zoneStateChanged(zone: String, state: String)
}

/// Receives the model's observations, in event order, at the simulated time they happen.
public protocol ClusterObserver {
    mutating func observe(_ observation: Observation, at time: SimInstant)
}
