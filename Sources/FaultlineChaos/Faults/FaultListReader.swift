import FaultlineCluster
import FaultlineSim
import Yams

/// `spec.faults`: each entry read by its kind's row of `FaultKind.all`, then the schedule as a whole
/// (faults that cannot both take effect, `FaultOverlap`).
extension ScenarioReader {
    /// The fields any scheduled fault may have; which apply is the kind's `acceptedFields`.
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
        var read: [FaultOverlap.Entry] = []
        for (index, item) in (list(node, path) ?? []).enumerated() {
            let itemPath = path + "[\(index)]"
            guard let items = fields(item, itemPath, allowed: allFields) else { continue }
            var values: [String: Node] = [:]
            for (key, value) in items { values[key] = value }
            guard let kindNode = values["kind"] else {
                error(item, itemPath, "missing required field \"kind\"")
                continue
            }
            guard let kind = faultKind(kindNode, itemPath + ".kind"), let readKind = kind.read else { continue }
            if kind.needsControlPlane && !plan.cluster.layout.controlPlane {
                error(kindNode, itemPath + ".kind", "\(kind.name) needs masters that run the control plane (spec.cluster.controlPlane: true)")
                continue
            }
            // `duration` on an instantaneous kind has its own message below.
            for (key, value) in items where !["kind", "at", "duration"].contains(key) && !kind.acceptedFields.contains(key) {
                let owners = FaultKind.all.filter { $0.acceptedFields.contains(key) }.map(\.name)
                let hint = key == "jitter" ? "; to draw the injection time per seed, write at: {time: 30s, jitter: 100ms}" : ""
                error(value, itemPath + "." + key, "\"\(key)\" does not apply to \(kind.name) (it applies to \(owners.joined(separator: ", ")))\(hint)")
            }
            guard let atNode = values["at"] else {
                error(item, itemPath, "missing required field \"at\"")
                continue
            }
            guard let time = faultTime(atNode, itemPath + ".at") else { continue }
            let at = time.at
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
                if let length, at + time.jitter + length > plan.duration {
                    let when = time.jitter > .zero ? "could heal as late as" : "would heal at"
                    error(durationNode, itemPath + ".duration", "the fault \(when) \(DurationText.format(at + time.jitter + length)), after the run ends at \(DurationText.format(plan.duration))")
                }
            }
            if time.latest >= plan.duration {
                let what = time.jitter > .zero ? "at + jitter (\(DurationText.format(at + time.jitter)))" : DurationText.format(at)
                error(atNode, itemPath + ".at", "\(what) is not before the end of the run (\(DurationText.format(plan.duration)))")
            }
            var reading = FaultReading(reader: self, item: item, path: itemPath, values: values, layout: plan.cluster.layout, kind: kind.name)
            let effect = readKind(&reading)
            if effect != nil { reading.reportUnused(items, accepted: kind.acceptedFields) }
            self = reading.reader
            if let effect {
                let fault = PlannedFault(effect: effect, at: at, duration: length, kindName: kind.name, jitter: time.jitter)
                plan.faults.append(fault)
                read.append(FaultOverlap.Entry(fault: fault, node: item, path: itemPath))
            }
        }
        reportOverlaps(read, plan)
    }
}
