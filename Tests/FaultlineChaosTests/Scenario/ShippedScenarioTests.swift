import Foundation
import Testing
@testable import FaultlineChaos

/// The shipped scenarios and the documented example must stay valid as the format evolves.
@Suite struct ShippedScenarioTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static var shipped: [String] {
        var paths: [String] = []
        for folder in ["Scenarios", "Scenarios/unsafe", "Scenarios/raft-paper"] {
            let directory = root.appendingPathComponent(folder)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            paths += names.filter { $0.hasSuffix(".yaml") }.sorted().map { directory.appendingPathComponent($0).path }
        }
        return paths
    }

    @Test func everyShippedScenarioLoadsAndStartsWithAComment() throws {
        #expect(Self.shipped.count >= 9)
        for path in Self.shipped {
            let plan = try ScenarioLoader.plan(path: path)
            #expect(!plan.name.isEmpty)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.hasPrefix("# "), "\(path) must start with a comment saying what a user learns")
        }
    }

    @Test func theFormatExampleInTheScenariosReadmeIsValid() throws {
        let readme = try String(contentsOfFile: Self.root.appendingPathComponent("Scenarios/README.md").path, encoding: .utf8)
        let parts = readme.components(separatedBy: "```yaml")
        try #require(parts.count >= 2, "the format reference has a yaml example")
        // The first block is the complete example; the later ones are fragments of `spec`.
        let example = parts[1].components(separatedBy: "```")[0]
        let plan = try ScenarioLoader.plan(yaml: example, file: "Scenarios/README.md")
        #expect(plan.workload.watchers == 2)
        #expect(plan.workload.leaseHolders == 3)
        #expect(plan.nemesis != nil)
    }
}
