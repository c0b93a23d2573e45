import FaultlineSim

/// Configuration of one leader-election participant (client-go `leaderelection.LeaderElectionConfig`
/// with a `LeaseLock`). Defaults are kube-scheduler's and kube-controller-manager's flags
/// `--leader-elect-lease-duration=15s`, `--leader-elect-renew-deadline=10s`,
/// `--leader-elect-retry-period=2s`.
///
/// Invariant (checked by `LeaderElector.init`): `leaseDurationMs > renewDeadlineMs > retryPeriodMs > 0`,
/// and `leaseDurationMs` is whole seconds (the Lease stores `leaseDurationSeconds`).
public struct LeaderElectionConfig: Sendable, Hashable {
    /// The identity written to `holderIdentity` (kube-scheduler: `<hostname>_<uuid>`).
    public var identity: String
    /// The lock object: `kube-system/kube-scheduler` or `kube-system/kube-controller-manager`.
    public var leaseNamespace: String
    public var leaseName: String
    public var leaseDurationMs: Int64 = 15_000
    public var renewDeadlineMs: Int64 = 10_000
    public var retryPeriodMs: Int64 = 2_000
    /// client-go's `JitterFactor` (1.2): an acquire retry waits `retryPeriod * (1 + u * 1.2)`, u in [0, 1).
    /// Kept as tenths to stay in integer arithmetic: 12 = 1.2.
    public var jitterFactorTenths: Int64 = 12
    /// client-go ≥ 1.28: a leader whose observed record names it and is still valid renews with a PUT
    /// from its cached lease (one request), falling back to GET then PUT if that fails. Off: always GET
    /// then PUT (older client-go).
    public var optimisticRenew: Bool = true

    public init(identity: String, leaseNamespace: String = "kube-system", leaseName: String) {
        self.identity = identity
        self.leaseNamespace = leaseNamespace
        self.leaseName = leaseName
    }
}

/// Deliberately broken variants for the unsafe scenarios (off by default; the correct paths do not
/// change when they are off).
public struct LeaderElectionBugs: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// A leader that fails to renew keeps leading past its renew deadline (never `stoppedLeading`).
    public static let ignoresRenewDeadline = LeaderElectionBugs(rawValue: 1 << 0)
    /// A candidate takes over a lease held by someone else as soon as it reads it, without waiting
    /// for the record to stay unchanged for the lease duration.
    public static let takesOverWithoutWaiting = LeaderElectionBugs(rawValue: 1 << 1)

    /// The names used in scenario files.
    public static let byName: [(String, LeaderElectionBugs)] = [
        ("ignores-renew-deadline", .ignoresRenewDeadline),
        ("takes-over-without-waiting", .takesOverWithoutWaiting),
    ]
}

/// The `LeaderElectionRecord` client-go keeps in a Lease's spec. Two records are the same when every
/// field is equal: client-go compares the whole serialized record, so any renewal by the holder (a new
/// `renewTime`) counts as a change and restarts the candidate's wait.
public struct LeaderElectionRecord: Sendable, Hashable {
    /// Empty when nobody holds the lease (never created with a holder, or released).
    public var holderIdentity: String
    public var leaseDurationSeconds: Int64
    /// The holder's local clock readings.
    public var acquireTime: SimInstant?
    public var renewTime: SimInstant?
    public var leaseTransitions: Int

    public init(holderIdentity: String, leaseDurationSeconds: Int64, acquireTime: SimInstant?, renewTime: SimInstant?, leaseTransitions: Int) {
        self.holderIdentity = holderIdentity
        self.leaseDurationSeconds = leaseDurationSeconds
        self.acquireTime = acquireTime
        self.renewTime = renewTime
        self.leaseTransitions = leaseTransitions
    }

    /// The record stored in `lease` (a nil holder reads as empty, as client-go's LeaseLock does).
    public init(_ lease: Lease) {
        self.init(
            holderIdentity: lease.holderIdentity ?? "", leaseDurationSeconds: lease.leaseDurationSeconds,
            acquireTime: lease.acquireTime, renewTime: lease.renewTime, leaseTransitions: lease.leaseTransitions)
    }

    /// Writes this record into `lease`'s spec, leaving its metadata alone.
    func apply(to lease: inout Lease) {
        lease.holderIdentity = holderIdentity
        lease.leaseDurationSeconds = leaseDurationSeconds
        lease.acquireTime = acquireTime
        lease.renewTime = renewTime
        lease.leaseTransitions = leaseTransitions
    }
}

/// What a `LeaderElector` asks its host to do.
public enum LeaderElectorOutput: Sendable, Hashable {
    /// GET the lease (answer with `leaseRead`, `writeFailed`-style errors with `requestFailed`).
    case getLease
    /// POST the lease (answer with `writeSucceeded` or `writeFailed`).
    case createLease(Lease)
    /// PUT the lease; `metadata.resourceVersion` is the one last read: the apiserver must answer 409
    /// Conflict if the stored object changed since.
    case updateLease(Lease)
    /// Wake the elector with `retryTimerFired` after this many milliseconds of its local clock.
    /// Replaces any pending timer: the host keeps at most one per elector.
    case setRetryTimer(afterMs: Int64)
    /// `OnStartedLeading`: the process now acts as the leader.
    case startedLeading
    /// `OnStoppedLeading`: kube-scheduler and kube-controller-manager call `klog.Fatal` here, so the host
    /// must stop the process (it restarts as a fresh candidate). Emitted once; the elector is inert after.
    case stoppedLeading
    /// `OnNewLeader`: the observed holder changed (empty: the lease was released).
    case newLeaderObserved(String)
}

/// Why a lease request failed.
public enum LeaseRequestFailure: Sendable, Hashable {
    /// 409: the resourceVersion precondition failed (update), or the lease already exists (create).
    case conflict
    /// Any other answer: 5xx, 429, 403, a refused or reset connection.
    case error(ApiStatusCode?)
}

/// One participant of client-go leader election (`tools/leaderelection`) over a `coordination.k8s.io`
/// Lease, as a pure state machine: no clock and no network. Every input carries the participant's
/// LOCAL clock reading; outputs are appended to a buffer the caller owns.
///
/// The rounds follow client-go:
/// - Acquire: `wait.JitterUntil(tryAcquireOrRenew, retryPeriod, 1.2, sliding)`: try at once, then after
///   every failure wait `retryPeriod * (1 + u * 1.2)`.
/// - Renew: `wait.Until(round, retryPeriod)` where a round polls `tryAcquireOrRenew` every
///   `retryPeriod` (non-sliding: from each attempt's start) with a `renewDeadline` timeout counted from
///   the round's start. The first round starts right after acquiring; each next round starts
///   `retryPeriod` after the previous round's success. If a round times out, the in-flight request is
///   abandoned and the elector stops leading. So after the last successful renew at local time T the
///   leader gives up at `T + retryPeriod + renewDeadline` (12 s with the defaults, below the 15 s a
///   candidate waits). `renewDeadlineLocal` is the current round's deadline.
/// - `tryAcquireOrRenew`: GET; NotFound → create; otherwise if the record differs from the last observed
///   one, remember it with `observedTimeLocal = now`. If someone else holds it and
///   `observedTimeLocal + record.leaseDurationSeconds > now`, fail (it is still valid). Otherwise PUT
///   this identity with `renewTime = now` (keeping `acquireTime` and `leaseTransitions` when we already
///   hold it, else `acquireTime = now` and `leaseTransitions + 1`).
///
/// Clocks: the candidate never compares the holder's `renewTime` with its own clock; it only measures,
/// on its own clock, how long the record has stayed unchanged. Go measures that with the monotonic
/// reading of `time.Now()`, so a wall-clock step does not move it in real life; this model measures it
/// with whatever `localNow` the host feeds in, so a host that feeds a jumping clock reproduces the
/// hazard of a fast or jumping monotonic clock (take-over before the holder gave up).
///
/// Fast path (client-go ≥ 1.28, `optimisticRenew`): when the observed record names this identity and
/// is still valid, an attempt starts with a PUT from the cached lease; if that fails, the same attempt
/// continues with GET then PUT.
///
/// Simplifications (documented, deliberate): on the slow path, `renewTime` and the validity check use
/// the `localNow` of the `leaseRead` input (client-go takes `now` just before its GET); no
/// `ReleaseOnCancel`; no coordinated leader election.
///
/// Invariants:
/// - At most one request is in flight; answers when none is expected are ignored (late answers of
///   abandoned requests).
/// - `stoppedLeading` follows `startedLeading` at most once, and nothing follows `stoppedLeading`.
/// - Without `LeaderElectionBugs`, while leading, every request this elector sends leaves strictly
///   before `renewDeadlineLocal`, and an answer arriving at or after it stops the elector.
public struct LeaderElector: Sendable {
    enum Phase: Sendable, Hashable {
        case idle
        /// Trying to acquire: a request is in flight, or the jittered retry timer is pending.
        case acquiring
        /// Leading; the current renew round started at `roundStart` and gives up at `deadline`.
        case leading(roundStart: SimInstant, deadline: SimInstant)
        /// Leading, between rounds: the next round starts when the retry timer fires.
        case leadingBetweenRounds
        case stopped
    }

    enum InFlight: Sendable, Hashable {
        case none
        case get(attemptStart: SimInstant)
        case create(attemptStart: SimInstant, record: LeaderElectionRecord)
        case update(attemptStart: SimInstant, record: LeaderElectionRecord)
        /// The leader's fast path: a PUT from the cached lease, without a GET first.
        case optimisticUpdate(attemptStart: SimInstant, record: LeaderElectionRecord)
    }

    public let config: LeaderElectionConfig
    public private(set) var bugs: LeaderElectionBugs = []
    var random: SimRandom
    var phase: Phase = .idle
    var inFlight: InFlight = .none
    /// In a renew round, when the next attempt may start (non-sliding poll), if one failed.
    var nextAttemptLocal: SimInstant?

    /// The last record read or written (client-go's `observedRecord`).
    public private(set) var observedRecord: LeaderElectionRecord?
    /// Local time at which `observedRecord` was first seen (or written).
    public private(set) var observedTimeLocal: SimInstant?
    /// The lease as last read or written: its `resourceVersion` is the update precondition.
    public private(set) var cachedLease: Lease?
    /// The holder last reported through `newLeaderObserved`.
    public private(set) var reportedLeader: String?
    /// Local time of the last successful create or update by this elector.
    public private(set) var lastRenewLocal: SimInstant?

    /// - Precondition: the config's durations are ordered `leaseDuration > renewDeadline > retryPeriod > 0`.
    public init(config: LeaderElectionConfig, random: SimRandom) {
        precondition(config.retryPeriodMs > 0, "retryPeriod must be positive")
        precondition(config.renewDeadlineMs > config.retryPeriodMs, "renewDeadline must exceed retryPeriod (client-go checks it)")
        precondition(config.leaseDurationMs > config.renewDeadlineMs, "leaseDuration must exceed renewDeadline (client-go checks it)")
        precondition(config.leaseDurationMs % 1_000 == 0, "leaseDuration is stored in whole seconds")
        precondition(!config.identity.isEmpty, "identity must not be empty")
        precondition(config.jitterFactorTenths >= 0, "jitter factor must not be negative")
        self.config = config
        self.random = random
    }

    /// Turns on deliberately broken behaviour (the unsafe scenario variants).
    public mutating func enableUnsafeBugs(_ bugs: LeaderElectionBugs) {
        self.bugs.formUnion(bugs)
    }

    // MARK: - Observers

    /// True between `startedLeading` and `stoppedLeading`: the process acts as the leader.
    public var isLeading: Bool {
        switch phase {
        case .leading, .leadingBetweenRounds: return true
        case .idle, .acquiring, .stopped: return false
        }
    }

    /// True once `stoppedLeading` was emitted.
    public var hasStopped: Bool { phase == .stopped }

    /// client-go's `IsLeader()`: the observed record names this identity (true briefly before
    /// `startedLeading`, and after a restart with the same identity).
    public var recordNamesSelf: Bool { observedRecord?.holderIdentity == config.identity }

    /// While leading and inside a renew round: the local instant at which the round times out and the
    /// elector stops leading. Between rounds (after a successful renew), the deadline the next round
    /// will have at the earliest: `lastRenewLocal + retryPeriod + renewDeadline`. nil when not leading.
    public var renewDeadlineLocal: SimInstant? {
        switch phase {
        case .leading(_, let deadline): return deadline
        case .leadingBetweenRounds:
            return lastRenewLocal.map { $0 + .milliseconds(config.retryPeriodMs + config.renewDeadlineMs) }
        case .idle, .acquiring, .stopped: return nil
        }
    }

    // MARK: - Inputs

    /// Starts campaigning: the first attempt is immediate.
    /// - Precondition: called once, first.
    public mutating func start(localNow: SimInstant, into outputs: inout [LeaderElectorOutput]) {
        precondition(phase == .idle, "start called twice")
        phase = .acquiring
        beginAttempt(localNow: localNow, into: &outputs)
    }

    /// The (single) retry timer fired.
    public mutating func retryTimerFired(localNow: SimInstant, into outputs: inout [LeaderElectorOutput]) {
        switch phase {
        case .idle, .stopped:
            return
        case .acquiring:
            guard inFlight == .none else { return }
            beginAttempt(localNow: localNow, into: &outputs)
        case .leadingBetweenRounds:
            precondition(inFlight == .none, "a request in flight between renew rounds")
            phase = .leading(roundStart: localNow, deadline: localNow + .milliseconds(config.renewDeadlineMs))
            nextAttemptLocal = nil
            beginAttempt(localNow: localNow, into: &outputs)
        case .leading(_, let deadline):
            if localNow >= deadline && !bugs.contains(.ignoresRenewDeadline) {
                stop(into: &outputs)
                return
            }
            if inFlight != .none {
                // The deadline wake-up came early (the local clock moved back): wait again.
                armTimer(until: deadline, localNow: localNow, into: &outputs)
                return
            }
            if let next = nextAttemptLocal, localNow < next {
                armTimer(until: min(next, deadline), localNow: localNow, into: &outputs)
                return
            }
            beginAttempt(localNow: localNow, into: &outputs)
        }
    }

    /// The GET answered: the lease, or nil for 404 NotFound.
    public mutating func leaseRead(_ lease: Lease?, localNow: SimInstant, into outputs: inout [LeaderElectorOutput]) {
        guard case .get(let attemptStart) = inFlight, phase != .stopped else { return }
        inFlight = .none
        if stopIfDeadlinePassed(localNow: localNow, into: &outputs) { return }
        guard let lease else {
            // 404: create the lease with this identity.
            let record = LeaderElectionRecord(
                holderIdentity: config.identity, leaseDurationSeconds: config.leaseDurationMs / 1_000,
                acquireTime: localNow, renewTime: localNow, leaseTransitions: 0)
            var created = Lease(metadata: ObjectMeta(name: config.leaseName, namespace: config.leaseNamespace), holderIdentity: nil, leaseDurationSeconds: 0)
            record.apply(to: &created)
            inFlight = .create(attemptStart: attemptStart, record: record)
            outputs.append(.createLease(created))
            armDeadlineWhileInFlight(localNow: localNow, into: &outputs)
            return
        }
        cachedLease = lease
        let record = LeaderElectionRecord(lease)
        if record != observedRecord {
            observedRecord = record
            observedTimeLocal = localNow
        }
        reportTransition(into: &outputs)
        let heldByOther = !record.holderIdentity.isEmpty && record.holderIdentity != config.identity
        if heldByOther && !bugs.contains(.takesOverWithoutWaiting) && isObservedLeaseValid(localNow: localNow) {
            attemptFailed(attemptStart: attemptStart, localNow: localNow, into: &outputs)
            return
        }
        var next = LeaderElectionRecord(
            holderIdentity: config.identity, leaseDurationSeconds: config.leaseDurationMs / 1_000,
            acquireTime: localNow, renewTime: localNow, leaseTransitions: record.leaseTransitions + 1)
        if recordNamesSelf {
            next.acquireTime = record.acquireTime
            next.leaseTransitions = record.leaseTransitions
        }
        var updated = lease
        next.apply(to: &updated)
        inFlight = .update(attemptStart: attemptStart, record: next)
        outputs.append(.updateLease(updated))
        armDeadlineWhileInFlight(localNow: localNow, into: &outputs)
    }

    /// The create or update succeeded; `lease` is the object as stored (its new resourceVersion).
    public mutating func writeSucceeded(_ lease: Lease, localNow: SimInstant, into outputs: inout [LeaderElectorOutput]) {
        let record: LeaderElectionRecord
        switch inFlight {
        case .create(_, let written), .update(_, let written), .optimisticUpdate(_, let written):
            record = written
        case .none, .get:
            return
        }
        guard phase != .stopped else { return }
        inFlight = .none
        if stopIfDeadlinePassed(localNow: localNow, into: &outputs) { return }
        cachedLease = lease
        observedRecord = record
        observedTimeLocal = localNow
        lastRenewLocal = localNow
        reportTransition(into: &outputs)
        switch phase {
        case .acquiring:
            outputs.append(.startedLeading)
            // renew() starts its first round at once and polls immediately.
            phase = .leading(roundStart: localNow, deadline: localNow + .milliseconds(config.renewDeadlineMs))
            nextAttemptLocal = nil
            beginAttempt(localNow: localNow, into: &outputs)
        case .leading:
            phase = .leadingBetweenRounds
            nextAttemptLocal = nil
            outputs.append(.setRetryTimer(afterMs: config.retryPeriodMs))
        case .idle, .leadingBetweenRounds, .stopped:
            preconditionFailure("a write completed outside a round")
        }
    }

    /// The create or update failed (409 Conflict or another error). A failed optimistic renewal falls
    /// back to GET then PUT within the same attempt.
    public mutating func writeFailed(_ failure: LeaseRequestFailure, localNow: SimInstant, into outputs: inout [LeaderElectorOutput]) {
        switch inFlight {
        case .create(let start, _), .update(let start, _):
            guard phase != .stopped else { return }
            inFlight = .none
            attemptFailed(attemptStart: start, localNow: localNow, into: &outputs)
        case .optimisticUpdate(let start, _):
            guard phase != .stopped else { return }
            inFlight = .none
            fallBackToSlowPath(attemptStart: start, localNow: localNow, into: &outputs)
        case .none, .get:
            return
        }
    }

    /// The GET failed with something other than 404 (5xx, 429, 403, connection error).
    public mutating func readFailed(_ failure: LeaseRequestFailure, localNow: SimInstant, into outputs: inout [LeaderElectorOutput]) {
        guard case .get(let start) = inFlight, phase != .stopped else { return }
        inFlight = .none
        attemptFailed(attemptStart: start, localNow: localNow, into: &outputs)
    }

    /// The host's client timeout expired for the request in flight (no answer): the attempt failed.
    /// While acquiring, nothing else ends a hung request (client-go's acquire context has no timeout;
    /// the REST client's own timeout does), so the host must report it.
    public mutating func requestTimedOut(localNow: SimInstant, into outputs: inout [LeaderElectorOutput]) {
        guard phase != .stopped else { return }
        switch inFlight {
        case .none: return
        case .get(let start), .create(let start, _), .update(let start, _):
            inFlight = .none
            attemptFailed(attemptStart: start, localNow: localNow, into: &outputs)
        case .optimisticUpdate(let start, _):
            inFlight = .none
            fallBackToSlowPath(attemptStart: start, localNow: localNow, into: &outputs)
        }
    }

    // MARK: - Internals

    /// client-go's `isLeaseValid`: the observed record has not stayed unchanged for its lease duration
    /// (the duration the holder wrote) on this elector's clock.
    func isObservedLeaseValid(localNow: SimInstant) -> Bool {
        guard let record = observedRecord, let observed = observedTimeLocal else { return false }
        return observed + .seconds(record.leaseDurationSeconds) > localNow
    }

    /// One `tryAcquireOrRenew`: the optimistic PUT when this elector holds a lease it still considers
    /// valid (and `optimisticRenew` is on), else GET.
    mutating func beginAttempt(localNow: SimInstant, into outputs: inout [LeaderElectorOutput]) {
        precondition(inFlight == .none, "one request at a time")
        if config.optimisticRenew, recordNamesSelf, isObservedLeaseValid(localNow: localNow), let observed = observedRecord, var lease = cachedLease {
            let record = LeaderElectionRecord(
                holderIdentity: config.identity, leaseDurationSeconds: config.leaseDurationMs / 1_000,
                acquireTime: observed.acquireTime, renewTime: localNow, leaseTransitions: observed.leaseTransitions)
            record.apply(to: &lease)
            inFlight = .optimisticUpdate(attemptStart: localNow, record: record)
            outputs.append(.updateLease(lease))
        } else {
            inFlight = .get(attemptStart: localNow)
            outputs.append(.getLease)
        }
        armDeadlineWhileInFlight(localNow: localNow, into: &outputs)
    }

    /// client-go logs "Failed to update lock optimistically, falling back to slow path" and goes on to
    /// GET in the same attempt (the renew deadline timer, if any, is already armed).
    mutating func fallBackToSlowPath(attemptStart: SimInstant, localNow: SimInstant, into outputs: inout [LeaderElectorOutput]) {
        if stopIfDeadlinePassed(localNow: localNow, into: &outputs) { return }
        inFlight = .get(attemptStart: attemptStart)
        outputs.append(.getLease)
    }

    /// While a renew request is in flight, the timer is the round's deadline (the request's context).
    mutating func armDeadlineWhileInFlight(localNow: SimInstant, into outputs: inout [LeaderElectorOutput]) {
        guard case .leading(_, let deadline) = phase, !bugs.contains(.ignoresRenewDeadline) else { return }
        armTimer(until: deadline, localNow: localNow, into: &outputs)
    }

    mutating func armTimer(until instant: SimInstant, localNow: SimInstant, into outputs: inout [LeaderElectorOutput]) {
        let remainingNs = max(0, (instant - localNow).nanoseconds)
        // Round up to whole milliseconds so the timer never fires before the instant.
        outputs.append(.setRetryTimer(afterMs: (remainingNs + 999_999) / 1_000_000))
    }

    /// An answer that arrives at or after the round's deadline is too late: client-go cancelled the
    /// request's context, so the round failed and the elector stops.
    mutating func stopIfDeadlinePassed(localNow: SimInstant, into outputs: inout [LeaderElectorOutput]) -> Bool {
        guard case .leading(_, let deadline) = phase, localNow >= deadline, !bugs.contains(.ignoresRenewDeadline) else { return false }
        stop(into: &outputs)
        return true
    }

    mutating func attemptFailed(attemptStart: SimInstant, localNow: SimInstant, into outputs: inout [LeaderElectorOutput]) {
        if stopIfDeadlinePassed(localNow: localNow, into: &outputs) { return }
        switch phase {
        case .acquiring:
            outputs.append(.setRetryTimer(afterMs: jitteredRetryMs()))
        case .leading(_, let deadline):
            // Non-sliding poll: the next attempt starts retryPeriod after this one started.
            let next = max(localNow, attemptStart + .milliseconds(config.retryPeriodMs))
            nextAttemptLocal = next
            if bugs.contains(.ignoresRenewDeadline) {
                armTimer(until: next, localNow: localNow, into: &outputs)
            } else {
                armTimer(until: min(next, deadline), localNow: localNow, into: &outputs)
            }
        case .idle, .leadingBetweenRounds, .stopped:
            preconditionFailure("an attempt failed outside a round")
        }
    }

    /// `wait.Jitter(retryPeriod, 1.2)`: uniform in [retryPeriod, retryPeriod * 2.2), whole milliseconds.
    mutating func jitteredRetryMs() -> Int64 {
        let spanMs = config.retryPeriodMs * config.jitterFactorTenths / 10
        guard spanMs > 0 else { return config.retryPeriodMs }
        return config.retryPeriodMs + random.uniform(0...(spanMs - 1))
    }

    mutating func reportTransition(into outputs: inout [LeaderElectorOutput]) {
        guard let holder = observedRecord?.holderIdentity, holder != reportedLeader else { return }
        reportedLeader = holder
        outputs.append(.newLeaderObserved(holder))
    }

    mutating func stop(into outputs: inout [LeaderElectorOutput]) {
        phase = .stopped
        inFlight = .none
        nextAttemptLocal = nil
        outputs.append(.stoppedLeading)
    }
}
