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
}

/// A binary min-heap of event keys in one contiguous array.
///
/// Invariant: `keys[parent(i)]` precedes or equals `keys[i]`; sequences are unique, so ties never occur
/// and the pop order is total and deterministic. Capacity is kept across pops: no allocation in steady state.
@usableFromInline
struct EventHeap {
    @usableFromInline var keys: [EventKey] = []

    @inlinable init() { keys.reserveCapacity(1024) }

    @inlinable var count: Int { keys.count }

    @inlinable func peek() -> EventKey? { keys.first }

    @inlinable mutating func push(_ key: EventKey) {
        keys.append(key)
        var child = keys.count - 1
        keys.withUnsafeMutableBufferPointer { buffer in
            while child > 0 {
                let parent = (child - 1) >> 1
                guard key.precedes(buffer[parent]) else { break }
                buffer[child] = buffer[parent]
                child = parent
            }
            buffer[child] = key
        }
    }

    @inlinable mutating func pop() -> EventKey? {
        guard let first = keys.first else { return nil }
        let last = keys.removeLast()
        if keys.isEmpty { return first }
        keys.withUnsafeMutableBufferPointer { buffer in
            let count = buffer.count
            var parent = 0
            while true {
                let left = 2 * parent + 1
                if left >= count { break }
                let right = left + 1
                let child = right < count && buffer[right].precedes(buffer[left]) ? right : left
                guard buffer[child].precedes(last) else { break }
                buffer[parent] = buffer[child]
                parent = child
            }
            buffer[parent] = last
        }
        return first
    }
}
