import FaultlineSim

/// A KV request from an apiserver to its etcd member (etcd's KV service: Range, Txn, Compact).
///
/// Invariant: `id` has its top bit set (`KVRequest.idBit`), so it never collides with a test client's
/// request id in a member's read-index table.
public struct KVRequest: Sendable, Hashable {
    public static let idBit: UInt64 = 1 << 63

    public enum Operation: Sendable, Hashable {
        /// Keys in [key, end) (just `key` when `end` is nil). `serializable` reads the member's own
        /// store without a read index (clientv3's `WithSerializable`); otherwise linearizable.
        case range(key: String, end: String?, serializable: Bool)
        case txn(Txn)
        /// Compacts the history below `revision` (the apiserver's periodic compaction).
        case compact(revision: Int64)
    }

    public var id: UInt64
    public var operation: Operation

    public init(id: UInt64, operation: Operation) {
        precondition(id & Self.idBit != 0, "KV request ids carry the KV bit")
        self.id = id
        self.operation = operation
    }

    var traceDigest: UInt64 {
        switch operation {
        case .range(let key, let end, let serializable):
            return mixHash(mixHash(0x51, id), stableHash(key) ^ stableHash(end ?? "") &* 3 ^ (serializable ? 1 : 0))
        case .txn(let txn):
            return mixHash(mixHash(0x52, id), EtcdRequest.txn(txn).traceDigest)
        case .compact(let revision):
            return mixHash(mixHash(0x53, id), UInt64(bitPattern: revision))
        }
    }
}

/// A member's answer to a KV request.
public enum KVResult: Sendable, Hashable {
    /// Done: the store's response (revision, whether a txn's compares held, the key-values read).
    case ok(EtcdResponse)
    /// Nothing took effect (no leader, leadership lost before a read was confirmed, proposal dropped or
    /// overwritten): the client may retry.
    case unavailable(reason: String)

    var traceDigest: UInt64 {
        switch self {
        case .ok(let response):
            return response.kvs.reduce(mixHash(0x61, UInt64(bitPattern: response.revision) ^ (response.succeeded ? 1 : 0))) {
                mixHash($0, stableHash($1.key) ^ $1.value.digest ^ UInt64(bitPattern: $1.modRevision))
            }
        case .unavailable(let reason): return mixHash(0x62, stableHash(reason))
        }
    }
}

/// A KV request in a member's tables, with who gets the answer.
struct PendingKV {
    let request: KVRequest
    let replyTo: HostID
    let term: UInt64
}

extension EtcdMember {
    /// A KV request arrived from `replyTo` (directly, or forwarded by a follower). The leader serves
    /// it; a follower forwards it to the leader it knows, as etcd forwards proposals and read-index
    /// requests; with no known leader it is unavailable.
    mutating func receiveKV(_ request: KVRequest, replyTo: HostID, into output: inout MemberOutput) {
        if case .range(let key, let end, true) = request.operation {
            output.kvAnswers.append(.init(client: replyTo, requestID: request.id, result: Self.read(store, key, end)))
            return
        }
        guard node.isLeader else {
            if let leader = leaderHint, leader != index {
                output.kvForwards.append((leader, request, replyTo))
            } else {
                output.kvAnswers.append(.init(client: replyTo, requestID: request.id, result: .unavailable(reason: "no leader")))
            }
            return
        }
        switch request.operation {
        case .range:
            pendingKVReads[request.id] = PendingKV(request: request, replyTo: replyTo, term: node.term)
            node.readIndex(requestID: request.id)
        case .txn(let txn):
            propose(.txn(txn), request, replyTo, into: &output)
        case .compact(let revision):
            propose(.compact(revision: revision), request, replyTo, into: &output)
        }
    }

    mutating func propose(_ command: EtcdRequest, _ request: KVRequest, _ replyTo: HostID, into output: inout MemberOutput) {
        switch node.propose(command) {
        case .accepted(let index, let term):
            pendingKVProposals[index] = PendingKV(request: request, replyTo: replyTo, term: term)
        case .dropped:
            output.kvAnswers.append(.init(client: replyTo, requestID: request.id, result: .unavailable(reason: "proposal dropped")))
        }
    }

    /// Answers confirmed KV reads whose read index has been applied.
    mutating func serveKVReads(into output: inout MemberOutput) {
        guard !kvReadsWaitingApply.isEmpty else { return }
        var waiting: [(index: UInt64, read: PendingKV)] = []
        for item in kvReadsWaitingApply {
            guard item.index <= appliedIndex else {
                waiting.append(item)
                continue
            }
            guard case .range(let key, let end, _) = item.read.request.operation else { preconditionFailure("only ranges wait for a read index") }
            output.kvAnswers.append(.init(client: item.read.replyTo, requestID: item.read.request.id, result: Self.read(store, key, end)))
        }
        kvReadsWaitingApply = waiting
    }

    static func read(_ store: MVCCStore, _ key: String, _ end: String?) -> KVResult {
        do {
            let kvs = try store.range(key, end: end)
            return .ok(EtcdResponse(revision: store.revision, succeeded: true, kvs: kvs, deleted: 0, error: nil))
        } catch {
            return .ok(EtcdResponse(revision: store.revision, succeeded: false, kvs: [], deleted: 0, error: error))
        }
    }
}
