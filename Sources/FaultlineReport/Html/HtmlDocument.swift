import Foundation

/// The frame of every report page: one self-contained HTML5 document.
///
/// Invariants: the page references nothing outside itself (inline CSS, inline SVG, no script, no
/// link, no image URL), so it opens offline and from an e-mail attachment; every text from the
/// database goes through `xmlEscape`; numbers are printed with `Num` (fixed decimals, no locale).
enum HtmlDocument {
    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(xmlEscape(title))</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>\(style)</style></head><body>
        <h1>\(xmlEscape(title))</h1>
        \(body)
        </body></html>

        """
    }

    static let style = """
        body { font-family: system-ui, sans-serif; margin: 1.5rem 2rem; color: #1b1f24; max-width: 1400px; }
        h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 2rem; } h3 { font-size: 1rem; margin-bottom: .3rem; }
        table { border-collapse: collapse; font-size: .85rem; margin: .5rem 0; }
        th, td { border: 1px solid #d0d7de; padding: .25rem .5rem; text-align: left; vertical-align: top; }
        th { background: #f6f8fa; } td { font-variant-numeric: tabular-nums; }
        code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85rem; }
        code.cmd { display: inline-block; background: #f6f8fa; border: 1px solid #d0d7de; padding: .2rem .4rem; }
        .empty, .note { color: #57606a; font-size: .9rem; }
        .pass { color: #1a7f37; font-weight: 600; } .fail { color: #cf222e; font-weight: 600; }
        svg { display: block; margin: .4rem 0; font-size: 11px; }
        svg text { fill: #1b1f24; }
        .legend span { display: inline-block; margin-right: 1rem; font-size: .8rem; }
        .legend i { display: inline-block; width: 14px; height: 10px; margin-right: 4px; vertical-align: middle; }
        .charts { display: flex; flex-wrap: wrap; gap: 1.5rem; }
        details { margin: .5rem 0; }
        """

    /// A table of `rows` under `columns` (cells already HTML), or "none".
    static func table(_ columns: [String], _ rows: [[String]]) -> String {
        guard !rows.isEmpty else { return "<p class=\"empty\">none</p>" }
        let head = "<tr>" + columns.map { "<th>\(xmlEscape($0))</th>" }.joined() + "</tr>"
        let body = rows.map { "<tr>" + $0.map { "<td>\($0)</td>" }.joined() + "</tr>" }.joined(separator: "\n")
        return "<table>\n\(head)\n\(body)\n</table>"
    }

    /// A legend: colour swatch and label per entry.
    static func legend(_ entries: [(color: String, label: String)]) -> String {
        "<p class=\"legend\">" + entries.map { "<span><i style=\"background:\($0.color)\"></i>\(xmlEscape($0.label))</span>" }.joined() + "</p>"
    }
}

/// Numbers as pages print them: fixed decimals, "." as separator, whatever the locale.
enum Num {
    static func fixed(_ value: Double, _ decimals: Int = 1) -> String {
        guard value.isFinite else { return "0" }
        return String(format: "%.\(decimals)f", value)
    }

    /// Seconds for people: 3 decimals below 10 s, 1 above.
    static func seconds(_ value: Double) -> String { fixed(value, abs(value) < 10 ? 3 : 1) + " s" }
}

/// A linear map from data values to pixels.
struct LinearScale {
    var domainLow: Double
    var domainHigh: Double
    var pixelLow: Double
    var pixelHigh: Double

    /// The pixel of `value` (clamped to the range; an empty domain maps to the low pixel).
    func callAsFunction(_ value: Double) -> Double {
        let span = domainHigh - domainLow
        guard span > 0 else { return pixelLow }
        let fraction = min(1, max(0, (value - domainLow) / span))
        return pixelLow + fraction * (pixelHigh - pixelLow)
    }

    /// About `count` round tick values inside the domain (1, 2 or 5 times a power of ten apart).
    func ticks(_ count: Int = 8) -> [Double] {
        let span = domainHigh - domainLow
        guard span > 0, count > 0 else { return [domainLow] }
        let raw = span / Double(count)
        let power = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw } ?? raw
        var ticks: [Double] = []
        var tick = ceil(domainLow / step) * step
        while tick <= domainHigh + step * 1e-9 {
            ticks.append(tick)
            tick += step
        }
        return ticks
    }
}

/// Small SVG element builders; attribute values are escaped.
enum Svg {
    static func rect(x: Double, y: Double, width: Double, height: Double, fill: String, cssClass: String = "", title: String? = nil, extra: String = "") -> String {
        let classAttribute = cssClass.isEmpty ? "" : " class=\"\(cssClass)\""
        let body = title.map { "<title>\(xmlEscape($0))</title>" } ?? ""
        return "<rect\(classAttribute) x=\"\(Num.fixed(x))\" y=\"\(Num.fixed(y))\" width=\"\(Num.fixed(max(width, 0.8)))\" height=\"\(Num.fixed(height))\" fill=\"\(fill)\"\(extra)>\(body)</rect>"
    }

    static func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double = 1, dash: String? = nil, cssClass: String = "", title: String? = nil) -> String {
        let classAttribute = cssClass.isEmpty ? "" : " class=\"\(cssClass)\""
        let dashAttribute = dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
        let body = title.map { "<title>\(xmlEscape($0))</title>" } ?? ""
        return "<line\(classAttribute) x1=\"\(Num.fixed(x1))\" y1=\"\(Num.fixed(y1))\" x2=\"\(Num.fixed(x2))\" y2=\"\(Num.fixed(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(Num.fixed(width))\"\(dashAttribute)>\(body)</line>"
    }

    static func text(x: Double, y: Double, _ content: String, anchor: String = "start", cssClass: String = "", size: Double? = nil, fill: String? = nil) -> String {
        let classAttribute = cssClass.isEmpty ? "" : " class=\"\(cssClass)\""
        let sizeAttribute = size.map { " font-size=\"\(Num.fixed($0))\"" } ?? ""
        let fillAttribute = fill.map { " style=\"fill:\($0)\"" } ?? ""
        return "<text\(classAttribute) x=\"\(Num.fixed(x))\" y=\"\(Num.fixed(y))\" text-anchor=\"\(anchor)\"\(sizeAttribute)\(fillAttribute)>\(xmlEscape(content))</text>"
    }

    static func circle(cx: Double, cy: Double, r: Double, fill: String, cssClass: String = "", title: String? = nil) -> String {
        let classAttribute = cssClass.isEmpty ? "" : " class=\"\(cssClass)\""
        let body = title.map { "<title>\(xmlEscape($0))</title>" } ?? ""
        return "<circle\(classAttribute) cx=\"\(Num.fixed(cx))\" cy=\"\(Num.fixed(cy))\" r=\"\(Num.fixed(r))\" fill=\"\(fill)\">\(body)</circle>"
    }

    static func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 1.5, cssClass: String = "") -> String {
        let classAttribute = cssClass.isEmpty ? "" : " class=\"\(cssClass)\""
        let list = points.map { "\(Num.fixed($0.0)),\(Num.fixed($0.1))" }.joined(separator: " ")
        return "<polyline\(classAttribute) points=\"\(list)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(Num.fixed(width))\"/>"
    }

    static func document(width: Double, height: Double, label: String, cssClass: String, _ content: [String]) -> String {
        "<svg class=\"\(cssClass)\" width=\"\(Num.fixed(width, 0))\" height=\"\(Num.fixed(height, 0))\" viewBox=\"0 0 \(Num.fixed(width, 0)) \(Num.fixed(height, 0))\" role=\"img\" aria-label=\"\(xmlEscape(label))\">\n"
            + content.joined(separator: "\n") + "\n</svg>"
    }

    /// A time axis along `y` with ticks every round number of seconds.
    static func timeAxis(_ scale: LinearScale, y: Double, height: Double) -> [String] {
        var parts: [String] = []
        for tick in scale.ticks(10) {
            let x = scale(tick)
            parts.append(line(x1: x, y1: y, x2: x, y2: y + height, stroke: "#eaeef2"))
            parts.append(text(x: x, y: y - 4, Num.fixed(tick, tick == tick.rounded() ? 0 : 1) + "s", anchor: "middle", cssClass: "tick"))
        }
        return parts
    }
}
