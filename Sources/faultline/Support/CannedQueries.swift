import ArgumentParser
import Foundation

/// The canned queries of `Reports/queries/*.sql`, for `report --query NAME`.
///
/// They are read from the checkout, not compiled in, so `sqlite3 ... < Reports/queries/NAME.sql`
/// and `faultline report --query NAME` always run the same text. Searched, in order:
/// `Reports/queries` under the current folder (a clone's root, as the README runs them), then under
/// each folder above the executable (a SwiftPM build lives in `<clone>/.build/<config>/faultline`),
/// so the command works from any folder with a binary built in a clone.
enum CannedQueries {
    static let folder = "Reports/queries"

    /// The shipped names, for `--help` (a test checks they match the files).
    static let shippedNames = [
        "failing-seeds", "nondeterminism", "recovery-percentiles", "run-timeline", "runs-per-scenario",
        "slowest-recoveries", "violations-by-invariant",
    ]

    struct Query {
        var name: String
        var path: String
        var text: String
    }

    /// The folders that may hold the queries, nearest first.
    static func searchFolders() -> [String] {
        var folders = [folder]
        var executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        if !FileManager.default.fileExists(atPath: executable.path), let main = Bundle.main.executableURL {
            executable = main.resolvingSymlinksInPath()
        }
        var directory = executable.deletingLastPathComponent()
        for _ in 0..<6 {
            folders.append(directory.appendingPathComponent(folder).path)
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { break }
            directory = parent
        }
        return folders
    }

    /// The query called `name` (`failing-seeds`; a trailing `.sql` is accepted), or a usage error
    /// (exit 64) listing the names that exist.
    static func load(_ name: String) throws -> Query {
        let base = name.hasSuffix(".sql") ? String(name.dropLast(4)) : name
        guard !base.isEmpty, base.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw usageError("--query \(name): a canned query name such as failing-seeds; for a file of SQL use --sql-file PATH")
        }
        let folders = searchFolders()
        for folder in folders {
            let path = folder + "/" + base + ".sql"
            if regularFileProblem(path) == nil, let text = try? String(contentsOfFile: path, encoding: .utf8) {
                return Query(name: base, path: path, text: text)
            }
        }
        guard let found = folders.first(where: { !names(in: $0).isEmpty }) else {
            throw usageError("--query \(name): no \(folder) folder found here or above the faultline executable; run from the clone's root, or use --sql-file PATH")
        }
        throw usageError("--query \(name): no such canned query in \(found); known: \(names(in: found).joined(separator: ", "))")
    }

    /// The query names in `folder`, sorted.
    static func names(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasSuffix(".sql") }.map { String($0.dropLast(4)) }.sorted()
    }
}
