import FaultlineCluster
import FaultlineSim

/// A scenario field a what-if sweep (`--vary`) or `run --set` overrode, by its path under `spec`.
public struct RunParameter: Sendable, Equatable {
    public var path: String
    public var value: String

    public init(path: String, value: String) {
        self.path = path
        self.value = value
    }
}
