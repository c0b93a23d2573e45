import Testing
@testable import FaultlineChaos

/// Every field of a scheduled fault either applies to it or is refused, naming it; partition machines
/// are checked against the cluster layout.
@Suite struct FaultFieldTests {
    let base = ScenarioText.minimal()
    let controlPlane = ScenarioText.minimal() + "  cluster: {masters: 3, controlPlane: true}\n"

    // MARK: Partitions

    @Test func aTargetOnAOneWayPartitionIsRefused() throws {
        let diagnostic = try #require(ScenarioText.single(base + "  faults: [{kind: network-partition, mode: one-way, target: worker-9, from: [master-1], to: [master-2], at: 5s, duration: 2s}]\n"))
        #expect(diagnostic.path == "spec.faults[0].target")
        #expect(diagnostic.message == "\"target\" does not apply to a one-way network-partition (it takes from and to)")
        #expect(diagnostic.line == 6)
    }

    @Test func fieldsOfAnotherPartitionModeAreRefused() throws {
        let split = try #require(ScenarioText.single(base + "  faults: [{kind: network-partition, mode: split, target: master-1, groups: [[master-1], [master-2]], at: 5s, duration: 2s}]\n"))
        #expect(split.path == "spec.faults[0].target")
        #expect(split.message == "\"target\" does not apply to a split network-partition (it takes groups)")
        let isolate = try #require(ScenarioText.single(base + "  faults: [{kind: network-partition, target: master-1, groups: [[master-1]], at: 5s, duration: 2s}]\n"))
        #expect(isolate.path == "spec.faults[0].groups")
        #expect(isolate.message == "\"groups\" does not apply to an isolate network-partition (it takes target)")
        let bridge = try #require(ScenarioText.single(base + "  faults: [{kind: network-partition, mode: bridge, from: [master-1], to: [master-2], groups: [[master-3]], at: 5s, duration: 2s}]\n"))
        #expect(bridge.path == "spec.faults[0].groups" && bridge.message.contains("bridge network-partition"))
    }

    @Test func partitionMachinesAreCheckedAgainstTheLayout() throws {
        let split = ScenarioText.rejected(base + "  faults: [{kind: network-partition, mode: split, groups: [[''], [master-0]], at: 5s, duration: 2s}]\n")
        #expect(split.map(\.path) == ["spec.faults[0].groups[0]", "spec.faults[0].groups[1]"])
        #expect(split.first?.message == "no machine \"\" in a cluster of 3 masters")
        #expect(split.last?.message.hasPrefix("no machine \"master-0\" in a cluster of 3 masters") == true)
        let bridge = ScenarioText.rejected(base + "  faults: [{kind: network-partition, mode: bridge, from: [''], to: [master-0], at: 5s, duration: 2s}]\n")
        #expect(bridge.map(\.path) == ["spec.faults[0].from", "spec.faults[0].to"])
        let worker = try #require(ScenarioText.single(base + "  faults: [{kind: network-partition, mode: one-way, from: [worker-9], to: [master-2], at: 5s, duration: 2s}]\n"))
        #expect(worker.path == "spec.faults[0].from" && worker.message.hasPrefix("no machine \"worker-9\""))
    }

    @Test func aMachineInTwoGroupsOrOnBothSidesIsRefused() throws {
        let split = try #require(ScenarioText.single(base + "  faults: [{kind: network-partition, mode: split, groups: [[master-1, master-2], [master-2, master-3]], at: 5s, duration: 2s}]\n"))
        #expect(split.path == "spec.faults[0].groups[1]" && split.message == "\"master-2\" is in two groups of one split")
        let expanded = try #require(ScenarioText.single(base + "  faults: [{kind: network-partition, mode: split, groups: [[masters], [master-3]], at: 5s, duration: 2s}]\n"))
        #expect(expanded.message == "\"master-3\" is in two groups of one split")
        let bridge = try #require(ScenarioText.single(base + "  faults: [{kind: network-partition, mode: bridge, from: [master-1], to: [master-1, master-2], at: 5s, duration: 2s}]\n"))
        #expect(bridge.path == "spec.faults[0].to")
        #expect(bridge.message == "machine \"master-1\" is on both sides (from and to) of a bridge partition")
        let oneWay = try #require(ScenarioText.single(base + "  faults: [{kind: network-partition, mode: one-way, from: [masters], to: [master-2], at: 5s, duration: 2s}]\n"))
        #expect(oneWay.message == "machine \"master-2\" is on both sides (from and to) of a one-way partition")
    }

    // MARK: Fields that do not apply

    @Test func countAppliesToRandomMasterOnly() throws {
        let named = try #require(ScenarioText.single(base + "  faults: [{kind: node-crash, target: master-1, count: 2, at: 5s, duration: 2s}]\n"))
        #expect(named.path == "spec.faults[0].count" && named.message == "\"count\" applies to target random-master only")
        // lb-crash reads no target when none is given: its count used to be dropped unread.
        let withoutTarget = try #require(ScenarioText.single(controlPlane + "  faults: [{kind: lb-crash, count: 2, at: 5s, duration: 2s}]\n"))
        #expect(withoutTarget.path == "spec.faults[0].count" && withoutTarget.message == "\"count\" applies to target random-master only")
        let split = try #require(ScenarioText.single(base + "  faults: [{kind: network-partition, mode: split, count: 2, groups: [[master-1], [master-2]], at: 5s, duration: 2s}]\n"))
        #expect(split.path == "spec.faults[0].count")
        let plan = try ScenarioText.plan(base + "  faults: [{kind: node-crash, target: random-master, count: 2, at: 5s, duration: 2s}]\n")
        #expect(plan.faults.first?.effect == .crash(.randomMasters(count: 2)))
    }

    @Test func anotherKindsFieldIsRefusedNamingTheKindsItAppliesTo() throws {
        let probability = try #require(ScenarioText.single(base + "  faults: [{kind: node-crash, target: master-1, probability: 0.5, at: 5s, duration: 2s}]\n"))
        #expect(probability.path == "spec.faults[0].probability")
        #expect(probability.message == "\"probability\" does not apply to node-crash (it applies to network-loss)")
        let mode = try #require(ScenarioText.single(base + "  faults: [{kind: node-crash, target: master-1, mode: split, at: 5s, duration: 2s}]\n"))
        #expect(mode.message == "\"mode\" does not apply to node-crash (it applies to network-partition)")
        let rollback = try #require(ScenarioText.single(base + "  faults: [{kind: etcd-data-loss, target: master-1, rollback: 5s, at: 5s, duration: 2s}]\n"))
        #expect(rollback.message == "\"rollback\" does not apply to etcd-data-loss (it applies to etcd-data-rollback)")
    }

    /// The kind table is the one list of what each kind takes: every field a fault may have belongs to
    /// some kind, and every kind that reads `target` accepts it.
    @Test func theKindTableListsEveryAcceptedField() {
        let named = Set(FaultKind.all.flatMap(\.acceptedFields) + ["kind", "at"])
        #expect(Set(ScenarioReader.commonFaultFields).isSubset(of: named))
        for kind in FaultKind.all {
            #expect(kind.acceptedFields.contains("target"), "\(kind.name)")
            #expect(kind.acceptedFields.contains("duration") == !kind.instantaneous, "\(kind.name)")
        }
    }

    // MARK: The cluster as declared

    @Test func aTargetErrorUsesTheMastersTheFileDeclares() throws {
        let found = ScenarioText.rejected(base + "  cluster: {masters: 2}\n  faults: [{kind: node-crash, target: master-3, at: 5s, duration: 2s}]\n")
        #expect(found.map(\.path) == ["spec.cluster.masters", "spec.faults[0].target"])
        #expect(found.last?.message.hasPrefix("no machine \"master-3\" in a cluster of 2 masters") == true)
        // A count that is no count at all: the target is not judged against a made-up cluster.
        let unknown = ScenarioText.rejected(base + "  cluster: {masters: 9}\n  faults: [{kind: node-crash, target: master-5, at: 5s, duration: 2s}]\n")
        #expect(unknown.map(\.path) == ["spec.cluster.masters"])
        #expect(!unknown.contains { $0.message.contains("cluster of 3 masters") })
    }
}
