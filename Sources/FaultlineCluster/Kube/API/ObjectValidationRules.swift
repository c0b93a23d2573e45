import FaultlineSim

/// The syntax rules validation uses: names and labels, numbers, and printing values as the apiserver does.
extension ObjectValidation {
    // MARK: Names and labels

    static let dns1123LabelHint = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    static let dns1123SubdomainHint = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    static let dns1035LabelHint = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
    static let qualifiedNameHint = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    static let labelValueHint = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

    static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isLowerAlphanumeric(byte) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }

    /// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
    static func isDNS1123Label(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, let last = bytes.last, isLowerAlphanumeric(first), isLowerAlphanumeric(last) else { return false }
        return bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    static func dns1123Label(_ text: String, _ path: String) -> [FieldError] {
        var found: [FieldError] = []
        if text.utf8.count > 63 { found.append(FieldError(path, .invalid(value: quoted(text)), "must be no more than 63 characters")) }
        if !isDNS1123Label(text) { found.append(FieldError(path, .invalid(value: quoted(text)), dns1123LabelHint)) }
        return found
    }

    static func dns1123Subdomain(_ text: String, _ path: String) -> [FieldError] {
        var found: [FieldError] = []
        if text.utf8.count > 253 { found.append(FieldError(path, .invalid(value: quoted(text)), "must be no more than 253 characters")) }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        if !labels.allSatisfy({ isDNS1123Label(String($0)) }) { found.append(FieldError(path, .invalid(value: quoted(text)), dns1123SubdomainHint)) }
        return found
    }

    static func dns1035Label(_ text: String, _ path: String) -> [FieldError] {
        var found: [FieldError] = []
        if text.utf8.count > 63 { found.append(FieldError(path, .invalid(value: quoted(text)), "must be no more than 63 characters")) }
        let startsWithLetter = text.utf8.first.map { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") } ?? false
        if !startsWithLetter || !isDNS1123Label(text) { found.append(FieldError(path, .invalid(value: quoted(text)), dns1035LabelHint)) }
        return found
    }

    /// RBAC names only have to be usable as one URL path segment.
    static func pathSegmentName(_ text: String, _ path: String) -> [FieldError] {
        if text == "." || text == ".." { return [FieldError(path, .invalid(value: quoted(text)), "may not be '\(text)'")] }
        for forbidden in ["/", "%"] where text.contains(forbidden) {
            return [FieldError(path, .invalid(value: quoted(text)), "may not contain '\(forbidden)'")]
        }
        return []
    }

    /// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, at most 63 bytes.
    static func isQualifiedNamePart(_ text: Substring) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, let last = bytes.last, bytes.count <= 63, isAlphanumeric(first), isAlphanumeric(last) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    /// A label or annotation key: an optional DNS-subdomain prefix and `/`, then a name part.
    static func qualifiedName(_ key: String, _ path: String) -> [FieldError] {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        switch parts.count {
        case 1:
            break
        case 2:
            if parts[0].isEmpty { return [FieldError(path, .invalid(value: quoted(key)), "prefix part must be non-empty")] }
            if !dns1123Subdomain(String(parts[0]), path).isEmpty {
                return [FieldError(path, .invalid(value: quoted(key)), "prefix part " + dns1123SubdomainHint)]
            }
        default:
            return [FieldError(path, .invalid(value: quoted(key)),
                               "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")]
        }
        let name = parts[parts.count - 1]
        if name.isEmpty { return [FieldError(path, .invalid(value: quoted(key)), "name part must be non-empty")] }
        if name.utf8.count > 63 { return [FieldError(path, .invalid(value: quoted(key)), "name part must be no more than 63 characters")] }
        if !isQualifiedNamePart(name) { return [FieldError(path, .invalid(value: quoted(key)), qualifiedNameHint)] }
        return []
    }

    static func labelValue(_ value: String, _ path: String) -> [FieldError] {
        guard !value.isEmpty else { return [] }
        if value.utf8.count > 63 { return [FieldError(path, .invalid(value: quoted(value)), "must be no more than 63 characters")] }
        return isQualifiedNamePart(Substring(value)) ? [] : [FieldError(path, .invalid(value: quoted(value)), labelValueHint)]
    }

    static func labelErrors(_ labels: StringPairs, _ path: String) -> [FieldError] {
        labels.flatMap { qualifiedName($0.key, path) + labelValue($0.value, path) }
    }

    /// Keys as labels; values free, but all annotations of an object together at most 256 KiB.
    static func annotationErrors(_ annotations: StringPairs, _ path: String) -> [FieldError] {
        var found = annotations.flatMap { qualifiedName($0.key.lowercased(), path) }
        let totalBytes = annotations.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        if totalBytes > 256 * 1024 { found.append(FieldError(path, .invalid(value: "\(totalBytes) bytes"), "must have at most 262144 bytes")) }
        return found
    }

    // MARK: Numbers

    static func nonNegative<Number: BinaryInteger>(_ value: Number, _ path: String) -> [FieldError] {
        value < 0 ? [FieldError(path, .invalid(value: String(value)), "must be greater than or equal to 0")] : []
    }

    static func portNumber(_ port: Int, _ path: String) -> [FieldError] {
        (1...65535).contains(port) ? [] : [FieldError(path, .invalid(value: String(port)), "must be between 1 and 65535, inclusive")]
    }

    static func intOrPercentErrors(_ value: IntOrPercent, _ path: String) -> [FieldError] {
        switch value {
        case .count(let count): return nonNegative(count, path)
        case .percent(let percent):
            return percent < 0 ? [FieldError(path, .invalid(value: printed(value)), "must be greater than or equal to 0")] : []
        }
    }

    static func isZero(_ value: IntOrPercent) -> Bool {
        switch value {
        case .count(let count): return count == 0
        case .percent(let percent): return percent == 0
        }
    }

    // MARK: Printing values as Go's %v / %q would

    static func quoted(_ text: String) -> String {
        var result = "\""
        for character in text.unicodeScalars {
            switch character {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            default: result.unicodeScalars.append(character)
            }
        }
        return result + "\""
    }

    static func printed(_ value: IntOrPercent) -> String {
        switch value {
        case .count(let count): return String(count)
        case .percent: return quoted(value.description)
        }
    }

    /// `map[app:web tier:front]`, Go's rendering of a label map (keys sorted, as Go prints maps).
    static func printed(_ pairs: StringPairs) -> String {
        "map[" + pairs.map { "\($0.key):\($0.value)" }.joined(separator: " ") + "]"
    }
}
