import Foundation
import MezhvedArchive
import MezhvedPostgres
import MezhvedTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Two `mezhved serve` nodes of one agency (employment) on one PostgreSQL store, each its own
/// process, port and spool, the archive moved there from the folder `mezhved archive init` made
/// (`mezhved archive migrate`). Two senders push to them (social protection to one node, health
/// to the other) while the nodes are SIGKILLed and restarted in turn; then answers queued in the
/// shared outbox are delivered by exactly one node each.
@Suite(.serialized) struct ServePostgresTests {
    static var postgresURL: String? { StoreKind.postgresURL }
    static var passwordFile: String? { StoreKind.postgresPasswordFile }

    /// The receiver's archive moved into a new schema, and its configuration pointed at it; a
    /// second node's configuration: the same store, another port and spool.
    /// `credentialsInArchive`: the tokens and web users in the store (`archive`), set once the
    /// configuration names it; otherwise the users in a file beside the configuration.
    static func receiverNodes(in root: String, ports: (a: Int, b: Int), senders: [String: Int], credentialsInArchive: Bool = false)
        async throws -> (a: GatewayFolder, b: GatewayFolder, schema: String, url: String)
    {
        let url = try #require(postgresURL)
        let fast = "  delivery: {firstRetry: 1s, maximumRetry: 2s, concurrency: 4, attemptTimeout: 10}\n  webUsers: \(root)/users.json"
        let receiver = try await GatewayFolder.create(
            "employment", in: root,
            exchange: .init(
                tls: false, peers: Array(senders.keys).sorted(),
                peerURLs: senders.mapValues { "http://127.0.0.1:\($0)" }, port: ports.a, extra: fast))
        let schema = "serve_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        var migrate = [
            "archive", "migrate", "--from", "fs", "--to", "postgres", "--gateway", receiver.configuration, "--archive", receiver.archive,
            "--url", url, "--schema", String(schema), "--data-key", receiver.folder + "/data.key",
        ]
        if let passwordFile { migrate += ["--password-file", passwordFile] }
        let moved = try await TestProcess.mezhved(migrate)
        #expect(moved.status == 0, "archive migrate: \(moved.stdout) \(moved.stderr)")
        let storeURL = url + (url.contains("?") ? "&" : "?") + "schema=\(schema)"
        var text = try String(contentsOfFile: receiver.configuration, encoding: .utf8)
        let pathLine = "  path: \(receiver.folder)/archive\n"
        #expect(text.contains(pathLine))
        text = text.replacingOccurrences(
            of: pathLine, with: "  store: postgres\n  url: '\(storeURL)'\n" + (passwordFile.map { "  passwordFile: \($0)\n" } ?? ""))
        if credentialsInArchive {
            text = text.replacingOccurrences(of: "  webUsers: \(root)/users.json", with: "  webUsers: archive\n  accessTokens: archive")
            #expect(text.contains("accessTokens: archive"))
        }
        try ServeFixture.write(Array(text.utf8), to: receiver.configuration)
        // The old folder is set aside: the nodes must not be reading it.
        try FileManager.default.moveItem(atPath: receiver.archive, toPath: receiver.folder + "/archive.moved-to-postgres")
        let second = receiver.folder + "/node-b.yaml"
        let secondText = text.replacingOccurrences(of: "listen: 127.0.0.1:\(ports.a)", with: "listen: 127.0.0.1:\(ports.b)")
            .replacingOccurrences(of: "spool: \(receiver.folder)/spool", with: "spool: \(receiver.folder)/spool-b")
        #expect(secondText != text)
        try ServeFixture.write(Array(secondText.utf8), to: second)
        return (receiver, GatewayFolder(agency: "employment", folder: receiver.folder, configuration: second), String(schema), storeURL)
    }

    /// A sender pushing to `node`, with its own form (its agency as the sender).
    static func sender(_ agency: String, in root: String, port: Int, node: Int) async throws -> (GatewayFolder, String) {
        let sender = try await GatewayFolder.create(
            agency, in: root,
            exchange: .init(
                tls: false, peers: ["employment"], peerURLs: ["employment": "http://127.0.0.1:\(node)"], port: port,
                extra: "  delivery: {firstRetry: 1s, maximumRetry: 2s, concurrency: 4, attemptTimeout: 10}"))
        let sample = try String(contentsOfFile: ServeFixture.path("Samples/forms/request-unemployment-status.yaml"), encoding: .utf8)
        var form = sample.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("registration:") }
            .joined(separator: "\n")
        form = form.replacingOccurrences(of: "sender: social-protection", with: "sender: \(agency)")
        #expect(form.contains("sender: \(agency)"))
        let path = "\(root)/\(agency)-form.yaml"
        try ServeFixture.write(Array(form.utf8), to: path)
        return (sender, path)
    }

    /// One request to a node's pages with curl (not the server's code): the status, the cookies
    /// it sets, the body. `form` fields are sent url-encoded with POST.
    static func page(_ url: String, cookies: [String: String], form: [(String, String)]? = nil, in folder: String) async throws -> (
        status: Int, cookies: [String: String], body: String
    ) {
        let tag = UUID().uuidString.prefix(8)
        let headerFile = "\(folder)/page-\(tag).headers"
        let bodyFile = "\(folder)/page-\(tag).body"
        var arguments = ["-sS", "--max-time", "20", "-D", headerFile, "-o", bodyFile, "-w", "%{http_code}"]
        if !cookies.isEmpty {
            arguments += ["-H", "Cookie: " + cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")]
        }
        for (name, value) in form ?? [] { arguments += ["--data-urlencode", "\(name)=\(value)"] }
        let result = try await TestProcess.run("curl", arguments + [url])
        var set: [String: String] = [:]
        for line in String(decoding: (try? ServeFixture.read(headerFile)) ?? [], as: UTF8.self).components(separatedBy: "\r\n")
        where line.lowercased().hasPrefix("set-cookie:") {
            let pair = line.dropFirst("set-cookie:".count).trimmingCharacters(in: .whitespaces).split(separator: ";")[0]
                .split(separator: "=", maxSplits: 1)
            set[String(pair[0])] = pair.count > 1 ? String(pair[1]) : ""
        }
        let body = String(decoding: (try? ServeFixture.read(bodyFile)) ?? [], as: UTF8.self)
        return (Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, set, body)
    }

    /// The value of the hidden field `name` in a page.
    static func hidden(_ name: String, in html: String) -> String? {
        guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        let rest = html[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    static func compose(_ sender: GatewayFolder, form: String, output: String) async throws {
        let made = try await TestProcess.mezhved([
            "request", "new", "--gateway", sender.configuration, "--form", form, "-o", output, "--send",
        ])
        #expect(made.status == 0, "request new --send at \(sender.agency): \(made.stderr)")
    }

    @Test(
        "two serve nodes on one PostgreSQL, each SIGKILLed in turn while two senders push: every document registered once, numbers gapless, answers delivered by one node each, audit passes",
        .timeLimit(.minutes(8)))
    func twoNodesUnderKills() async throws {
        guard try StoreKind.postgres.available() else { return }
        let root = try ServeFixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let ports = (a: try LocalService.freePort(), b: try LocalService.freePort())
        let senderPorts = ["social-protection": try LocalService.freePort(), "health": try LocalService.freePort()]
        let (nodeA, nodeB, _, storeURL) = try await Self.receiverNodes(in: root, ports: ports, senders: senderPorts)
        let (social, socialForm) = try await Self.sender(
            "social-protection", in: root, port: senderPorts["social-protection"]!, node: ports.a)
        let (health, healthForm) = try await Self.sender("health", in: root, port: senderPorts["health"]!, node: ports.b)

        let password = "пароль-двух-узлов-2026"
        try ServeFixture.write(Array((password + "\n").utf8), to: root + "/password.txt")
        let user = try await TestProcess.mezhved([
            "user", "new", "--gateway", nodeA.configuration, "--name", "clerk-desk", "--role", "clerk", "--password-file",
            root + "/password.txt",
        ])
        #expect(user.status == 0, "user new: \(user.stderr)")
        let check = try await TestProcess.mezhved(["gateway", "check", "--gateway", nodeA.configuration])
        #expect(check.status == 0, "gateway check: \(check.stdout) \(check.stderr)")
        #expect(check.stdout.contains("log entries, personal-data key") && check.stdout.contains("store: postgres)"), "\(check.stdout)")

        let socialServer = try await ServedProcess.serve(social)
        let healthServer = try await ServedProcess.serve(health)
        var servers = [try await ServedProcess.serve(nodeA), try await ServedProcess.serve(nodeB)]
        let nodes = [nodeA, nodeB]
        var logs: [String] = ["", ""]
        let rounds = 8
        var generator = SystemRandomNumberGenerator()
        for round in 1...rounds {
            try await Self.compose(social, form: socialForm, output: "\(root)/social-\(round).xml")
            try await Self.compose(health, form: healthForm, output: "\(root)/health-\(round).xml")
            try await Task.sleep(for: .milliseconds(Int.random(in: 20...400, using: &generator)))
            let which = round % 2
            _ = await servers[which].stop(graceful: false)
            logs[which] += servers[which].log()
            servers[which] = try await ServedProcess.serve(nodes[which])
        }
        let socialStates = try await ExchangeCrashTests.waitUntilAcknowledged(social, count: rounds, seconds: 120)
        let healthStates = try await ExchangeCrashTests.waitUntilAcknowledged(health, count: rounds, seconds: 120)
        #expect(
            socialStates.count == rounds && socialStates.values.allSatisfy { $0 == "receipted" },
            "social protection's outbox: \(socialStates) — \(socialServer.log().suffix(1500))")
        #expect(
            healthStates.count == rounds && healthStates.values.allSatisfy { $0 == "receipted" },
            "health's outbox: \(healthStates) — \(healthServer.log().suffix(1500))")

        // Answers queued in the shared outbox: each delivered by one node only.
        let answers = 4
        for index in 1...answers {
            let (request, form) =
                index % 2 == 0
                ? ("\(root)/social-\(index).xml", "Samples/forms/answer-unemployment-status.yaml")
                : ("\(root)/health-\(index).xml", "Samples/forms/answer-unemployment-status.yaml")
            let answered = try await TestProcess.mezhved([
                "answer", "new", "--gateway", nodes[index % 2].configuration, "--request", request, "--form", ServeFixture.path(form), "-o",
                "\(root)/answer-\(index).xml", "--send",
            ])
            #expect(answered.status == 0, "answer new --send \(index): \(answered.stderr)")
        }
        let answerStates = try await ExchangeCrashTests.waitUntilAcknowledged(nodeA, count: answers, seconds: 60)
        #expect(
            answerStates.count == answers && answerStates.values.allSatisfy { $0 == "receipted" },
            "the shared outbox: \(answerStates) — \(servers[0].log().suffix(1500)) \(servers[1].log().suffix(1500))")
        let year = Calendar(identifier: .gregorian).component(.year, from: Date())
        // A clerk signed in on node A is signed in on node B (the sessions are in the store), and
        // signing out on B ends the session on A.
        let form = try await Self.page(servers[0].httpURL + "/ui/signin", cookies: [:], in: root)
        let signInToken = try #require(Self.hidden("_signin", in: form.body), "the sign-in page: \(form.status) \(form.body.prefix(300))")
        let signedIn = try await Self.page(
            servers[0].httpURL + "/ui/signin", cookies: form.cookies,
            form: [("_signin", signInToken), ("name", "clerk-desk"), ("password", password)], in: root)
        let session = try #require(signedIn.cookies["mzv_session"], "signed in on node A: \(signedIn.status) \(signedIn.body.prefix(300))")
        let onB = try await Self.page(servers[1].httpURL + "/ui/journal", cookies: ["mzv_session": session], in: root)
        #expect(onB.status == 200, "node B's journal with node A's session: \(onB.status)")
        #expect(onB.body.contains("ВХ-\(year)-000001"), "node B's journal lists the registrations")
        let csrf = try #require(Self.hidden("_csrf", in: onB.body), "node B's page carries the session's CSRF token")
        let signedOut = try await Self.page(
            servers[1].httpURL + "/ui/signout", cookies: ["mzv_session": session], form: [("_csrf", csrf)], in: root)
        #expect(signedOut.status == 303, "signed out on node B: \(signedOut.status)")
        let afterwards = try await Self.page(servers[0].httpURL + "/ui/journal", cookies: ["mzv_session": session], in: root)
        #expect(afterwards.status == 303, "node A after the sign-out on node B: \(afterwards.status)")

        for which in 0..<2 {
            _ = await servers[which].stop()
            logs[which] += servers[which].log()
        }
        _ = await socialServer.stop()
        _ = await healthServer.stop()
        for id in answerStates.keys {
            let deliveries = logs.map { $0.components(separatedBy: "message=\(id)").count - 1 }
            #expect(deliveries.filter { $0 > 0 }.count == 1, "message \(id) was handled by \(deliveries) lines of the two nodes' logs")
        }
        let duplicates = (socialServer.log() + healthServer.log()).components(separatedBy: "disposition=duplicate").count - 1
        print("two nodes: \(rounds) kills; \(duplicates) duplicate push(es) answered by the senders; answers \(answerStates.count)")

        // Exactly once and gapless, straight from the store.
        var settings = try PostgresStoreSettings(url: storeURL, passwordFile: Self.passwordFile)
        settings.maximumConnections = 2
        let storage = try await PostgresStorage.open(settings)
        defer { storage.close() }
        let incoming = try await storage.entries(JournalQuery(direction: .incoming)).filter { $0.kind == .request }
        #expect(incoming.count == 2 * rounds, "registered \(incoming.count) requests for \(2 * rounds) messages")
        #expect(Set(incoming.map(\.number)) == Set((1...(2 * rounds)).map { "ВХ-\(year)-" + String(format: "%06d", $0) }))
        #expect(Set(incoming.compactMap(\.messageID)).count == 2 * rounds, "one registration per message")
        // The clerk's journal commands read the same store through the gateway's configuration.
        let listed = try await TestProcess.mezhved([
            "archive", "list", "--gateway", nodeB.configuration, "--direction", "incoming", "--kind", "request", "--json",
        ])
        #expect(listed.status == 0, "archive list --gateway: \(listed.stderr)")
        let listedNumbers = Set(incoming.map(\.number).filter { listed.stdout.contains("\"\($0)\"") })
        #expect(listedNumbers.count == 2 * rounds, "archive list --gateway shows \(listedNumbers.count) of \(2 * rounds) requests")
        let shown = try await TestProcess.mezhved(["archive", "show", "--gateway", nodeA.configuration, "ВХ-\(year)-000001"])
        #expect(shown.status == 0 && shown.stdout.contains("ВХ-\(year)-000001"), "archive show --gateway: \(shown.stdout) \(shown.stderr)")
        let audit = try await TestProcess.mezhved([
            "archive", "audit", "--gateway", nodeA.configuration, "--data-key", nodeA.folder + "/data.key",
        ])
        #expect(audit.status == 0, "audit of the PostgreSQL store: \(audit.stdout.suffix(1500)) \(audit.stderr.suffix(500))")
        for sender in [social, health] {
            let senderAudit = try await ExchangeCrashTests.audit(sender)
            #expect(senderAudit.status == 0, "audit of \(sender.agency): \(senderAudit.stdout.suffix(800))")
        }
    }
}
