/// A growable array for the engine's hot tables (the event slot table, the free-slot stack) without
/// copy-on-write: storing into an element is a plain store, with no uniqueness check and no call.
///
/// It is non-copyable, so its storage has exactly one owner and is freed when that owner goes away.
/// Indices are still bounds-checked (a branch that is always predicted).
@usableFromInline
struct OwnedBuffer<Element>: ~Copyable {
    @usableFromInline var base: UnsafeMutablePointer<Element>
    @usableFromInline var count: Int
    @usableFromInline var capacity: Int

    @inlinable init(capacity: Int) {
        self.capacity = Swift.max(capacity, 16)
        self.base = .allocate(capacity: self.capacity)
        self.count = 0
    }

    @inlinable subscript(index: Int) -> Element {
        unsafeAddress {
            precondition(UInt(bitPattern: index) < UInt(bitPattern: count), "OwnedBuffer index out of range")
            return UnsafePointer(base + index)
        }
        nonmutating unsafeMutableAddress {
            precondition(UInt(bitPattern: index) < UInt(bitPattern: count), "OwnedBuffer index out of range")
            return base + index
        }
    }

    @inlinable mutating func append(_ element: Element) {
        if count == capacity { grow() }
        (base + count).initialize(to: element)
        count += 1
    }

    @inlinable mutating func popLast() -> Element? {
        guard count > 0 else { return nil }
        count -= 1
        return (base + count).move()
    }

    @usableFromInline mutating func grow() {
        let newCapacity = capacity * 2
        let newBase = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        newBase.moveInitialize(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inlinable deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }
}
