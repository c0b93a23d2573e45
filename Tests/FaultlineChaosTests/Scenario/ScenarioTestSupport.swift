import Testing
@testable import FaultlineChaos

/// Shared by the validation suites: a valid etcd-only scenario to extend (`spec:` last, so lines can be
/// appended under it; line 5 is `duration`), and loaders that expect a rejection or a plan.
enum ScenarioText {
    static let file = "Scenarios/validation.yaml"

    static func minimal(duration: String = "2m") -> String {
        """
        apiVersion: faultline.dev/v1alpha1
        kind: Scenario
        metadata: {name: t}
        spec:
          duration: \(duration)

        """
    }

    /// The diagnostics of a scenario that must be rejected; each names the file and says `error:`.
    static func rejected(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> [ScenarioDiagnostic] {
        do {
            let plan = try ScenarioLoader.plan(yaml: yaml, file: file)
            Issue.record("expected the scenario to be rejected, got plan \(plan.name)", sourceLocation: sourceLocation)
            return []
        } catch {
            for diagnostic in error.diagnostics {
                #expect(diagnostic.file == file && diagnostic.description.hasPrefix(file + ":"), sourceLocation: sourceLocation)
                #expect(diagnostic.description.contains("error: "), sourceLocation: sourceLocation)
            }
            #expect(!error.diagnostics.isEmpty, sourceLocation: sourceLocation)
            return error.diagnostics
        }
    }

    /// The one diagnostic of a rejected scenario.
    static func single(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> ScenarioDiagnostic? {
        let found = rejected(yaml, sourceLocation: sourceLocation)
        #expect(found.count == 1, "\(found)", sourceLocation: sourceLocation)
        return found.first
    }

    /// The plan of a scenario that must load.
    static func plan(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> RunPlan {
        do {
            return try ScenarioLoader.plan(yaml: yaml, file: file)
        } catch {
            Issue.record("expected the scenario to load: \(error)", sourceLocation: sourceLocation)
            throw error
        }
    }
}
