import FaultlineSim
import Testing
@testable import FaultlineChaos
@testable import FaultlineCluster

/// The etcd clients' compare-and-swap is the apiserver's optimistic update: a txn comparing the key's
/// `mod_revision` with the one the client read or wrote, and the linearizability checker sees it.
@Suite struct CasOnModRevisionTests {
    @Test func aCasCarriesTheRevisionTheClientLastSawAndTheMemberComparesIt() {
        var client = EtcdClientState(index: 0, host: HostID(0), memberCount: 3, keys: 1, random: SimRandom(seed: 1, stream: "t"))
        client.learn(ClientOperation(client: 0, kind: .get, key: "k0", value: "c1-1", ok: true, called: .start, returned: .start), modRevision: 42)
        var workload = ClientWorkload()
        workload.keys = 1
        (workload.weightGet, workload.weightPut, workload.weightDelete, workload.weightCas) = (0, 0, 0, 1)
        let request = client.nextRequest(workload: workload)
        #expect(request.kind == .cas && request.compareModRevision == 42 && request.expected == "c1-1")
        guard case .txn(let txn) = EtcdMember.command(for: request) else {
            Issue.record("a cas is a transaction")
            return
        }
        #expect(txn.compare == [.modRevision(key: "k0", .equal, 42)])
        // A write whose outcome is unknown leaves no revision to compare: the value is compared instead.
        client.learn(ClientOperation(client: 0, kind: .put, key: "k0", value: "c0-9", ok: false, called: .start, returned: nil), modRevision: 0)
        let fallback = client.nextRequest(workload: workload)
        guard case .txn(let valueTxn) = EtcdMember.command(for: fallback) else { return }
        #expect(valueTxn.compare == [.value(key: "k0", .equal, "c0-9")])
    }

    @Test func theStoreAnswersARevisionCompareAsEtcdDoes() {
        var store = MVCCStore()
        let put = store.apply(.put(key: "k", value: .text("a")))
        let stale = store.apply(.txn(Txn(compare: [.modRevision(key: "k", .equal, put.revision - 1)], success: [.put(key: "k", value: .text("b"))], failure: [])))
        #expect(!stale.succeeded)
        let fresh = store.apply(.txn(Txn(compare: [.modRevision(key: "k", .equal, put.revision)], success: [.put(key: "k", value: .text("c"))], failure: [])))
        #expect(fresh.succeeded && store.get("k")?.value.text == "c" && store.get("k")?.modRevision == fresh.revision)
    }

    /// Under contention some cas operations win and some lose, and the history stays linearizable.
    @Test func contendedCasOperationsAreCheckedForLinearizability() {
        var plan = RunPlan(name: "cas", duration: .seconds(12), memberCount: 3)
        plan.workload.clients = 6
        plan.workload.keys = 2
        plan.workload.thinkTime = .milliseconds(20)
        plan.faults = [PlannedFault(effect: .crash(.etcdLeader), at: .seconds(4), duration: .seconds(3))]
        plan.convergenceBound = .seconds(4)
        let result = ChaosRunner.run(plan, seed: 3, recordHistory: true)
        let cas = result.operations.filter { $0.kind == .cas && $0.returned != nil }
        #expect(cas.contains { $0.ok } && cas.contains { !$0.ok }, "\(cas.count) cas operations")
        let linearizable = result.invariants.first { $0.name == InvariantName.linearizable.name }
        #expect(linearizable?.holds == true, "\(linearizable?.detail ?? "")")
    }
}
