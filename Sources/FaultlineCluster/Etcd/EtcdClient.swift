import FaultlineSim

/// One request in flight from a client-side process (a KV client or a lease holder) and how it is routed
/// when a member refuses it: the same rule for every client, as clientv3's is.
///
/// Invariant: `redirects` counts the redirects followed since the request last moved to a new endpoint.
struct PendingRequest<Request> {
    var request: Request
    /// When the request was first sent (its call time in the history).
    var called: SimInstant
    /// The member it was last sent to.
    var target: Int
    var redirects: Int = 0
    var timeout: TimerHandle

    /// A member refused the request: nothing took effect. Follows a redirect to the named leader (up to
    /// `maxRedirects` in a row) and returns that member to resend to at once; otherwise moves the client
    /// to its next endpoint and returns nil: retry there after a short back-off, within the same timeout.
    mutating func refused(redirectTo leader: Int?, endpoint: inout Int, memberCount: Int, maxRedirects: Int) -> Int? {
        if let leader, redirects < maxRedirects, leader < memberCount {
            redirects += 1
            target = leader
            return leader
        }
        endpoint = (endpoint + 1) % memberCount
        target = endpoint
        redirects = 0
        return nil
    }
}

/// A closed-loop etcd client: one request in flight at a time, like a Jepsen client.
///
/// It talks to one member (its endpoint), follows redirects to the leader a member names, moves to the
/// next endpoint when a member is unavailable or silent (as clientv3's balancer does), and gives up on
/// a request after `requestTimeout`: a timed-out write is recorded with an unknown outcome; a timed-out
/// read is dropped from the history (a read has no effect, so leaving it out loses nothing).
///
/// Invariant: at most one request outstanding; every issued write ends in the history exactly once.
struct EtcdClientState {
    typealias Outstanding = PendingRequest<EtcdClientRequest>

    let index: Int
    let host: HostID
    var endpoint: Int
    var random: SimRandom
    var counter: UInt32 = 0
    var outstanding: Outstanding?
    /// The last value this client saw for each key, and that value's `mod_revision` when known (0 when
    /// not): a cas compares the revision, as the apiserver's updates do, or the value without one.
    var lastSeen: [String]
    var lastSeenRevision: [Int64]
    /// The member that last let a request time out, avoided until `until` (`failOver`).
    var avoided: (member: Int, until: SimInstant)?

    init(index: Int, host: HostID, memberCount: Int, keys: Int, random: SimRandom) {
        self.index = index
        self.host = host
        self.endpoint = index % memberCount
        self.random = random
        self.lastSeen = Array(repeating: "", count: keys)
        self.lastSeenRevision = Array(repeating: 0, count: keys)
    }

    /// Draws the next request.
    mutating func nextRequest(workload: ClientWorkload) -> EtcdClientRequest {
        counter += 1
        let keyIndex = random.uniform(0..<workload.keys)
        var kind = workload.drawKind(&random)
        // A value compare on a key this client has never seen would only compare against "": turn it
        // into a put so that every cas tests a value somebody wrote.
        if kind == .cas && lastSeen[keyIndex].isEmpty { kind = .put }
        let value = kind == .put || kind == .cas ? "c\(index)-\(counter)" : ""
        // A cas is the apiserver's optimistic update: "put if the key is still at the revision I read".
        // The history records it with the value seen at that revision: every write writes a value of its
        // own, so "mod_revision is R" and "the value is the one written at R" hold together, and the
        // linearizability model (a register of values) decides it exactly.
        return EtcdClientRequest(
            id: UInt64(index) << 32 | UInt64(counter), client: index, kind: kind, key: "k\(keyIndex)",
            value: value, expected: kind == .cas ? lastSeen[keyIndex] : "",
            compareModRevision: kind == .cas ? lastSeenRevision[keyIndex] : 0)
    }

    /// Remembers what a completed operation revealed about its key; `modRevision` is what the member
    /// answered (0 for an operation whose outcome is unknown).
    mutating func learn(_ operation: ClientOperation, modRevision: Int64) {
        guard let keyIndex = Int(operation.key.dropFirst()), keyIndex < lastSeen.count else { return }
        switch operation.kind {
        case .get, .put:
            lastSeen[keyIndex] = operation.value
            lastSeenRevision[keyIndex] = operation.returned == nil ? 0 : modRevision
        case .delete:
            lastSeen[keyIndex] = ""
            lastSeenRevision[keyIndex] = 0
        case .cas:
            guard operation.ok else { return }
            lastSeen[keyIndex] = operation.value
            lastSeenRevision[keyIndex] = modRevision
        }
    }

    /// The request sent to `silent` timed out: like clientv3's balancer, whose picker only uses READY
    /// connections (a connection to a silent host stays unready until gRPC's 20 s minimum connect timeout
    /// gives up on it), move to the member after it and avoid it for `silentAvoidance`: neither rotation
    /// nor a redirect leads back to it before then (a follower that has not yet noticed a dead leader
    /// still names it).
    mutating func failOver(from silent: Int, memberCount: Int, now: SimInstant) {
        endpoint = (silent + 1) % memberCount
        avoided = memberCount > 1 ? (silent, now + Self.silentAvoidance) : nil
    }

    /// The member to avoid at `now`, if any (see `failOver`).
    func avoiding(at now: SimInstant) -> Int? {
        guard let avoided, now < avoided.until else { return nil }
        return avoided.member
    }

    /// How long a member that let a request time out is avoided: gRPC's minimum connect timeout.
    static let silentAvoidance = SimDuration.seconds(20)

    /// The history record of the outstanding request with the given outcome.
    func record(_ outstanding: Outstanding, value: String, ok: Bool, returned: SimInstant?) -> ClientOperation {
        let request = outstanding.request
        return ClientOperation(
            client: index, kind: request.kind, key: request.key,
            value: request.kind == .get ? value : request.value,
            expected: request.expected, ok: ok, called: outstanding.called, returned: returned)
    }
}
