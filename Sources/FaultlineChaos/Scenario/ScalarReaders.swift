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
            located[join(path, key)] = value
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

    /// What a scalar is in YAML's core schema: its explicit tag, else `str` when quoted, else what the
    /// plain text resolves to (`3` an int, `true` a bool, an empty value null).
    func yamlType(_ node: Node) -> Tag.Name { Tag.Name(rawValue: node.tag.description) }

    /// How a scalar of the wrong type is named in a diagnostic: `the number 0`, `the string "3"`.
    func describeTyped(_ node: Node) -> String {
        guard case .scalar(let scalar) = node else { return describe(node) }
        switch yamlType(node) {
        case .int, .float: return "the number \(scalar.string)"
        case .bool: return "the boolean \(scalar.string)"
        case .null: return scalar.string.isEmpty ? "an empty value" : "null"
        default: return "the string \"\(scalar.string)\""
        }
    }

    /// A string. A plain number, boolean or null where a name is expected is refused (`name: 0` must be
    /// written `name: "0"`), never coerced.
    mutating func string(_ node: Node, _ path: String) -> String? {
        guard case .scalar(let scalar) = node else {
            error(node, path, "expected a string, found \(describe(node))")
            return nil
        }
        switch yamlType(node) {
        case .int, .float, .bool, .null:
            let hint = scalar.string.isEmpty ? "" : "; quote it: \"\(scalar.string)\""
            error(node, path, "expected a string, found \(describeTyped(node))\(hint)")
            return nil
        default:
            return scalar.string
        }
    }

    /// A whole number written as a YAML number: a quoted `"3"` is a string and refused.
    mutating func int(_ node: Node, _ path: String, _ range: ClosedRange<Int>) -> Int? {
        guard let value = number(node, path, "a whole number from \(range.lowerBound) to \(range.upperBound)", Int.init) else { return nil }
        guard range.contains(value) else {
            error(node, path, "\(value) is out of range: expected \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return value
    }

    /// A finite number written as a YAML number (int or float); a quoted one is refused.
    mutating func real(_ node: Node, _ path: String, _ expected: String) -> Double? {
        number(node, path, expected) { text in Double(text).flatMap { $0.isFinite ? $0 : nil } }
    }

    /// The scalar parsed by `parse`, when YAML reads it as a number; otherwise records "expected
    /// `expected`", naming a quoted number as the string it is.
    mutating func number<Value>(_ node: Node, _ path: String, _ expected: String, _ parse: (String) -> Value?) -> Value? {
        guard case .scalar(let scalar) = node else {
            error(node, path, "expected \(expected), found \(describe(node))")
            return nil
        }
        let type = yamlType(node)
        if type == .str, parse(scalar.string) != nil {
            error(node, path, "expected \(expected), found the string \"\(scalar.string)\"; remove the quotes")
            return nil
        }
        guard type == .int || type == .float, let value = parse(scalar.string) else {
            error(node, path, "expected \(expected), found \(describe(node))")
            return nil
        }
        return value
    }

    mutating func probability(_ node: Node, _ path: String) -> Double? {
        guard let value = real(node, path, "a probability from 0 to 1") else { return nil }
        guard value >= 0 && value <= 1 else {
            error(node, path, "\(node.scalar?.string ?? "\(value)") is not a probability: expected 0 to 1")
            return nil
        }
        return value
    }

    /// `true` or `false`, unquoted (a quoted "true" is a string).
    mutating func bool(_ node: Node, _ path: String) -> Bool? {
        guard case .scalar(let scalar) = node, yamlType(node) == .bool, let value = ["true": true, "false": false][scalar.string] else {
            error(node, path, "expected true or false, found \(describeTyped(node))")
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
