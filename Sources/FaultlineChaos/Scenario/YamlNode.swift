import Yams

/// In this module `Node` is a YAML node; the Kubernetes object of that name is `FaultlineCluster.Node`.
/// (A declaration in the module shadows the imported ones, which would otherwise be ambiguous.)
typealias Node = Yams.Node
