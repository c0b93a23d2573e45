import FaultlineCluster
import FaultlineSim
import Yams

/// `spec.cluster.raft`: Raft timing for experiments beyond etcd's flags (the Raft paper's Figure 16),
/// and where members' ticks fall.
///
/// ```yaml
/// raft:
///   tickInterval: 1ms                         # one tick (default: the heartbeat interval)
///   heartbeatInterval: 75ms                   # a leader's heartbeats
///   electionTimeout: {min: 150ms, max: 300ms} # drawn uniformly in [min, max) whole ticks; min = max: fixed
///   tickPhase: random                         # or aligned (an experiment knob: members tick in lockstep)
/// ```
///
/// Rules: the timings come together (`heartbeatInterval` and `electionTimeout`) and replace etcd's
/// `--heartbeat-interval` / `--election-timeout`, which may then not be given; every timing is a whole
/// number of ticks; the heartbeat is shorter than the minimum election timeout (else followers campaign
/// between heartbeats). etcd's own 5x rule binds etcd's flags only.
extension ScenarioReader {
    /// The shortest tick: a shorter one only multiplies events.
    static let minimumTickInterval = SimDuration.microseconds(100)
    /// The most ticks an election timeout may span.
    static let maximumElectionTicks = 1_000_000

    mutating func readRaftSection(_ node: Node, _ path: String, into flags: inout EtcdFlags) {
        let allowed = ["tickInterval", "heartbeatInterval", "electionTimeout", "tickPhase"]
        guard let items = fields(node, path, allowed: allowed) else { return }
        var tick: SimDuration?, heartbeat: SimDuration?, low: SimDuration?, high: SimDuration?
        var usable = true
        for (key, value) in items {
            let fieldPath = path + "." + key
            switch key {
            case "tickPhase":
                if let name = choice(value, fieldPath, TickPhase.allCases.map(\.rawValue), what: "tick phase") { flags.tickPhase = TickPhase(rawValue: name) ?? .random }
            case "tickInterval":
                tick = duration(value, fieldPath)
                if let given = tick, given < Self.minimumTickInterval {
                    error(value, fieldPath, "\(DurationText.format(given)) is shorter than \(DurationText.format(Self.minimumTickInterval)), the shortest tick")
                    tick = nil
                }
                usable = usable && tick != nil
            case "heartbeatInterval":
                heartbeat = duration(value, fieldPath)
                usable = usable && heartbeat != nil
            default:
                guard let bounds = fields(value, fieldPath, allowed: ["min", "max"]) else {
                    usable = false
                    continue
                }
                for (bound, boundNode) in bounds {
                    let read = duration(boundNode, fieldPath + "." + bound)
                    if bound == "min" { low = read } else { high = read }
                    usable = usable && read != nil
                }
                for missing in ["min", "max"] where !bounds.contains(where: { $0.key == missing }) {
                    error(value, fieldPath, "missing required field \"\(missing)\"")
                    usable = false
                }
            }
        }
        let timingKeys = ["tickInterval", "heartbeatInterval", "electionTimeout"]
        guard items.contains(where: { timingKeys.contains($0.key) }) else { return }  // tickPhase only
        for required in ["heartbeatInterval", "electionTimeout"] where !items.contains(where: { $0.key == required }) {
            error(node, path, "missing required field \"\(required)\" (Raft timings come together: heartbeatInterval and electionTimeout, tickInterval optional)")
            usable = false
        }
        for flag in ["heartbeat-interval", "election-timeout"] {
            let etcdPath = path.dropLast("raft".count) + "etcd." + flag
            if let given = located[String(etcdPath)] {
                error(given, String(etcdPath), "give Raft timings in one place: \(path) replaces etcd's --\(flag); remove one")
                usable = false
            }
        }
        guard usable, let heartbeat, let low, let high else { return }
        let tickInterval = tick ?? heartbeat
        func ticks(_ value: SimDuration, _ field: String) -> Int? {
            guard value.nanoseconds % tickInterval.nanoseconds == 0 else {
                error(located[path + "." + field] ?? node, path + "." + field, "\(DurationText.format(value)) is not a whole number of ticks of \(DurationText.format(tickInterval))")
                return nil
            }
            let count = value.nanoseconds / tickInterval.nanoseconds
            guard count <= Self.maximumElectionTicks else {
                error(located[path + "." + field] ?? node, path + "." + field, "\(count) ticks is more than \(Self.maximumElectionTicks); use a longer tickInterval")
                return nil
            }
            return Int(count)
        }
        guard let heartbeatTicks = ticks(heartbeat, "heartbeatInterval"), let minTicks = ticks(low, "electionTimeout.min"),
              let maxTicks = ticks(high, "electionTimeout.max") else { return }
        guard minTicks <= maxTicks else {
            error(located[path + ".electionTimeout"] ?? node, path + ".electionTimeout", "min (\(DurationText.format(low))) must not exceed max (\(DurationText.format(high)))")
            return
        }
        guard heartbeat < low else {
            error(located[path + ".heartbeatInterval"] ?? node, path + ".heartbeatInterval", "\(DurationText.format(heartbeat)) must be shorter than electionTimeout.min (\(DurationText.format(low))): followers would campaign between heartbeats")
            return
        }
        flags.raftTiming = RaftTiming(tickInterval: tickInterval, heartbeatTicks: heartbeatTicks, electionTicksMin: minTicks, electionTicksMax: maxTicks)
    }
}
