import FaultlineSim
import Testing
@testable import FaultlineCluster

private let clientHost = HostID(index: 3)
private let balancer = HostID(index: 9)
private let now = SimInstant.start

private func pod(_ name: String, rv: Int64) -> KubeObject {
    var meta = ObjectMeta(name: name, namespace: "default")
    meta.resourceVersion = rv
    return .pod(Pod(metadata: meta, spec: PodSpec(containers: [Container(name: "app", image: "nginx")])))
}

private func getPod(_ name: String) -> ApiRequest {
    ApiRequest(id: 0, user: .admin, verb: .get, resource: .pods, namespace: "default", name: name)
}

private func putPod(_ name: String) -> ApiRequest {
    var request = ApiRequest(id: 0, user: .admin, verb: .update, resource: .pods, namespace: "default", name: name)
    request.object = pod(name, rv: 5)
    return request
}

/// The requests put on the wire, as (connection, request).
private func sentRequests(_ outputs: [ApiClientOutput]) -> [(connection: UInt64, request: ApiRequest)] {
    outputs.compactMap {
        if case .send(.request(let connection, let request), let host) = $0, host == balancer { return (connection, request) }
        return nil
    }
}

private func closes(_ outputs: [ApiClientOutput]) -> [UInt64] {
    outputs.compactMap {
        if case .send(.close(let connection), _) = $0 { return connection }
        return nil
    }
}

private func timers(_ outputs: [ApiClientOutput]) -> [(afterMs: Int64, timer: ApiClientTimer)] {
    outputs.compactMap {
        if case .setTimer(let afterMs, let timer) = $0 { return (afterMs, timer) }
        return nil
    }
}

private func failures(_ outputs: [ApiClientOutput]) -> [(RequestTag, ClientFailure)] {
    outputs.compactMap {
        if case .failed(let tag, let failure) = $0 { return (tag, failure) }
        return nil
    }
}

private func completions(_ outputs: [ApiClientOutput]) -> [(RequestTag, ApiResult)] {
    outputs.compactMap {
        if case .completed(let tag, let result) = $0 { return (tag, result) }
        return nil
    }
}

private func watchCloses(_ outputs: [ApiClientOutput]) -> [(RequestTag, WatchCloseReason)] {
    outputs.compactMap {
        if case .watchClosed(let tag, let reason) = $0 { return (tag, reason) }
        return nil
    }
}

@Test func idsCarryTheHostIndexAndTheDeadlineIsArmed() {
    var client = ApiClient(host: clientHost, endpoint: balancer)
    var out: [ApiClientOutput] = []
    client.send(getPod("a"), tag: RequestTag(1), now: now, into: &out)
    let sent = sentRequests(out)
    #expect(sent.count == 1)
    #expect(sent[0].connection == 3 << 32 | 1)
    #expect(sent[0].request.id == 3 << 32 | 1)
    // The call's deadline, and the new connection's read-idle health check.
    #expect(timers(out).map(\.afterMs) == [10_000, 30_000])
    #expect(timers(out).map(\.timer) == [.deadline(call: sent[0].request.id), .idleCheck(connection: sent[0].connection)])
}

@Test func aTimedOutRequestFailsAndTheNextRequestUsesANewConnection() {
    var client = ApiClient(host: clientHost, endpoint: balancer)
    var out: [ApiClientOutput] = []
    client.send(getPod("a"), tag: RequestTag(1), now: now, into: &out)
    let first = sentRequests(out)[0]
    out.removeAll()
    client.timerFired(.deadline(call: first.request.id), now: now + .seconds(10), into: &out)
    #expect(failures(out).map(\.0) == [RequestTag(1)])
    #expect(failures(out).map(\.1) == [.timedOut])
    #expect(closes(out) == [first.connection], "the dead connection is closed")
    #expect(client.connectionID == nil)
    // A late answer on the abandoned connection is dropped.
    out.removeAll()
    client.receive(.response(connection: first.connection, requestID: first.request.id, .object(pod("a", rv: 2))), now: now + .seconds(11), into: &out)
    #expect(out.isEmpty)

    client.send(getPod("b"), tag: RequestTag(2), now: now + .seconds(11), into: &out)
    let second = sentRequests(out)[0]
    #expect(second.connection == 3 << 32 | 2, "a new connection id, so the load balancer picks a backend again")
    #expect(second.request.id != first.request.id)
}

@Test func aTimeoutTakesOtherCallsOnTheConnectionWithIt() {
    var client = ApiClient(host: clientHost, endpoint: balancer)
    var out: [ApiClientOutput] = []
    client.send(getPod("a"), tag: RequestTag(1), now: now, into: &out)
    client.send(getPod("b"), tag: RequestTag(2), now: now + .seconds(1), into: &out)
    client.send(putPod("c"), tag: RequestTag(3), now: now + .seconds(1), into: &out)
    let first = sentRequests(out)[0]
    out.removeAll()
    client.timerFired(.deadline(call: first.request.id), now: now + .seconds(10), into: &out)
    #expect(failures(out).map(\.0) == [RequestTag(1), RequestTag(3)], "the write on the dead connection fails")
    #expect(failures(out).map(\.1) == [.timedOut, .connectionReset])
    let retries = timers(out)
    #expect(retries.count == 1, "the read is retried")
    out.removeAll()
    client.timerFired(retries[0].timer, now: now + .seconds(11), into: &out)
    #expect(sentRequests(out).map(\.connection) == [3 << 32 | 2])
}

@Test func a503GetIsRetriedAfterOneSecond() {
    var client = ApiClient(host: clientHost, endpoint: balancer)
    var out: [ApiClientOutput] = []
    client.send(getPod("a"), tag: RequestTag(7), now: now, into: &out)
    let first = sentRequests(out)[0]
    out.removeAll()
    let unavailable = ApiStatus(.serviceUnavailable, reason: "ServiceUnavailable", message: "etcd lost")
    client.receive(.response(connection: first.connection, requestID: first.request.id, .failure(unavailable)), now: now, into: &out)
    #expect(failures(out).isEmpty)
    #expect(timers(out).map(\.afterMs) == [1_000])
    let retry = timers(out)[0].timer
    out.removeAll()
    client.timerFired(retry, now: now + .seconds(1), into: &out)
    let second = sentRequests(out)
    #expect(second.count == 1)
    #expect(second[0].connection == first.connection, "a status answer leaves the connection alive")
    #expect(second[0].request.id != first.request.id, "every attempt has its own request id")
    #expect(second[0].request.verb == .get && second[0].request.name == "a")
    out.removeAll()
    client.receive(.response(connection: first.connection, requestID: second[0].request.id, .object(pod("a", rv: 4))), now: now + .seconds(1), into: &out)
    #expect(completions(out).map(\.0) == [RequestTag(7)])
    #expect(client.callsInFlight == 0)
}

@Test func a409PutIsNotRetried() {
    var client = ApiClient(host: clientHost, endpoint: balancer)
    var out: [ApiClientOutput] = []
    client.send(putPod("a"), tag: RequestTag(1), now: now, into: &out)
    let sent = sentRequests(out)[0]
    out.removeAll()
    let conflict = ApiStatus(.conflict, reason: "Conflict", message: "the object has been modified")
    client.receive(.response(connection: sent.connection, requestID: sent.request.id, .failure(conflict)), now: now, into: &out)
    #expect(failures(out).map(\.1) == [.status(conflict)])
    #expect(timers(out).isEmpty)
}

@Test func a503PutIsNotRetriedByDefault() {
    var client = ApiClient(host: clientHost, endpoint: balancer)
    var out: [ApiClientOutput] = []
    client.send(putPod("a"), tag: RequestTag(1), now: now, into: &out)
    let sent = sentRequests(out)[0]
    out.removeAll()
    let unavailable = ApiStatus(.serviceUnavailable, reason: "ServiceUnavailable", message: "")
    client.receive(.response(connection: sent.connection, requestID: sent.request.id, .failure(unavailable)), now: now, into: &out)
    #expect(failures(out).map(\.1) == [.status(unavailable)])
}

@Test func retriesStopAfterMaxRetries() {
    var config = ApiClientConfig()
    config.maxRetries = 2
    var client = ApiClient(host: clientHost, endpoint: balancer, config: config)
    var out: [ApiClientOutput] = []
    client.send(getPod("a"), tag: RequestTag(1), now: now, into: &out)
    let busy = ApiStatus(.tooManyRequests, reason: "TooManyRequests", message: "")
    for attempt in 0...2 {
        let sent = sentRequests(out).last!
        out.removeAll()
        client.receive(.response(connection: sent.connection, requestID: sent.request.id, .failure(busy)), now: now, into: &out)
        if attempt < 2 {
            let retry = timers(out)[0].timer
            client.timerFired(retry, now: now, into: &out)
        }
    }
    #expect(failures(out).map(\.1) == [.status(busy)])
    #expect(client.callsInFlight == 0)
}

@Test func aResetRetriesReadsFailsWritesAndSendsNoClose() {
    var client = ApiClient(host: clientHost, endpoint: balancer)
    var out: [ApiClientOutput] = []
    client.send(getPod("a"), tag: RequestTag(1), now: now, into: &out)
    client.send(putPod("b"), tag: RequestTag(2), now: now, into: &out)
    let connection = sentRequests(out)[0].connection
    out.removeAll()
    client.receive(.reset(connection: connection), now: now, into: &out)
    #expect(failures(out).map(\.0) == [RequestTag(2)])
    #expect(failures(out).map(\.1) == [.connectionReset])
    #expect(closes(out).isEmpty)
    #expect(timers(out).count == 1)
    let retry = timers(out)[0].timer
    out.removeAll()
    client.timerFired(retry, now: now + .seconds(1), into: &out)
    #expect(sentRequests(out).map(\.connection) == [3 << 32 | 2])
}

@Test func watchStreamsCheckSequenceNumbers() {
    var client = ApiClient(host: clientHost, endpoint: balancer)
    var out: [ApiClientOutput] = []
    var watch = ApiRequest(id: 0, user: .admin, verb: .watch, resource: .pods)
    watch.resourceVersion = 10
    client.send(watch, tag: RequestTag(5), now: now, into: &out)
    let sent = sentRequests(out)[0]
    #expect(sent.request.resourceVersion == 10)
    out.removeAll()
    client.receive(.response(connection: sent.connection, requestID: sent.request.id, .watching), now: now, into: &out)
    #expect(completions(out).map(\.1) == [.watching])
    // The watch outlives the request timeout.
    out.removeAll()
    client.timerFired(.deadline(call: sent.request.id), now: now + .seconds(10), into: &out)
    #expect(out.isEmpty)
    client.receive(.watchEvents(connection: sent.connection, requestID: sent.request.id, sequence: 0, [.added(pod("a", rv: 11))]), now: now, into: &out)
    client.receive(.watchEvents(connection: sent.connection, requestID: sent.request.id, sequence: 1, [.modified(pod("a", rv: 12))]), now: now, into: &out)
    client.receive(.watchEvents(connection: sent.connection, requestID: sent.request.id, sequence: 1, [.modified(pod("a", rv: 12))]), now: now, into: &out)
    let delivered: [[ApiWatchEvent]] = out.compactMap {
        if case .watchEvents(_, let events) = $0 { return events }
        return nil
    }
    #expect(delivered == [[.added(pod("a", rv: 11))], [.modified(pod("a", rv: 12))]], "the duplicate is dropped")
    out.removeAll()
    client.receive(.watchEvents(connection: sent.connection, requestID: sent.request.id, sequence: 3, [.deleted(pod("a", rv: 14))]), now: now, into: &out)
    #expect(watchCloses(out).map(\.1) == [.streamBroken])
    #expect(closes(out) == [sent.connection], "a gap breaks the connection")
    #expect(client.callsInFlight == 0)
}

@Test func watchEndedClosesTheWatchWithItsStatus() {
    var client = ApiClient(host: clientHost, endpoint: balancer)
    var out: [ApiClientOutput] = []
    client.send(ApiRequest(id: 0, user: .admin, verb: .watch, resource: .pods), tag: RequestTag(5), now: now, into: &out)
    let sent = sentRequests(out)[0]
    out.removeAll()
    // Events before the `.watching` answer open the watch.
    client.receive(.watchEvents(connection: sent.connection, requestID: sent.request.id, sequence: 0, []), now: now, into: &out)
    #expect(completions(out).map(\.1) == [.watching])
    let gone = ApiStatus(.gone, reason: "Expired", message: "too old resource version")
    client.receive(.watchEnded(connection: sent.connection, requestID: sent.request.id, sequence: 1, gone), now: now, into: &out)
    #expect(watchCloses(out).map(\.1) == [.ended(gone)])
    #expect(closes(out).isEmpty)
    // A late `.watching` answer is dropped.
    out.removeAll()
    client.receive(.response(connection: sent.connection, requestID: sent.request.id, .watching), now: now, into: &out)
    #expect(out.isEmpty)
}

@Test func aResetClosesOpenWatches() {
    var client = ApiClient(host: clientHost, endpoint: balancer)
    var out: [ApiClientOutput] = []
    client.send(ApiRequest(id: 0, user: .admin, verb: .watch, resource: .nodes), tag: RequestTag(5), now: now, into: &out)
    let sent = sentRequests(out)[0]
    client.receive(.response(connection: sent.connection, requestID: sent.request.id, .watching), now: now, into: &out)
    out.removeAll()
    client.receive(.reset(connection: sent.connection), now: now, into: &out)
    #expect(watchCloses(out).map(\.1) == [.connectionLost])
    #expect(client.openWatches.isEmpty)
}

@Test func restartKeepsIdsUnique() {
    var client = ApiClient(host: clientHost, endpoint: balancer)
    var out: [ApiClientOutput] = []
    client.send(getPod("a"), tag: RequestTag(1), now: now, into: &out)
    let before = sentRequests(out)[0]
    client.restart()
    out.removeAll()
    client.timerFired(.deadline(call: before.request.id), now: now + .seconds(10), into: &out)
    #expect(out.isEmpty, "timers of forgotten calls are ignored")
    client.send(getPod("a"), tag: RequestTag(1), now: now, into: &out)
    let after = sentRequests(out)[0]
    #expect(after.connection != before.connection)
    #expect(after.request.id != before.request.id)
}

@Test func aWatchEndedBeforeItOpenedIsAnAnswerToTheRequest() {
    var client = ApiClient(host: clientHost, endpoint: balancer)
    var out: [ApiClientOutput] = []
    client.send(ApiRequest(id: 0, user: .admin, verb: .watch, resource: .pods), tag: RequestTag(5), now: now, into: &out)
    let sent = sentRequests(out)[0]
    out.removeAll()
    let unavailable = ApiStatus(.serviceUnavailable, reason: "ServiceUnavailable", message: "")
    client.receive(.watchEnded(connection: sent.connection, requestID: sent.request.id, sequence: 0, unavailable), now: now, into: &out)
    #expect(timers(out).count == 1, "a 503 watch request is retried")
    let retry = timers(out)[0].timer
    out.removeAll()
    client.timerFired(retry, now: now + .seconds(1), into: &out)
    let second = sentRequests(out)[0]
    out.removeAll()
    let gone = ApiStatus(.gone, reason: "Expired", message: "")
    client.receive(.watchEnded(connection: second.connection, requestID: second.request.id, sequence: 0, gone), now: now, into: &out)
    #expect(failures(out).map(\.1) == [.status(gone)])
    #expect(completions(out).isEmpty)
}

private func pings(_ outputs: [ApiClientOutput]) -> [UInt64] {
    outputs.compactMap {
        if case .send(.ping(let connection), _) = $0 { return connection }
        return nil
    }
}

/// Opens a watch on a fresh client and returns it with its connection.
private func openWatch(_ client: inout ApiClient, _ out: inout [ApiClientOutput]) -> UInt64 {
    client.send(ApiRequest(id: 0, user: .admin, verb: .watch, resource: .pods), tag: RequestTag(5), now: now, into: &out)
    let sent = sentRequests(out)[0]
    client.receive(.response(connection: sent.connection, requestID: sent.request.id, .watching), now: now, into: &out)
    return sent.connection
}

/// client-go's HTTP/2 health check: a watch on a backend that died silently (no RST) is closed after
/// 30 s without a frame plus 15 s without a ping ack, so its informer lists again elsewhere.
@Test func aSilentConnectionIsPingedThenClosedWithItsWatches() {
    var client = ApiClient(host: clientHost, endpoint: balancer)
    var out: [ApiClientOutput] = []
    let connection = openWatch(&client, &out)
    #expect(timers(out).contains { $0.afterMs == 30_000 && $0.timer == .idleCheck(connection: connection) })
    out.removeAll()
    client.timerFired(.idleCheck(connection: connection), now: now + .seconds(30), into: &out)
    #expect(pings(out) == [connection])
    #expect(timers(out).map(\.timer) == [.pingTimeout(connection: connection)])
    out.removeAll()
    client.timerFired(.pingTimeout(connection: connection), now: now + .seconds(45), into: &out)
    #expect(watchCloses(out).map(\.1) == [.connectionLost])
    #expect(closes(out) == [connection])
    #expect(client.connectionID == nil)
}

@Test func aConnectionThatAnswersItsPingStaysAndOneThatCarriesFramesIsNotPinged() {
    var client = ApiClient(host: clientHost, endpoint: balancer)
    var out: [ApiClientOutput] = []
    let connection = openWatch(&client, &out)
    // A frame at 20 s: the check at 30 s re-arms for 50 s instead of pinging.
    client.receive(.watchEvents(connection: connection, requestID: sentRequests(out)[0].request.id, sequence: 0, [.added(pod("a", rv: 11))]),
                   now: now + .seconds(20), into: &out)
    out.removeAll()
    client.timerFired(.idleCheck(connection: connection), now: now + .seconds(30), into: &out)
    #expect(pings(out).isEmpty)
    #expect(timers(out).map(\.afterMs) == [20_000])
    out.removeAll()
    client.timerFired(.idleCheck(connection: connection), now: now + .seconds(50), into: &out)
    #expect(pings(out) == [connection])
    client.receive(.pong(connection: connection), now: now + .seconds(50) + .milliseconds(2), into: &out)
    out.removeAll()
    client.timerFired(.pingTimeout(connection: connection), now: now + .seconds(65), into: &out)
    #expect(watchCloses(out).isEmpty)
    #expect(client.connectionID == connection)
}

/// A restarted process opens new connections: its ids continue after the dead incarnation's, which
/// the load balancer and the apiserver may still hold open (a machine crash closes nothing).
@Test func aNewIncarnationNeverReusesAConnectionOrRequestID() {
    var old = ApiClient(host: clientHost, endpoint: balancer)
    var out: [ApiClientOutput] = []
    old.send(getPod("a"), tag: RequestTag(1), now: now, into: &out)
    let oldSent = sentRequests(out)[0]
    var fresh = ApiClient(host: clientHost, endpoint: balancer)
    fresh.continueIDs(after: old)
    out.removeAll()
    fresh.send(getPod("a"), tag: RequestTag(1), now: now, into: &out)
    let newSent = sentRequests(out)[0]
    #expect(newSent.connection != oldSent.connection)
    #expect(newSent.request.id != oldSent.request.id)
}
