import FaultlineCluster
import FaultlineSim

/// The Kubernetes objects as etcd committed them: the truth that checkers compare components with.
/// Fed with every member's applied entries and restarts, it applies each log index once (the first
/// member to apply it) to a shadow store, so it follows the committed history exactly, whatever
/// member applies first.
///
/// Invariant: `appliedIndex` only grows; `store` is the state after applying entries 1...appliedIndex.
struct CommittedObjects {
    private(set) var appliedIndex: UInt64 = 0
    private(set) var store = MVCCStore()

    /// One committed change of an object: before (nil when created) and after (nil when deleted).
    struct Change {
        let key: String
        let before: KubeObject?
        let after: KubeObject?
    }

    /// Feeds an observation; appends the object changes it committed.
    mutating func observe(_ observation: Observation, into changes: inout [Change]) {
        guard case .etcd(let etcd) = observation else { return }
        switch etcd {
        case .ready(_, let ready):
            for entry in ready.committedEntries where entry.index > appliedIndex {
                appliedIndex = entry.index
                if let command = entry.command { apply(command, into: &changes) }
            }
        case .started(_, let durable):
            // A member that replays its log on restart may hold committed entries nobody applied
            // through a Ready (every member crashed before applying them).
            for entry in durable.entries where entry.index > appliedIndex && entry.index <= durable.hardState.commit {
                appliedIndex = entry.index
                if let command = entry.command { apply(command, into: &changes) }
            }
        case .raftSent, .operation, .watch, .lease:
            break
        }
    }

    /// The registry keys a command may write.
    static func keys(of command: EtcdRequest) -> [String] {
        switch command {
        case .put(let key, _, _): return key.hasPrefix("/registry/") ? [key] : []
        case .deleteRange(let key, nil): return key.hasPrefix("/registry/") ? [key] : []
        case .txn(let txn):
            return (txn.success + txn.failure).compactMap { op in
                switch op {
                case .put(let key, _), .delete(let key): return key.hasPrefix("/registry/") ? key : nil
                case .get: return nil
                }
            }
        case .deleteRange, .compact, .leaseGrant, .leaseRevoke: return []
        }
    }

    mutating func apply(_ command: EtcdRequest, into changes: inout [Change]) {
        let keys = Self.keys(of: command)
        let before = keys.map { store.get($0)?.value.object }
        _ = store.apply(command)
        for (key, old) in zip(keys, before) {
            let new = store.get(key)?.value.object
            if old != new { changes.append(Change(key: key, before: old, after: new)) }
        }
    }
}
