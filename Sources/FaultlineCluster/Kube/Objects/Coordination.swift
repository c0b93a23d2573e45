import FaultlineSim

/// A `coordination.k8s.io/v1` Lease: leader election records and node heartbeats.
///
/// Times are the HOLDER's local clock readings (client-go writes `time.Now()` of the process that
/// renews), which is why clock skew is a fault for leader election: candidates never compare them
/// with their own clock, only watch whether the record changes.
public struct Lease: Sendable, Hashable {
    public var metadata: ObjectMeta
    public var holderIdentity: String?
    public var leaseDurationSeconds: Int64
    public var acquireTime: SimInstant?
    public var renewTime: SimInstant?
    public var leaseTransitions: Int = 0

    public init(metadata: ObjectMeta, holderIdentity: String?, leaseDurationSeconds: Int64) {
        self.metadata = metadata
        self.holderIdentity = holderIdentity
        self.leaseDurationSeconds = leaseDurationSeconds
    }
}
