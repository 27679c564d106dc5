import Foundation

/// What a program printed and how it ended.
public struct ProcessOutput: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// A program that is not installed; the message says how to get it.
public struct ToolMissing: Error, CustomStringConvertible {
    public let program: String
    public var description: String { "\(program) is not installed: run scripts/setup.sh" }
}

/// Runs real programs for the tests of every module: the built `mezhved`, `openssl`, `xmlsec1`,
/// the interop Python.
public enum TestProcess {
    /// The repository's root folder.
    public static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A path inside the repository.
    public static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// Finds a program on PATH (an absolute path is taken as it is).
    public static func locate(_ name: String) -> String? {
        if name.hasPrefix("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// The mezhved executable built beside the tests.
    public static var mezhved: String {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var candidates = [
            here.appendingPathComponent("mezhved").path, here.deletingLastPathComponent().appendingPathComponent("mezhved").path,
        ]
        for configuration in ["debug", "release"] { candidates.append(path(".build/\(configuration)/mezhved")) }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

    /// Runs `program` (a path, or a name found on PATH) to its end, feeding `stdin` and reading both
    /// outputs at once so that neither pipe fills up. `environment` is added to the tests' own.
    /// It blocks its thread: only for places without an async context (a trait's condition); a test
    /// awaits `run`.
    public static func runBlocking(
        _ program: String, _ arguments: [String], stdin: [UInt8]? = nil, environment: [String: String] = [:],
        currentDirectory: String? = nil
    ) throws -> ProcessOutput {
        guard let executable = locate(program) else { throw ToolMissing(program: program) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin)) }
        try input.fileHandleForWriting.close()
        nonisolated(unsafe) var errData = Data()
        // Its own thread, not a Dispatch queue's: a blocking read must not wait for a worker.
        let errRead = DispatchSemaphore(value: 0)
        Thread {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            errRead.signal()
        }.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        errRead.wait()
        process.waitUntilExit()
        return ProcessOutput(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs `program` as `runBlocking` does, waiting on a thread of its own rather than on
    /// one of the concurrency pool's threads. The pool has one thread per core (two here), and a
    /// test blocked in `waitpid` on one of them starves every other test's task — a poll loop with a
    /// deadline then wakes up after its deadline has passed.
    public static func run(
        _ program: String, _ arguments: [String], stdin: [UInt8]? = nil, environment: [String: String] = [:],
        currentDirectory: String? = nil
    ) async throws -> ProcessOutput {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(
                    with: Result {
                        try runBlocking(program, arguments, stdin: stdin, environment: environment, currentDirectory: currentDirectory)
                    })
            }.start()
        }
    }

    /// Runs the built mezhved (see `run`).
    public static func mezhved(_ arguments: [String], environment: [String: String] = [:], currentDirectory: String? = nil)
        async throws -> ProcessOutput
    {
        try await run(mezhved, arguments, environment: environment, currentDirectory: currentDirectory)
    }
}

/// Waiting for something another process does.
public enum Eventually {
    /// Asks `body` every `interval` until it gives a value or `seconds` have passed. It is asked once
    /// more after the deadline: a wait that woke up late (a loaded machine) still sees the state as
    /// it is now, not as it was before the wait slept.
    public static func poll<T>(
        seconds: Int, every interval: Duration = .milliseconds(250), _ body: () async throws -> T?
    ) async throws -> T? {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if let value = try await body() { return value }
            try await Task.sleep(for: interval)
        }
        return try await body()
    }
}
