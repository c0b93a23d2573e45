import Testing
@testable import FaultlineSim

@Suite struct EventHeapTests {
    @Test func popsInTimeThenInsertionOrder() {
        var heap = EventHeap()
        var random = SimRandom(seed: 9, stream: "heap")
        var pushed: [EventKey] = []
        for sequence in 0..<5000 {
            let key = EventKey(time: Int64(random.uniform(0..<200)), sequence: UInt64(sequence), slot: Int32(sequence), generation: 0)
            pushed.append(key)
            heap.push(key)
        }
        let expected = pushed.sorted { $0.precedes($1) }.map(\.sequence)
        var popped: [UInt64] = []
        while let key = heap.pop() { popped.append(key.sequence) }
        #expect(popped == expected)
    }

    @Test func interleavedPushPopKeepsOrder() {
        var heap = EventHeap()
        var random = SimRandom(seed: 10, stream: "heap")
        var sequence: UInt64 = 0
        var lastTime: Int64 = 0
        for _ in 0..<10_000 {
            if random.bernoulli(0.6) || heap.count == 0 {
                heap.push(EventKey(time: lastTime + Int64(random.uniform(0..<50)), sequence: sequence, slot: 0, generation: 0))
                sequence += 1
            } else {
                let key = heap.pop()!
                #expect(key.time >= lastTime)
                lastTime = key.time
            }
        }
    }
}
