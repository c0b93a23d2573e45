import Foundation
import Testing

/// Runs the built `faultline` executable in a separate process.
enum CLI {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The `faultline` binary next to the test bundle (SwiftPM puts all products in one folder).
    static var executable: URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL,
            Bundle.main.bundleURL.deletingLastPathComponent(),
        ]
        for folder in candidates {
            let url = folder.appendingPathComponent("faultline")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return candidates[0].appendingPathComponent("faultline")
    }

    /// The package root (for shipped scenarios).
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Runs `faultline` with `arguments`; standard output goes to a pipe (returned) or, when
    /// `standardOutputPath` is given, to that file (e.g. `/dev/full`).
    static func run(_ arguments: [String], currentDirectory: URL? = nil, standardOutputPath: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let out = Pipe()
        let err = Pipe()
        var file: FileHandle?
        if let standardOutputPath {
            file = try #require(FileHandle(forWritingAtPath: standardOutputPath), "cannot open \(standardOutputPath)")
            process.standardOutput = file
        } else {
            process.standardOutput = out
        }
        process.standardError = err
        try process.run()
        // Read before waiting so a full pipe cannot deadlock the child.
        let stdout = standardOutputPath == nil ? out.fileHandleForReading.readDataToEndOfFile() : Data()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? file?.close()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }
}
