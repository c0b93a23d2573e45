/// The vocabulary `faultline list` prints and the docs describe, read from the one table of each kind
/// (fault kinds, invariants, recovery predicates): nothing here is spelt twice.
public enum FaultCatalog {
    public static var entries: [(name: String, implemented: Bool, summary: String)] {
        FaultKind.all.map { ($0.name, $0.isImplemented, $0.summary) }
    }
}

/// The recovery metric vocabulary with descriptions; `implemented` when a predicate measures it.
public enum MetricCatalog {
    public static var entries: [(name: String, implemented: Bool, summary: String)] {
        Metric.all.map { ($0.name, RecoveryPredicate.measures($0), $0.summary) }
    }
    public static var names: [String] { entries.map(\.name) }
    public static var implemented: [String] { entries.filter(\.implemented).map(\.name) }
}

/// The invariant vocabulary with descriptions; `implemented` when a checker decides it.
public enum InvariantCatalog {
    public static var entries: [(name: String, kind: InvariantKind, implemented: Bool, summary: String)] {
        InvariantName.all.map { ($0.name, $0.kind, true, $0.summary) } + InvariantName.planned.map { ($0.name, $0.kind, false, $0.summary) }
    }
}
