import Foundation

/// Aligned text table of a query result, for people: reals rounded to 3 decimals (`QueryValue.rounded`).
public func renderTable(_ result: QueryResult) -> String {
    let cells = result.rows.map { $0.map(\.rounded) }
    var widths = result.columns.map(\.count)
    for row in cells {
        for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
    }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }
    var lines = [line(result.columns), line(widths.map { String(repeating: "-", count: $0) })]
    lines += cells.map(line)
    return lines.joined(separator: "\n")
}

/// RFC 4180 CSV, for scripts: values at full precision (`QueryValue.exact`; NULL is an empty field);
/// fields with commas, quotes or line breaks are quoted, quotes doubled.
public func renderCSV(_ result: QueryResult) -> String {
    func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
    return ([result.columns] + result.exactRows).map { $0.map(field).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
}

/// A JSON array of objects, one per row, keys in column order; integers and reals are JSON numbers
/// (full precision), NULL is `null`, text is a string.
public func renderJSON(_ result: QueryResult) -> String {
    JSONWriter.array(result.rows.map { row in
        JSONWriter.object(zip(result.columns, row).map { column, value in
            switch value {
            case .null: (column, "null")
            case .integer(let number): (column, String(number))
            case .real(let number): (column, JSONWriter.number(number))
            case .text(let text): (column, JSONWriter.string(text))
            case .blob: (column, JSONWriter.string(value.exact))
            }
        })
    })
}

func xmlEscape(_ text: String) -> String {
    var escaped = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": escaped += "&amp;"
        case "<": escaped += "&lt;"
        case ">": escaped += "&gt;"
        case "\"": escaped += "&quot;"
        case "'": escaped += "&apos;"
        default:
            // XML 1.0 forbids most control characters even when escaped.
            if scalar.value < 0x20 && scalar != "\n" && scalar != "\t" && scalar != "\r" { escaped += "?" } else { escaped.unicodeScalars.append(scalar) }
        }
    }
    return escaped
}

/// JUnit XML as Jenkins, GitLab and GitHub read it: one testsuite per scenario file, one testcase per seed,
/// a `failure` per run that broke an invariant, naming it and the command that reproduces it (quoted
/// for the shell). Each file in `invalid` (it failed validation, so no seed ran) is a testsuite of one
/// testcase with an `error` carrying the validator's message: CI shows why the check failed.
public func renderJUnit(suites: [(scenario: String, records: [RunRecord])], invalid: [(scenario: String, message: String)] = []) -> String {
    let total = suites.reduce(0) { $0 + $1.records.count } + invalid.count
    let failures = suites.reduce(0) { $0 + $1.records.filter { $0.verdict != "pass" }.count }
    let time = suites.reduce(0.0) { $0 + $1.records.reduce(0) { $0 + $1.wallSeconds } }
    var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    xml += "<testsuites name=\"faultline\" tests=\"\(total)\" failures=\"\(failures)\" errors=\"\(invalid.count)\" time=\"\(String(format: "%.3f", time))\">\n"
    for file in invalid {
        let name = xmlEscape(file.scenario)
        xml += "  <testsuite name=\"\(name)\" tests=\"1\" failures=\"0\" errors=\"1\" time=\"0.000\">\n"
        xml += "    <testcase classname=\"\(name)\" name=\"validate\" time=\"0.000\">\n"
        xml += "      <error message=\"invalid scenario file; no seed was run\" type=\"invalid-scenario\">\(xmlEscape(file.message))</error>\n"
        xml += "    </testcase>\n  </testsuite>\n"
    }
    for suite in suites {
        let suiteFailures = suite.records.filter { $0.verdict != "pass" }.count
        let suiteTime = suite.records.reduce(0) { $0 + $1.wallSeconds }
        xml += "  <testsuite name=\"\(xmlEscape(suite.scenario))\" tests=\"\(suite.records.count)\" failures=\"\(suiteFailures)\" errors=\"0\" time=\"\(String(format: "%.3f", suiteTime))\">\n"
        for record in suite.records {
            xml += "    <testcase classname=\"\(xmlEscape(suite.scenario))\" name=\"seed \(record.seed)\" time=\"\(String(format: "%.3f", record.wallSeconds))\""
            if record.verdict == "pass" {
                xml += "/>\n"
                continue
            }
            let broken = record.invariants.filter { !$0.holds }
            let message = "\(record.verdict) violation: " + broken.map(\.name).joined(separator: ", ")
            var body = broken.map { invariant in
                "\(invariant.name) (\(invariant.kind))" + (invariant.firstViolationAt.map { " at \($0)s" } ?? "") + ": \(invariant.detail)"
            }.joined(separator: "\n")
            body += "\nreproduce: \(reproduceCommand(scenarioPath: suite.scenario, seed: record.seed))\ntrace hash: \(record.traceHash)"
            xml += ">\n      <failure message=\"\(xmlEscape(message))\" type=\"\(xmlEscape(record.verdict))\">\(xmlEscape(body))</failure>\n    </testcase>\n"
        }
        xml += "  </testsuite>\n"
    }
    xml += "</testsuites>\n"
    return xml
}

/// A self-contained HTML page (inline CSS, no scripts): one heading and table per section, every
/// text escaped, reals rounded to 3 decimals as in `renderTable`.
public func renderHTML(title: String, sections: [(heading: String, result: QueryResult)]) -> String {
    func table(_ result: QueryResult) -> String {
        guard !result.rows.isEmpty else { return "<p class=\"empty\">none</p>" }
        let head = "<tr>" + result.columns.map { "<th>\(xmlEscape($0))</th>" }.joined() + "</tr>"
        let body = result.rows.map { "<tr>" + $0.map { "<td>\(xmlEscape($0.rounded))</td>" }.joined() + "</tr>" }.joined(separator: "\n")
        return "<table>\n\(head)\n\(body)\n</table>"
    }
    let body = sections.map { "<h2>\(xmlEscape($0.heading))</h2>\n\(table($0.result))" }.joined(separator: "\n")
    return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(xmlEscape(title))</title>
        <style>
        body { font-family: system-ui, sans-serif; margin: 2rem; color: #1b1f24; }
        h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
        table { border-collapse: collapse; font-size: 0.9rem; }
        th, td { border: 1px solid #d0d7de; padding: 0.3rem 0.6rem; text-align: left; }
        th { background: #f6f8fa; } td { font-variant-numeric: tabular-nums; }
        .empty { color: #57606a; }
        </style></head><body>
        <h1>\(xmlEscape(title))</h1>
        \(body)
        </body></html>

        """
}

/// The full report page: recovery percentiles, failing runs and violations.
public func renderHTML(title: String, percentiles: QueryResult, failing: QueryResult, violations: QueryResult) -> String {
    renderHTML(title: title, sections: [
        ("Recovery percentiles (simulated seconds, nearest rank)", percentiles),
        ("Failing runs", failing),
        ("Violations", violations),
    ])
}
