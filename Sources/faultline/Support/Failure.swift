import ArgumentParser
import Foundation

/// Exit codes (documented in README.md and docs/ARCHITECTURE.md).
enum ExitStatus {
    static let pass: Int32 = 0
    static let safety: Int32 = 1
    static let liveness: Int32 = 3
    static let usage: Int32 = 64
    static let invalidInput: Int32 = 65
    static let internalError: Int32 = 70
    /// EX_CANTCREAT: an output file or database cannot be created (e.g. its folder does not exist).
    static let cannotCreate: Int32 = 73
    /// EX_IOERR: a write failed (standard output, an output file).
    static let ioError: Int32 = 74
}

/// Prints `message` to standard error as `faultline: error: ...` and returns `code` to throw.
/// Used for bad input (65), output failures (73, 74) and internal errors (70); ArgumentParser itself
/// exits 64 for usage errors. `message` must not start with "error:" (the prefix is added here).
func fail(_ message: String, code: Int32) -> ExitCode {
    Output.standardError("faultline: error: \(message)")
    return ExitCode(code)
}

/// A usage error detected after parsing (e.g. a malformed `--seeds` value): exit 64.
func usageError(_ message: String) -> ExitCode { fail(message, code: ExitStatus.usage) }

/// Prints `faultline: MESSAGE` on standard error (a problem that does not end the command by itself).
func printError(_ message: String) {
    Output.standardError("faultline: \(message)")
}

/// True when standard error is a terminal (progress bars only then).
var standardErrorIsTerminal: Bool { isatty(2) == 1 }

/// The wall clock, for the CLI only (run timestamps, wall seconds): never passed into a simulation.
enum WallClock {
    static func seconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// UTC ISO 8601, e.g. 2026-11-23T01:40:00Z, recorded with each run in the database.
    static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date())
    }
}
