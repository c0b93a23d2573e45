import Foundation

/// What a span on a host's lane shows.
enum SpanKind: String, CaseIterable {
    /// Fault states, drawn as the lane's bar from injection to heal.
    case crashed, paused, partitioned, degraded, faulted
    /// Roles over time, drawn as a thinner bar under the fault bar.
    case leader, leaseHolder = "lease-holder", backendDown = "backend-down", notReady = "not-ready", runtimeDown = "runtime-down"

    var isFault: Bool {
        switch self {
        case .crashed, .paused, .partitioned, .degraded, .faulted: true
        case .leader, .leaseHolder, .backendDown, .notReady, .runtimeDown: false
        }
    }

    var color: String {
        switch self {
        case .crashed: "#cf222e"
        case .paused: "#8250df"
        case .partitioned: "#d4a72c"
        case .degraded: "#e16f24"
        case .faulted: "#6e7781"
        case .leader: "#0969da"
        case .leaseHolder: "#1a7f37"
        case .backendDown: "#a40e26"
        case .notReady: "#fb8f44"
        case .runtimeDown: "#953800"
        }
    }

    var legend: String {
        switch self {
        case .crashed: "crashed / process down"
        case .paused: "paused"
        case .partitioned: "partitioned"
        case .degraded: "slow or lossy network"
        case .faulted: "other fault"
        case .leader: "etcd leader"
        case .leaseHolder: "holds a leader-election Lease"
        case .backendDown: "LB backend down"
        case .notReady: "apiserver not ready"
        case .runtimeDown: "container runtime down"
        }
    }

    /// The lane state of a fault kind (`faultline list faults`); unknown kinds are `faulted`.
    static func forFault(_ kind: String) -> SpanKind {
        if kind == "process-pause" || kind.hasSuffix("pause") { return .paused }
        if kind.contains("partition") { return .partitioned }
        if kind.contains("delay") || kind.contains("loss") && !kind.contains("data-") { return .degraded }
        if kind.contains("crash") || kind.contains("kill") || kind.contains("reboot") || kind.contains("restart") || kind.contains("stop")
            || kind.contains("data-") || kind.contains("-down") { return .crashed }
        return .faulted
    }
}

/// A stretch of time on a lane.
struct LaneSpan: Equatable {
    var from: Double
    var to: Double
    var kind: SpanKind
    var label: String
}

/// An instant on a lane (a member restart, an eviction).
struct LanePoint: Equatable {
    var at: Double
    var label: String
}

/// One machine's lane in the run timeline (a master, the load balancer, a worker).
struct HostLane: Equatable {
    var name: String
    var spans: [LaneSpan] = []
    var points: [LanePoint] = []
}

/// Builds the lanes of a run's timeline from its faults and timeline rows.
///
/// Invariants: lanes are machines (a process host `master-1/kube-apiserver` belongs to `master-1`),
/// ordered masters, load balancer, then the rest in natural order (`worker-2` before `worker-10`);
/// a span still open at the end of the run ends at `end`; the result depends only on the record.
enum HostLanes {
    static func build(_ record: RunRecord) -> [HostLane] {
        let end = record.simulatedSeconds
        var lanes: [String: HostLane] = [:]
        func add(_ machine: String, span: LaneSpan? = nil, point: LanePoint? = nil) {
            guard !machine.isEmpty else { return }
            var lane = lanes[machine] ?? HostLane(name: machine)
            if let span { lane.spans.append(span) }
            if let point { lane.points.append(point) }
            lanes[machine] = lane
        }
        for fault in record.faults {
            let kind = SpanKind.forFault(fault.kind)
            for machine in machines(inTarget: fault.target) {
                add(machine, span: LaneSpan(from: fault.injectedAt, to: fault.healedAt ?? end, kind: kind,
                                            label: "\(fault.id) \(fault.kind) \(fault.target)"))
            }
        }
        var open: [String: (machine: String, from: Double, kind: SpanKind, label: String)] = [:]
        func start(_ key: String, _ machine: String, _ at: Double, _ kind: SpanKind, _ label: String) {
            close(key, at)
            open[key] = (machine, at, kind, label)
        }
        func close(_ key: String, _ at: Double) {
            guard let span = open.removeValue(forKey: key) else { return }
            add(span.machine, span: LaneSpan(from: span.from, to: at, kind: span.kind, label: span.label))
        }
        for entry in record.timeline {
            let machine = machineName(entry.subject)
            switch entry.kind {
            case "leader-elected": start("etcd-leader", machine, entry.at, .leader, "etcd leader \(entry.subject)")
            case "leader-lost": close("etcd-leader", entry.at)
            case "lease-acquired":
                // One holder per Lease: a new holder ends the previous one's span.
                start("lease:" + entry.detail, machine, entry.at, .leaseHolder, "\(entry.subject) holds \(entry.detail)")
            case "lease-lost":
                let lease = String(entry.detail.prefix { $0 != ":" })
                if open["lease:" + lease]?.machine == machine { close("lease:" + lease, entry.at) }
            case "lb-backend-down": start("lb:" + entry.subject, machine, entry.at, .backendDown, "LB backend \(entry.subject) down")
            case "lb-backend-up": close("lb:" + entry.subject, entry.at)
            case "apiserver-not-ready": start("api:" + entry.subject, machine, entry.at, .notReady, "\(entry.subject) not ready: \(entry.detail)")
            case "apiserver-ready": close("api:" + entry.subject, entry.at)
            case "runtime-down": start("rt:" + entry.subject, machine, entry.at, .runtimeDown, "\(entry.subject) container runtime down")
            case "runtime-up": close("rt:" + entry.subject, entry.at)
            case "member-restarted": add(machine, point: LanePoint(at: entry.at, label: "etcd member restarted"))
            case "pod-evicted": add(machineName(entry.detail), point: LanePoint(at: entry.at, label: "evicted \(entry.subject)"))
            default: break  // timeline kinds are open-ended strings; the rest have no lane
            }
        }
        for key in open.keys.sorted() { close(key, end) }
        // Masters are numbered from 1: one that nothing happened to still gets its (quiet) lane.
        let masterCount = lanes.keys.compactMap { $0.hasPrefix("master-") ? Int($0.dropFirst(7)) : nil }.max() ?? 0
        for index in stride(from: 1, through: masterCount, by: 1) where lanes["master-\(index)"] == nil {
            lanes["master-\(index)"] = HostLane(name: "master-\(index)")
        }
        return lanes.keys.sorted(by: naturalOrder).map { lanes[$0]! }
    }

    /// The machine a host or process identity belongs to: the text before `/` (process hosts) or `_`
    /// (leader-election identities).
    static func machineName(_ subject: String) -> String {
        String(subject.prefix { $0 != "/" && $0 != "_" && $0 != " " })
    }

    /// The machines a fault target names (`master-3`, `master-1,master-2`, `master-1 | master-2,master-3`).
    static func machines(inTarget target: String) -> [String] {
        var seen = Set<String>()
        var result: [String] = []
        let separators = CharacterSet(charactersIn: ",|<>;= ()[]{}")
        for token in target.components(separatedBy: separators) where !token.isEmpty {
            let machine = machineName(token)
            guard machine.first?.isLetter == true, seen.insert(machine).inserted else { continue }
            result.append(machine)
        }
        return result
    }

    /// Masters first, then the load balancer, then the rest; numbers inside names compare as numbers.
    static func naturalOrder(_ a: String, _ b: String) -> Bool {
        func rank(_ name: String) -> Int { name.hasPrefix("master") ? 0 : name.hasPrefix("load-balancer") || name == "lb" ? 1 : 2 }
        if rank(a) != rank(b) { return rank(a) < rank(b) }
        return a.compare(b, options: .numeric) == .orderedAscending
    }
}
