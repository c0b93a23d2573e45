import FaultlineSim

/// The four operations of the client history (`--history`, documented in README.md).
public enum ClientOperationKind: String, Sendable, Hashable, CaseIterable {
    case get, put, delete, cas
}

/// One operation a client issued against etcd, as the client saw it.
///
/// Invariants: `returned == nil` means the outcome is unknown (the request timed out: it may or may
/// not have taken effect, at any time after `called`); otherwise `called <= returned`. For `get`,
/// `value` is what was read (`""` for a missing key); for `cas`, `ok` is false when the compare failed.
public struct ClientOperation: Sendable, Hashable {
    public var client: Int
    public var kind: ClientOperationKind
    public var key: String
    public var value: String
    public var expected: String
    public var ok: Bool
    public var called: SimInstant
    public var returned: SimInstant?

    public init(client: Int, kind: ClientOperationKind, key: String, value: String, expected: String = "",
                ok: Bool, called: SimInstant, returned: SimInstant?) {
        self.client = client
        self.kind = kind
        self.key = key
        self.value = value
        self.expected = expected
        self.ok = ok
        self.called = called
        self.returned = returned
    }
}

/// How clients load etcd: closed-loop clients (one request in flight each, as Jepsen's are), each
/// picking an operation and a key from its own random stream.
public struct ClientWorkload: Sendable, Hashable {
    public var clients: Int = 5
    public var keys: Int = 10
    /// Mean think time between a response and the next request.
    public var thinkTime: SimDuration = .milliseconds(100)
    /// Relative weights of get / put / delete / cas.
    public var weightGet: Double = 0.5
    public var weightPut: Double = 0.3
    public var weightDelete: Double = 0.05
    public var weightCas: Double = 0.15
    /// clientv3's per-request context timeout as commonly configured (etcdctl's --command-timeout is 5 s).
    public var requestTimeout: SimDuration = .seconds(5)
    /// Redirects followed before giving up on one attempt (a follower names the leader it knows).
    public var maxRedirects: Int = 3
    /// Watchers: each keeps one watch stream on the client keyspace open, resuming after the last revision
    /// it saw when the stream breaks (as the apiserver's watch cache does).
    public var watchers: Int = 0
    /// The keys watchers watch: [start, end), the whole client keyspace (`k0`, `k1`, ...).
    public static let watchKeyRange = (start: "k", end: "l")
    /// Lease holders: each grants a lease, attaches a key to it, keeps it alive every TTL/3 (as clientv3
    /// does) for a while, then lets it go and starts over.
    public var leaseHolders: Int = 0
    /// The TTL lease holders grant.
    public var leaseTTLSeconds: Int64 = 10
    /// Mean time a holder keeps its lease alive before letting it expire (exponential).
    public var leaseHoldTime: SimDuration = .seconds(30)
    /// Whether watches require a leader (clientv3's `WithRequireLeader`, which the apiserver sets).
    public var watchRequireLeader: Bool = true

    public init() {}

    func drawKind(_ random: inout SimRandom) -> ClientOperationKind {
        let total = weightGet + weightPut + weightDelete + weightCas
        var roll = random.unitInterval() * total
        if roll < weightGet { return .get }
        roll -= weightGet
        if roll < weightPut { return .put }
        roll -= weightPut
        if roll < weightDelete { return .delete }
        return .cas
    }
}
