import ArgumentParser
import FaultlineChaos
import FaultlineCluster
import FaultlineReport
import Foundation

/// `faultline check-history FILE`: checks a recorded client history (from `run --history`, or from
/// a real etcd cluster in the same JSON-lines format) for linearizability.
struct CheckHistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-history",
        abstract: "Check a JSON-lines client history for linearizability; print the shrunk counterexample.",
        discussion: "The format is run --history's (README: client history). Exit 0 linearizable, 1 not linearizable (the smallest failing sub-history is printed), 3 undecided within --max-states, 65 the file is unreadable or a line is malformed (its line number and field are named)."
    )

    @Argument(help: "The history: JSON lines, - for standard input.") var file: String
    @Option(help: "Search states explored per key before giving up.") var maxStates: Int = LinearizabilityCheck.defaultMaxStates
    @Option(help: "Also write the counterexample (operation bars per client) as a self-contained HTML page here.") var html: String?

    func validate() throws {
        guard maxStates >= 1 else { throw ValidationError("--max-states must be at least 1") }
    }

    func run() throws {
        let text: String
        if file == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else {
            if let problem = regularFileProblem(file) { throw fail(problem, code: ExitStatus.invalidInput) }
            guard let contents = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw fail("\(file): cannot read it as UTF-8 text", code: ExitStatus.invalidInput)
            }
            text = contents
        }
        let operations: [ClientOperation]
        do {
            operations = try HistoryReader.operations(text)
        } catch let error as HistoryReader.Problem {
            throw fail("\(file):\(error.line): \(error.reason)", code: ExitStatus.invalidInput)
        } catch {
            throw fail("\(file): \(error)", code: ExitStatus.invalidInput)
        }
        switch LinearizabilityCheck.check(operations, maxStates: maxStates) {
        case .linearizable(let checked):
            print("linearizable: \(checked) operations on \(Set(operations.map(\.key)).count) keys")
        case .violation(let at, let detail):
            print("NOT linearizable (decided at \(at)):")
            print(detail)
            if let html { try Output.write(CounterexamplePage.render(source: file, detail: detail), to: html) }
            throw ExitCode(ExitStatus.safety)
        case .unknown(let reason):
            print("undecided: \(reason)")
            throw ExitCode(ExitStatus.liveness)
        }
    }
}
