import Foundation

/// Checks a scenario path before the loader reads it, so the message says what is wrong with the
/// path itself: missing (with the closest existing file as a did-you-mean), a folder, or not a regular
/// file (`/dev/null`, a FIFO), which the loader would otherwise report as a permission problem.
enum ScenarioFiles {
    /// Why `path` cannot be a scenario file, or nil when it is a regular file.
    static func problem(with path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            guard code == ENOENT else { return "\(path): cannot read: \(String(cString: strerror(code)))" }
            return "\(path): no such scenario file" + (suggestion(for: path).map { "; did you mean \($0)?" } ?? "")
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "\(path): is a folder; name a scenario file (YAML), e.g. \(path)/*.yaml"
        case S_IFCHR: return "\(path): is a character device, not a regular file; name a scenario file (YAML)"
        case S_IFIFO: return "\(path): is a FIFO, not a regular file; name a scenario file (YAML)"
        default: return "\(path): is not a regular file; name a scenario file (YAML)"
        }
    }

    /// The existing scenario file whose name is closest to `path`'s: among the `.yaml` files of the
    /// folder `path` names, and of `Scenarios/` and its subfolders. Nil when nothing is close (edit
    /// distance above a third of the name, at least 2). Ties go to the first path in sorted order, so
    /// the answer does not depend on the file system's listing order.
    static func suggestion(for path: String) -> String? {
        let url = URL(fileURLWithPath: path)
        let name = url.lastPathComponent
        let folder = (path as NSString).deletingLastPathComponent
        var candidates: [String] = []
        let manager = FileManager.default
        for file in (try? manager.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder)) ?? [] where file.hasSuffix(".yaml") {
            candidates.append(folder.isEmpty ? file : (folder as NSString).appendingPathComponent(file))
        }
        for file in manager.subpaths(atPath: "Scenarios") ?? [] where file.hasSuffix(".yaml") {
            candidates.append("Scenarios/" + file)
        }
        let limit = max(2, name.count / 3)
        var best: (distance: Int, path: String)?
        for candidate in Set(candidates).sorted() where candidate != path {
            let distance = editDistance(name, (candidate as NSString).lastPathComponent)
            if distance <= limit && (best == nil || distance < best!.distance) { best = (distance, candidate) }
        }
        return best?.path
    }

    /// Levenshtein distance over Unicode scalars.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        var current = Array(repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
