import Foundation

/// POSIX shell quoting for the commands Faultline prints and stores (`reproduce`, `replay`).
///
/// Invariant: `sh -c "set -- $(shellQuoted(word))"` sets `$1` to exactly `word`, for any word: a word
/// of only safe characters (letters, digits and `_ . / : , + @ % -`) is left as it is; any other word
/// is put in single quotes, each `'` in it written `'\''`. `ShellQuoteSQL.expression` is the same
/// function in SQL, for the views; the two must agree (tested).
public func shellQuoted(_ word: String) -> String {
    if !word.isEmpty && word.unicodeScalars.allSatisfy(isShellSafe) { return word }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// The command that reproduces one run exactly: `faultline run PATH --seed N`, with PATH quoted.
public func reproduceCommand(scenarioPath: String, seed: UInt64) -> String {
    "faultline run \(shellQuoted(scenarioPath)) --seed \(seed)"
}

private func isShellSafe(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar {
    case "a"..."z", "A"..."Z", "0"..."9", "_", ".", "/", ":", ",", "+", "@", "%", "-": true
    default: false
    }
}

/// `shellQuoted` as an SQL expression, for views and canned queries that build commands.
public enum ShellQuoteSQL {
    /// The SQL expression quoting the text expression `column` (e.g. `scenario_path`).
    /// GLOB's `[^...]` class lists the same safe characters as `shellQuoted`.
    public static func expression(_ column: String) -> String {
        "(CASE WHEN \(column) <> '' AND \(column) NOT GLOB '*[^A-Za-z0-9_./:,+@%-]*' THEN \(column) "
            + "ELSE '''' || replace(\(column), '''', '''\\''''') || '''' END)"
    }
}
