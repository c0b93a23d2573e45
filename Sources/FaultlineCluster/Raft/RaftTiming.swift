import FaultlineSim

/// Where a member's first Raft tick falls after it starts.
public enum TickPhase: String, Sendable, Hashable, CaseIterable {
    /// At a uniform random instant within its first tick interval, from the member's own stream (and
    /// at a new one after each restart): real members start when their processes do, so they do not
    /// tick in lockstep. The default.
    case random
    /// Exactly one tick interval after the start: every member started together ticks at the same
    /// instants. An experiment knob (it makes simultaneous campaigns, hence split votes, far more
    /// likely than on real machines); never the default.
    case aligned
}

/// Raft timing in ticks and the length of a tick, as a member runs it.
///
/// etcd's flags give one (`EtcdFlags.timing`): the tick is `--heartbeat-interval`, a heartbeat every
/// tick, and an election timeout drawn in [T, 2T) ticks for `T = election-timeout / heartbeat-interval`.
/// A scenario's `raft:` section gives any other (the Raft paper's experiments): a tick shorter than the
/// heartbeat, an election timeout drawn in [min, max).
///
/// Invariants: `tickInterval > 0`; `heartbeatTicks >= 1`; `1 <= electionTicksMin <= electionTicksMax`.
public struct RaftTiming: Sendable, Hashable {
    /// The length of one tick.
    public var tickInterval: SimDuration
    /// A leader sends heartbeats every this many ticks.
    public var heartbeatTicks: Int
    /// The randomised election timeout is drawn uniformly in [min, max) ticks; exactly `min` when
    /// `min == max` (no randomness). Check-quorum and leader stickiness use `min`.
    public var electionTicksMin: Int
    public var electionTicksMax: Int

    public init(tickInterval: SimDuration, heartbeatTicks: Int, electionTicksMin: Int, electionTicksMax: Int) {
        precondition(tickInterval > .zero && heartbeatTicks >= 1 && electionTicksMin >= 1 && electionTicksMin <= electionTicksMax,
                     "invalid Raft timing")
        self.tickInterval = tickInterval
        self.heartbeatTicks = heartbeatTicks
        self.electionTicksMin = electionTicksMin
        self.electionTicksMax = electionTicksMax
    }

    /// Sets a member's configuration to this timing.
    func apply(to config: inout RaftConfig) {
        config.electionTicks = electionTicksMin
        config.electionTicksMax = electionTicksMax
        config.heartbeatTicks = heartbeatTicks
    }
}
