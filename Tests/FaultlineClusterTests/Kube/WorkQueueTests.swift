import FaultlineSim
import Testing
@testable import FaultlineCluster

private func ms(_ value: Int64) -> SimInstant { .start + .milliseconds(value) }

@Test func theQueueIsFIFOAndDedupsQueuedKeys() {
    var queue = WorkQueue<String>()
    queue.add("default/a")
    queue.add("default/b")
    queue.add("default/a")
    #expect(queue.count == 2)
    #expect(queue.get() == "default/a")
    #expect(queue.get() == "default/b")
    #expect(queue.get() == nil)
}

@Test func aKeyAddedWhileProcessingIsProcessedAgainAfterDone() {
    var queue = WorkQueue<String>()
    queue.add("a")
    #expect(queue.get() == "a")
    queue.add("a")
    queue.add("a")
    #expect(queue.get() == nil, "never handed to two workers at once")
    #expect(queue.isProcessing("a"))
    queue.done("a")
    #expect(queue.get() == "a")
    queue.done("a")
    #expect(queue.get() == nil, "processed once more, not once per add")
}

@Test func doneWithoutReAddDoesNotRequeue() {
    var queue = WorkQueue<String>()
    queue.add("a")
    queue.add("b")
    _ = queue.get()
    queue.done("a")
    #expect(queue.get() == "b")
    #expect(queue.get() == nil)
}

@Test func rateLimitedRequeuesBackOffExponentially() {
    var queue = WorkQueue<String>()
    var out: [WorkQueueOutput] = []
    var waits: [Int64] = []
    var now = ms(0)
    for _ in 0..<5 {
        out.removeAll()
        queue.addRateLimited("a", now: now, into: &out)
        guard case .setTimer(let afterMs) = out.last else {
            Issue.record("no timer")
            return
        }
        waits.append(afterMs)
        queue.timerFired(now: now + .milliseconds(afterMs - 1))
        #expect(queue.get() == nil, "not before the back-off")
        now = now + .milliseconds(afterMs)
        queue.timerFired(now: now)
        #expect(queue.get() == "a")
        queue.done("a")
    }
    #expect(waits == [5, 10, 20, 40, 80])
    #expect(queue.numRequeues("a") == 5)
    queue.forget("a")
    out.removeAll()
    queue.addRateLimited("a", now: now, into: &out)
    #expect(out == [.setTimer(afterMs: 5)], "forget starts the back-off over")
}

@Test func theBackoffIsCappedAt1000Seconds() {
    var limiter = ExponentialFailureRateLimiter<String>()
    var last: Int64 = 0
    for _ in 0..<40 { last = limiter.when("a") }
    #expect(last == 1_000_000)
    #expect(limiter.when("b") == 5, "per key")
}

@Test func delayedKeysKeepTheEarlierTimeAndLeaveInTimeOrder() {
    var queue = WorkQueue<String>()
    var out: [WorkQueueOutput] = []
    queue.addAfter("a", delayMs: 100, now: ms(0), into: &out)
    queue.addAfter("b", delayMs: 50, now: ms(0), into: &out)
    queue.addAfter("a", delayMs: 500, now: ms(0), into: &out)
    #expect(out == [.setTimer(afterMs: 100), .setTimer(afterMs: 50)], "a later time for a waiting key changes nothing")
    #expect(queue.waitingCount == 2)
    queue.timerFired(now: ms(100))
    #expect(queue.get() == "b")
    #expect(queue.get() == "a")
    queue.addAfter("c", delayMs: 0, now: ms(100), into: &out)
    #expect(queue.get() == "c", "no delay: added at once")
}

@Test func aDelayedKeyAlreadyQueuedIsNotDuplicated() {
    var queue = WorkQueue<String>()
    var out: [WorkQueueOutput] = []
    queue.add("a")
    queue.addAfter("a", delayMs: 10, now: ms(0), into: &out)
    queue.timerFired(now: ms(10))
    #expect(queue.count == 1)
}
