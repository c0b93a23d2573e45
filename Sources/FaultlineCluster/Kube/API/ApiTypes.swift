import FaultlineSim

/// An API verb (the RBAC verb names).
public enum ApiVerb: String, Sendable, Hashable, CaseIterable {
    case get, list, watch, create, update, delete
}

/// A subresource a request addresses.
public enum ApiSubresource: String, Sendable, Hashable {
    /// `pods/binding`: sets `spec.nodeName` once (the scheduler's bind).
    case binding
    /// `<resource>/status`: changes status only.
    case status
}

/// How a get or list may be served (the `resourceVersion` query parameter).
public enum ReadConsistency: Sendable, Hashable {
    /// `resourceVersion=""`: consistent, at least as new as etcd's latest revision (a quorum read).
    case consistent
    /// `resourceVersion="0"`: anything the apiserver's watch cache has, however stale (kubernetes
    /// issue 59848: a lagging cache serves old state).
    case any
}

/// Who sends a request (the authenticated user; the model trusts client certificates).
public struct ApiUser: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var groups: [String]

    public init(name: String, groups: [String] = []) {
        self.name = name
        self.groups = groups
    }

    public static let admin = ApiUser(name: "kubernetes-admin", groups: ["system:masters"])
    public static let scheduler = ApiUser(name: "system:kube-scheduler")
    public static let controllerManager = ApiUser(name: "system:kube-controller-manager")
    public static func node(_ name: String) -> ApiUser { ApiUser(name: "system:node:\(name)", groups: ["system:nodes"]) }
    public static let anonymous = ApiUser(name: "system:anonymous", groups: ["system:unauthenticated"])

    public var description: String { name }
}

/// A request to a kube-apiserver.
///
/// Invariant: `id` is unique per run (the sending process's host index in the high 32 bits).
public struct ApiRequest: Sendable, Hashable {
    public var id: UInt64
    public var user: ApiUser
    public var verb: ApiVerb
    public var resource: ResourceKind
    public var subresource: ApiSubresource?
    public var namespace: String
    /// Empty for list and watch.
    public var name: String
    /// The body of create and update; for `pods/binding`, the pod with `spec.nodeName` set to the target.
    public var object: KubeObject?
    /// get / list: how fresh the answer must be.
    public var consistency: ReadConsistency = .consistent
    /// watch: the resourceVersion to start after (0: from now, after a list). delete: the
    /// `preconditions.resourceVersion` (0: none).
    public var resourceVersion: Int64 = 0
    /// list / watch: `labelSelector` (matchLabels form).
    public var labelSelector = StringPairs()
    /// list / watch: `fieldSelector=spec.nodeName=<name>` (kubelets watch only their pods).
    public var nodeNameSelector: String?
    /// delete: `DeleteOptions.gracePeriodSeconds` (nil: the object's default; 0: delete at once, as
    /// the kubelet does once a pod's containers are gone, or `kubectl delete --grace-period=0 --force`).
    public var gracePeriodSeconds: Int64?

    public init(id: UInt64, user: ApiUser, verb: ApiVerb, resource: ResourceKind, namespace: String = "", name: String = "") {
        self.id = id
        self.user = user
        self.verb = verb
        self.resource = resource
        self.namespace = namespace
        self.name = name
    }

    /// True when `object` matches this list or watch request's selectors.
    public func selects(_ object: KubeObject) -> Bool {
        let meta = object.metadata
        if resource.isNamespaced && !namespace.isEmpty && meta.namespace != namespace { return false }
        if !meta.labels.matches(labelSelector) { return false }
        if let nodeName = nodeNameSelector {
            guard case .pod(let pod) = object, pod.spec.nodeName == nodeName else { return false }
        }
        return true
    }

    public var traceDigest: UInt64 {
        var hash = mixHash(mixHash(0xa1, id), stableHash(verb.rawValue) ^ stableHash(resource.rawValue) &* 3)
        hash = mixHash(hash, stableHash(namespace) ^ stableHash(name) &* 7 ^ UInt64(bitPattern: resourceVersion))
        if let object { hash = mixHash(hash, object.traceDigest) }
        return hash
    }
}

/// An HTTP status the apiserver answers with (`metav1.Status`).
public enum ApiStatusCode: Int, Sendable, Hashable {
    case ok = 200
    case created = 201
    case badRequest = 400
    case unauthorized = 401
    case forbidden = 403
    case notFound = 404
    case conflict = 409
    case gone = 410
    case unprocessableEntity = 422
    case tooManyRequests = 429
    case internalServerError = 500
    case serviceUnavailable = 503
    case gatewayTimeout = 504

    /// True for 5xx and 429: the request may be retried (client-go retries these).
    public var isRetryable: Bool {
        switch self {
        case .tooManyRequests, .internalServerError, .serviceUnavailable, .gatewayTimeout: return true
        case .ok, .created, .badRequest, .unauthorized, .forbidden, .notFound, .conflict, .gone, .unprocessableEntity: return false
        }
    }
}

/// A failure answer: the code, a machine reason (`AlreadyExists`, `Conflict`) and a message; for 422,
/// the field path that failed validation.
public struct ApiStatus: Sendable, Hashable, Error, CustomStringConvertible {
    public var code: ApiStatusCode
    public var reason: String
    public var message: String
    public var field: String?

    public init(_ code: ApiStatusCode, reason: String, message: String, field: String? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.field = field
    }

    public var description: String { "\(code.rawValue) \(reason): \(message)" }
}

/// The apiserver's answer to one request.
public enum ApiResult: Sendable, Hashable {
    /// get, create, update, delete, bind: the object as stored (for delete: as it was).
    case object(KubeObject)
    /// list: the matching objects, sorted by key, and the revision they were read at.
    case list([KubeObject], resourceVersion: Int64)
    /// watch: the stream is open; events follow on it.
    case watching
    case failure(ApiStatus)

    public var traceDigest: UInt64 {
        switch self {
        case .object(let object): return mixHash(0xb1, object.traceDigest)
        case .list(let objects, let revision):
            return objects.reduce(mixHash(0xb2, UInt64(bitPattern: revision))) { mixHash($0, $1.traceDigest) }
        case .watching: return 0xb3
        case .failure(let status): return mixHash(0xb4, UInt64(status.code.rawValue) ^ stableHash(status.reason))
        }
    }
}

/// One event on an apiserver watch stream.
public enum ApiWatchEvent: Sendable, Hashable {
    case added(KubeObject)
    case modified(KubeObject)
    case deleted(KubeObject)
    /// A progress marker: every change up to `resourceVersion` was sent.
    case bookmark(resourceVersion: Int64)

    public var resourceVersion: Int64 {
        switch self {
        case .added(let object), .modified(let object), .deleted(let object): return object.metadata.resourceVersion
        case .bookmark(let revision): return revision
        }
    }

    public var traceDigest: UInt64 {
        switch self {
        case .added(let object): return mixHash(0xc1, object.traceDigest)
        case .modified(let object): return mixHash(0xc2, object.traceDigest)
        case .deleted(let object): return mixHash(0xc3, object.traceDigest)
        case .bookmark(let revision): return mixHash(0xc4, UInt64(bitPattern: revision))
        }
    }
}
