import FaultlineSim

/// The value of an etcd key: plain text (the etcd test clients' values) or a typed Kubernetes object
/// (what the apiserver stores). Objects are never serialized on the hot path; `estimatedBytes` stands
/// in for their size.
///
/// Invariant: the digest of `.text(s)` is `stableHash(s)`, so traces of text-only runs did not change
/// when values became typed.
public enum EtcdValue: Sendable, Hashable, ExpressibleByStringInterpolation, CustomStringConvertible {
    case text(String)
    case object(KubeObject)

    public init(stringLiteral value: String) { self = .text(value) }
    public init(stringInterpolation: DefaultStringInterpolation) { self = .text(String(stringInterpolation: stringInterpolation)) }

    /// The text, or "" for an object (what a string compare sees).
    public var text: String {
        switch self {
        case .text(let text): return text
        case .object: return ""
        }
    }

    public var object: KubeObject? {
        switch self {
        case .text: return nil
        case .object(let object): return object
        }
    }

    public var digest: UInt64 {
        switch self {
        case .text(let text): return stableHash(text)
        case .object(let object): return object.traceDigest
        }
    }

    public var estimatedBytes: Int {
        switch self {
        case .text(let text): return text.utf8.count
        case .object(let object): return object.estimatedBytes
        }
    }

    public var description: String {
        switch self {
        case .text(let text): return text
        case .object(let object): return "\(object.resource.kindName) \(object.metadata.namespace)/\(object.metadata.name)@\(object.metadata.resourceVersion)"
        }
    }
}
