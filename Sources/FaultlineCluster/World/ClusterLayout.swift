/// Where every process of the cluster runs, and what its host is called: the one source of host
/// names (the world registers hosts in `hostNames` order, so host ids follow it; `replay`, fault
/// targets and reports read names from here).
///
/// A machine (`master-2`) runs one or more processes; each process is a simulated host of its own so
/// that it can crash and restart alone, while machine-level faults (node crash, partition, pause,
/// clock skew) hit every process of the machine together.
public struct ClusterLayout: Sendable, Hashable {
    /// Masters, each with an etcd member (1, 3, 5 or 7).
    public var masters: Int
    public var etcdClients: Int
    public var etcdWatchers: Int
    public var etcdLeaseHolders: Int

    public init(masters: Int, etcdClients: Int = 0, etcdWatchers: Int = 0, etcdLeaseHolders: Int = 0) {
        self.masters = masters
        self.etcdClients = etcdClients
        self.etcdWatchers = etcdWatchers
        self.etcdLeaseHolders = etcdLeaseHolders
    }

    /// The layout of an etcd-only cluster under `workload`.
    public init(masters: Int, workload: ClientWorkload) {
        self.init(masters: masters, etcdClients: workload.clients, etcdWatchers: workload.watchers, etcdLeaseHolders: workload.leaseHolders)
    }

    /// `master-1`, `master-2`, ...
    public static func masterName(_ index: Int) -> String { "master-\(index + 1)" }

    public var masterNames: [String] { (0..<masters).map(Self.masterName) }

    /// The etcd member hosts, by member index (a member runs on the master of the same index).
    public var etcdMemberHosts: [String] { masterNames }
    public var etcdClientHosts: [String] { (0..<etcdClients).map { "client-\($0 + 1)" } }
    public var etcdWatcherHosts: [String] { (0..<etcdWatchers).map { "watcher-\($0 + 1)" } }
    public var etcdLeaseHolderHosts: [String] { (0..<etcdLeaseHolders).map { "lease-holder-\($0 + 1)" } }

    /// Every host, in registration order.
    public var hostNames: [String] {
        etcdMemberHosts + etcdClientHosts + etcdWatcherHosts + etcdLeaseHolderHosts
    }

    /// Machines that faults can target by name, in order: masters (later, the load balancer and workers).
    public var machineNames: [String] { masterNames }

    /// The hosts of the processes that run on machine `name` (empty when there is no such machine).
    public func processHosts(onMachine name: String) -> [String] {
        guard let index = masterNames.firstIndex(of: name) else { return [] }
        return [etcdMemberHosts[index]]
    }
}
