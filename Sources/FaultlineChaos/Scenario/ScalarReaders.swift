import FaultlineCluster
import FaultlineSim
import Yams

/// The generic readers every part of a scenario uses: mappings with known fields, typed scalars,
/// lists and names from a fixed set. Each records why a value is unusable and returns nil.
extension ScenarioReader {
    /// The fields of a mapping, in file order; unknown keys are reported with a suggestion.
    mutating func fields(_ node: Node, _ path: String, allowed: [String]) -> [(key: String, value: Node)]? {
        guard case .mapping(let mapping) = node else {
            error(node, path, "expected a mapping with fields \(allowed.joined(separator: ", ")), found \(describe(node))")
            return nil
        }
        var result: [(key: String, value: Node)] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else {
                error(keyNode, path, "field names must be strings")
                continue
            }
            guard allowed.contains(key) else {
                let hint = closestName(to: key, in: allowed).map { "; did you mean \"\($0)\"?" } ?? "; known fields: \(allowed.joined(separator: ", "))"
                error(keyNode, join(path, key), "unknown field \"\(key)\"\(hint)")
                continue
            }
            result.append((key, value))
        }
        return result
    }

    func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): return scalar.string.isEmpty ? "an empty value" : "\"\(scalar.string)\""
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    mutating func string(_ node: Node, _ path: String) -> String? {
        guard case .scalar(let scalar) = node else {
            error(node, path, "expected a string, found \(describe(node))")
            return nil
        }
        return scalar.string
    }

    mutating func int(_ node: Node, _ path: String, _ range: ClosedRange<Int>) -> Int? {
        guard case .scalar(let scalar) = node, let value = Int(scalar.string) else {
            error(node, path, "expected a whole number from \(range.lowerBound) to \(range.upperBound), found \(describe(node))")
            return nil
        }
        guard range.contains(value) else {
            error(node, path, "\(value) is out of range: expected \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return value
    }

    mutating func probability(_ node: Node, _ path: String) -> Double? {
        guard case .scalar(let scalar) = node, let value = Double(scalar.string), value.isFinite else {
            error(node, path, "expected a probability from 0 to 1, found \(describe(node))")
            return nil
        }
        guard value >= 0 && value <= 1 else {
            error(node, path, "\(scalar.string) is not a probability: expected 0 to 1")
            return nil
        }
        return value
    }

    mutating func bool(_ node: Node, _ path: String) -> Bool? {
        guard case .scalar(let scalar) = node, let value = ["true": true, "false": false][scalar.string] else {
            error(node, path, "expected true or false, found \(describe(node))")
            return nil
        }
        return value
    }

    mutating func duration(_ node: Node, _ path: String, allowZero: Bool = false) -> SimDuration? {
        guard case .scalar(let scalar) = node else {
            error(node, path, "expected a duration like \"30s\", found \(describe(node))")
            return nil
        }
        switch DurationText.parse(scalar.string) {
        case .success(let duration):
            guard allowZero || duration > .zero else {
                error(node, path, "must be longer than zero")
                return nil
            }
            return duration
        case .failure(let failure):
            error(node, path, failure.description)
            return nil
        }
    }

    mutating func list(_ node: Node, _ path: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            error(node, path, "expected a list, found \(describe(node))")
            return nil
        }
        return Array(sequence)
    }

    mutating func stringList(_ node: Node, _ path: String) -> [String]? {
        guard let items = list(node, path) else { return nil }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            if let text = string(item, path + "[\(index)]") { result.append(text) }
        }
        return result
    }

    /// `unsafe-bugs`: a list of bug names from `table` (each checked like any choice), as one set.
    mutating func bugs<Bugs: OptionSet>(_ node: Node, _ path: String, _ table: [(String, Bugs)]) -> Bugs where Bugs.Element == Bugs {
        var bugs: Bugs = []
        for (index, item) in (list(node, path) ?? []).enumerated() {
            if let name = choice(item, path + "[\(index)]", table.map(\.0), what: "bug"), let bug = table.first(where: { $0.0 == name })?.1 {
                bugs.formUnion(bug)
            }
        }
        return bugs
    }

    /// A name from `choices`, with a suggestion when it is close to one.
    mutating func choice(_ node: Node, _ path: String, _ choices: [String], what: String) -> String? {
        guard let text = string(node, path) else { return nil }
        guard choices.contains(text) else {
            let hint = closestName(to: text, in: choices).map { "; did you mean \"\($0)\"?" } ?? "; expected one of \(choices.joined(separator: ", "))"
            error(node, path, "unknown \(what) \"\(text)\"\(hint)")
            return nil
        }
        return text
    }
}
