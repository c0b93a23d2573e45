import FaultlineCluster
import FaultlineSim
import Yams

/// The fields of one scheduled fault being read, with the readers every fault kind shares (targets,
/// host lists, durations). Diagnostics go to `reader`, which the caller takes back afterwards.
struct FaultReading {
    var reader: ScenarioReader
    let item: Node
    let path: String
    /// The fault's fields by name (lookups only; never iterated).
    let values: [String: Node]
    let layout: ClusterLayout

    /// Every name a fault's `target` may take besides a machine name, in the order hints list them.
    var selectorNames: [String] {
        ["etcd-leader", "etcd-follower", "random-master"] + (layout.controlPlane ? ["scheduler-leader", "controller-manager-leader"] : [])
            + (layout.nodeNames.isEmpty ? [] : ["random-worker", "zone:<name>", "node-running:<pod>"])
    }

    var machineDescription: String {
        layout.masters == 1 ? "a cluster of 1 master" : "a cluster of \(layout.masters) masters"
    }

    /// `target`: a machine by name or a selector resolved at injection time.
    mutating func target() -> FaultTarget? {
        guard let targetNode = values["target"] else {
            reader.error(item, path, "missing required field \"target\" (a machine such as master-1, or \(selectorNames.joined(separator: ", ")))")
            return nil
        }
        guard let text = reader.string(targetNode, path + ".target") else { return nil }
        if let countNode = values["count"], text != "random-master" {
            reader.error(countNode, path + ".count", "\"count\" applies to target random-master only")
        }
        switch text {
        case "etcd-leader": return .etcdLeader
        case "etcd-follower": return .etcdFollower
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
            if let countNode = values["count"], let count = reader.int(countNode, path + ".count", 1...layout.masters) {
                return .randomMasters(count: count)
            }
            return .randomMaster
        default:
            guard layout.machineNames.contains(text) else {
                let hint = closestName(to: text, in: layout.machineNames + selectorNames).map { "; did you mean \"\($0)\"?" } ?? ""
                reader.error(targetNode, path + ".target", "no machine \"\(text)\" in \(machineDescription)\(hint)")
                return nil
            }
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
        case .named, .etcdLeader, .etcdFollower, .randomMaster, .randomMasters, .schedulerLeader, .controllerManagerLeader:
            reader.error(values["target"] ?? item, path + ".target",
                         "\(kind) targets workers (a worker's name, random-worker, zone:<name> or node-running:<pod>), not \(target)")
            return nil
        }
    }

    /// A list of machine names under `key` (partition groups and sides).
    mutating func machines(_ key: String) -> [String]? {
        guard let node = values[key] else {
            reader.error(item, path, "missing required field \"\(key)\"")
            return nil
        }
        return machineList(node, path + "." + key)
    }

    /// Machine names; `masters`, `workers` and `zone:<name>` stand for every master, every worker and
    /// every worker of a zone.
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
            if !layout.machineNames.contains(name) {
                reader.error(node, listPath, "no machine \"\(name)\" in \(machineDescription)")
            }
            machines.append(name)
        }
        var seen: Set<String> = []
        for name in machines where !seen.insert(name).inserted {
            reader.error(node, listPath, "machine \"\(name)\" is named twice")
        }
        return machines
    }

    mutating func requiredString(_ key: String, hint: String) -> String? {
        guard let node = values[key] else {
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
        guard let node = values[key] else {
            reader.error(item, path, "missing required field \"\(key)\" (\(hint))")
            return nil
        }
        return reader.duration(node, path + "." + key)
    }

    mutating func optionalDuration(_ key: String) -> SimDuration? {
        values[key].flatMap { reader.duration($0, path + "." + key, allowZero: true) }
    }

    mutating func requiredProbability(_ key: String) -> Double? {
        guard let node = values[key] else {
            reader.error(item, path, "missing required field \"\(key)\"")
            return nil
        }
        return reader.probability(node, path + "." + key)
    }

    /// Records `message` when the fault has no `duration`.
    mutating func requireDuration(because message: String) {
        if values["duration"] == nil { reader.error(item, path, message) }
    }

    mutating func partition() -> FaultEffect? {
        let mode = values["mode"].flatMap { reader.choice($0, path + ".mode", ["isolate", "split", "one-way", "bridge"], what: "partition mode") } ?? "isolate"
        switch mode {
        case "split":
            guard let groupsNode = values["groups"], let groupItems = reader.list(groupsNode, path + ".groups") else {
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
            guard let from = machines("from"), let to = machines("to") else { return nil }
            return .partition(.oneWay(from: from, to: to))
        case "bridge":
            guard let from = machines("from"), let to = machines("to") else { return nil }
            return .partition(.bridge(left: from, right: to))
        default:
            return target().map { .partition(.isolate($0)) }
        }
    }

    mutating func timeSkew() -> FaultEffect? {
        var offset = SimDuration.zero
        if let offsetNode = values["offset"] {
            guard let text = reader.string(offsetNode, path + ".offset") else { return nil }
            let negative = text.hasPrefix("-")
            switch DurationText.parse(negative ? String(text.dropFirst()) : text) {
            case .success(let value): offset = negative ? .zero - value : value
            case .failure(let failure): reader.error(offsetNode, path + ".offset", failure.description)
            }
        }
        let drift = values["drift-ppm"].flatMap { reader.int($0, path + ".drift-ppm", -500_000...500_000) } ?? 0
        if values["offset"] == nil && values["drift-ppm"] == nil { reader.error(item, path, "a time-skew needs \"offset\" and/or \"drift-ppm\"") }
        return target().map { .timeSkew($0, offset: offset, driftPpm: Int64(drift)) }
    }
}

extension ScenarioReader {
    /// The fields every scheduled fault takes.
    static let commonFaultFields = ["kind", "target", "at", "duration", "count"]

    mutating func faultKind(_ node: Node, _ path: String) -> FaultKind? {
        guard let name = choice(node, path, FaultKind.names, what: "fault kind"), let kind = FaultKind.named(name) else { return nil }
        guard kind.isImplemented else {
            error(node, path, "fault kind \(name) is not supported yet (supported: \(FaultKind.implementedNames.joined(separator: ", ")))")
            return nil
        }
        return kind
    }

    mutating func readFaults(_ node: Node, _ path: String, into plan: inout RunPlan) {
        let allFields = Self.commonFaultFields + FaultKind.all.flatMap(\.fields).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        for (index, item) in (list(node, path) ?? []).enumerated() {
            let itemPath = path + "[\(index)]"
            guard let items = fields(item, itemPath, allowed: allFields) else { continue }
            var values: [String: Node] = [:]
            for (key, value) in items { values[key] = value }
            guard let kindNode = values["kind"] else {
                error(item, itemPath, "missing required field \"kind\"")
                continue
            }
            guard let kind = faultKind(kindNode, itemPath + ".kind"), let read = kind.read else { continue }
            if kind.needsControlPlane && !plan.cluster.layout.controlPlane {
                error(kindNode, itemPath + ".kind", "\(kind.name) needs masters that run the control plane (spec.cluster.controlPlane: true)")
                continue
            }
            for (key, value) in items where !Self.commonFaultFields.contains(key) && !kind.fields.contains(key) {
                let owners = FaultKind.all.filter { $0.fields.contains(key) }.map(\.name)
                error(value, itemPath + "." + key, "\"\(key)\" does not apply to \(kind.name) (it applies to \(owners.joined(separator: ", ")))")
            }
            guard let atNode = values["at"] else {
                error(item, itemPath, "missing required field \"at\"")
                continue
            }
            guard let at = duration(atNode, itemPath + ".at", allowZero: true) else { continue }
            var length: SimDuration?
            if kind.instantaneous {
                if let durationNode = values["duration"] {
                    error(durationNode, itemPath + ".duration", "\(kind.name) is instantaneous: the master's kubelet restarts the process; to keep a process down use node-crash or etcd-member-crash with a duration")
                }
                length = .zero
            } else if values["duration"] == nil, let defaultDuration = kind.defaultDuration {
                length = defaultDuration
            } else if let durationNode = values["duration"] {
                length = duration(durationNode, itemPath + ".duration")
                if let length, at + length > plan.duration {
                    error(durationNode, itemPath + ".duration", "the fault would heal at \(DurationText.format(at + length)), after the run ends at \(DurationText.format(plan.duration))")
                }
            }
            if at >= plan.duration { error(atNode, itemPath + ".at", "\(DurationText.format(at)) is not before the end of the run (\(DurationText.format(plan.duration)))") }
            var reading = FaultReading(reader: self, item: item, path: itemPath, values: values, layout: plan.cluster.layout)
            let effect = read(&reading)
            self = reading.reader
            if let effect { plan.faults.append(PlannedFault(effect: effect, at: at, duration: length, kindName: kind.name)) }
        }
    }
}
