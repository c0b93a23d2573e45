import FaultlineCluster
import FaultlineSim

extension TimelineEntry {
    /// The timeline entry a worker observation makes, if it is notable (requests are too many: the
    /// availability series shows them).
    static func worker(_ observation: WorkerObservation, at time: SimInstant) -> TimelineEntry? {
        switch observation {
        case .containerStopped(let node, let pod, _, let exitCode, let reason) where reason != "stopped":
            return TimelineEntry(at: time, kind: "container-stopped", subject: pod, detail: "\(node): \(reason) (exit \(exitCode))")
        case .runtimeStatus(let node, let up):
            return TimelineEntry(at: time, kind: up ? "runtime-up" : "runtime-down", subject: node, detail: "")
        case .containerStarted, .containerStopped, .request, .rulesProgrammed, .endpointsSeen, .kubeProxyStopped, .rulesCleared:
            return nil
        }
    }
}
