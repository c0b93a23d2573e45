import FaultlineSim

/// What reaches a kube-apiserver: HTTP requests on client connections (directly from a co-located
/// process, or relayed by the load balancer), health checks, and connection closes.
///
/// Connections are identified by a per-run unique id the client picks (its host index in the high 32
/// bits); a watch lives on its connection and ends with it.
public enum ApiServerBound: Sendable, CustomStringConvertible {
    case request(connection: UInt64, ApiRequest)
    /// A health check from the load balancer: `GET /readyz`, `GET /healthz`, or a bare TCP connect.
    case probe(probeID: UInt64, HealthCheckMode)
    /// The client closed the connection: its watches end, late answers are dropped.
    case close(connection: UInt64)
    /// An HTTP/2 PING frame: the client's connection health check (answered with `.pong`).
    case ping(connection: UInt64)

    public var traceDigest: UInt64 {
        switch self {
        case .request(let connection, let request): return mixHash(mixHash(0x101, connection), request.traceDigest)
        case .probe(let id, let mode): return mixHash(mixHash(0x102, id), stableHash(mode.path ?? "tcp"))
        case .close(let connection): return mixHash(0x103, connection)
        case .ping(let connection): return mixHash(0x104, connection)
        }
    }

    public var description: String {
        switch self {
        case .request(let connection, let request):
            return "api \(request.verb.rawValue) \(request.resource.rawValue)\(request.subresource.map { "/\($0.rawValue)" } ?? "") \(request.namespace)/\(request.name) #\(request.id & 0xffff_ffff) conn \(connection & 0xffff_ffff)"
        case .probe(let id, let mode): return "probe #\(id) \(mode.path ?? "tcp")"
        case .close(let connection): return "close conn \(connection & 0xffff_ffff)"
        case .ping(let connection): return "ping conn \(connection & 0xffff_ffff)"
        }
    }
}

/// What a kube-apiserver (or the load balancer on its behalf) sends back to a client.
public enum ApiClientBound: Sendable, CustomStringConvertible {
    case response(connection: UInt64, requestID: UInt64, ApiResult)
    /// Events on watch `requestID`. `sequence` numbers a stream's messages from 0, as TCP would: a
    /// stream is reliable and ordered or it breaks; a client that sees a gap treats it as broken.
    case watchEvents(connection: UInt64, requestID: UInt64, sequence: UInt32, [ApiWatchEvent])
    /// The server ended watch `requestID` (410 Gone, etcd lost, shutdown).
    case watchEnded(connection: UInt64, requestID: UInt64, sequence: UInt32, ApiStatus)
    /// The answer to a health check.
    case probeResult(probeID: UInt64, healthy: Bool)
    /// The connection was reset or refused (the load balancer had no backend, or the backend is gone):
    /// everything pending on it fails.
    case reset(connection: UInt64)
    /// The answer to a `.ping` (an HTTP/2 PING ack).
    case pong(connection: UInt64)

    public var connection: UInt64? {
        switch self {
        case .response(let connection, _, _), .watchEvents(let connection, _, _, _), .watchEnded(let connection, _, _, _),
             .reset(let connection), .pong(let connection):
            return connection
        case .probeResult: return nil
        }
    }

    public var traceDigest: UInt64 {
        switch self {
        case .response(let connection, let id, let result): return mixHash(mixHash(mixHash(0x111, connection), id), result.traceDigest)
        case .watchEvents(let connection, let id, let sequence, let events):
            return events.reduce(mixHash(mixHash(mixHash(0x112, connection), id), UInt64(sequence))) { mixHash($0, $1.traceDigest) }
        case .watchEnded(let connection, let id, let sequence, let status):
            return mixHash(mixHash(mixHash(mixHash(0x113, connection), id), UInt64(sequence)), UInt64(status.code.rawValue))
        case .probeResult(let id, let healthy): return mixHash(mixHash(0x114, id), healthy ? 1 : 0)
        case .reset(let connection): return mixHash(0x115, connection)
        case .pong(let connection): return mixHash(0x116, connection)
        }
    }

    public var description: String {
        switch self {
        case .response(_, let id, let result):
            switch result {
            case .object(let object): return "api-response #\(id & 0xffff_ffff) \(object.resource.kindName) \(object.metadata.name)@\(object.metadata.resourceVersion)"
            case .list(let objects, let revision): return "api-response #\(id & 0xffff_ffff) list of \(objects.count) at \(revision)"
            case .watching: return "api-response #\(id & 0xffff_ffff) watching"
            case .failure(let status): return "api-response #\(id & 0xffff_ffff) \(status)"
            }
        case .watchEvents(_, let id, let sequence, let events): return "watch #\(id & 0xffff_ffff) seq \(sequence): \(events.count) events"
        case .watchEnded(_, let id, _, let status): return "watch #\(id & 0xffff_ffff) ended: \(status)"
        case .probeResult(let id, let healthy): return "probe #\(id) \(healthy ? "ok" : "failed")"
        case .reset(let connection): return "reset conn \(connection & 0xffff_ffff)"
        case .pong(let connection): return "pong conn \(connection & 0xffff_ffff)"
        }
    }
}
