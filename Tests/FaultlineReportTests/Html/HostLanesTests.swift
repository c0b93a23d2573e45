import Testing
@testable import FaultlineReport

/// Lanes from faults and timeline rows (HostLanes.swift): machines, order, spans closed at the end.
@Suite struct HostLanesTests {
    @Test func lanesAreMachinesInNaturalOrder() {
        #expect(["worker-10", "load-balancer", "worker-2", "master-2", "master-1"].sorted(by: HostLanes.naturalOrder)
                == ["master-1", "master-2", "load-balancer", "worker-2", "worker-10"])
        #expect(HostLanes.machineName("master-2/kube-apiserver") == "master-2")
        #expect(HostLanes.machines(inTarget: "master-1 | master-2,master-3/etcd") == ["master-1", "master-2", "master-3"])
    }

    @Test func rolesEndAtTheNextHolderOrAtTheEnd() {
        let lanes = HostLanes.build(PageFixtures.run())
        #expect(lanes.map(\.name) == ["master-1", "master-2", "master-3"])
        let leaders = lanes.flatMap { lane in lane.spans.filter { $0.kind == .leader }.map { (lane.name, $0.from, $0.to) } }
        #expect(leaders.map(\.0) == ["master-1", "master-3"])
        #expect(leaders[0].1 == 1.1 && leaders[0].2 == 30, "leader-lost ends master-1's term")
        #expect(leaders[1].2 == 120, "still leading at the end of the run")
        let lease = lanes[0].spans.first { $0.kind == .leaseHolder }
        #expect(lease?.to == 45, "master-2 acquiring the Lease ends master-1's hold")
        let partition = lanes[2].spans.first { $0.kind == .partitioned }
        #expect(partition?.to == 120, "an unhealed fault lasts to the end")
        #expect(lanes[0].points.map(\.at) == [50])
    }

    @Test func aQuietMasterStillHasALane() {
        var record = PageFixtures.run()
        record.faults = []
        record.timeline = [.init(at: 1, kind: "leader-elected", subject: "master-3", detail: "etcd")]
        #expect(HostLanes.build(record).map(\.name) == ["master-1", "master-2", "master-3"])
    }

    @Test func faultKindsMapToLaneStates() {
        #expect(SpanKind.forFault("node-crash") == .crashed)
        #expect(SpanKind.forFault("etcd-crash") == .crashed)
        #expect(SpanKind.forFault("process-pause") == .paused)
        #expect(SpanKind.forFault("network-partition") == .partitioned)
        #expect(SpanKind.forFault("network-delay") == .degraded)
        #expect(SpanKind.forFault("network-loss") == .degraded)
        #expect(SpanKind.forFault("etcd-data-loss") == .crashed)
        #expect(SpanKind.forFault("etcd-data-rollback") == .crashed)
        #expect(SpanKind.forFault("node-restart") == .crashed)
        #expect(SpanKind.forFault("kubelet-service-kill") == .crashed)
        #expect(SpanKind.forFault("fsync-stall") == .faulted)
        #expect(SpanKind.forFault("time-skew") == .faulted)
    }
}
