import ArgumentParser

/// The `faultline` command line. Exit codes: 0 pass, 1 safety violation,
/// 3 liveness / recovery expectation missed, 64 usage, 65 invalid input, 70 internal error.
@main
struct Faultline: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "faultline",
        abstract: "Deterministic chaos and high-availability tester for Kubernetes-style clusters.",
        version: version,
        subcommands: [RunCommand.self, SweepCommand.self, ReplayCommand.self, CheckCommand.self, ReportCommand.self,
                      ValidateCommand.self, ListCommand.self, EngineSelfTest.self]
    )
}
