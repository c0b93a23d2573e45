import FaultlineCluster
import FaultlineSim
import Testing
@testable import FaultlineChaos

/// The watch checker against hand-built histories: committed puts to k0..k2 (and one key outside the
/// watched range) at revisions 2...7, and watchers that receive them correctly or not.
@Suite struct WatchCheckerTests {
    static let committed: [EtcdRequest] = [
        .put(key: "k0", value: "a"), .put(key: "k1", value: "b"), .put(key: "z9", value: "outside"),
        .put(key: "k0", value: "c"), .deleteRange(key: "k1", end: nil), .put(key: "k2", value: "d"),
    ]

    /// A checker whose truth holds `committed` (revisions 2...7), applied in two batches.
    static func checker(watchers: Int = 1) -> WatchChecker {
        var checker = WatchChecker(watchers: watchers)
        let entries = committed.enumerated().map { RaftEntry(term: 1, index: UInt64($0.offset + 1), command: $0.element) }
        checker.observeApplied(snapshot: nil, entries: Array(entries[..<3]))
        // A second member applying the same prefix again must not duplicate the truth.
        checker.observeApplied(snapshot: nil, entries: Array(entries[..<4]))
        checker.observeApplied(snapshot: nil, entries: entries)
        return checker
    }

    static func event(_ kind: WatchEvent.Kind, _ key: String, _ value: String, _ revision: Int64) -> WatchEvent {
        WatchEvent(kind: kind, key: key, value: .text(value), revision: revision)
    }

    static let inRange: [WatchEvent] = [
        event(.put, "k0", "a", 2), event(.put, "k1", "b", 3), event(.put, "k0", "c", 5),
        event(.delete, "k1", "", 6), event(.put, "k2", "d", 7),
    ]

    static func feed(_ checker: inout WatchChecker, _ batches: [[WatchEvent]], start: Int64 = 1) -> [String] {
        checker.observe(watcher: 0, response: .created(startRevision: start), at: .start)
        for batch in batches { checker.observe(watcher: 0, response: .events(batch), at: .start + .seconds(1)) }
        return checker.takeViolations().map(\.detail)
    }

    @Test func theTruthHoldsEveryCommittedChangeOnceInRevisionOrder() {
        let checker = Self.checker()
        #expect(checker.truth.map(\.revision) == [2, 3, 4, 5, 6, 7])
        #expect(checker.truth.filter { checker.inRange($0.key) } == Self.inRange)
    }

    @Test func aCorrectStreamPassesAcrossBatchesAndReconnects() {
        var checker = Self.checker()
        let violations = Self.feed(&checker, [Array(Self.inRange[..<2]), Array(Self.inRange[2...])])
        #expect(violations.isEmpty, "\(violations)")
        // A reconnect that resumes after the last revision (a new `created`) continues the same history.
        var resumed = Self.checker()
        var details = Self.feed(&resumed, [Array(Self.inRange[..<3])])
        resumed.observe(watcher: 0, response: .created(startRevision: 6), at: .start + .seconds(2))
        resumed.observe(watcher: 0, response: .events(Array(Self.inRange[3...])), at: .start + .seconds(2))
        details += resumed.takeViolations().map(\.detail)
        #expect(details.isEmpty, "\(details)")
        #expect(resumed.receivedCount == 5)
    }

    @Test func aMissingChangeIsAGap() {
        var checker = Self.checker()
        var events = Self.inRange
        events.remove(at: 2)  // k0=c at revision 5
        let violations = Self.feed(&checker, [events])
        #expect(violations.count == 1)
        #expect(violations.first?.contains("skipped 1 committed change(s) from put k0=c at revision 5") == true, "\(violations)")
    }

    @Test func aRepeatedChangeIsADuplicate() {
        var checker = Self.checker()
        let violations = Self.feed(&checker, [Array(Self.inRange[..<3]), [Self.inRange[2]], Array(Self.inRange[3...])])
        #expect(violations.count == 1)
        #expect(violations.first?.contains("twice") == true, "\(violations)")
    }

    @Test func anOlderRevisionAfterANewerOneGoesBackInTime() {
        var checker = Self.checker()
        let violations = Self.feed(&checker, [Array(Self.inRange[..<4]), [Self.inRange[1]]])
        #expect(violations.first?.contains("went back in time") == true, "\(violations)")
    }

    @Test func aChangedValueOrAnUncommittedEventIsCaught() {
        var checker = Self.checker()
        var events = Self.inRange
        events[1].value = "forged"
        let violations = Self.feed(&checker, [events])
        #expect(violations.first?.contains("but the committed change was put k1=b") == true, "\(violations)")

        var ahead = Self.checker()
        let beyond = Self.feed(&ahead, [Self.inRange + [Self.event(.put, "k3", "e", 8)]])
        #expect(beyond.first?.contains("not in the committed history") == true, "\(beyond)")
    }

    @Test func aCompactionCancelRepositionsAtTheNextStreamsStart() {
        var checker = Self.checker()
        var violations = Self.feed(&checker, [Array(Self.inRange[..<2])])
        checker.observe(watcher: 0, response: .canceled(.compacted, compactRevision: 5), at: .start + .seconds(3))
        // The watcher re-lists and watches from revision 6: revision 5 is legitimately never delivered.
        checker.observe(watcher: 0, response: .created(startRevision: 6), at: .start + .seconds(3))
        checker.observe(watcher: 0, response: .events(Array(Self.inRange[3...])), at: .start + .seconds(3))
        violations += checker.takeViolations().map(\.detail)
        #expect(violations.isEmpty, "\(violations)")
        // Without the cancel, the same jump is a gap.
        var strict = Self.checker()
        var details = Self.feed(&strict, [Array(Self.inRange[..<2])])
        strict.observe(watcher: 0, response: .created(startRevision: 6), at: .start + .seconds(3))
        strict.observe(watcher: 0, response: .events(Array(Self.inRange[3...])), at: .start + .seconds(3))
        details += strict.takeViolations().map(\.detail)
        #expect(details.first?.contains("(a gap)") == true, "\(details)")
    }

    @Test func aRestartedMembersReplayFeedsTheTruthWithoutDuplicates() {
        var checker = Self.checker()
        var durable = RaftDurableState<EtcdRequest>()
        durable.entries = Self.committed.enumerated().map { RaftEntry(term: 1, index: UInt64($0.offset + 1), command: $0.element) }
        durable.entries.append(RaftEntry(term: 1, index: 7, command: .put(key: "k4", value: "uncommitted")))
        durable.hardState.commit = 6
        checker.observeRestart(durable: durable)
        #expect(checker.truth.count == 6, "entries above the commit index are not the truth")
    }
}
