import FaultlineCluster
import FaultlineSim
import Yams

/// The fields of one scheduled fault being read, with the readers every fault kind shares (targets,
/// host lists, durations). Diagnostics go to `reader`, which the caller takes back afterwards.
///
/// Invariant: every field is read through `value(_:)`, which records it in `used`; a field the kind
/// accepts that the reading never used does not apply to this fault and is reported (`reportUnused`).
struct FaultReading {
    var reader: ScenarioReader
    let item: Node
    let path: String
    /// The fault's fields by name (lookups only; never iterated).
    private let values: [String: Node]
    let layout: ClusterLayout
    /// The fields read so far (`kind`, `at` and `duration` are read by the caller).
    private(set) var used: [String] = ["kind", "at", "duration"]
    /// What this fault is, for "does not apply to ...": the kind, or a partition and its mode.
    var subject: String

    init(reader: ScenarioReader, item: Node, path: String, values: [String: Node], layout: ClusterLayout, kind: String) {
        self.reader = reader
        self.item = item
        self.path = path
        self.values = values
        self.layout = layout
        self.subject = kind
    }

    /// The field `key`, marked as used.
    mutating func value(_ key: String) -> Node? {
        if !used.contains(key) { used.append(key) }
        return values[key]
    }

    /// Whether the fault gives `key` (without using it).
    func has(_ key: String) -> Bool { values[key] != nil }

    /// Reports each of `items` (the fault's fields, in file order) that the kind accepts but this
    /// fault's reading did not use: `count` without `random-master`, `target` on a split partition.
    mutating func reportUnused(_ items: [(key: String, value: Node)], accepted: [String]) {
        for (key, node) in items where accepted.contains(key) && !used.contains(key) {
            if key == "count" {
                reader.error(node, path + ".count", "\"count\" applies to target random-master only")
            } else {
                reader.error(node, path + "." + key, "\"\(key)\" does not apply to \(subject)")
            }
        }
    }

    /// Every name a fault's `target` may take besides a machine name, in the order hints list them.
    var selectorNames: [String] {
        ["etcd-leader", "etcd-follower", "etcd-new-leader", "etcd-candidate", "random-master"] + (layout.controlPlane ? ["scheduler-leader", "controller-manager-leader"] : [])
            + (layout.nodeNames.isEmpty ? [] : ["random-worker", "zone:<name>", "node-running:<pod>"])
    }

    /// The cluster as the file declares it, for "no machine ... in ...": the masters' count as written
    /// (even a refused one), so the message never contradicts the file.
    var machineDescription: String {
        let masters = layout.masters == 1 ? "a cluster of 1 master" : "a cluster of \(layout.masters) masters"
        let workers = layout.nodeNames.count == 1 ? "1 worker" : "\(layout.nodeNames.count) workers"
        return layout.nodeNames.isEmpty ? masters : "\(masters) and \(workers)"
    }

    /// Whether `name` is a machine of the layout (`ClusterLayout.machineNames`, the one list of machine
    /// names); records why not, with the closest name from `suggestions`.
    mutating func isMachine(_ name: String, _ node: Node, _ fieldPath: String, suggestions: [String] = []) -> Bool {
        if layout.machineNames.contains(name) { return true }
        // An unusable `masters` was reported already: which master names exist is not known.
        if reader.mastersUnknown && name.hasPrefix("master-") { return false }
        let hint = closestName(to: name, in: layout.machineNames + suggestions).map { "; did you mean \"\($0)\"?" } ?? ""
        reader.error(node, fieldPath, "no machine \"\(name)\" in \(machineDescription)\(hint)")
        return false
    }

    /// `target`: a machine by name or a selector resolved at injection time.
    mutating func target() -> FaultTarget? {
        guard let targetNode = value("target") else {
            reader.error(item, path, "missing required field \"target\" (a machine such as master-1, or \(selectorNames.joined(separator: ", ")))")
            return nil
        }
        guard let text = reader.string(targetNode, path + ".target") else { return nil }
        switch text {
        case "etcd-leader": return .etcdLeader
        case "etcd-follower": return .etcdFollower
        case "etcd-new-leader": return .etcdNewLeader
        case "etcd-candidate": return .etcdCandidate
        case "scheduler-leader" where layout.controlPlane: return .schedulerLeader
        case "controller-manager-leader" where layout.controlPlane: return .controllerManagerLeader
        case "random-worker" where !layout.nodeNames.isEmpty: return .randomWorker
        case _ where text.hasPrefix("zone:") && !layout.nodeNames.isEmpty:
            let zone = String(text.dropFirst("zone:".count))
            guard layout.nodeZones.contains(zone) else {
                let zones = Array(Set(layout.nodeZones)).sorted().map { "zone:\($0)" }
                reader.error(targetNode, path + ".target", "no worker in zone \"\(zone)\" (zones: \(zones.isEmpty ? "none declared" : zones.joined(separator: ", ")))")
                return nil
            }
            return .zone(zone)
        case _ where text.hasPrefix("node-running:") && !layout.nodeNames.isEmpty:
            let pod = String(text.dropFirst("node-running:".count))
            guard !pod.isEmpty else {
                reader.error(targetNode, path + ".target", "node-running: needs a pod name (or name prefix), e.g. node-running:web")
                return nil
            }
            return .nodeRunning(pod)
        case "random-master":
            if let countNode = value("count"), let count = reader.int(countNode, path + ".count", 1...layout.masters) {
                return .randomMasters(count: count)
            }
            return .randomMaster
        default:
            guard isMachine(text, targetNode, path + ".target", suggestions: selectorNames) else { return nil }
            return .named(text)
        }
    }

    /// A target that must be a worker (the process or pod lives only there): a worker's name or a
    /// worker selector.
    mutating func workerTarget(_ kind: String) -> FaultTarget? {
        guard let target = target() else { return nil }
        switch target {
        case .named(let name) where layout.nodeNames.contains(name):
            return target
        case .randomWorker, .zone, .nodeRunning:
            return target
        case .named, .etcdLeader, .etcdFollower, .etcdNewLeader, .etcdCandidate, .randomMaster, .randomMasters, .schedulerLeader, .controllerManagerLeader:
            reader.error(value("target") ?? item, path + ".target",
                         "\(kind) targets workers (a worker's name, random-worker, zone:<name> or node-running:<pod>), not \(target)")
            return nil
        }
    }

    /// A list of machine names under `key` (partition groups and sides).
    mutating func machines(_ key: String) -> [String]? {
        guard let node = value(key) else {
            reader.error(item, path, "missing required field \"\(key)\"")
            return nil
        }
        return machineList(node, path + "." + key)
    }

    /// Machine names; `masters`, `workers` and `zone:<name>` stand for every master, every worker and
    /// every worker of a zone. Every name is checked against the layout, each named once.
    mutating func machineList(_ node: Node, _ listPath: String) -> [String]? {
        guard let names = reader.stringList(node, listPath) else { return nil }
        if names.isEmpty { reader.error(node, listPath, "name at least one machine") }
        var machines: [String] = []
        for name in names {
            if name == "masters" { machines += layout.masterNames; continue }
            if name == "workers" && !layout.nodeNames.isEmpty { machines += layout.nodeNames; continue }
            if name.hasPrefix("zone:") {
                let zone = String(name.dropFirst("zone:".count))
                let members = layout.nodeNames.indices.filter { layout.nodeZones[$0] == zone }.map { layout.nodeNames[$0] }
                if members.isEmpty { reader.error(node, listPath, "no worker in zone \"\(zone)\"") }
                machines += members
                continue
            }
            _ = isMachine(name, node, listPath, suggestions: layout.nodeNames.isEmpty ? ["masters"] : ["masters", "workers"])
            machines.append(name)
        }
        var seen: Set<String> = []
        for name in machines where !seen.insert(name).inserted {
            reader.error(node, listPath, "machine \"\(name)\" is named twice")
        }
        return machines
    }

    /// `from` and `to` of a one-way or bridge partition: a machine on both sides would be cut from
    /// itself (its own processes), which a partition never does.
    mutating func sides(_ mode: String) -> (from: [String], to: [String])? {
        guard let from = machines("from"), let to = machines("to") else { return nil }
        for name in to where from.contains(name) {
            reader.error(value("to") ?? item, path + ".to", "machine \"\(name)\" is on both sides (from and to) of a \(mode) partition")
        }
        return (from, to)
    }

    mutating func requiredString(_ key: String, hint: String) -> String? {
        guard let node = value(key) else {
            reader.error(item, path, "missing required field \"\(key)\" (\(hint))")
            return nil
        }
        guard let text = reader.string(node, path + "." + key), !text.isEmpty else {
            reader.error(node, path + "." + key, "must not be empty (\(hint))")
            return nil
        }
        return text
    }

    mutating func requiredDuration(_ key: String, hint: String) -> SimDuration? {
        guard let node = value(key) else {
            reader.error(item, path, "missing required field \"\(key)\" (\(hint))")
            return nil
        }
        return reader.duration(node, path + "." + key)
    }

    mutating func optionalDuration(_ key: String) -> SimDuration? {
        value(key).flatMap { reader.duration($0, path + "." + key, allowZero: true) }
    }

    mutating func requiredProbability(_ key: String) -> Double? {
        guard let node = value(key) else {
            reader.error(item, path, "missing required field \"\(key)\"")
            return nil
        }
        return reader.probability(node, path + "." + key)
    }

    /// Records `message` when the fault has no `duration`.
    mutating func requireDuration(because message: String) {
        if !has("duration") { reader.error(item, path, message) }
    }

    /// A partition; each mode takes its own fields (`subject` names the mode, so a field of another
    /// mode is reported as not applying).
    mutating func partition() -> FaultEffect? {
        let mode = value("mode").flatMap { reader.choice($0, path + ".mode", ["isolate", "split", "one-way", "bridge", "minority"], what: "partition mode") } ?? "isolate"
        switch mode {
        case "split":
            subject = "a split network-partition (it takes groups)"
            guard let groupsNode = value("groups"), let groupItems = reader.list(groupsNode, path + ".groups") else {
                reader.error(item, path, "a split partition needs \"groups\": a list of lists of machines")
                return nil
            }
            var groups: [[String]] = []
            var seen: [String] = []
            for (groupIndex, group) in groupItems.enumerated() {
                let groupPath = path + ".groups[\(groupIndex)]"
                guard let names = machineList(group, groupPath) else { continue }
                for name in names where seen.contains(name) {
                    reader.error(group, groupPath, "\"\(name)\" is in two groups of one split")
                }
                seen += names
                groups.append(names)
            }
            if groups.count < 2 { reader.error(groupsNode, path + ".groups", "a split needs at least two groups") }
            return .partition(.split(groups))
        case "one-way":
            subject = "a one-way network-partition (it takes from and to)"
            return sides(mode).map { .partition(.oneWay(from: $0.from, to: $0.to)) }
        case "minority":
            subject = "a minority network-partition (it takes target and companions)"
            return minority()
        case "bridge":
            subject = "a bridge network-partition (it takes from and to)"
            return sides(mode).map { .partition(.bridge(left: $0.from, right: $0.to)) }
        default:
            subject = "an isolate network-partition (it takes target)"
            return target().map { .partition(.isolate($0)) }
        }
    }

    /// A minority partition: `target` (a master or a master selector) and `companions` other masters
    /// (default 0) on the minority side, so both must stay below half the masters.
    mutating func minority() -> FaultEffect? {
        let most = max(0, (layout.masters - 1) / 2 - 1)
        var companions = 0
        if let node = value("companions") {
            guard let count = reader.int(node, path + ".companions", 0...most) else { return nil }
            companions = count
        }
        guard let target = target() else { return nil }
        switch target {
        case .named(let name) where !layout.masterNames.contains(name):
            reader.error(value("target") ?? item, path + ".target", "a minority partition cuts masters from masters: \(name) is not a master")
            return nil
        case .randomMasters, .randomWorker, .zone, .nodeRunning:
            reader.error(value("target") ?? item, path + ".target", "a minority partition takes one master or a master selector (etcd-leader, etcd-new-leader, etcd-candidate, etcd-follower, random-master), not \(target)")
            return nil
        case .named, .etcdLeader, .etcdFollower, .etcdNewLeader, .etcdCandidate, .randomMaster, .schedulerLeader, .controllerManagerLeader:
            return .partition(.minority(target, companions: companions))
        }
    }

    mutating func timeSkew() -> FaultEffect? {
        var offset = SimDuration.zero
        if let offsetNode = value("offset") {
            guard let text = reader.string(offsetNode, path + ".offset") else { return nil }
            let negative = text.hasPrefix("-")
            switch DurationText.parse(negative ? String(text.dropFirst()) : text) {
            case .success(let value): offset = negative ? .zero - value : value
            case .failure(let failure): reader.error(offsetNode, path + ".offset", failure.description)
            }
        }
        let drift = value("drift-ppm").flatMap { reader.int($0, path + ".drift-ppm", -500_000...500_000) } ?? 0
        if !has("offset") && !has("drift-ppm") { reader.error(item, path, "a time-skew needs \"offset\" and/or \"drift-ppm\"") }
        return target().map { .timeSkew($0, offset: offset, driftPpm: Int64(drift)) }
    }
}
