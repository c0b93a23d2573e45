import Foundation
import Testing

/// Small inputs shared by the CLI tests: a temporary folder, a scenario that runs in a fraction of a
/// second, and a database holding a few of its runs.
enum Fixtures {
    /// 12 s simulated with one leader crash: about 0.1 s of wall time per seed in debug builds.
    static let tinyScenario = KilledRunTests.scenario

    /// A fresh temporary folder; the caller removes it.
    static func folder(_ label: String = "cli") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("faultline-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes the tiny scenario into `folder` (under `name`) and returns its path.
    static func tinyScenario(in folder: URL, name: String = "tiny.yaml") throws -> String {
        let path = folder.appendingPathComponent(name).path
        try tinyScenario.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A database in `folder` with runs of the tiny scenario for `seeds`.
    static func database(in folder: URL, seeds: String = "1..2", name: String = "runs.sqlite") throws -> String {
        let scenario = try tinyScenario(in: folder)
        let db = folder.appendingPathComponent(name).path
        let sweep = try CLI.run(["sweep", scenario, "--seeds", seeds, "--db", db, "--jobs", "1"])
        try #require(sweep.status == 0, "sweep failed: \(sweep.stderr)")
        return db
    }
}
