import Foundation
import Yams

/// One scenario field set from the command line (`sweep --vary`, `run --set`): a path under `spec`
/// (`cluster.etcd.election-timeout`; sequence items by index, `faults.0.duration`) and a value.
public struct ScenarioOverride: Sendable, Equatable {
    public var path: String
    public var value: String

    public init(path: String, value: String) {
        self.path = path
        self.value = value
    }

    /// The path's components under `spec` (a leading `spec.` is accepted and dropped).
    public var components: [String] {
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        return parts.first == "spec" ? Array(parts.dropFirst()) : parts
    }

    /// Whether `value` reads as a number (`3`, `0.25`) or a duration (`500ms`, `1.5s`, `2m`).
    public static func isNumericOrDuration(_ value: String) -> Bool {
        var text = Substring(value)
        for unit in ["ns", "us", "µs", "ms", "s", "m", "h"] where text.hasSuffix(unit) {
            text = text.dropLast(unit.count)
            break
        }
        guard let first = text.first, first.isNumber || first == "-" || first == "." else { return false }
        return Double(text) != nil
    }
}

/// Why an override cannot apply: the path or value is wrong (a usage error, exit 64).
public struct ScenarioOverrideError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// Applies overrides to a scenario's YAML before the loader reads it, so every overridden value is
/// validated exactly as if the file had said it.
///
/// Invariants: only a number or duration replaces a number or duration (or fills a field the parent
/// mapping lacks; the loader then checks the field name); the rest of the document is unchanged; the
/// loader names the file `PATH (with --set ...)` in its diagnostics, and the plan's `path` is `PATH`.
public enum ScenarioOverrides {
    /// The plan of `path` with `overrides` applied (none: the file as it is).
    public static func plan(path: String, overrides: [ScenarioOverride]) throws -> RunPlan {
        guard !overrides.isEmpty else { return try ScenarioLoader.plan(path: path) }
        _ = try ScenarioLoader.plan(path: path)  // the file itself must be valid first
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let applied = try apply(overrides, to: text)
        let label = path + " (with " + overrides.map { "--set \($0.path)=\($0.value)" }.joined(separator: " ") + ")"
        var plan = try ScenarioLoader.plan(yaml: applied, file: label)
        plan.path = path  // runs name the file itself (reproduce commands add the overrides)
        return plan
    }

    /// `text` with every override applied, as YAML.
    public static func apply(_ overrides: [ScenarioOverride], to text: String) throws -> String {
        guard var root = try Yams.compose(yaml: text) else { throw ScenarioOverrideError(description: "the scenario holds no YAML document") }
        for override in overrides {
            guard ScenarioOverride.isNumericOrDuration(override.value) else {
                throw ScenarioOverrideError(description: "\(override.path)=\(override.value): the value must be a number (3, 0.25) or a duration (500ms, 1.5s, 2m)")
            }
            let components = override.components
            guard !components.isEmpty, components.allSatisfy({ !$0.isEmpty }) else {
                throw ScenarioOverrideError(description: "\(override.path): a path names fields under spec separated by dots, e.g. cluster.etcd.election-timeout")
            }
            guard case .mapping(var top) = root, let spec = top["spec"] else {
                throw ScenarioOverrideError(description: "the scenario has no spec mapping")
            }
            top["spec"] = try set(override, in: spec, at: components[...], walked: "spec")
            root = .mapping(top)
        }
        return try Yams.serialize(node: root)
    }

    static func set(_ override: ScenarioOverride, in node: Node, at components: ArraySlice<String>, walked: String) throws -> Node {
        let name = components.first!
        let here = walked + "." + name
        let rest = components.dropFirst()
        switch node {
        case .mapping(var mapping):
            let index = mapping.firstIndex { $0.key.string == name }
            if let index {
                let child = mapping[index].value
                let updated = rest.isEmpty ? try replaced(child, override, here) : try set(override, in: child, at: rest, walked: here)
                mapping[index] = (key: mapping[index].key, value: updated)
                return .mapping(mapping)
            }
            guard rest.isEmpty else {
                let fields = mapping.keys.compactMap(\.string).joined(separator: ", ")
                throw ScenarioOverrideError(description: "\(override.path): \(walked) has no field \(name) (it has: \(fields.isEmpty ? "none" : fields))")
            }
            mapping[Node(name)] = Node(override.value)
            return .mapping(mapping)
        case .sequence(var sequence):
            guard let position = Int(name), position >= 0, position < sequence.count else {
                throw ScenarioOverrideError(description: "\(override.path): \(walked) is a list of \(sequence.count); \(name) is not an index in it (0 to \(sequence.count - 1))")
            }
            let child = sequence[position]
            sequence[position] = rest.isEmpty ? try replaced(child, override, here) : try set(override, in: child, at: rest, walked: here)
            return .sequence(sequence)
        case .scalar, .alias:
            throw ScenarioOverrideError(description: "\(override.path): \(walked) is a value, not a mapping or list")
        }
    }

    static func replaced(_ node: Node, _ override: ScenarioOverride, _ walked: String) throws -> Node {
        guard case .scalar(let scalar) = node, ScenarioOverride.isNumericOrDuration(scalar.string) else {
            throw ScenarioOverrideError(description: "\(override.path): \(walked) is not a number or duration field; --vary and --set change only those")
        }
        return Node(override.value)
    }
}
