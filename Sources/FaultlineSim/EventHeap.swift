/// The key of one queued event: ordered by time, then by insertion sequence.
///
/// Keys are 24 bytes and carry no payload (payloads live in the engine's slot table), so sifting the
/// heap moves small values only.
@usableFromInline
struct EventKey {
    @usableFromInline let time: Int64
    @usableFromInline let sequence: UInt64
    @usableFromInline let slot: Int32
    @usableFromInline let generation: UInt32

    @inlinable init(time: Int64, sequence: UInt64, slot: Int32, generation: UInt32) {
        self.time = time
        self.sequence = sequence
        self.slot = slot
        self.generation = generation
    }

    @inlinable func precedes(_ other: EventKey) -> Bool {
        time < other.time || (time == other.time && sequence < other.sequence)
    }

    /// `precedes` for the heap's child selection, where which key is earlier is a coin flip: equal
    /// times are rare, so that test is a predictable branch, and the time comparison is left to a
    /// conditional move.
    @inlinable func precedesBranchless(_ other: EventKey) -> Bool {
        if _slowPath(time == other.time) { return sequence < other.sequence }
        return time < other.time
    }
}

/// A 4-ary min-heap of event keys in one contiguous array.
///
/// Invariant: `keys[(i - 1) / 4]` precedes or equals `keys[i]`; sequences are unique, so ties never
/// occur and the pop order is total and deterministic: it does not depend on the heap's shape or arity.
/// Capacity is kept across pops: no allocation in steady state.
///
/// Four children per node halve the depth of a binary heap (a thousand keys: five levels instead of
/// ten); the earliest of four children is picked without branches, since which child wins is a coin flip.
///
/// Pops are deferred: `pop` returns the root and leaves a hole there (`rootIsHole`). The next `push`
/// drops its key into the hole and sifts it down, so the common "run an event, schedule the next one"
/// step costs one sift instead of two. Any other operation fills the hole with the last key first.
@usableFromInline
struct EventHeap: ~Copyable {
    @usableFromInline var keys = OwnedBuffer<EventKey>(capacity: 1024)
    /// True when `keys[0]` was popped and not yet replaced: it is stale and not counted.
    @usableFromInline var rootIsHole = false

    @inlinable init() {}

    @inlinable var count: Int { rootIsHole ? keys.count - 1 : keys.count }

    @inlinable mutating func peek() -> EventKey? {
        if rootIsHole { fillHole() }
        return keys.count > 0 ? keys[0] : nil
    }

    @inlinable mutating func push(_ key: EventKey) {
        if rootIsHole {
            rootIsHole = false
            siftDown(key)
            return
        }
        keys.append(key)
        let buffer = keys.base
        var child = keys.count - 1
        while child > 0 {
            let parent = (child - 1) >> 2
            guard key.precedes(buffer[parent]) else { break }
            buffer[child] = buffer[parent]
            child = parent
        }
        buffer[child] = key
    }

    @inlinable mutating func pop() -> EventKey? {
        if rootIsHole { fillHole() }
        guard keys.count > 0 else { return nil }
        rootIsHole = true
        return keys[0]
    }

    /// Replaces the stale root with the last key.
    @inlinable mutating func fillHole() {
        rootIsHole = false
        let last = keys.popLast()!
        if keys.count > 0 { siftDown(last) }
    }

    /// Puts `key` at the root (whose old key is discarded) and restores the heap order below it.
    @inlinable mutating func siftDown(_ key: EventKey) {
        let buffer = keys.base
        let count = keys.count
        var parent = 0
        while true {
            let first = 4 &* parent &+ 1
            if first >= count { break }
            var child: Int
            if first &+ 4 <= count {
                let a = buffer[first &+ 1].precedesBranchless(buffer[first]) ? first &+ 1 : first
                let b = buffer[first &+ 3].precedesBranchless(buffer[first &+ 2]) ? first &+ 3 : first &+ 2
                child = buffer[b].precedesBranchless(buffer[a]) ? b : a
            } else {
                child = first
                var next = first &+ 1
                while next < count {
                    if buffer[next].precedes(buffer[child]) { child = next }
                    next &+= 1
                }
            }
            guard buffer[child].precedes(key) else { break }
            buffer[parent] = buffer[child]
            parent = child
        }
        buffer[parent] = key
    }
}
