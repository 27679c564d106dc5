import Foundation
import MezhvedGateway
import MezhvedTestSupport
import Testing

/// The API's tokens and the web users kept in the PostgreSQL store (`exchange.accessTokens:
/// archive`, `exchange.webUsers: archive`), with two `mezhved serve` nodes on it: a token issued
/// or imported by `mezhved token` on one machine works on both nodes, one revoked is refused by
/// both, and wrong passwords tried on one node after the other lock the login on both.
@Suite(.serialized) struct ServePostgresCredentialsTests {
    /// `GET /api/v1/journal` with `token` on `server`, by curl: the HTTP status.
    static func journalStatus(_ server: ServedProcess, token: String) async throws -> Int {
        let result = try await TestProcess.run(
            "curl",
            [
                "-sS", "--max-time", "20", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer \(token)",
                server.httpURL + "/api/v1/journal?limit=1",
            ])
        return Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// One sign-in on `server`'s page with `password`: the status of the answer to the form.
    static func signIn(_ server: ServedProcess, name: String, password: String, in root: String) async throws -> Int {
        let form = try await ServePostgresTests.page(server.httpURL + "/ui/signin", cookies: [:], in: root)
        let token = try #require(ServePostgresTests.hidden("_signin", in: form.body), "the sign-in page: \(form.status)")
        let answer = try await ServePostgresTests.page(
            server.httpURL + "/ui/signin", cookies: form.cookies, form: [("_signin", token), ("name", name), ("password", password)],
            in: root)
        return answer.status
    }

    @Test(
        "tokens and users in the PostgreSQL store: issued, imported and revoked by the CLI for both nodes; failed sign-ins counted across nodes",
        .timeLimit(.minutes(4)))
    func credentialsAcrossNodes() async throws {
        guard try StoreKind.postgres.available() else { return }
        let root = try ServeFixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let ports = (a: try LocalService.freePort(), b: try LocalService.freePort())
        let (nodeA, nodeB, _, _) = try await ServePostgresTests.receiverNodes(
            in: root, ports: ports, senders: ["social-protection": try LocalService.freePort()], credentialsInArchive: true)

        // A token issued on node B's configuration; one from an older token file imported on A's.
        let issued = try await TestProcess.mezhved([
            "token", "new", "--gateway", nodeB.configuration, "--name", "desk-api", "--role", "auditor",
        ])
        #expect(issued.status == 0, "token new: \(issued.stderr)")
        let secret = issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(secret.hasPrefix("mzv_") && issued.stderr.contains("the archive's store"), "\(issued.stderr)")
        let oldFile = root + "/old-tokens.json"
        let old = try AccessTokenFile.update(oldFile) { file in try file.issue(name: "desk-old", role: .clerk) }
        _ = try AccessTokenFile.update(oldFile) { file in try file.issue(name: "desk-api", role: .admin) }
        let imported = try await TestProcess.mezhved(["token", "import", "--gateway", nodeA.configuration, oldFile])
        #expect(imported.status == 0, "token import: \(imported.stderr)")
        #expect(imported.stdout.contains("imported 1 of 2 tokens"), "\(imported.stdout)")
        #expect(imported.stdout.contains("skipped desk-api"), "the name taken is skipped and named: \(imported.stdout)")
        let listed = try await TestProcess.mezhved(["token", "list", "--gateway", nodeB.configuration])
        #expect(
            listed.status == 0 && listed.stdout.contains("desk-api\tauditor") && listed.stdout.contains("desk-old\tclerk"),
            "\(listed.stdout)")
        #expect(!listed.stdout.contains(secret) && !listed.stdout.contains(old.secret), "never the tokens themselves")
        let twice = try await TestProcess.mezhved([
            "token", "new", "--gateway", nodeA.configuration, "--name", "desk-api", "--role", "clerk",
        ])
        #expect(twice.status != 0 && twice.stderr.contains("already a token named desk-api"), "\(twice.status) \(twice.stderr)")

        let password = "пароль-для-двух-узлов-2026"
        try ServeFixture.write(Array((password + "\n").utf8), to: root + "/password.txt")
        let user = try await TestProcess.mezhved([
            "user", "new", "--gateway", nodeA.configuration, "--name", "clerk-desk", "--role", "clerk", "--password-file",
            root + "/password.txt",
        ])
        #expect(user.status == 0, "user new: \(user.stderr)")
        let users = try await TestProcess.mezhved(["user", "list", "--gateway", nodeB.configuration])
        #expect(users.stdout.contains("clerk-desk\tclerk"), "\(users.stdout) \(users.stderr)")

        let servers = [try await ServedProcess.serve(nodeA), try await ServedProcess.serve(nodeB)]
        try await ExchangePullWitnessTests.stopping(servers) {
            for server in servers {
                #expect(try await Self.journalStatus(server, token: secret) == 200, "the issued token on \(server.httpURL)")
                #expect(try await Self.journalStatus(server, token: old.secret) == 200, "the imported token on \(server.httpURL)")
            }
            #expect(try await Self.journalStatus(servers[0], token: "mzv_" + String(repeating: "A", count: 43)) == 401)

            // Revoked through node A's configuration: both nodes refuse it within their recheck interval.
            let revoked = try await TestProcess.mezhved(["token", "revoke", "--gateway", nodeA.configuration, "desk-api"])
            #expect(revoked.status == 0, "token revoke: \(revoked.stderr)")
            for server in servers {
                let refused = try await Eventually.poll(seconds: 10) {
                    try await Self.journalStatus(server, token: secret) == 401 ? true : nil
                }
                #expect(refused == true, "the revoked token is refused by \(server.httpURL)")
                #expect(try await Self.journalStatus(server, token: old.secret) == 200, "the other token still works")
            }

            // Five wrong passwords, alternating nodes, lock the login on both: the right one is then
            // refused (429) on each node; another login is not locked.
            for attempt in 0..<5 {
                let status = try await Self.signIn(
                    servers[attempt % 2], name: "clerk-desk", password: "неверный-пароль-\(attempt)", in: root)
                #expect(status == 401, "wrong password \(attempt + 1) on node \(attempt % 2 == 0 ? "A" : "B"): \(status)")
            }
            for server in servers {
                #expect(
                    try await Self.signIn(server, name: "clerk-desk", password: password, in: root) == 429,
                    "locked on \(server.httpURL) after failures spread over both nodes")
            }
            #expect(
                try await Self.signIn(servers[1], name: "clerk-other", password: password, in: root) == 401,
                "an unknown login is only wrong")
        }
    }
}
