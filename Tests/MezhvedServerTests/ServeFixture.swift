import Foundation
import MezhvedTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Real gateways on loopback for the exchange tests: gateway folders made with the real CLI
/// (`mezhved archive init`, a configuration with an `exchange:` section), `mezhved serve` (or the
/// Python peer) as a child process, and curl as the HTTP client.
enum ServeFixture {
    static func path(_ relative: String) -> String { TestProcess.path(relative) }

    /// A TLS test identity (Certificates/tls/).
    static func tlsCertificate(_ agency: String) -> String { path("Certificates/tls/\(agency).crt") }
    static func tlsKey(_ agency: String) -> String { path("Certificates/tls/\(agency).key") }
    /// A GOST test signer (Certificates/agencies/).
    static func gostCertificate(_ agency: String) -> String { path("Certificates/agencies/\(agency)/cert.pem") }
    static func gostKey(_ agency: String) -> String { path("Certificates/agencies/\(agency)/key.pem") }

    static func temporaryFolder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mezhved-serve-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    static func read(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

    static func write(_ bytes: [UInt8], to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
            throw FixtureFailure("cannot write \(path)")
        }
    }

    /// An RFC 3339 UTC time `seconds` from now (negative: in the past).
    static func expires(in seconds: TimeInterval = 86400) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date().addingTimeInterval(seconds))
    }

    /// The Python with the interop packages (lxml, gostcrypto): `MEZHVED_PYTHON`, else the set-up
    /// script's venv; nil when neither has them.
    static let interopPython: String? = {
        var candidates = [path(".venv-interop/bin/python")]
        if let configured = ProcessInfo.processInfo.environment["MEZHVED_PYTHON"] { candidates.insert(configured, at: 0) }
        return candidates.first { candidate in
            (try? TestProcess.runBlocking(candidate, ["-c", "import lxml, gostcrypto, pyasn1"]).status) == 0
        }
    }()
}

/// A fixture step that could not be done; the message says which and why.
struct FixtureFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One agency's gateway folder: an archive made by `mezhved archive init`, a data key, and a
/// configuration (`gateway.yaml`) over the test PKI, with an exchange section when it serves.
struct GatewayFolder: Sendable {
    /// How the gateway serves.
    struct Exchange: Sendable {
        /// Mutual TLS with pinned certificates; false: plain HTTP on loopback.
        var tls = true
        /// The agencies pinned as peers (their Certificates/tls/ certificates).
        var peers: [String]
        /// `exchange.maxDocumentSize` (`64KiB`), when not the default.
        var maxDocumentSize: String?
        /// `exchange.requestTimeout`.
        var requestTimeout = "30s"
        /// A peer's URL (`https://127.0.0.1:PORT`), for the ones this gateway delivers to.
        var peerURLs: [String: String] = [:]
        /// The port to listen on (0: any free one).
        var port = 0
        /// More lines of the exchange section, indented two spaces (`  delivery: {firstRetry: 1s}`).
        var extra = ""
        /// The peers this gateway fetches its messages from (`pull: true`; it cannot accept connections).
        var pullFrom: Set<String> = []
        /// Another TLS identity than Certificates/tls/AGENCY.crt/.key (certificate, key).
        var identity: (certificate: String, key: String)?
        /// Another pinned certificate than Certificates/tls/PEER.crt, by peer.
        var pinned: [String: String] = [:]
    }

    let agency: String
    let folder: String
    let configuration: String
    var archive: String { folder + "/archive" }

    /// Creates `root/agency/` with its archive and configuration.
    static func create(_ agency: String, in root: String, exchange: Exchange? = nil) async throws -> GatewayFolder {
        let folder = root + "/" + agency
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let created = try await TestProcess.mezhved([
            "archive", "init", "--archive", folder + "/archive", "--agency", agency, "--incoming-format", "ВХ-{year}-{seq:06}",
            "--data-key", folder + "/data.key", "--new-data-key", "--gateway-cert", ServeFixture.gostCertificate(agency),
            "--gateway-chain", ServeFixture.path("Certificates/gost/ca.pem"), "--gateway-key", ServeFixture.gostKey(agency),
        ])
        guard created.status == 0 else { throw FixtureFailure("archive init for \(agency) failed: \(created.stderr)") }
        let configuration = folder + "/gateway.yaml"
        try ServeFixture.write(Array(text(agency, folder: folder, exchange: exchange).utf8), to: configuration)
        return GatewayFolder(agency: agency, folder: folder, configuration: configuration)
    }

    static func text(_ agency: String, folder: String, exchange: Exchange?) -> String {
        let certificates = ServeFixture.path("Certificates")
        var text = """
            agency: \(agency)
            archive:
              path: \(folder)/archive
              dataKey: \(folder)/data.key
              gatewayCertificate: \(certificates)/agencies/\(agency)/cert.pem
            signatories:
              - {id: head, key: \(certificates)/agencies/\(agency)/key.pem, certificate: \(certificates)/agencies/\(agency)/cert.pem, chain: \(certificates)/gost/ca.pem}
            trust: {anchors: [\(certificates)/trust/gost], intermediates: [\(certificates)/gost/ca.pem], crls: [\(certificates)/gost/ca.crl.pem]}
            policy: {offline: true}
            documents: {calendarFallback: labour-code}

            """
        guard let exchange else { return text }
        text += "exchange:\n  listen: 127.0.0.1:\(exchange.port)\n  spool: \(folder)/spool\n  requestTimeout: \(exchange.requestTimeout)\n"
        if !exchange.extra.isEmpty { text += exchange.extra + "\n" }
        if exchange.tls {
            let identity = exchange.identity ?? ("\(certificates)/tls/\(agency).crt", "\(certificates)/tls/\(agency).key")
            text += "  tls: {certificate: \(identity.certificate), key: \(identity.key)}\n"
        }
        if let size = exchange.maxDocumentSize { text += "  maxDocumentSize: \(size)\n" }
        text += "  peers:\n"
        for peer in exchange.peers {
            var entry = "agency: \(peer), gatewayCertificate: \(certificates)/agencies/\(peer)/cert.pem"
            if exchange.tls { entry += ", tlsCertificate: \(exchange.pinned[peer] ?? "\(certificates)/tls/\(peer).crt")" }
            if let url = exchange.peerURLs[peer] { entry += ", url: \"\(url)\"" }
            if exchange.pullFrom.contains(peer) { entry += ", pull: true" }
            text += "    - {\(entry)}\n"
        }
        return text
    }

    /// What the receiver recorded, read through the CLI: the journal's entries, the quarantine, and
    /// the number of entries of its event log. Equal before and after: nothing was recorded.
    func recorded() async throws -> RecordedState {
        let list = try await TestProcess.mezhved(["archive", "list", "--archive", archive])
        guard list.status == 0 else { throw FixtureFailure("archive list of \(agency): \(list.stderr)") }
        let quarantine = try await TestProcess.mezhved(["incoming", "quarantine", "--gateway", configuration])
        guard quarantine.status == 0 else { throw FixtureFailure("incoming quarantine of \(agency): \(quarantine.stderr)") }
        let check = try await TestProcess.mezhved(["gateway", "check", "--gateway", configuration])
        guard check.status == 0, let range = check.stdout.range(of: #"\((\d+) log entries"#, options: .regularExpression) else {
            throw FixtureFailure("gateway check of \(agency) names no log length: \(check.stdout) \(check.stderr)")
        }
        let count = Int(check.stdout[range].dropFirst().prefix { $0.isNumber }) ?? -1
        let lines = { (text: String) in text.split(separator: "\n").map(String.init) }
        return RecordedState(journal: lines(list.stdout), quarantine: lines(quarantine.stdout), logEntries: count)
    }
}

/// What a receiving gateway has recorded (``GatewayFolder/recorded()``).
struct RecordedState: Equatable, CustomStringConvertible {
    /// `mezhved archive list`, one line per journal entry.
    let journal: [String]
    /// `mezhved incoming quarantine`, one line per quarantined document.
    let quarantine: [String]
    /// The event log's length (`mezhved gateway check`).
    let logEntries: Int

    var description: String { "journal \(journal), quarantine \(quarantine), \(logEntries) log entries" }
}

/// A server as a child process: started with its signals unblocked and in a process group of its
/// own (a test runner's threads block SIGTERM, and a child would inherit that mask), its output in
/// files, ready when it prints "listening on …:PORT" (within 20 s). ``stop(graceful:)`` sends
/// SIGTERM (SIGKILL after 10 s) or SIGKILL; releasing it kills what is still running, and
/// ``run(_:_:body:)`` stops it however the body ends — no orphans when a test fails.
final class ServedProcess {
    let name: String
    let pid: pid_t
    let port: Int
    let stdoutPath: String
    let stderrPath: String
    private let ended = Mutex<Int32?>(nil)

    var url: String { "https://127.0.0.1:\(port)" }
    var httpURL: String { "http://127.0.0.1:\(port)" }

    private init(name: String, pid: pid_t, port: Int, stdoutPath: String, stderrPath: String) {
        self.name = name
        self.pid = pid
        self.port = port
        self.stdoutPath = stdoutPath
        self.stderrPath = stderrPath
    }

    /// `mezhved serve --config` of `gateway`.
    static func serve(_ gateway: GatewayFolder) async throws -> ServedProcess {
        try await start(
            "mezhved serve (\(gateway.agency))", TestProcess.mezhved, ["serve", "--config", gateway.configuration], logs: gateway.folder)
    }

    /// Starts `program` and waits for its "listening on" line.
    static func start(_ name: String, _ program: String, _ arguments: [String], logs folder: String) async throws -> ServedProcess {
        let tag = UUID().uuidString.prefix(8)
        let stdoutPath = "\(folder)/serve-\(tag).out"
        let stderrPath = "\(folder)/serve-\(tag).err"
        let pid = try spawn(program, arguments, stdout: stdoutPath, stderr: stderrPath)
        // Generous: only a server that never listens waits this long (a loaded CI machine starts the
        // debug build slowly).
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            let printed = String(decoding: (try? ServeFixture.read(stdoutPath)) ?? [], as: UTF8.self)
            if let port = listeningPort(printed) {
                return ServedProcess(name: name, pid: pid, port: port, stdoutPath: stdoutPath, stderrPath: stderrPath)
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                let log = String(decoding: (try? ServeFixture.read(stderrPath)) ?? [], as: UTF8.self)
                throw FixtureFailure("\(name) ended (status \(status)) before listening: \(printed) \(log.suffix(2000))")
            }
            if ContinuousClock.now > deadline {
                kill(-pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                throw FixtureFailure("\(name) printed no \"listening on\" line within 20 s: \(printed)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The port of the first "listening on …:PORT" line.
    static func listeningPort(_ output: String) -> Int? {
        for line in output.split(separator: "\n") {
            guard let range = line.range(of: "listening on ") else { continue }
            let address = line[range.upperBound...].prefix { !$0.isWhitespace }
            if let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) { return port }
        }
        return nil
    }

    /// posix_spawn with an empty signal mask, default dispositions for the stopping signals, a
    /// process group of its own, stdin from /dev/null and the outputs into files.
    static func spawn(_ program: String, _ arguments: [String], stdout: String, stderr: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, program, &actions, &attributes, argv, envp)
        guard result == 0 else { throw FixtureFailure("cannot start \(program): \(String(cString: strerror(result)))") }
        return pid
    }

    /// How it ended: exited with a status, or killed by a signal.
    enum Termination: Equatable {
        case exited(Int32)
        case signalled(Int32)
    }

    /// Stops it: SIGTERM and up to 10 s for a graceful end (then SIGKILL), or SIGKILL at once.
    @discardableResult
    func stop(graceful: Bool = true) async -> Termination {
        if let status = ended.withLock({ $0 }) { return Self.termination(status) }
        kill(pid, graceful ? SIGTERM : SIGKILL)
        let deadline = ContinuousClock.now + .seconds(10)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) != pid {
            if ContinuousClock.now > deadline {
                kill(-pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                break
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        ended.withLock { $0 = status }
        return Self.termination(status)
    }

    static func termination(_ status: Int32) -> Termination {
        status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signalled(status & 0x7f)
    }

    /// What it wrote to standard error (the operators' log).
    func log() -> String { String(decoding: (try? ServeFixture.read(stderrPath)) ?? [], as: UTF8.self) }

    /// Whether it still runs.
    var isRunning: Bool { ended.withLock { $0 == nil } && kill(pid, 0) == 0 }

    deinit {
        if ended.withLock({ $0 == nil }) {
            kill(-pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
        }
    }

    /// Runs `body` with `mezhved serve` of `gateway`, then stops it with SIGTERM and expects a
    /// graceful end (exit 0 within 10 s); when the body throws, it is killed.
    static func run<T>(
        _ gateway: GatewayFolder, sourceLocation: SourceLocation = #_sourceLocation, body: (ServedProcess) async throws -> T
    ) async throws -> T {
        let server = try await serve(gateway)
        do {
            let result = try await body(server)
            let ended = await server.stop()
            #expect(
                ended == .exited(0), "\(server.name) did not end gracefully on SIGTERM: \(server.log().suffix(1500))",
                sourceLocation: sourceLocation)
            return result
        } catch {
            await server.stop(graceful: false)
            throw error
        }
    }
}

/// One HTTP exchange made with curl: the status (0 when no HTTP answer came: a refused
/// handshake), the response headers, the body, the bytes curl sent, and its exit code and message.
struct CurlResult {
    let status: Int
    let uploaded: Int
    let headers: [String: String]
    let body: [UInt8]
    let exitCode: Int32
    let stderr: String

    func header(_ name: String) -> String? { headers[name.lowercased()] }
    var text: String { String(decoding: body, as: UTF8.self) }
    /// The problem's `code` (RFC 9457 body).
    var problemCode: String? {
        (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["code"] as? String
    }
}

/// curl (the Debian package) as the tests' HTTP client: nothing of the server's own code.
enum Curl {
    /// The headers of a push from `from` to `to` (Mezhved-Message-Id, -From, -To, -Expires, Content-Type).
    static func messageHeaders(id: String, from: String, to: String, expires: String = ServeFixture.expires())
        -> [(String, String)]
    {
        [
            ("Content-Type", "application/xml"), ("Mezhved-Message-Id", id), ("Mezhved-From", from), ("Mezhved-To", to),
            ("Mezhved-Expires", expires),
        ]
    }

    /// `Content-Digest: sha-256=:…:` of `bytes`, made with openssl (not the server's code).
    static func contentDigest(of path: String) async throws -> String {
        let digest = try await TestProcess.run("openssl", ["dgst", "-sha256", "-binary", "-out", path + ".sha256", path])
        guard digest.status == 0 else { throw FixtureFailure("openssl dgst: \(digest.stderr)") }
        return "sha-256=:" + Data(try ServeFixture.read(path + ".sha256")).base64EncodedString() + ":"
    }

    /// POSTs the file at `body` to `url` + /exchange/v1/messages as the TLS client `client`
    /// (nil: no client certificate), trusting only `pin`'s certificate; bounded to 20 s. `extra`
    /// options go before the body's (`-T /dev/zero -X POST` streams an endless one).
    static func push(
        _ url: String, body: String, headers: [(String, String)], client: String?, pin: String?, in folder: String,
        extra: [String] = []
    ) async throws -> CurlResult {
        let tag = UUID().uuidString.prefix(8)
        let headerFile = "\(folder)/curl-\(tag).headers"
        let bodyFile = "\(folder)/curl-\(tag).body"
        var arguments = [
            "-sS", "--max-time", "20", "--connect-timeout", "5", "-D", headerFile, "-o", bodyFile, "-w", "%{http_code} %{size_upload}",
        ]
        if let client { arguments += ["--cert", ServeFixture.tlsCertificate(client), "--key", ServeFixture.tlsKey(client)] }
        if let pin { arguments += ["--cacert", ServeFixture.tlsCertificate(pin)] }
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        arguments += extra + (body.isEmpty ? [] : ["--data-binary", "@" + body]) + [url + "/exchange/v1/messages"]
        let result = try await TestProcess.run("curl", arguments)
        var fields: [String: String] = [:]
        let head = String(decoding: (try? ServeFixture.read(headerFile)) ?? [], as: UTF8.self)
        // The last response's headers (a 100 Continue may come first).
        for block in head.components(separatedBy: "\r\n\r\n") where block.hasPrefix("HTTP/") && !block.contains(" 100 ") {
            fields = [:]
            for line in block.components(separatedBy: "\r\n").dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        let written = result.stdout.split(separator: " ").map { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 }
        return CurlResult(
            status: written.first ?? 0, uploaded: written.count > 1 ? written[1] : 0, headers: fields,
            body: (try? ServeFixture.read(bodyFile)) ?? [], exitCode: result.status, stderr: result.stderr)
    }
}
