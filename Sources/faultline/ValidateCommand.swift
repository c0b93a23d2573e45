import ArgumentParser
import FaultlineChaos
import Foundation

/// `faultline validate SCENARIO...`: checks scenario files without running them.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Validate scenario files; print every problem with file, line, column and field path."
    )

    @Argument(help: "Scenario files (YAML).") var scenarios: [String]

    func validate() throws {
        guard !scenarios.isEmpty else { throw ValidationError("name at least one scenario file") }
    }

    func run() throws {
        var invalid = 0
        for path in scenarios {
            switch readPlan(path) {
            case .success(let plan):
                // A jittered fault's window, as each seed draws its injection time in it.
                let jittered = plan.faults.indices.filter { plan.faults[$0].jitter > .zero }.map {
                    "; spec.faults[\($0)] at \(DurationText.format(plan.faults[$0].at)) + [0, \(DurationText.format(plan.faults[$0].jitter)))"
                }.joined()
                print("\(path): ok (\(plan.name): \(plan.memberCount) masters, \(plan.faults.count) scheduled fault\(plan.faults.count == 1 ? "" : "s")\(plan.nemesis == nil ? "" : ", nemesis"), \(plan.duration)\(jittered))")
            case .failure(let problem):
                invalid += 1
                problem.report()
            }
        }
        if invalid > 0 { throw ExitCode(ExitStatus.invalidInput) }
    }
}
