@testable import FaultlineSim

/// A payload for engine tests: a label whose digest is stable.
struct Label: TraceDigestible, Hashable, CustomStringConvertible {
    let text: String
    init(_ text: String) { self.text = text }
    var traceDigest: UInt64 { stableHash(text) }
    var description: String { text }
}

/// A world that logs every event it is handed and runs an optional reaction for each.
struct RecordingWorld: SimWorld {
    typealias Message = Label
    typealias TimerTag = Label

    struct Entry: Equatable {
        let time: SimInstant
        let host: HostID
        let what: String
    }

    var log: [Entry] = []
    var react: ((SimEvent<Label, Label>, Simulation<Label, Label>) -> Void)?

    mutating func handle(_ event: SimEvent<Label, Label>, in sim: Simulation<Label, Label>) {
        let what: String
        switch event.kind {
        case .started: what = "started"
        case .message(let from, let label): what = "msg \(label) from \(sim.name(of: from))"
        case .timer(_, let tag): what = "timer \(tag)"
        case .persisted(let token): what = "persisted \(token)"
        }
        log.append(Entry(time: event.time, host: event.host, what: what))
        react?(event, sim)
    }

    func entries(on host: HostID) -> [String] { log.filter { $0.host == host }.map(\.what) }
    func contains(_ what: String) -> Bool { log.contains { $0.what == what } }
}

/// A simulation with `names` hosts and constant 1 ms links; the `.started` events are already run.
func makeSim(_ names: [String], seed: UInt64 = 1, latency: SimDuration = .milliseconds(1)) -> (Simulation<Label, Label>, RecordingWorld, [HostID]) {
    let sim = Simulation<Label, Label>(seed: seed)
    sim.defaultLink = LinkConfig(latency: .constant(latency))
    let ids = names.map { sim.addHost($0) }
    var world = RecordingWorld()
    sim.run(&world, until: sim.now)
    world.log.removeAll()
    return (sim, world, ids)
}

/// The instant `milliseconds` after the start (keeps array literals cheap to type-check).
func ms(_ milliseconds: Int64) -> SimInstant { SimInstant.start + SimDuration.milliseconds(milliseconds) }
