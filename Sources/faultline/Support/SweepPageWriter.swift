import FaultlineChaos
import FaultlineReport
import Foundation

/// Builds a sweep's page and, when it goes to a file, the pages of the runs it links to (failing
/// seeds and recoveries beyond their bound) in a folder beside it: `sweep.html` links into
/// `sweep-runs/run-ID.html`. Written to standard output, the page names the command for each run instead.
///
/// Invariant: run pages are written before the sweep page (`Output.write` of the caller), and only
/// into the folder named after the output file; a folder that cannot be created is exit 73.
struct SweepPageWriter {
    var store: ReportStore
    var output: String?

    func render(scenario: String) throws -> String {
        let names = try store.variants(of: scenario)
        let sweeps = try names.map { try store.sweep($0) }
        let bounds = Self.bounds(path: sweeps.first?.scenarioPath ?? "")
        var links: [Int64: String] = [:]
        if let output, output != "-" {
            let url = URL(fileURLWithPath: output)
            let folderName = url.deletingPathExtension().lastPathComponent + "-runs"
            let folder = url.deletingLastPathComponent().appendingPathComponent(folderName)
            let ids = SweepPage.linkedRuns(sweeps, bounds: bounds)
            if !ids.isEmpty {
                do {
                    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
                } catch CocoaError.fileWriteFileExists {
                } catch {
                    throw fail("\(folder.path): cannot create the folder for run pages: \(error.localizedDescription)", code: ExitStatus.cannotCreate)
                }
            }
            for id in ids {
                guard let record = try store.runRecord(id) else { continue }
                try Output.write(RunPage.render(record, runID: id), to: folder.appendingPathComponent("run-\(id).html").path)
                links[id] = "\(folderName)/run-\(id).html"
            }
        }
        return SweepPage.render(title: "Faultline sweep: \(scenario)", sweeps: sweeps, bounds: bounds, runLinks: links)
    }

    /// Expectation bounds (seconds per metric) from the scenario file, if it is still there and valid.
    static func bounds(path: String) -> [String: Double] {
        guard !path.isEmpty, ScenarioFiles.problem(with: path) == nil, let plan = try? ScenarioLoader.plan(path: path) else { return [:] }
        var bounds: [String: Double] = [:]
        for expectation in plan.expectations {
            bounds[expectation.metric.name] = min(bounds[expectation.metric.name] ?? .infinity, expectation.within.seconds)
        }
        return bounds
    }
}
