import FaultlineCluster
import FaultlineSim
import Yams

/// The blocks of `spec` that configure the etcd-level run: etcd flags, the network, latency
/// distributions, the etcd test workload and the nemesis.
extension ScenarioReader {
    /// The highest `network.duplicate`. The engine never duplicates a duplicate (nor what its handling
    /// sends), so any probability terminates; beyond a half, runs mostly simulate copies.
    static let maximumDuplicateProbability = 0.5

    /// etcd flags under their real names (etcd 3.5 `etcd --help`).
    mutating func readEtcdFlags(_ node: Node, _ path: String, into flags: inout EtcdFlags) {
        let allowed = ["heartbeat-interval", "election-timeout", "snapshot-count", "experimental-snapshot-catchup-entries",
                       "auto-compaction-retention", "pre-vote", "check-quorum", "unsafe-bugs"]
        var heartbeat = flags.heartbeatIntervalMs, election = flags.electionTimeoutMs
        // A refused value was reported; comparing the other with a default would only add noise.
        var timingsKnown = true
        for (key, value) in fields(node, path, allowed: allowed) ?? [] {
            let fieldPath = path + "." + key
            switch key {
            case "heartbeat-interval":
                if let ms = wholeMilliseconds(value, fieldPath, why: "etcd takes --heartbeat-interval in whole milliseconds") { heartbeat = ms } else { timingsKnown = false }
            case "election-timeout":
                if let ms = wholeMilliseconds(value, fieldPath, why: "etcd takes --election-timeout in whole milliseconds") { election = ms } else { timingsKnown = false }
            case "snapshot-count":
                if let count = int(value, fieldPath, 1...10_000_000) { flags.snapshotCount = count }
            case "experimental-snapshot-catchup-entries":
                if let count = int(value, fieldPath, 1...10_000_000) { flags.snapshotCatchUpEntries = count }
            case "auto-compaction-retention":
                if let count = int(value, fieldPath, 0...1_000_000_000) { flags.autoCompactionRetention = Int64(count) }
            case "pre-vote":
                if let value = bool(value, fieldPath) { flags.preVote = value }
            case "check-quorum":
                if let value = bool(value, fieldPath) { flags.checkQuorum = value }
            default:
                flags.bugs.formUnion(bugs(value, fieldPath, RaftBugs.byName))
            }
        }
        // etcd refuses an election timeout below 5 heartbeats (etcdmain/config.go).
        if timingsKnown && election < 5 * heartbeat {
            error(node, path + ".election-timeout", "must be at least 5 x heartbeat-interval (\(heartbeat)ms), as etcd requires; found \(election)ms")
        }
        flags.heartbeatIntervalMs = heartbeat
        flags.electionTimeoutMs = election
    }

    mutating func readNetwork(_ node: Node, _ path: String, into plan: inout RunPlan) {
        for (key, value) in fields(node, path, allowed: ["latency", "loss", "duplicate", "reorder"]) ?? [] {
            let fieldPath = path + "." + key
            switch key {
            case "latency": if let latency = latency(value, fieldPath) { plan.link.latency = latency }
            case "loss": if let p = probability(value, fieldPath) { plan.link.lossProbability = p }
            case "duplicate":
                if let p = probability(value, fieldPath) {
                    if p > Self.maximumDuplicateProbability {
                        error(value, fieldPath, "\(p) is more than \(Self.maximumDuplicateProbability): at most half of the messages may arrive twice (a network that duplicates more is not a network the cluster can be judged on, and every copy costs simulation time)")
                    } else {
                        plan.link.duplicateProbability = p
                    }
                }
            default: if let reorder = bool(value, fieldPath) { plan.link.allowsReordering = reorder }
            }
        }
    }

    /// A latency distribution: `{distribution: lognormal, median: 1ms, sigma: 0.5}` and friends.
    mutating func latency(_ node: Node, _ path: String) -> LatencyDistribution? {
        let allowed = ["distribution", "value", "min", "max", "mean", "median", "sigma", "stddev", "floor"]
        guard let items = fields(node, path, allowed: allowed) else { return nil }
        var values: [String: SimDuration] = [:]
        var kind: String?
        var sigma: Double?
        for (key, value) in items {
            switch key {
            case "distribution":
                kind = choice(value, path + ".distribution", ["constant", "uniform", "exponential", "normal", "lognormal"], what: "distribution")
            case "sigma":
                if let number = real(value, path + ".sigma", "a number from 0 to 5") {
                    if number >= 0 && number <= 5 { sigma = number } else { error(value, path + ".sigma", "\(number) is out of range: expected 0 to 5") }
                }
            default:
                if let duration = duration(value, path + "." + key, allowZero: true) { values[key] = duration }
            }
        }
        func need(_ key: String) -> SimDuration? {
            if let value = values[key] { return value }
            error(node, path, "a \(kind ?? "") distribution needs \"\(key)\"")
            return nil
        }
        let floor = values["floor"] ?? .zero
        switch kind {
        case "constant": return need("value").map { .constant($0) }
        case "uniform":
            guard let low = need("min"), let high = need("max") else { return nil }
            guard low <= high else { error(node, path, "min must not exceed max"); return nil }
            return .uniform(min: low, max: high)
        case "exponential": return need("mean").map { .exponential(floor: floor, mean: $0) }
        case "normal":
            guard let mean = need("mean"), let sd = need("stddev") else { return nil }
            return .normal(mean: mean, standardDeviation: sd, floor: floor)
        case "lognormal":
            guard let median = need("median") else { return nil }
            return .logNormal(median: median, sigma: sigma ?? 0.5, floor: floor)
        default:
            if !items.contains(where: { $0.key == "distribution" }) { error(node, path, "missing \"distribution\"") }
            return nil
        }
    }

    mutating func readWorkload(_ node: Node, _ path: String, into plan: inout RunPlan) {
        for (key, value) in fields(node, path, allowed: ["etcdClients", "etcdWatchers", "etcdLeaseHolders", "apiClients"]) ?? [] {
            let clientPath = path + "." + key
            if key == "apiClients" {
                var load = plan.cluster.apiLoad
                readApiLoad(value, clientPath, into: &load)
                plan.cluster.apiLoad = load
                continue
            }
            if key == "etcdLeaseHolders" {
                for (field, fieldValue) in fields(value, clientPath, allowed: ["holders", "ttl", "holdTime"]) ?? [] {
                    let fieldPath = clientPath + "." + field
                    switch field {
                    case "holders": if let n = int(fieldValue, fieldPath, 0...100) { plan.workload.leaseHolders = n }
                    case "ttl":
                        // etcd raises a TTL below its minimum (1.5 x election-timeout, rounded up: 2 s by
                        // default) to the minimum; we refuse it instead, so the file says what runs.
                        if let d = duration(fieldValue, fieldPath) {
                            if d < .seconds(2) || d > .seconds(86_400) || d.nanoseconds % 1_000_000_000 != 0 {
                                error(fieldValue, fieldPath, "a lease TTL is whole seconds between 2s and 24h; found \(DurationText.format(d))")
                            } else {
                                plan.workload.leaseTTLSeconds = d.nanoseconds / 1_000_000_000
                            }
                        }
                    default: if let d = duration(fieldValue, fieldPath) { plan.workload.leaseHoldTime = d }
                    }
                }
                continue
            }
            if key == "etcdWatchers" {
                for (field, fieldValue) in fields(value, clientPath, allowed: ["watchers", "requireLeader"]) ?? [] {
                    let fieldPath = clientPath + "." + field
                    switch field {
                    case "watchers": if let n = int(fieldValue, fieldPath, 0...100) { plan.workload.watchers = n }
                    default: if let flag = bool(fieldValue, fieldPath) { plan.workload.watchRequireLeader = flag }
                    }
                }
                continue
            }
            let allowed = ["clients", "keys", "thinkTime", "requestTimeout", "mix"]
            for (field, fieldValue) in fields(value, clientPath, allowed: allowed) ?? [] {
                let fieldPath = clientPath + "." + field
                switch field {
                case "clients": if let n = int(fieldValue, fieldPath, 0...1000) { plan.workload.clients = n }
                case "keys": if let n = int(fieldValue, fieldPath, 1...100_000) { plan.workload.keys = n }
                case "thinkTime": if let d = duration(fieldValue, fieldPath) { plan.workload.thinkTime = d }
                case "requestTimeout": if let d = duration(fieldValue, fieldPath) { plan.workload.requestTimeout = d }
                default:
                    for (op, weightNode) in fields(fieldValue, fieldPath, allowed: ["get", "put", "delete", "cas"]) ?? [] {
                        guard let weight = probability(weightNode, fieldPath + "." + op) else { continue }
                        switch op {
                        case "get": plan.workload.weightGet = weight
                        case "put": plan.workload.weightPut = weight
                        case "delete": plan.workload.weightDelete = weight
                        default: plan.workload.weightCas = weight
                        }
                    }
                    let total = plan.workload.weightGet + plan.workload.weightPut + plan.workload.weightDelete + plan.workload.weightCas
                    if total <= 0 { error(fieldValue, fieldPath, "the weights must not all be zero") }
                }
            }
        }
    }

    mutating func readNemesis(_ node: Node, _ path: String) -> NemesisPlan? {
        let allowed = ["faults", "meanInterval", "maxConcurrent", "safetyPhase", "minDuration", "maxDuration"]
        guard let items = fields(node, path, allowed: allowed) else { return nil }
        var nemesis = NemesisPlan(kinds: [], meanInterval: .seconds(30), maxConcurrent: 1, safetyPhase: .zero)
        var sawPhase = false
        for (key, value) in items {
            let fieldPath = path + "." + key
            switch key {
            case "faults":
                for (index, item) in (list(value, fieldPath) ?? []).enumerated() {
                    guard let kind = faultKind(item, fieldPath + "[\(index)]") else { continue }
                    if kind.draw == nil {
                        error(item, fieldPath + "[\(index)]", "the nemesis cannot draw \(kind.name) (it draws \(FaultKind.nemesisNames.joined(separator: ", ")))")
                    } else {
                        nemesis.kinds.append(kind.name)
                    }
                }
            case "meanInterval": if let d = duration(value, fieldPath) { nemesis.meanInterval = d }
            case "maxConcurrent": if let n = int(value, fieldPath, 1...7) { nemesis.maxConcurrent = n }
            case "safetyPhase":
                sawPhase = true
                if let d = duration(value, fieldPath) { nemesis.safetyPhase = d }
            case "minDuration": if let d = duration(value, fieldPath) { nemesis.minDuration = d }
            default: if let d = duration(value, fieldPath) { nemesis.maxDuration = d }
            }
        }
        if nemesis.kinds.isEmpty { error(node, path + ".faults", "name at least one fault kind for the nemesis") }
        if !sawPhase { error(node, path, "missing required field \"safetyPhase\"") }
        if nemesis.minDuration > nemesis.maxDuration { error(node, path, "minDuration must not exceed maxDuration") }
        return nemesis
    }
}
