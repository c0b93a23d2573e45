/// A process that runs on a master (a static pod, restarted by the master's kubelet) or the process of
/// a single-purpose machine.
public enum ClusterProcess: String, Sendable, Hashable, CaseIterable {
    case etcd
    case kubeApiserver = "kube-apiserver"
    case kubeScheduler = "kube-scheduler"
    case kubeControllerManager = "kube-controller-manager"
    /// The master's or worker's kubelet (a host process, not a pod).
    case kubelet
    /// The load balancer in front of the apiservers (HAProxy).
    case haproxy
    /// A worker's kube-proxy (programs the node's Service rules).
    case kubeProxy = "kube-proxy"
    /// A worker's container runtime (containerd: image pulls, container starts and stops).
    case containerd
    /// A worker's running containers and network stack: the pods' processes live under containerd
    /// shims, so they survive kubelet and containerd restarts (not a machine crash); the Service rules
    /// kube-proxy programmed apply here; in-cluster traffic clients run here.
    case pods
}

/// Where every process of the cluster runs, and what its host is called: the one source of host
/// names (the world registers hosts in `hostNames` order, so host ids follow it; `replay`, fault
/// targets and reports read names from here).
///
/// A machine (`master-2`) runs one or more processes; each process is a simulated host of its own,
/// named `<machine>/<process>` (`master-2/kube-apiserver`), so that it can crash and restart alone,
/// while machine-level faults (node crash, partition, pause, clock skew) hit all its processes.
/// Processes on one machine talk over loopback: a partition never separates them.
public struct ClusterLayout: Sendable, Hashable {
    /// Masters, each with an etcd member (1, 3, 5 or 7).
    public var masters: Int
    public var etcdClients: Int
    public var etcdWatchers: Int
    public var etcdLeaseHolders: Int
    /// Whether masters also run kube-apiserver, kube-scheduler, kube-controller-manager and a kubelet
    /// (kubeadm's stacked-etcd layout), with a load balancer in front of the apiservers.
    public var controlPlane: Bool = false
    /// Admin clients (kubectl-like, through the load balancer).
    public var apiClients: Int = 0
    /// Worker nodes by name (each runs a kubelet, kube-proxy, containerd and its pods).
    public var nodeNames: [String] = []
    /// The zone (`topology.kubernetes.io/zone`) of each worker, by worker index ("" for none).
    public var nodeZones: [String] = []
    /// Traffic clients outside the cluster (`traffic-N`), one per outside traffic stream.
    public var outsideTrafficClients: Int = 0

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
    public static let loadBalancerName = "load-balancer"

    /// The host of `process` on `machine`.
    public static func host(_ machine: String, _ process: ClusterProcess) -> String { "\(machine)/\(process.rawValue)" }

    public var masterNames: [String] { (0..<masters).map(Self.masterName) }

    /// The processes every master runs, in host registration order.
    public var masterProcesses: [ClusterProcess] {
        controlPlane ? [.etcd, .kubeApiserver, .kubeScheduler, .kubeControllerManager, .kubelet] : [.etcd]
    }

    /// Hosts of one master process, by master index.
    public func masterHosts(_ process: ClusterProcess) -> [String] { masterNames.map { Self.host($0, process) } }

    /// The etcd member hosts, by member index (a member runs on the master of the same index).
    public var etcdMemberHosts: [String] { masterHosts(.etcd) }
    public var etcdClientHosts: [String] { (0..<etcdClients).map { "client-\($0 + 1)" } }
    public var etcdWatcherHosts: [String] { (0..<etcdWatchers).map { "watcher-\($0 + 1)" } }
    public var etcdLeaseHolderHosts: [String] { (0..<etcdLeaseHolders).map { "lease-holder-\($0 + 1)" } }
    public var loadBalancerHost: String? { controlPlane ? Self.host(Self.loadBalancerName, .haproxy) : nil }
    public var apiClientHosts: [String] { (0..<apiClients).map { "admin-\($0 + 1)" } }
    /// The processes every worker runs, in host registration order.
    public static let workerProcesses: [ClusterProcess] = [.kubelet, .kubeProxy, .containerd, .pods]
    /// Hosts of one worker process, by worker index.
    public func workerHosts(_ process: ClusterProcess) -> [String] { nodeNames.map { Self.host($0, process) } }
    public var trafficClientHosts: [String] { (0..<outsideTrafficClients).map { "traffic-\($0 + 1)" } }

    /// Every host, in registration order: etcd members and test clients, then the control plane
    /// processes master by master kind, the load balancer, admin clients, worker processes kind by
    /// kind, and outside traffic clients.
    public var hostNames: [String] {
        var names = etcdMemberHosts + etcdClientHosts + etcdWatcherHosts + etcdLeaseHolderHosts
        guard controlPlane else { return names }
        for process in masterProcesses where process != .etcd { names += masterHosts(process) }
        if let loadBalancerHost { names.append(loadBalancerHost) }
        names += apiClientHosts
        for process in Self.workerProcesses { names += workerHosts(process) }
        return names + trafficClientHosts
    }

    /// Machines that faults can target by name, in order: masters, the load balancer, worker nodes.
    public var machineNames: [String] {
        masterNames + (controlPlane ? [Self.loadBalancerName] : []) + nodeNames
    }

    /// The hosts of the processes that run on machine `name` (empty when there is no such machine).
    public func processHosts(onMachine name: String) -> [String] {
        if masterNames.contains(name) { return masterProcesses.map { Self.host(name, $0) } }
        if controlPlane && name == Self.loadBalancerName { return [Self.host(name, .haproxy)] }
        if nodeNames.contains(name) { return Self.workerProcesses.map { Self.host(name, $0) } }
        return []
    }

    /// The machine a host runs on (the part before `/`), or the host itself.
    public static func machine(ofHost host: String) -> String {
        host.split(separator: "/", maxSplits: 1).first.map(String.init) ?? host
    }
}
