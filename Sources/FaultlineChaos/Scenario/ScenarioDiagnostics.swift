/// One problem found in a scenario file, located like a compiler diagnostic.
public struct ScenarioDiagnostic: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// 1-based line and column, when the YAML parser could say.
    public var line: Int?
    public var column: Int?
    /// The field's path, e.g. `spec.faults[2].duration`.
    public var path: String
    public var message: String

    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        let field = path.isEmpty ? "" : "\(path): "
        return "\(location): error: \(field)\(message)"
    }
}

/// A scenario file that cannot be run: every problem found, in file order.
public struct ScenarioError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [ScenarioDiagnostic]
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Suggests the closest known name (edit distance at most 2, or a shared prefix), for "did you mean".
func closestName(to word: String, in candidates: [String]) -> String? {
    var best: (name: String, distance: Int)?
    for candidate in candidates {
        // The distance is at least the difference in length: skip hopeless candidates without the
        // quadratic computation (a hostile file can hold a megabyte-long name).
        guard abs(word.count - candidate.count) <= max(2, candidate.count / 4) else { continue }
        let distance = editDistance(word.lowercased(), candidate.lowercased())
        if distance <= max(2, candidate.count / 4), distance < (best?.distance ?? .max) { best = (candidate, distance) }
    }
    return best?.name
}

/// Levenshtein distance (two rows).
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = Array(repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
