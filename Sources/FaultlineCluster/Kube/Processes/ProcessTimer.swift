import FaultlineSim

/// Timers of the processes that use the API (scheduler, controller-manager, admin clients, kubelets).
public enum ProcessTimer: Sendable, Hashable, CustomStringConvertible {
    /// The client library's timers (request deadlines, retries, informer back-offs).
    case informers(InformerSetTimer)
    /// The leader elector's retry timer; `epoch` makes a replaced timer stale.
    case elector(epoch: UInt64)
    /// The process's own work (`token` names what), set through `ProcessOutbox.after`.
    case work(token: UInt64)

    public var traceDigest: UInt64 {
        switch self {
        case .informers(.client(.deadline(let call))): return mixHash(0x401, call)
        case .informers(.client(.retry(let call))): return mixHash(0x402, call)
        case .informers(.client(.idleCheck(let connection))): return mixHash(0x406, connection)
        case .informers(.client(.pingTimeout(let connection))): return mixHash(0x407, connection)
        case .informers(.informer(let index, .resume(let epoch))): return mixHash(mixHash(0x403, UInt64(index)), epoch)
        case .elector(let epoch): return mixHash(0x404, epoch)
        case .work(let token): return mixHash(0x405, token)
        }
    }

    public var description: String {
        switch self {
        case .informers(.client(.deadline(let call))): return "client-deadline #\(call)"
        case .informers(.client(.retry(let call))): return "client-retry #\(call)"
        case .informers(.client(.idleCheck(let connection))): return "client-idle-check conn \(connection & 0xffff_ffff)"
        case .informers(.client(.pingTimeout(let connection))): return "client-ping-timeout conn \(connection & 0xffff_ffff)"
        case .informers(.informer(let index, .resume(let epoch))): return "informer-\(index)-resume #\(epoch)"
        case .elector(let epoch): return "elector-retry #\(epoch)"
        case .work(let token): return "work #\(token)"
        }
    }
}

/// What a process's logic asks for in one step: API calls, timers, observations, and an exit.
public struct ProcessOutbox {
    /// Requests to send, with the tag their answer comes back with, and whether the request is an
    /// action taken as a leader (checked by `leader.acts-only-while-leading`).
    public var requests: [(request: ApiRequest, tag: UInt64, asLeader: Bool)] = []
    public var timers: [(afterMs: Int64, token: UInt64)] = []
    public var observations: [KubeObservation] = []
    /// Calls to the node's container runtime (kubelets only); answers come to `runtimeAnswered`.
    public var runtimeCalls: [RuntimeCall] = []
    public var workerObservations: [WorkerObservation] = []
    /// Close the process's API connection before sending the requests.
    public var closeConnection = false

    public mutating func send(_ request: ApiRequest, tag: UInt64, asLeader: Bool = false) {
        precondition(tag < ProcessCore.electorTagBit, "process tags stay below the elector's")
        requests.append((request, tag, asLeader))
    }

    public mutating func after(_ afterMs: Int64, token: UInt64) { timers.append((afterMs, token)) }

    mutating func clear() {
        requests.removeAll(keepingCapacity: true)
        timers.removeAll(keepingCapacity: true)
        observations.removeAll(keepingCapacity: true)
        runtimeCalls.removeAll(keepingCapacity: true)
        workerObservations.removeAll(keepingCapacity: true)
        closeConnection = false
    }
}

/// What a process's logic may read in one step.
public struct ProcessView {
    public let now: SimInstant
    /// The process's own monotonic clock (drift applies, wall-clock jumps do not).
    public let localNow: SimInstant
    /// Whether its leader elector (if any) holds the lease. Processes without one always lead.
    public let leading: Bool
}

/// The logic of one API-using process, driven by `ProcessCore`: informer notifications, answers to
/// its own calls, its own timers, and leadership.
public protocol ProcessLogic {
    mutating func started(_ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox)
    mutating func informerEvent(_ index: Int, _ event: InformerEvent, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox)
    mutating func completed(_ tag: UInt64, _ result: ApiResult, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox)
    mutating func failed(_ tag: UInt64, _ failure: ClientFailure, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox)
    mutating func timer(_ token: UInt64, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox)
    /// The elector acquired the lease: start the leader's work.
    mutating func startedLeading(_ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox)
    /// The container runtime answered a relist (kubelets only).
    mutating func runtimeAnswered(_ answer: RuntimeAnswer, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox)
}

extension ProcessLogic {
    /// Processes without a runtime never get answers.
    public mutating func runtimeAnswered(_ answer: RuntimeAnswer, _ view: ProcessView, _ informers: InformerSet, _ out: inout ProcessOutbox) {}
}
