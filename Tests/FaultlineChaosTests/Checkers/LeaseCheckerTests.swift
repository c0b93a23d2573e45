import FaultlineCluster
import FaultlineSim
import Testing
@testable import FaultlineChaos

@Suite struct LeaseCheckerTests {
    static let lease: Int64 = 1 << 32 | 7

    static func revoke(at index: UInt64) -> [RaftEntry<EtcdRequest>] {
        [RaftEntry(term: 2, index: index, command: .leaseRevoke(id: lease))]
    }

    @Test func aRevocationAfterTheAcknowledgedTTLHoldsAndIsMeasured() {
        var checker = LeaseChecker()
        checker.observe(.acknowledged(lease: Self.lease, sentAt: .start + .seconds(3), ttlSeconds: 10), at: .start + .seconds(3))
        checker.observe(.released(lease: Self.lease), at: .start + .seconds(5))
        checker.observeCommitted(Self.revoke(at: 4), at: .start + .milliseconds(14_500))
        #expect(checker.takeViolations().isEmpty)
        #expect(checker.revocations == 1)
        #expect(checker.expiryDelays == [.milliseconds(1_500)])
    }

    @Test func aRevocationBeforeTheLatestAcknowledgedTTLIsAViolation() {
        var checker = LeaseChecker()
        checker.observe(.acknowledged(lease: Self.lease, sentAt: .start + .seconds(1), ttlSeconds: 10), at: .start + .seconds(1))
        // A later keepalive pushes the guarantee to 14 s; an earlier one arriving late must not pull it back.
        checker.observe(.acknowledged(lease: Self.lease, sentAt: .start + .seconds(4), ttlSeconds: 10), at: .start + .seconds(4))
        checker.observe(.acknowledged(lease: Self.lease, sentAt: .start + .seconds(2), ttlSeconds: 10), at: .start + .seconds(5))
        checker.observeCommitted(Self.revoke(at: 9), at: .start + .seconds(13))
        let violations = checker.takeViolations()
        #expect(violations.count == 1)
        #expect(violations.first?.detail.contains("1.000s before the TTL") == true, "\(violations.map(\.detail))")
    }

    @Test func onlyTheFirstApplicationOfAnIndexCounts() {
        var checker = LeaseChecker()
        checker.observe(.acknowledged(lease: Self.lease, sentAt: .start, ttlSeconds: 5), at: .start)
        checker.observeCommitted(Self.revoke(at: 3), at: .start + .seconds(6))
        // Another member applying the same entry later, or an older entry, changes nothing.
        checker.observeCommitted(Self.revoke(at: 3), at: .start + .seconds(1))
        checker.observeCommitted(Self.revoke(at: 2), at: .start + .seconds(1))
        #expect(checker.takeViolations().isEmpty)
        #expect(checker.revocations == 1)
    }
}
