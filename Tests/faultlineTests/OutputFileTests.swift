import Foundation
import Testing

/// `--junit`, `--history`, `report --output` and standard output against `Output`'s invariants:
/// symlinks and special files are written through, never replaced; `-` is standard output; a failed
/// write exits 74 and says so; a missing folder exits 73 and is not created.
@Suite struct OutputFileTests {
    static let sql = "SELECT 1 AS one, 'x' AS letter"
    static let csv = "one,letter\r\n1,x\r\n"

    static func fileType(_ path: String) -> mode_t {
        var info = stat()
        guard lstat(path, &info) == 0 else { return 0 }
        return info.st_mode & S_IFMT
    }

    @Test func reportOutputThroughASymlinkKeepsTheLinkAndWritesItsTarget() throws {
        let dir = try Fixtures.folder("output")
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = try Fixtures.database(in: dir, seeds: "1")
        let target = dir.appendingPathComponent("target.csv").path
        let link = dir.appendingPathComponent("link.csv").path
        try "old contents\n".write(toFile: target, atomically: true, encoding: .utf8)
        #expect(chmod(target, 0o640) == 0)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let result = try CLI.run(["report", "--db", db, "--sql", Self.sql, "--format", "csv", "--output", link])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Self.fileType(link) == S_IFLNK, "the symlink is still a symlink")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == target)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == Self.csv)
        var info = stat()
        #expect(stat(target, &info) == 0 && info.st_mode & 0o777 == 0o640, "a replaced file keeps its permissions")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".faultline-") }
        #expect(leftovers.isEmpty, "no temporary files left: \(leftovers)")
    }

    @Test func reportOutputIntoAFIFOWritesThroughIt() throws {
        let dir = try Fixtures.folder("output")
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = try Fixtures.database(in: dir, seeds: "1")
        let fifo = dir.appendingPathComponent("pipe").path
        try #require(mkfifo(fifo, 0o600) == 0)
        // A non-blocking reader lets the writer open the FIFO; the output fits in the pipe buffer.
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        try #require(reader >= 0)
        defer { close(reader) }
        let result = try CLI.run(["report", "--db", db, "--sql", Self.sql, "--format", "csv", "--output", fifo])
        #expect(result.status == 0, "\(result.stderr)")
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = read(reader, &buffer, buffer.count)
        #expect(count > 0 && String(decoding: buffer[..<max(count, 0)], as: UTF8.self) == Self.csv)
        #expect(Self.fileType(fifo) == S_IFIFO, "the FIFO is not replaced by a regular file")
    }

    @Test func dashAndDevStdoutMeanStandardOutput() throws {
        let dir = try Fixtures.folder("output")
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = try Fixtures.database(in: dir, seeds: "1")
        let dash = try CLI.run(["report", "--db", db, "--sql", Self.sql, "--format", "csv", "--output", "-"])
        #expect(dash.status == 0 && dash.stdout == Self.csv, "\(dash.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("-").path))
        let scenario = try Fixtures.tinyScenario(in: dir)
        let check = try CLI.run(["check", scenario, "--seeds", "1", "--no-db", "--junit", "/dev/stdout"])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("<testsuites"), "JUnit written through /dev/stdout: \(check.stdout)")
        let history = try CLI.run(["run", scenario, "--no-db", "--format", "json", "--history", "-"])
        #expect(history.status == 0, "\(history.stderr)")
        #expect(history.stdout.contains("{\"client\":"))
    }

    @Test func failedWritesExit74() throws {
        let dir = try Fixtures.folder("output")
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = try Fixtures.database(in: dir, seeds: "1")
        let scenario = try Fixtures.tinyScenario(in: dir)
        let cases: [(String, [String], String?)] = [
            ("run > /dev/full", ["run", scenario, "--no-db"], "/dev/full"),
            ("replay > /dev/full", ["replay", scenario, "--no-db", "--limit", "50"], "/dev/full"),
            ("report > /dev/full", ["report", "--db", db, "--sql", Self.sql], "/dev/full"),
            ("run --history /dev/full", ["run", scenario, "--no-db", "--history", "/dev/full"], nil),
            ("check --junit /dev/full", ["check", scenario, "--seeds", "1", "--no-db", "--junit", "/dev/full"], nil),
            ("report --output /dev/full", ["report", "--db", db, "--sql", Self.sql, "--output", "/dev/full"], nil),
        ]
        for (label, arguments, standardOutput) in cases {
            let result = try CLI.run(arguments, standardOutputPath: standardOutput)
            #expect(result.status == 74, "\(label): exit \(result.status), stderr \(result.stderr)")
            #expect(result.stderr.contains(standardOutput == nil ? "/dev/full" : "standard output"), "\(label): \(result.stderr)")
            #expect(result.stderr.contains("No space left on device"), "\(label): \(result.stderr)")
        }
        #expect(Self.fileType("/dev/full") == S_IFCHR, "/dev/full is still a device")
    }

    @Test func aMissingFolderIsNotCreated() throws {
        let dir = try Fixtures.folder("output")
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = try Fixtures.database(in: dir, seeds: "1")
        let missing = dir.appendingPathComponent("no/such/folder")
        let result = try CLI.run(["report", "--db", db, "--sql", Self.sql, "--output", missing.appendingPathComponent("out.csv").path])
        #expect(result.status == 73, "\(result.stderr)")
        #expect(result.stderr.contains(missing.path) && result.stderr.contains("does not exist"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("no").path))
    }
}
