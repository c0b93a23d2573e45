import FaultlineCluster
import FaultlineSim
import Yams

/// One fault kind: its name (Chaos Mesh / LitmusChaos style), what it does, how a scenario spells it
/// and how the nemesis draws it. `FaultKind.all` is the one table of fault kinds: the scenario
/// reader, the nemesis, `list faults` and the docs read it; the injector switches over `FaultEffect`.
public struct FaultKind: Sendable {
    public let name: String
    public let summary: String
    /// The fields of a scheduled fault beyond `kind`, `at`, `duration`, `target` and `count` that this
    /// kind accepts. With those, `acceptedFields` is every field the kind takes; any other is rejected,
    /// naming it.
    let fields: [String]
    /// Reads a scheduled fault of this kind; nil (after recording why) when it is unusable. nil for a
    /// kind that is named in the vocabulary but not modelled yet.
    let read: (@Sendable (inout FaultReading) -> FaultEffect?)?
    /// Draws a fault of this kind against `target` for the nemesis; nil when the nemesis cannot draw it.
    let draw: (@Sendable (inout SimRandom, FaultTarget) -> FaultEffect)?
    /// Over as soon as injected (a kill: the cluster recovers by itself); takes no `duration`.
    var instantaneous = false
    /// Needs masters that run the control plane.
    var needsControlPlane = false
    /// The duration when the scenario gives none (a reboot's length).
    var defaultDuration: SimDuration?
    /// Hits only workers (the nemesis targets a random worker).
    var workerOnly = false
    /// Hits whole machines (the nemesis may target a worker as well as a master).
    var machineLevel = false

    public var isImplemented: Bool { read != nil }

    /// Every field a scheduled fault of this kind may have besides `kind` and `at`: `target` (with
    /// `count` for `random-master`), `duration` unless the kind is instantaneous, and its own `fields`.
    /// A field in this list that the fault's reading did not use (`count` on a named target, `target`
    /// on a split partition) is rejected too, so nothing the file says is ignored.
    var acceptedFields: [String] { ["target", "count"] + (instantaneous ? [] : ["duration"]) + fields }

    public static func named(_ name: String) -> FaultKind? { all.first { $0.name == name } }
    public static var names: [String] { all.map(\.name) }
    public static var implementedNames: [String] { all.filter(\.isImplemented).map(\.name) }
    /// The kinds the nemesis can draw.
    public static var nemesisNames: [String] { all.filter { $0.draw != nil }.map(\.name) }
}

extension FaultKind {
    /// Every fault kind, in catalog order.
    public static let all: [FaultKind] = [
        FaultKind(name: "node-crash",
                  summary: "The target machine crashes: all its processes stop, volatile state is lost, what etcd fsynced survives. Heals by restarting it.",
                  fields: [], read: { $0.target().map { .crash($0) } }, draw: { _, target in .crash(target) }, machineLevel: true),
        FaultKind(name: "etcd-member-crash",
                  summary: "The etcd member on the target master crashes (its process only) and stays down until the fault heals.",
                  fields: [], read: { $0.target().map { .processStop($0, .etcd) } }, draw: { _, target in .processStop(target, .etcd) }),
        FaultKind(name: "apiserver-kill",
                  summary: "Kills the target master's kube-apiserver; its kubelet restarts the static pod after the crash-loop back-off (10 s, doubling to 5 min). Instantaneous.",
                  fields: [], read: { $0.target().map { .processKill($0, .kubeApiserver) } }, draw: { _, target in .processKill(target, .kubeApiserver) },
                  instantaneous: true, needsControlPlane: true),
        FaultKind(name: "scheduler-kill",
                  summary: "Kills the target master's kube-scheduler (target scheduler-leader: the leading one); the kubelet restarts it after its back-off. Instantaneous.",
                  fields: [], read: { $0.target().map { .processKill($0, .kubeScheduler) } }, draw: { _, target in .processKill(target, .kubeScheduler) },
                  instantaneous: true, needsControlPlane: true),
        FaultKind(name: "controller-manager-kill",
                  summary: "Kills the target master's kube-controller-manager (target controller-manager-leader: the leading one); the kubelet restarts it after its back-off. Instantaneous.",
                  fields: [], read: { $0.target().map { .processKill($0, .kubeControllerManager) } }, draw: { _, target in .processKill(target, .kubeControllerManager) },
                  instantaneous: true, needsControlPlane: true),
        FaultKind(name: "lb-crash",
                  summary: "The load balancer in front of the apiservers crashes (every client connection through it is lost); it restarts at heal. Target load-balancer (the default).",
                  fields: [], read: { reading in
                      guard reading.has("target") else { return .crash(.named(ClusterLayout.loadBalancerName)) }
                      guard let target = reading.target() else { return nil }
                      guard target == .named(ClusterLayout.loadBalancerName) else {
                          reading.reader.error(reading.item, reading.path + ".target", "lb-crash targets the load balancer (\(ClusterLayout.loadBalancerName))")
                          return nil
                      }
                      return .crash(target)
                  }, draw: nil, needsControlPlane: true),
        FaultKind(name: "etcd-data-loss",
                  summary: "The target crashes and restarts with an empty data directory (disk replaced). Unsafe in real etcd too: it can break Raft safety.",
                  fields: [], read: { $0.target().map { .dataLoss($0) } }, draw: nil),
        FaultKind(name: "etcd-data-rollback",
                  summary: "The target crashes and restarts with its data directory as it was `rollback` earlier (a restored VM or disk snapshot, a lying write cache): it forgets votes, entries and commits. Unsafe in real etcd too.",
                  fields: ["rollback"], read: { reading in
                      guard let by = reading.requiredDuration("rollback", hint: "how far back the data directory goes, e.g. 10s") else { return nil }
                      return reading.target().map { .dataRollback($0, by: by) }
                  }, draw: nil),
        FaultKind(name: "network-partition",
                  summary: "Cuts links: mode isolate (target), split (groups), one-way (from -> to), bridge (from | to, the rest reach both) or minority (target and `companions` random masters cut from the other masters; clients reach both sides). Messages in flight are dropped on arrival. Heals by restoring the links.",
                  fields: ["mode", "groups", "from", "to", "companions"], read: { $0.partition() }, draw: { _, target in .partition(.isolate(target)) }, machineLevel: true),
        FaultKind(name: "network-delay",
                  summary: "Adds latency (uniform latency +/- jitter) to every message to or from the target. Heals by removing it.",
                  fields: ["latency", "jitter"], read: { reading in
                      guard let latency = reading.requiredDuration("latency", hint: "e.g. 200ms") else { return nil }
                      let jitter = reading.optionalDuration("jitter") ?? .zero
                      return reading.target().map { .delay($0, latency: latency, jitter: jitter) }
                  }, draw: { _, target in .delay(target, latency: .milliseconds(200), jitter: .milliseconds(50)) }, machineLevel: true),
        FaultKind(name: "network-loss",
                  summary: "Drops each message to or from the target with the given probability. Heals by removing it.",
                  fields: ["probability"], read: { reading in
                      guard let probability = reading.requiredProbability("probability") else { return nil }
                      return reading.target().map { .loss($0, probability: probability) }
                  }, draw: { _, target in .loss(target, probability: 0.3) }, machineLevel: true),
        FaultKind(name: "fsync-stall",
                  summary: "The target's disk completes no write until the fault heals (etcd issue 15247): Raft messages that wait on persistence wait too.",
                  fields: [], read: { reading in
                      reading.requireDuration(because: "an fsync-stall needs a \"duration\"")
                      return reading.target().map { .fsyncStall($0) }
                  }, draw: { _, target in .fsyncStall(target) }),
        FaultKind(name: "process-pause",
                  summary: "The target runs nothing (long GC pause, SIGSTOP, stalled VM); timers and messages wait and run, in order, at heal. Nothing is lost.",
                  fields: [], read: { $0.target().map { .pause($0) } }, draw: { _, target in .pause(target) }),
        FaultKind(name: "time-skew",
                  summary: "The target's wall clock jumps by offset and drifts by drift-ppm; timers run at the drifted rate. Heals by resetting the clock.",
                  fields: ["offset", "drift-ppm"], read: { $0.timeSkew() },
                  draw: { random, target in .timeSkew(target, offset: .seconds(random.bernoulli(0.5) ? 30 : -30), driftPpm: 0) }),
        FaultKind(name: "load-balancer-fault", summary: "Degrades the load balancer (slow or wrong health checks); use lb-crash or a scenario's load-balancer settings for now.", fields: [], read: nil, draw: nil),
        FaultKind(name: "node-restart",
                  summary: "The target machine reboots: it crashes like node-crash and comes back after `duration` (default 60 s, a VM reboot); a worker's kubelet then restarts the pods still bound to it.",
                  fields: [], read: { $0.target().map { .crash($0) } }, draw: nil, defaultDuration: .seconds(60)),
        FaultKind(name: "kubelet-service-kill",
                  summary: "Stops the target's kubelet (systemctl stop kubelet) until the fault heals: containers keep running and serving, but the node stops renewing its Lease, so the node controller marks it NotReady after node-monitor-grace-period.",
                  fields: [], read: { reading in
                      reading.requireDuration(because: "a kubelet-service-kill needs a \"duration\" (the kubelet stays down until it heals)")
                      return reading.target().map { .processStop($0, .kubelet) }
                  }, draw: { _, target in .processStop(target, .kubelet) }, needsControlPlane: true, workerOnly: true),
        FaultKind(name: "runtime-kill",
                  summary: "Stops the target worker's container runtime (containerd) until the fault heals: running containers keep serving, nothing new starts, and the kubelet reports the node NotReady (container runtime is down) after 30 s.",
                  fields: [], read: { reading in
                      reading.requireDuration(because: "a runtime-kill needs a \"duration\" (containerd stays down until it heals)")
                      return reading.workerTarget("runtime-kill").map { .processStop($0, .containerd) }
                  }, draw: { _, target in .processStop(target, .containerd) }, needsControlPlane: true, workerOnly: true),
        FaultKind(name: "kube-proxy-kill",
                  summary: "Stops the target worker's kube-proxy until the fault heals: the node's Service rules stay as last programmed (stale, not gone).",
                  fields: [], read: { reading in
                      reading.requireDuration(because: "a kube-proxy-kill needs a \"duration\"")
                      return reading.workerTarget("kube-proxy-kill").map { .processStop($0, .kubeProxy) }
                  }, draw: { _, target in .processStop(target, .kubeProxy) }, needsControlPlane: true, workerOnly: true),
        FaultKind(name: "container-kill",
                  summary: "The container of one running pod named `pod` (or `pod-...`) on the target exits with code 137; its kubelet restarts it with the CrashLoopBackOff back-off. Instantaneous.",
                  fields: ["pod"], read: { reading in
                      guard let pod = reading.requiredString("pod", hint: "the pod name or name prefix, e.g. web") else { return nil }
                      return reading.workerTarget("container-kill").map { .containerKill($0, pod: pod) }
                  }, draw: nil, instantaneous: true, needsControlPlane: true),
        FaultKind(name: "pod-kill",
                  summary: "Force-deletes one running pod named `pod` (or `pod-...`) on the target through the API (grace period 0, as Chaos Mesh's pod-kill); its ReplicaSet creates a replacement. Instantaneous.",
                  fields: ["pod"], read: { reading in
                      guard let pod = reading.requiredString("pod", hint: "the pod name or name prefix, e.g. web") else { return nil }
                      return reading.workerTarget("pod-kill").map { .podKill($0, pod: pod) }
                  }, draw: nil, instantaneous: true, needsControlPlane: true),
    ]
}

extension ClusterProcess {
    /// The fault kind that kills this process.
    var killFaultName: String {
        switch self {
        case .kubeApiserver: return "apiserver-kill"
        case .kubeScheduler: return "scheduler-kill"
        case .kubeControllerManager: return "controller-manager-kill"
        case .etcd: return "etcd-member-crash"
        case .kubelet: return "kubelet-service-kill"
        case .haproxy: return "lb-crash"
        case .kubeProxy: return "kube-proxy-kill"
        case .containerd: return "runtime-kill"
        case .pods: return "node-crash"
        }
    }
}
