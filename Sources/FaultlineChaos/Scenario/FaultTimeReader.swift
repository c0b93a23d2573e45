import FaultlineSim
import Yams

/// A fault's `at`: a duration (`at: 30s`), or a window to draw it from per seed
/// (`at: {time: 30s, jitter: 100ms}`: uniform in [30 s, 30.1 s), from the fault's own stream).
///
/// The window sits on `at` rather than beside it because `network-delay` already has a `jitter` field
/// (the latency's). A jittered fault is judged at every instant it may take: it must start before the
/// run ends and heal by then at its latest draw (`at + jitter + duration`), and it overlaps another
/// fault when any draws of the two would (`reportOverlaps`).
struct FaultTime {
    var at: SimDuration
    var jitter: SimDuration = .zero
    /// The latest instant the fault may be injected at (`at` itself when there is no jitter).
    var latest: SimDuration { jitter > .zero ? at + jitter - .nanoseconds(1) : at }
}

extension ScenarioReader {
    /// Reads `at` in either form; nil (after reporting why) when unusable.
    mutating func faultTime(_ node: Node, _ path: String) -> FaultTime? {
        guard case .mapping = node else { return duration(node, path, allowZero: true).map { FaultTime(at: $0) } }
        guard let items = fields(node, path, allowed: ["time", "jitter"]) else { return nil }
        var time: SimDuration?
        var jitter = SimDuration.zero
        var usable = true
        for (key, value) in items {
            switch key {
            case "time":
                if let at = duration(value, path + ".time", allowZero: true) { time = at } else { usable = false }
            default:
                if let window = duration(value, path + ".jitter", allowZero: true) { jitter = window } else { usable = false }
            }
        }
        guard items.contains(where: { $0.key == "time" }) else {
            error(node, path, "missing required field \"time\" (at: {time: 30s, jitter: 100ms} injects at a uniform instant in [30s, 30.1s))")
            return nil
        }
        guard usable, let time else { return nil }
        return FaultTime(at: time, jitter: jitter)
    }
}
