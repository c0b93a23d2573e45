import Foundation
import Testing
@testable import FaultlineReport

/// Renders a run page and a sweep page in headless Chromium (Debian's `chromium`; `.ci/run` installs
/// it): the DOM must hold the drawn elements with a real size on screen, the console must stay
/// silent, and a screenshot of each lands in `Reports/screenshots/browser-test/` (ignored by git).
///
/// This test fails, never skips, when no browser can render: a page that no browser has drawn is not tested.
@Suite struct BrowserTests {
    /// A probe appended to a copy of the page: counts the elements of each class that the browser laid
    /// out with a non-zero size, and writes the counts into the DOM for `--dump-dom`.
    static let probe = """
        <script>
        (function () {
          var classes = ["lane", "fault-bar", "role-bar", "recovery-marker", "violation-marker", "avail-bar", "latency-point", "op-bar",
                         "hist-bar", "cdf-line", "pct-marker", "bound-marker", "whatif-p50", "whatif-p99", "whatif-fail"];
          var counts = {};
          classes.forEach(function (name) {
            var drawn = 0;
            document.querySelectorAll("." + name).forEach(function (element) {
              var box = element.getBoundingClientRect();
              if (box.width > 0 || box.height > 0) drawn += 1;
            });
            counts[name] = drawn;
          });
          var out = document.createElement("pre");
          out.id = "probe";
          out.textContent = JSON.stringify(counts);
          document.body.appendChild(out);
        })();
        </script>
        """

    static func browser() -> String? {
        if let chosen = ProcessInfo.processInfo.environment["FAULTLINE_BROWSER"], !chosen.isEmpty { return chosen }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            for name in ["chromium", "chromium-browser", "google-chrome"] {
                let candidate = "\(folder)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }

    struct Rendering {
        var dom: String
        var log: String
        var counts: [String: Int]
        var screenshotBytes: Int
    }

    /// Renders `page` headless: the DOM after layout (with the probe's counts) and a screenshot.
    static func render(_ page: String, name: String, browser: String, in folder: URL) throws -> Rendering {
        let html = folder.appendingPathComponent("\(name).html")
        try page.replacingOccurrences(of: "</body>", with: probe + "</body>").write(to: html, atomically: true, encoding: .utf8)
        let screenshots = CLIRoot.url.appendingPathComponent("Reports/screenshots/browser-test")
        try FileManager.default.createDirectory(at: screenshots, withIntermediateDirectories: true)
        let png = screenshots.appendingPathComponent("\(name).png")
        try? FileManager.default.removeItem(at: png)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                             "--disable-extensions", "--disable-background-networking", "--hide-scrollbars",
                             "--user-data-dir=\(folder.appendingPathComponent("profile-\(name)").path)",
                             "--enable-logging=stderr", "--v=0", "--window-size=1400,1600",
                             "--screenshot=\(png.path)", "--dump-dom", html.absoluteString]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errorData = ErrorReader(err.fileHandleForReading)
        let dom = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let log = errorData.finish()
        var counts: [String: Int] = [:]
        if let start = dom.range(of: "<pre id=\"probe\">"), let end = dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex) {
            let json = String(dom[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "&quot;", with: "\"")
            counts = (try? JSONDecoder().decode([String: Int].self, from: Data(json.utf8))) ?? [:]
        }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: png.path)[.size] as? Int) ?? 0
        return Rendering(dom: dom, log: log, counts: counts, screenshotBytes: bytes)
    }

    @Test(.timeLimit(.minutes(1))) func runAndSweepPagesRenderInHeadlessChromium() throws {
        let browser = try #require(Self.browser(), "no chromium on PATH: install Debian's chromium (apt-get install -y chromium; .ci/run does) or set FAULTLINE_BROWSER")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("faultline-browser-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let runPage = RunPage.render(PageFixtures.run(), runID: 1)
        let sweeps = [
            SweepPageTests.sweep("s [cluster.etcd.election-timeout=500ms]", values: [0.6, 0.7, 0.8, 0.9, 1.4], failing: 1,
                                 parameters: [.init(path: "cluster.etcd.election-timeout", value: "500ms")]),
            SweepPageTests.sweep("s [cluster.etcd.election-timeout=2000ms]", values: [2.1, 2.5, 2.6, 3.0, 6.5],
                                 parameters: [.init(path: "cluster.etcd.election-timeout", value: "2000ms")]),
        ]
        let sweepPage = SweepPage.render(title: "Faultline sweep: s", sweeps: sweeps, bounds: ["etcd.leader-elected": 5])
        // Both pages at once (each browser start is most of the time), on GCD threads: blocking the
        // Swift concurrency pool would wait for every other test to yield a thread first.
        let renderings = RenderingBox()
        let group = DispatchGroup()
        for (name, page) in [("run", runPage), ("sweep", sweepPage)] {
            DispatchQueue.global().async(group: group) {
                renderings.set(name, Result { try Self.render(page, name: name, browser: browser, in: folder) })
            }
        }
        group.wait()
        let runRendering = try renderings.get("run")
        let sweepRendering = try renderings.get("sweep")
        for (name, rendering) in [("run", runRendering), ("sweep", sweepRendering)] {
            #expect(!rendering.counts.isEmpty, "\(name): the browser did not run the page (no probe output); log: \(rendering.log.suffix(2_000))")
            let console = rendering.log.split(separator: "\n").filter { $0.contains(":CONSOLE") }
            #expect(console.isEmpty, "\(name): console messages: \(console)")
            #expect(rendering.screenshotBytes > 10_000, "\(name): no screenshot (or a blank one)")
        }
        let runCounts = runRendering.counts
        #expect(runCounts["lane"] == 3)
        #expect(runCounts["fault-bar"] == 3)
        #expect(runCounts["role-bar"] == 5)
        #expect(runCounts["recovery-marker"] == 1)
        #expect(runCounts["violation-marker"] == 1)
        #expect(runCounts["avail-bar"] == 3)
        #expect(runCounts["latency-point"] == 2)
        #expect(runCounts["op-bar"] == 3)
        let sweepCounts = sweepRendering.counts
        #expect((sweepCounts["hist-bar"] ?? 0) >= 6)
        #expect(sweepCounts["cdf-line"] == 2)
        #expect(sweepCounts["pct-marker"] == 8)
        #expect(sweepCounts["bound-marker"] == 2)
        #expect(sweepCounts["whatif-p50"] == 2 && sweepCounts["whatif-p99"] == 2 && sweepCounts["whatif-fail"] == 2)
    }
}

/// The two renderings, written from two threads.
final class RenderingBox: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [String: Result<BrowserTests.Rendering, any Error>] = [:]

    func set(_ name: String, _ result: Result<BrowserTests.Rendering, any Error>) {
        lock.lock()
        defer { lock.unlock() }
        results[name] = result
    }

    func get(_ name: String) throws -> BrowserTests.Rendering {
        lock.lock()
        defer { lock.unlock() }
        return try results[name]!.get()
    }
}

/// Reads a pipe to its end on another thread (so a chatty stderr cannot block the browser).
final class ErrorReader: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func finish() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}

/// The package root (the test writes its screenshots under Reports/).
enum CLIRoot {
    static var url: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}
