import ArgumentParser
import CMezhvedShims
import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments
import MezhvedValidation
import MezhvedXMLDSig

@main
struct Mezhved: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mezhved",
        abstract: "Signs and verifies interagency XML documents (XMLDSig with GOST R 34.10-2012, RSA, ECDSA).",
        discussion: "Exit codes are listed in docs/cli.md and by `mezhved exit-codes`.",
        version: "0.1.0",
        subcommands: [
            Sign.self, Verify.self, RequestCommand.self, AnswerCommand.self, ReceiptCommand.self, Validate.self, Render.self, Bench.self,
            ArchiveCommand.self, GatewayCommand.self, IncomingCommand.self, CalendarCommand.self, SendCommand.self, OutboxCommand.self,
            Serve.self, TokenCommand.self, UserCommand.self, RecordCommand.self, ReportCommand.self, RegisterCommand.self,
            SyntheticYear.self, DbCommand.self, Extend.self, ExitCodes.self,
        ]
    )

    /// Runs the command, mapping every failure to its exit code in one place.
    static func main() async {
        // Keep freed heap memory for reuse instead of handing it back to the kernel after every
        // document: otherwise each parse pays for fresh, zeroed pages (measured: ~10% of a verify).
        mz_tune_allocator()
        mz_openssl_skip_atexit_cleanup()
        do {
            var command = try parseAsRoot(Verify.splittingEmptyAttachedValues(Array(CommandLine.arguments.dropFirst())))
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch let error as DocumentError {
            printProblems(error)
            Foundation.exit(ExitCode.forError(error).rawValue)
        } catch let error as any MezhvedError {
            Output.error(error.description)
            Foundation.exit(ExitCode.forError(error).rawValue)
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            exit(withError: error)
        }
    }
}

/// The exit codes of every command, in one place (documented in docs/cli.md).
extension ExitCode {
    /// The signature is invalid: tampered, forged, or built to mislead.
    static let signatureInvalid = ExitCode(1)
    /// The signature could not be shown valid: untrusted, expired or revoked signer.
    static let signatureIndeterminate = ExitCode(2)
    /// The document could not be used: unreadable, not XML, hostile XML, over a limit, no signature.
    static let unusableInput = ExitCode(3)
    /// A key, certificate, trust store or CRL could not be used, or an algorithm does not fit.
    static let unusableKeyMaterial = ExitCode(4)
    /// The machine lacks something mezhved needs (OpenSSL's GOST engine).
    static let environment = ExitCode(5)
    /// A document or form breaks its schema or the regulations (every problem is listed).
    static let documentInvalid = ExitCode(6)
    /// The archive's integrity is broken: the audit found altered, missing or extra items.
    static let archiveBroken = ExitCode(7)
    /// A rule refused the operation: not an archive, a number in the wrong state, a duplicate, a
    /// signer who may not sign the document, a torn write to recover.
    static let archiveRefused = ExitCode(8)
    /// The signature holds, but it is not a qualified electronic signature.
    static let notQualified = ExitCode(9)
    /// A network service (time-stamping authority, OCSP responder, CRL distribution point) did not
    /// answer or answered wrongly; for `sign --xades t` nothing is written.
    static let serviceUnavailable = ExitCode(10)
    /// A bug or an unexpected library failure.
    static let internalFailure = ExitCode(70)

    /// A configuration (the gateway's) is invalid; every problem is listed.
    static let configurationInvalid = ExitCode(11)
    /// An incoming document was refused: kept in quarantine with its reason, a rejection receipt sent.
    static let documentRejected = ExitCode(12)
    /// `archive audit`: the integrity holds, but there are policy findings (and nothing else).
    static let archivePolicy = ExitCode(13)

    /// The exit code of a failure category: the one mapping from errors to exit codes.
    static func forCategory(_ category: FailureCategory) -> ExitCode {
        switch category {
        case .unusableInput: return .unusableInput
        case .unusableKeyMaterial: return .unusableKeyMaterial
        case .environment: return .environment
        case .documentInvalid: return .documentInvalid
        case .integrityBroken: return .archiveBroken
        case .refused: return .archiveRefused
        case .serviceUnavailable: return .serviceUnavailable
        case .configurationInvalid: return .configurationInvalid
        default: return .internalFailure
        }
    }

    /// The exit code of any mezhved error, by its category.
    static func forError(_ error: some MezhvedError) -> ExitCode { forCategory(error.category) }

    static func forStatus(_ status: VerificationReport.Status) -> ExitCode {
        switch status {
        case .valid: return .success
        case .invalid: return .signatureInvalid
        case .indeterminate: return .signatureIndeterminate
        }
    }
}

struct ExitCodes: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exit-codes", abstract: "Lists mezhved's exit codes.")

    func run() {
        print(
            """
            0   success; for verify: every signature valid and trusted
            1   signature invalid (tampered, forged, wrapped, weak algorithm refused)
            2   signature indeterminate (untrusted, expired or revoked signer, revocation unknown)
            3   unusable document (unreadable, not well-formed, DTD/entities, over a limit, no signature)
            4   unusable key, certificate, trust store or CRL, or an algorithm that does not fit
            5   missing system support (OpenSSL's GOST engine, mezhved's schemas)
            6   document invalid: breaks its schema or the regulations (every problem listed)
            7   archive integrity broken (the audit names every broken item)
            8   operation refused by a rule (a number in the wrong state, a duplicate, a signer who may not sign the
                document, not an archive, a torn write: run `archive recover`)
            9   verify --report: the signature holds (TOTAL-PASSED) but is not a qualified signature
            10  a network service (time-stamping authority, OCSP responder, CRL source) did not answer
            11  the gateway configuration is invalid (every problem listed; check with `mezhved gateway check`)
            12  an incoming document was refused: kept in quarantine with its reason, a rejection receipt written
            13  archive audit: integrity holds, but policy findings (signature accepted though not valid, own agency, permissions)
            64  usage error (wrong options)
            70  internal failure
            """)
    }
}

enum Output {
    /// Writes one line to standard error, prefixed with the program name.
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("mezhved: error: \(message)\n".utf8))
    }

    static func warning(_ message: String) {
        FileHandle.standardError.write(Data("mezhved: warning: \(message)\n".utf8))
    }
}

/// Buffered writes to a file descriptor (standard output for reports): one `write(2)` per 64 KiB
/// instead of a locked stdio call per line. Flush before anything else writes to the terminal.
struct FileOutput {
    private let descriptor: Int32
    private var buffer: [UInt8] = []

    static var standardOutput: FileOutput { FileOutput(descriptor: STDOUT_FILENO) }

    private init(descriptor: Int32) {
        self.descriptor = descriptor
        buffer.reserveCapacity(1 << 16)
    }

    mutating func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        fflush(nil)  // whatever print() buffered goes first (nil: every stdio stream)
        var offset = 0
        while offset < buffer.count {
            let written = buffer[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                break  // a closed pipe: the reader is gone, nothing more can be told
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Reads an input argument: a path, or `-` for standard input.
func readInput(_ path: String) throws -> (bytes: [UInt8], name: String) {
    if path == "-" {
        switch BoundedRead.contents(of: STDIN_FILENO, limit: InputLimits.document) {
        case .success(let bytes): return (bytes, "standard input")
        case .failure(.tooLarge(let limit)):
            throw XMLDSigError(
                .limitExceeded, "standard input gave more than \(ByteCountText.text(limit)), the most mezhved reads as a document",
                hint: "give a smaller document")
        case .failure(let failure):
            throw XMLDSigError(.unreadableInput, "standard input cannot be read: \(failure)", hint: "check what feeds it")
        }
    }
    return (try readFile(path, what: "document"), path)
}

/// Writes `bytes` to `path`. A regular file (new or existing) is replaced atomically (temporary
/// file beside it, fsync, rename, directory fsync) with mode 0600: signed documents may hold
/// personal data. A symbolic link is followed and its target replaced. Anything else that exists
/// (a device such as /dev/null, a FIFO) is written to directly and never replaced.
func writeOutput(_ bytes: [UInt8], to path: String) throws {
    var info = stat()
    if stat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG {
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw XMLDSigError(.unreadableInput, "cannot write \(path): it is a folder", hint: "give a file name for -o")
        }
        let fd = open(path, O_WRONLY | O_TRUNC)
        guard fd >= 0 else {
            throw XMLDSigError(.unreadableInput, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        guard DurableFile.writeAll(fd, bytes) else {
            throw XMLDSigError(.unreadableInput, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        return
    }
    // Follow a symbolic link so that the link stays and its target is replaced.
    var target = path
    if let resolved = realpath(path, nil) {
        target = String(cString: resolved)
        free(resolved)
    }
    do {
        try DurableFile.replace(target, with: bytes)
    } catch {
        throw XMLDSigError(
            .unreadableInput, "cannot write \(path): \(error.reason)",
            hint: error.couldNotCreate ? "check that the folder exists and is writable" : "check free space and permissions")
    }
}

/// Runs `body` for 0..<count on all cores and returns the results in order.
func parallelMap<T: Sendable>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
    let results = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
    results.initialize(repeating: nil)
    defer { results.deallocate() }
    nonisolated(unsafe) let slots = results
    DispatchQueue.concurrentPerform(iterations: count) { index in slots[index] = body(index) }
    return results.map { $0! }
}

/// Runs `body` for 0..<count as child tasks, at most `width` at once, and returns the results in
/// order. For work that awaits the network (revocation sources, a TSA): the CPU-bound part is
/// bounded by the cooperative pool itself; `width` bounds how many documents are in flight.
func boundedTaskMap<T: Sendable>(_ count: Int, width: Int, _ body: @escaping @Sendable (Int) async -> T) async -> [T] {
    await withTaskGroup(of: (Int, T).self) { group in
        var results = [T?](repeating: nil, count: count)
        var next = 0
        while next < min(count, max(1, width)) {
            let index = next
            group.addTask { (index, await body(index)) }
            next += 1
        }
        while let (index, result) = await group.next() {
            results[index] = result
            if next < count {
                let index = next
                group.addTask { (index, await body(index)) }
                next += 1
            }
        }
        return results.map { $0! }
    }
}

/// Runs blocking `body` (file reads and writes) on a Dispatch thread, not on the cooperative pool.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

/// The paths listed in `path` (`-`: standard input), one per line; blank lines are skipped. For
/// batches of documents too long for a command line (and for ArgumentParser, whose handling of
/// positional arguments grows with the square of their number).
func readFileList(_ path: String, option: String) throws -> [String] {
    let limit = 64 << 20
    let read = path == "-" ? BoundedRead.contents(of: STDIN_FILENO, limit: limit) : BoundedRead.contents(of: path, limit: limit)
    guard case .success(let bytes) = read else {
        throw ValidationError(
            "\(option) \(path) cannot be read (missing, a folder, or over \(ByteCountText.text(limit))): give a file that lists one document path per line"
        )
    }
    let data = Data(bytes)
    guard let text = String(data: data, encoding: .utf8) else {
        throw ValidationError("\(option) \(path) is not UTF-8 text: give a file that lists one document path per line")
    }
    // `\r\n` is one Character in Swift: split on every kind of line end.
    let paths = text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    if path == "-" && paths.contains("-") {
        throw ValidationError("\(option) - reads the list from standard input, so the list cannot name standard input (-) itself")
    }
    return paths
}
