import FaultlineCluster
import Yams

/// Kubernetes-typed scalars in manifests (quantities, int-or-percent, strict numbers and strings).
extension ScenarioReader {
    // MARK: Kubernetes-typed scalars

    func entry(_ items: [(key: String, value: Node)], _ key: String) -> Node? {
        items.first(where: { $0.key == key })?.value
    }

    /// Like `fields`, but a field Kubernetes has and the model does not is named as such.
    mutating func modelledFields(_ node: Node, _ path: String, allowed: [String], unmodelled: [String]) -> [(key: String, value: Node)]? {
        guard let items = fields(node, path, allowed: allowed + unmodelled) else { return nil }
        var result: [(key: String, value: Node)] = []
        for (key, value) in items {
            if unmodelled.contains(key) {
                error(value, join(path, key), "\"\(key)\" is a Kubernetes field Faultline does not model; remove it (modelled here: \(allowed.joined(separator: ", ")))")
            } else {
                result.append((key, value))
            }
        }
        return result
    }

    /// A JSON string field: a YAML number, boolean or null where Kubernetes wants a string is refused,
    /// as the apiserver's decoder refuses it (`version: 1` must be written `version: "1"`). The
    /// scenario's own strings follow the same rule (`string`).
    mutating func kubeString(_ node: Node, _ path: String) -> String? { string(node, path) }

    /// A JSON integer field (int32 unless `range` says otherwise): a quoted "3" is refused, as upstream
    /// (and as `int` refuses it everywhere).
    mutating func kubeInt(_ node: Node, _ path: String, _ range: ClosedRange<Int> = Int(Int32.min)...Int(Int32.max)) -> Int? {
        int(node, path, range)
    }

    /// A string-to-string map (labels, annotations, selectors), sorted by key.
    mutating func stringPairs(_ node: Node, _ path: String) -> StringPairs? {
        guard case .mapping(let mapping) = node else {
            error(node, path, "expected a mapping of names to strings, found \(describe(node))")
            return nil
        }
        var pairs = StringPairs()
        for (keyNode, valueNode) in mapping {
            guard let key = keyNode.string else {
                error(keyNode, path, "keys must be strings")
                continue
            }
            if let value = kubeString(valueNode, join(path, key)) { pairs[key] = value }
        }
        return pairs
    }

    /// An int-or-string amount: a whole number, or a string `<digits>%`.
    mutating func intOrPercent(_ node: Node, _ path: String) -> IntOrPercent? {
        guard case .scalar(let scalar) = node else {
            error(node, path, "expected a number or a percentage like \"25%\", found \(describe(node))")
            return nil
        }
        if scalar.style == .plain, let count = Int(scalar.string) {
            guard Int(Int32.min)...Int(Int32.max) ~= count else {
                error(node, path, "\(count) is out of range for an int32")
                return nil
            }
            return .count(count)
        }
        let digits = scalar.string.dropLast()
        guard scalar.string.hasSuffix("%"), !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0 >= "0" && $0 <= "9" }), let percent = Int(digits) else {
            error(node, path, "Invalid value: \"\(scalar.string)\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")
            return nil
        }
        return .percent(percent)
    }
}
