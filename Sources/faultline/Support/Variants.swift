import ArgumentParser
import FaultlineChaos
import FaultlineReport
import Foundation

/// `--set PATH=VALUE` (run) and `--vary PATH=V1,V2,...` (sweep): scenario fields overridden from
/// the command line, and the variants (one per combination of values) a what-if sweep runs.
///
/// Invariants: a variant's runs are recorded under `NAME [PATH=VALUE, ...]` (so every view and
/// percentile keeps variants apart) with their parameters in `run_parameters`; variants come in
/// grid order, the first `--vary` outermost, values in the order given.
enum Variants {
    /// The most variants one sweep runs (the grid's size).
    static let maximumCount = 64

    /// The scenario name a variant's runs are recorded under.
    static func name(_ base: String, _ parameters: [RunParameter]) -> String {
        parameters.isEmpty ? base : base + " [" + parameters.map { "\($0.path)=\($0.value)" }.joined(separator: ", ") + "]"
    }

    /// `--vary` values parsed into axes: path and its values.
    static func axes(_ specs: [String]) throws -> [(path: String, values: [String])] {
        var axes: [(path: String, values: [String])] = []
        for spec in specs {
            let (path, list) = try split(spec, option: "--vary")
            let values = list.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard values.allSatisfy({ !$0.isEmpty }) else { throw usageError("--vary \(spec): an empty value in the list; write PATH=V1,V2,...") }
            guard axes.allSatisfy({ $0.path != path }) else { throw usageError("--vary \(spec): \(path) is varied twice; give its values in one --vary") }
            for value in values where !ScenarioOverride.isNumericOrDuration(value) {
                throw usageError("--vary \(spec): \(value) is not a number (3, 0.25) or a duration (500ms, 1.5s, 2m)")
            }
            axes.append((path, values))
        }
        return axes
    }

    /// Every combination of the axes' values, first axis outermost.
    static func grid(_ axes: [(path: String, values: [String])]) -> [[RunParameter]] {
        axes.reduce([[]]) { combinations, axis in
            combinations.flatMap { prefix in axis.values.map { prefix + [RunParameter(path: axis.path, value: $0)] } }
        }
    }

    static func split(_ spec: String, option: String) throws -> (String, String) {
        guard let equals = spec.firstIndex(of: "="), equals != spec.startIndex else {
            throw usageError("\(option) \(spec): write PATH=VALUE with PATH under spec, e.g. cluster.etcd.election-timeout=500ms")
        }
        let path = String(spec[..<equals]).trimmingCharacters(in: .whitespaces)
        guard path.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" }) else {
            throw usageError("\(option) \(spec): a path is field names and list indexes joined by dots, e.g. cluster.etcd.election-timeout")
        }
        return (path, String(spec[spec.index(after: equals)...]).trimmingCharacters(in: .whitespaces))
    }
}

/// `--set` values parsed; exit 64 when one is malformed.
func parseOverrides(_ specs: [String]) throws -> [RunParameter] {
    try specs.map { spec in
        let (path, value) = try Variants.split(spec, option: "--set")
        guard ScenarioOverride.isNumericOrDuration(value) else {
            throw usageError("--set \(spec): \(value) is not a number (3, 0.25) or a duration (500ms, 1.5s, 2m)")
        }
        return RunParameter(path: path, value: value)
    }
}

/// Loads a scenario with overrides: exit 64 when a path does not lead to a number or duration field,
/// 65 when the file, or the file with the overrides, is not a valid scenario.
func loadPlan(_ path: String, overrides: [RunParameter]) throws -> RunPlan {
    let plan = try loadPlan(path)
    guard !overrides.isEmpty else { return plan }
    do {
        return try ScenarioOverrides.plan(path: path, overrides: overrides.map { ScenarioOverride(path: $0.path, value: $0.value) })
    } catch let error as ScenarioOverrideError {
        throw usageError("\(path): \(error.description)")
    } catch {
        ScenarioProblem(message: "\(error)").report()
        throw ExitCode(ExitStatus.invalidInput)
    }
}

extension RunRecord {
    /// Marks the record as a run of the variant with `parameters` (nothing for none).
    mutating func apply(_ parameters: [RunParameter]) {
        guard !parameters.isEmpty else { return }
        self.parameters = parameters
        scenario = Variants.name(scenario, parameters)
    }
}
