import FaultlineSim

/// A comparison operator of an etcd transaction compare.
public enum CompareOperator: String, Sendable, Hashable {
    case equal, notEqual, less, greater

    func holds<T: Comparable>(_ lhs: T, _ rhs: T) -> Bool {
        switch self {
        case .equal: return lhs == rhs
        case .notEqual: return lhs != rhs
        case .less: return lhs < rhs
        case .greater: return lhs > rhs
        }
    }
}

/// One compare of a transaction (etcd's `Compare`): the apiserver's optimistic concurrency rests on
/// `modRevision` compares.
public enum Compare: Sendable, Hashable {
    case value(key: String, CompareOperator, String)
    case modRevision(key: String, CompareOperator, Int64)
    case createRevision(key: String, CompareOperator, Int64)
    case version(key: String, CompareOperator, Int64)
}

/// One operation inside a transaction branch.
public enum TxnOp: Sendable, Hashable {
    case put(key: String, value: EtcdValue)
    case delete(key: String)
    case get(key: String)
}

/// An etcd transaction: if every compare holds, run `success`, else `failure`.
public struct Txn: Sendable, Hashable {
    public var compare: [Compare]
    public var success: [TxnOp]
    public var failure: [TxnOp]
    public init(compare: [Compare], success: [TxnOp], failure: [TxnOp]) {
        self.compare = compare
        self.success = success
        self.failure = failure
    }
}

/// A command carried by the Raft log and applied to every member's MVCC store, in log order.
public enum EtcdRequest: RaftCommand {
    public typealias SnapshotState = MVCCStore

    /// Puts `key`; attaches it to `lease` when non-zero (the lease must exist).
    case put(key: String, value: EtcdValue, lease: Int64 = 0)
    /// Deletes `key`, or the range [key, end) when `end` is given.
    case deleteRange(key: String, end: String?)
    case txn(Txn)
    case compact(revision: Int64)
    case leaseGrant(id: Int64, ttlSeconds: Int64)
    case leaseRevoke(id: Int64)

    public var traceDigest: UInt64 {
        switch self {
        case .put(let key, let value, let lease):
            return mixHash(mixHash(1, stableHash(key)), value.digest ^ UInt64(bitPattern: lease))
        case .deleteRange(let key, let end):
            return mixHash(mixHash(2, stableHash(key)), stableHash(end ?? ""))
        case .txn(let txn):
            var hash: UInt64 = 3
            for compare in txn.compare {
                switch compare {
                case .value(let key, let op, let value): hash = mixHash(hash, stableHash(key + op.rawValue + value))
                case .modRevision(let key, let op, let revision): hash = mixHash(hash, stableHash(key + op.rawValue) ^ UInt64(bitPattern: revision))
                case .createRevision(let key, let op, let revision): hash = mixHash(hash, stableHash("c" + key + op.rawValue) ^ UInt64(bitPattern: revision))
                case .version(let key, let op, let version): hash = mixHash(hash, stableHash("v" + key + op.rawValue) ^ UInt64(bitPattern: version))
                }
            }
            for (branch, ops) in [(UInt64(5), txn.success), (UInt64(6), txn.failure)] {
                for op in ops {
                    switch op {
                    case .put(let key, let value): hash = mixHash(hash, branch ^ stableHash(key) ^ value.digest << 1)
                    case .delete(let key): hash = mixHash(hash, branch ^ stableHash("d" + key))
                    case .get(let key): hash = mixHash(hash, branch ^ stableHash("g" + key))
                    }
                }
            }
            return hash
        case .compact(let revision):
            return mixHash(4, UInt64(bitPattern: revision))
        case .leaseGrant(let id, let ttl):
            return mixHash(mixHash(7, UInt64(bitPattern: id)), UInt64(bitPattern: ttl))
        case .leaseRevoke(let id):
            return mixHash(8, UInt64(bitPattern: id))
        }
    }
}

/// Why a request failed.
public enum MVCCError: String, Error, Sendable, Hashable {
    /// The requested revision was compacted away (etcd's ErrCompacted).
    case compacted
    /// The requested revision is beyond the current one (etcd's ErrFutureRev).
    case futureRevision
    case leaseNotFound
    /// A grant of a lease id that exists (etcd's ErrLeaseExists).
    case leaseExists
}

/// The answer of the store to one request.
public struct EtcdResponse: Sendable, Hashable {
    /// The store's revision after the request.
    public var revision: Int64
    /// For a txn: whether the compares held. True for everything else that did not fail.
    public var succeeded: Bool
    /// Key-values read by `get` operations of a txn.
    public var kvs: [KeyValue]
    public var deleted: Int
    public var error: MVCCError?
}
