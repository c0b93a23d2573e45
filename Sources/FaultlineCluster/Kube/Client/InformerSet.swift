import FaultlineSim

/// A timer an `InformerSet` asks its host to set.
public enum InformerSetTimer: Sendable, Hashable {
    case client(ApiClientTimer)
    case informer(index: Int, InformerTimer)
}

/// What an `InformerSet` asks its host to do or tells its owner.
public enum InformerSetOutput: Sendable {
    case send(ApiServerBound, to: HostID)
    case setTimer(afterMs: Int64, InformerSetTimer)
    /// Answers to the owner's own calls (`send`), as `ApiClientOutput` defines them.
    case completed(RequestTag, ApiResult)
    case failed(RequestTag, ClientFailure)
    case watchEvents(RequestTag, [ApiWatchEvent])
    case watchClosed(RequestTag, WatchCloseReason)
    /// A notification of informer `index` (its position in `informers`).
    case informer(index: Int, InformerEvent)
}

/// One process's client side (a clientset and its shared informers): one `ApiClient`, hence one
/// connection, carrying N informers' lists and watches and the owner's own calls (writes, gets).
///
/// Routing: informer calls carry tags with the top bit set (`1 << 63 | index << 32 | counter`); the
/// owner's tags must leave it clear. An answer for an informer tag other than its current one is
/// dropped.
///
/// Invariants: each informer has at most one call in flight, tagged `currentTags[index]`; outputs of
/// one input are appended in the order the client and informers produce them.
public struct InformerSet: Sendable {
    static let informerTagBit: UInt64 = 1 << 63

    public private(set) var client: ApiClient
    public private(set) var informers: [Informer]
    var currentTags: [RequestTag?]
    var tagCounters: [UInt32]

    public init(client: ApiClient, informers: [Informer]) {
        precondition(informers.count < 1 << 31, "too many informers for the tag layout")
        self.client = client
        self.informers = informers
        self.currentTags = Array(repeating: nil, count: informers.count)
        self.tagCounters = Array(repeating: 0, count: informers.count)
    }

    /// Every informer has synced (`WaitForCacheSync`).
    public var hasSynced: Bool { informers.allSatisfy(\.hasSynced) }

    // MARK: - Inputs

    /// Starts every informer's first list, in index order.
    public mutating func start(now: SimInstant, into outputs: inout [InformerSetOutput]) {
        for index in informers.indices {
            var informerOutputs: [InformerOutput] = []
            informers[index].start(now: now, into: &informerOutputs)
            apply(informerOutputs, of: index, now: now, into: &outputs)
        }
    }

    /// The owner's own call on the shared connection. - Precondition: the tag's top bit is clear.
    public mutating func send(_ request: ApiRequest, tag: RequestTag, now: SimInstant, into outputs: inout [InformerSetOutput]) {
        precondition(tag.rawValue & Self.informerTagBit == 0, "owner tags must leave the top bit clear")
        var clientOutputs: [ApiClientOutput] = []
        client.send(request, tag: tag, now: now, into: &clientOutputs)
        route(clientOutputs, now: now, into: &outputs)
    }

    public mutating func receive(_ message: ApiClientBound, now: SimInstant, into outputs: inout [InformerSetOutput]) {
        var clientOutputs: [ApiClientOutput] = []
        client.receive(message, now: now, into: &clientOutputs)
        route(clientOutputs, now: now, into: &outputs)
    }

    public mutating func timerFired(_ timer: InformerSetTimer, now: SimInstant, into outputs: inout [InformerSetOutput]) {
        switch timer {
        case .client(let clientTimer):
            var clientOutputs: [ApiClientOutput] = []
            client.timerFired(clientTimer, now: now, into: &clientOutputs)
            route(clientOutputs, now: now, into: &outputs)
        case .informer(let index, let informerTimer):
            var informerOutputs: [InformerOutput] = []
            informers[index].timerFired(informerTimer, now: now, into: &informerOutputs)
            apply(informerOutputs, of: index, now: now, into: &outputs)
        }
    }

    /// Closes the shared connection (see `ApiClient.closeConnection`).
    public mutating func closeConnection(now: SimInstant, into outputs: inout [InformerSetOutput]) {
        var clientOutputs: [ApiClientOutput] = []
        client.closeConnection(into: &clientOutputs)
        route(clientOutputs, now: now, into: &outputs)
    }

    /// The process restarted: the client and every informer forget everything; call `start` again.
    /// A new incarnation's set: request and connection ids continue after `previous`'s (see
    /// `ApiClient.continueIDs`).
    public mutating func continueIDs(after previous: InformerSet) {
        client.continueIDs(after: previous.client)
    }

    public mutating func restart() {
        client.restart()
        for index in informers.indices {
            informers[index].restart()
            currentTags[index] = nil
        }
    }

    // MARK: - Internals

    /// The informer a tag belongs to, if it is that informer's call in flight.
    func informerIndex(of tag: RequestTag) -> Int? {
        guard tag.rawValue & Self.informerTagBit != 0 else { return nil }
        let index = Int((tag.rawValue & ~Self.informerTagBit) >> 32)
        return index < informers.count && currentTags[index] == tag ? index : nil
    }

    func isInformerTag(_ tag: RequestTag) -> Bool { tag.rawValue & Self.informerTagBit != 0 }

    mutating func route(_ clientOutputs: [ApiClientOutput], now: SimInstant, into outputs: inout [InformerSetOutput]) {
        for output in clientOutputs {
            var informerOutputs: [InformerOutput] = []
            let target: Int?
            switch output {
            case .send(let message, let host):
                outputs.append(.send(message, to: host))
                continue
            case .setTimer(let afterMs, let timer):
                outputs.append(.setTimer(afterMs: afterMs, .client(timer)))
                continue
            case .completed(let tag, let result):
                target = informerIndex(of: tag)
                if let target {
                    if case .watching = result {} else { currentTags[target] = nil }
                    informers[target].requestCompleted(result, now: now, into: &informerOutputs)
                } else if !isInformerTag(tag) {
                    outputs.append(.completed(tag, result))
                }
            case .failed(let tag, let failure):
                target = informerIndex(of: tag)
                if let target {
                    currentTags[target] = nil
                    informers[target].requestFailed(failure, now: now, into: &informerOutputs)
                } else if !isInformerTag(tag) {
                    outputs.append(.failed(tag, failure))
                }
            case .watchEvents(let tag, let events):
                target = informerIndex(of: tag)
                if let target {
                    informers[target].watchEvents(events, now: now, into: &informerOutputs)
                } else if !isInformerTag(tag) {
                    outputs.append(.watchEvents(tag, events))
                }
            case .watchClosed(let tag, let reason):
                target = informerIndex(of: tag)
                if let target {
                    currentTags[target] = nil
                    informers[target].watchClosed(reason, now: now, into: &informerOutputs)
                } else if !isInformerTag(tag) {
                    outputs.append(.watchClosed(tag, reason))
                }
            }
            if let target { apply(informerOutputs, of: target, now: now, into: &outputs) }
        }
    }

    mutating func apply(_ informerOutputs: [InformerOutput], of index: Int, now: SimInstant, into outputs: inout [InformerSetOutput]) {
        for output in informerOutputs {
            switch output {
            case .request(let request):
                tagCounters[index] &+= 1
                let tag = RequestTag(Self.informerTagBit | UInt64(index) << 32 | UInt64(tagCounters[index]))
                currentTags[index] = tag
                var clientOutputs: [ApiClientOutput] = []
                client.send(request, tag: tag, now: now, into: &clientOutputs)
                route(clientOutputs, now: now, into: &outputs)
            case .setTimer(let afterMs, let timer):
                outputs.append(.setTimer(afterMs: afterMs, .informer(index: index, timer)))
            case .event(let event):
                outputs.append(.informer(index: index, event))
            }
        }
    }
}
