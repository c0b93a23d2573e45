import FaultlineSim

/// What the etcd component reports.
public enum EtcdObservation {
    /// A member's Ready was handled: what it persisted, applied and its role.
    case ready(member: Int, RaftReady<EtcdRequest>)
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
}

/// Receives the model's observations, in event order, at the simulated time they happen.
public protocol ClusterObserver {
    mutating func observe(_ observation: Observation, at time: SimInstant)
}
