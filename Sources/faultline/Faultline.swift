import ArgumentParser
import Foundation

/// The `faultline` command line. Exit codes: 0 pass, 1 safety violation,
/// 3 liveness / recovery expectation missed, 64 usage, 65 invalid input, 70 internal error,
/// 73 an output cannot be created, 74 a write failed (standard output included).
@main
struct Faultline: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "faultline",
        abstract: "Deterministic chaos and high-availability tester for Kubernetes-style clusters.",
        version: version,
        subcommands: [RunCommand.self, SweepCommand.self, ReplayCommand.self, CheckCommand.self, ReportCommand.self,
                      ValidateCommand.self, ListCommand.self, CheckHistoryCommand.self, EngineSelfTest.self]
    )

    /// ArgumentParser's `main`, plus one step before exiting: standard output is flushed and checked,
    /// so `faultline run S > /dev/full` exits 74 instead of 0 (see `Output`).
    static func main() {
        let status: Int32
        do {
            var command = try parseAsRoot()
            try command.run()
            status = ExitStatus.pass
        } catch {
            status = exitCode(for: error).rawValue
            let message = fullMessage(for: error)
            if !message.isEmpty {
                if status == ExitStatus.pass { Output.standardOutput(message + "\n") } else { Output.standardError(message) }
            }
        }
        Output.finishStandardOutput()
        Foundation.exit(status)
    }
}
