/// CPU, memory and pod counts, as the scheduler and kubelet account them.
///
/// Invariant: every field is non-negative for requests and allocatable values; `milliCPU` is in
/// thousandths of a core (`500m` = 500), `memoryBytes` in bytes (`1Gi` = 1,073,741,824).
public struct ResourceList: Sendable, Hashable {
    public var milliCPU: Int64
    public var memoryBytes: Int64
    /// The `pods` resource: how many pods a node admits (kubelet `--max-pods`, 110 by default).
    public var pods: Int64

    public init(milliCPU: Int64 = 0, memoryBytes: Int64 = 0, pods: Int64 = 0) {
        self.milliCPU = milliCPU
        self.memoryBytes = memoryBytes
        self.pods = pods
    }

    public static let zero = ResourceList()

    public static func + (lhs: ResourceList, rhs: ResourceList) -> ResourceList {
        ResourceList(milliCPU: lhs.milliCPU + rhs.milliCPU, memoryBytes: lhs.memoryBytes + rhs.memoryBytes, pods: lhs.pods + rhs.pods)
    }

    public static func - (lhs: ResourceList, rhs: ResourceList) -> ResourceList {
        ResourceList(milliCPU: lhs.milliCPU - rhs.milliCPU, memoryBytes: lhs.memoryBytes - rhs.memoryBytes, pods: lhs.pods - rhs.pods)
    }

    /// True when every field of `self` is at most the same field of `other`.
    public func fits(in other: ResourceList) -> Bool {
        milliCPU <= other.milliCPU && memoryBytes <= other.memoryBytes && pods <= other.pods
    }
}
