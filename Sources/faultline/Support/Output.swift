import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Every byte the CLI writes goes through here: standard output, standard error, and the files named
/// by `--junit`, `--history` and `report --output`.
///
/// Invariants:
/// - A failed write is never silent: the command exits 74 (EX_IOERR) with the destination and the
///   reason on standard error. Standard output is buffered here (not in C stdio, whose `stdout` Swift 6
///   will not let us touch), so `Faultline.main` flushes and checks it (`finishStandardOutput`) before
///   any exit; the module's `print` writes into the same buffer.
/// - `-` is standard output. An existing symlink is followed. An existing file that is not a regular
///   file (a character device such as `/dev/stdout`, a FIFO) is opened and written in place, as
///   `cat > PATH` does: it is never replaced.
/// - A regular file, or a new one, is replaced atomically: written to a temporary file in the same
///   folder, synced, then renamed over the target, so a reader sees the old or the new contents,
///   never half of them. A replaced file keeps its permission bits; a new one gets 0666 minus umask.
/// - Folders are never created: a missing parent folder, like any other reason the file cannot be
///   created, exits 73 (EX_CANTCREAT).
enum Output {
    /// Why an output could not be written; `code` is 73 (cannot create) or 74 (write failed).
    struct Failure: Error, CustomStringConvertible {
        var path: String
        var reason: String
        var code: Int32
        var description: String { "\(path): \(reason)" }
    }

    /// Writes `text` to `path` (see the type's invariants), or prints why not and throws the exit code.
    static func write(_ text: String, to path: String) throws {
        do {
            try writeOrThrow(text, to: path)
        } catch let failure as Failure {
            throw fail(failure.description, code: failure.code)
        }
    }

    /// Appends `text` to standard output (buffered; checked by `finishStandardOutput`).
    static func standardOutput(_ text: String) {
        StandardOutput.shared.append(text)
    }

    /// Writes to standard error, adding a line break unless `newline` is false (progress bars).
    /// Unbuffered; errors are ignored: there is nowhere left to report them.
    static func standardError(_ text: String, newline: Bool = true) {
        let line = newline && !text.hasSuffix("\n") ? text + "\n" : text
        try? writeAll(2, line, path: "standard error")
    }

    /// Flushes standard output; if any write to it failed (now or earlier), reports it and exits 74.
    static func finishStandardOutput() {
        guard let failure = StandardOutput.shared.flush() else { return }
        standardError("faultline: error: standard output: \(failure.reason)")
        Foundation.exit(ExitStatus.ioError)
    }

    static func writeOrThrow(_ text: String, to path: String) throws(Failure) {
        if path == "-" {
            standardOutput(text)
            return
        }
        var info = stat()
        if stat(path, &info) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFREG:
                // Through a symlink, replace the file it points to and leave the link in place.
                try replaceRegularFile(at: resolvedPath(path), with: text, mode: info.st_mode & 0o7777)
            case S_IFDIR:
                throw Failure(path: path, reason: "is a directory; name a file", code: ExitStatus.cannotCreate)
            default:
                try writeInPlace(path, text)
            }
            return
        }
        let statError = errno
        guard statError == ENOENT else { throw Failure(path: path, reason: "cannot write: \(describe(statError))", code: ExitStatus.cannotCreate) }
        var linkInfo = stat()
        if lstat(path, &linkInfo) == 0 {
            // A dangling symlink: create the file it names, as a shell redirection would.
            try writeInPlace(path, text)
        } else {
            try replaceRegularFile(at: path, with: text, mode: nil)
        }
    }

    /// Opens an existing (or linked-to) file and writes into it: devices, FIFOs, dangling symlinks.
    static func writeInPlace(_ path: String, _ text: String) throws(Failure) {
        // The device may be our own standard output (/dev/stdout, a terminal): keep the order.
        _ = StandardOutput.shared.flush()
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw Failure(path: path, reason: "cannot open for writing: \(describe(errno))", code: ExitStatus.cannotCreate) }
        do {
            try writeAll(fd, text, path: path)
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw Failure(path: path, reason: "cannot write: \(describe(errno))", code: ExitStatus.ioError) }
    }

    /// Writes a temporary file next to `path`, syncs it, and renames it over `path`.
    static func replaceRegularFile(at path: String, with text: String, mode: mode_t?) throws(Failure) {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var template = Array((folder + "/." + url.lastPathComponent + ".faultline-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            let code = errno
            let reason = code == ENOENT ? "cannot create: folder \(folder) does not exist" : "cannot create a file in \(folder): \(describe(code))"
            throw Failure(path: path, reason: reason, code: ExitStatus.cannotCreate)
        }
        let temporary = String(cString: template)
        var failure: Failure?
        if fchmod(fd, mode ?? (0o666 & ~currentUmask())) != 0 {
            failure = Failure(path: path, reason: "cannot set permissions: \(describe(errno))", code: ExitStatus.ioError)
        }
        if failure == nil {
            do { try writeAll(fd, text, path: path) } catch { failure = error }
        }
        if failure == nil && fsync(fd) != 0 {
            failure = Failure(path: path, reason: "cannot write: \(describe(errno))", code: ExitStatus.ioError)
        }
        if close(fd) != 0 && failure == nil {
            failure = Failure(path: path, reason: "cannot write: \(describe(errno))", code: ExitStatus.ioError)
        }
        if failure == nil && rename(temporary, path) != 0 {
            failure = Failure(path: path, reason: "cannot replace: \(describe(errno))", code: ExitStatus.ioError)
        }
        if let failure {
            unlink(temporary)
            throw failure
        }
    }

    static func writeAll(_ fd: Int32, _ text: String, path: String) throws(Failure) {
        try writeAll(fd, Array(text.utf8), path: path)
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(Failure) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw Failure(path: path, reason: "cannot write: \(describe(errno))", code: ExitStatus.ioError)
            }
            offset += written
        }
    }

    static func resolvedPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func currentUmask() -> mode_t {
        let mask = umask(0o022)
        umask(mask)
        return mask
    }

    static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }
}

/// `write(2)`; at file scope because `Output.write` shadows the name inside the type.
private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}

/// Standard output's buffer. Output is written in 64 KiB pieces and at the end; after the first
/// failed write the rest is dropped and the failure kept for `Output.finishStandardOutput`.
final class StandardOutput: @unchecked Sendable {
    static let shared = StandardOutput()
    private let lock = NSLock()
    private var buffer: [UInt8] = []
    private var failure: Output.Failure?

    func append(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        guard failure == nil else { return }
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { writeBuffer() }
    }

    /// Writes what is buffered; returns the first failure so far, if any.
    func flush() -> Output.Failure? {
        lock.lock()
        defer { lock.unlock() }
        if failure == nil { writeBuffer() }
        return failure
    }

    /// Called under the lock.
    private func writeBuffer() {
        defer { buffer.removeAll(keepingCapacity: true) }
        guard !buffer.isEmpty else { return }
        do {
            try Output.writeAll(1, buffer, path: "standard output")
        } catch {
            failure = error
        }
    }
}

/// The module's `print` writes through `Output`, so standard output is checked like any output file.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    Output.standardOutput(items.map { "\($0)" }.joined(separator: separator) + terminator)
}
