import Foundation

/// A linearizability counterexample read back from its invariant's `detail` (the text the checker
/// writes: `key K is not linearizable; smallest failing sub-history (N ops): client C get K -> "v"
/// [t=1.234s, t=1.500s]; ...`), so the page can draw it as operation bars per client.
///
/// Invariant: `parse` returns nil rather than a partial history when any operation does not read as
/// the checker writes it; the page then shows the detail text alone.
struct Counterexample: Equatable {
    struct Operation: Equatable {
        var client: Int
        /// What the client did and saw, e.g. `get k1 -> "v3"`.
        var text: String
        var called: Double
        /// Nil: the outcome is unknown (the request timed out).
        var returned: Double?
    }

    var key: String
    var operations: [Operation]

    static let marker = "smallest failing sub-history"

    static func parse(_ detail: String) -> Counterexample? {
        guard detail.hasPrefix("key "), let markerRange = detail.range(of: marker),
              let listStart = detail.range(of: "): ", range: markerRange.upperBound..<detail.endIndex) else { return nil }
        let key = String(detail[detail.index(detail.startIndex, offsetBy: 4)...].prefix { $0 != " " })
        var operations: [Operation] = []
        for entry in detail[listStart.upperBound...].components(separatedBy: "; ") {
            guard let operation = parseOperation(entry) else { return nil }
            operations.append(operation)
        }
        return operations.isEmpty ? nil : Counterexample(key: key, operations: operations)
    }

    /// `client 3 put k1 = "v" [t=1.234s, unknown]`.
    static func parseOperation(_ entry: String) -> Operation? {
        let words = entry.split(separator: " ", maxSplits: 2)
        guard words.count == 3, words[0] == "client", let client = Int(words[1]),
              let open = entry.range(of: " [", options: .backwards), entry.hasSuffix("]") else { return nil }
        let text = String(entry[words[2].startIndex..<open.lowerBound])
        let window = entry[open.upperBound..<entry.index(before: entry.endIndex)].components(separatedBy: ", ")
        guard window.count == 2, let called = instant(window[0]) else { return nil }
        let returned = instant(window[1])
        guard returned != nil || window[1] == "unknown" else { return nil }
        return Operation(client: client, text: text, called: called, returned: returned)
    }

    /// `t=1.234s` in seconds.
    static func instant(_ text: String) -> Double? {
        guard text.hasPrefix("t="), text.hasSuffix("s") else { return nil }
        return Double(text.dropFirst(2).dropLast())
    }
}

/// Draws a counterexample: one row per client, each operation a bar from call to return (open-ended,
/// hatched, when unknown), labelled with what it did and saw.
enum CounterexampleChart {
    static func svg(_ example: Counterexample) -> String {
        let clients = Array(Set(example.operations.map(\.client))).sorted()
        let start = example.operations.map(\.called).min() ?? 0
        let lastReturn = example.operations.compactMap(\.returned).max() ?? start
        let end = max(lastReturn, example.operations.map(\.called).max() ?? start) + max(0.05, (lastReturn - start) * 0.15)
        let left = 90.0, width = 1100.0, rowHeight = 34.0
        let scale = LinearScale(domainLow: start, domainHigh: end, pixelLow: left, pixelHigh: width - 20)
        var parts = Svg.timeAxis(scale, y: 18, height: Double(clients.count) * rowHeight + 4)
        for (row, client) in clients.enumerated() {
            let y = 24 + Double(row) * rowHeight
            parts.append(Svg.text(x: 8, y: y + 17, "client \(client)"))
            // Overlapping operations of one client cannot exist (one request in flight), so one row each.
            for operation in example.operations where operation.client == client {
                let x1 = scale(operation.called), x2 = scale(operation.returned ?? end)
                let window = "\(Num.fixed(operation.called, 3))s to " + (operation.returned.map { "\(Num.fixed($0, 3))s" } ?? "unknown")
                parts.append(Svg.rect(x: x1, y: y + 4, width: x2 - x1, height: 20, fill: operation.returned == nil ? "#f4c06d" : "#8cb4e8",
                                      cssClass: "op-bar", title: "client \(client) \(operation.text) (\(window))"))
                parts.append(Svg.text(x: x1 + 3, y: y + 18, operation.text, cssClass: "op-label", size: 10))
            }
        }
        return Svg.document(width: width, height: 30 + Double(clients.count) * rowHeight, label: "linearizability counterexample on key \(example.key)",
                            cssClass: "counterexample", parts)
    }
}

/// A page with one counterexample alone (`check-history --html`).
public enum CounterexamplePage {
    public static func render(source: String, detail: String) -> String {
        var body = "<p>History <code>\(xmlEscape(source))</code> is not linearizable.</p>\n"
        if let example = Counterexample.parse(detail) { body += CounterexampleChart.svg(example) + "\n" }
        body += "<p class=\"mono\">\(xmlEscape(detail))</p>"
        return HtmlDocument.page(title: "Linearizability counterexample", body: body)
    }
}
