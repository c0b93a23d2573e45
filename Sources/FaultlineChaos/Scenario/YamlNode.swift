import Yams

/// In this module `Node` is the YAML node: FaultlineCluster's Kubernetes `Node` (imported alongside
/// Yams) made the bare name ambiguous in the scenario reader. A declaration in this module shadows
/// both imports; the Kubernetes type is spelled `FaultlineCluster.Node` here.
typealias Node = Yams.Node
