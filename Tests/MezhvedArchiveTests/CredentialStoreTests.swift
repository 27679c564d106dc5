import Foundation
import MezhvedPostgres
import MezhvedTestSupport
import Synchronization
import Testing

@testable import MezhvedArchive

/// The credentials and the failed sign-ins a store keeps for every node. PostgreSQL keeps both in
/// tables: a second node (a second store on the same schema, its own pool) sees what the first
/// added, removed or counted. The filesystem store keeps no credentials (its gateway uses files)
/// and counts failures in its one process.
@Suite struct CredentialStoreTests {
    static func token(_ name: String, role: String = "clerk") -> StoredCredential {
        StoredCredential(
            kind: .accessToken, name: name, role: role, created: "2026-12-04T10:00:00Z",
            verifier: ArchiveDigest.sha256Hex(Array("token of \(name)".utf8)))
    }

    @Test("PostgreSQL: added on one node, listed on another; a name once per kind; removed on one, gone on both")
    func sharedCredentials() async throws {
        guard try StoreKind.postgres.available() else { return }
        let archive = try await ArchiveFixtures.makeArchive(.postgres)
        let first = try #require(archive.store.credentials)
        let second = try #require(try await archive.reopen().credentials)
        #expect(try await first.list(.accessToken).isEmpty)
        #expect(try await first.add(Self.token("desk-b")))
        #expect(try await first.add(Self.token("desk-a", role: "auditor")))
        let user = StoredCredential(
            kind: .webUser, name: "desk-a", role: "signatory", created: "2026-12-04T10:00:00Z", verifier: "pbkdf2-sha256$1$AA$AA")
        #expect(try await second.add(user), "the same name in the other kind is another credential")
        #expect(try await second.list(.accessToken) == [Self.token("desk-a", role: "auditor"), Self.token("desk-b")], "by name")
        #expect(try await first.list(.webUser) == [user])
        #expect(try await second.add(Self.token("desk-a", role: "admin")) == false, "a name taken is refused")
        #expect(try await first.list(.accessToken).first?.role == "auditor", "and changes nothing")
        #expect(try await second.remove(.accessToken, name: "desk-a") == Self.token("desk-a", role: "auditor"))
        #expect(try await second.remove(.accessToken, name: "desk-a") == nil, "removed once")
        #expect(try await first.list(.accessToken).map(\.name) == ["desk-b"])
        #expect(try await first.list(.webUser) == [user], "the user of that name stays")
    }

    @Test("the filesystem store keeps no credentials: its gateway's are in files")
    func filesystemHasNone() async throws {
        let archive = try await ArchiveFixtures.makeArchive(.filesystem)
        #expect(archive.store.credentials == nil)
    }

    @Test("PostgreSQL: failures counted on two nodes together, within the window, forgotten on success")
    func sharedFailures() async throws {
        guard try StoreKind.postgres.available() else { return }
        let archive = try await ArchiveFixtures.makeArchive(.postgres)
        let first = archive.store.signInFailures
        let second = try await archive.reopen().signInFailures
        let window = Duration.seconds(600)
        #expect(try await first.recent("clerk-1", window: window).count == 0)
        for attempt in 0..<4 { try await (attempt % 2 == 0 ? first : second).fail("clerk-1", window: window) }
        try await second.fail("clerk-2", window: window)
        let seen = try await second.recent("clerk-1", window: window)
        #expect(seen.count == 4, "two failures on each node, counted together")
        let age = try #require(seen.oldestAge)
        #expect(age >= .zero && age < window)
        try await Task.sleep(for: .milliseconds(1200))
        #expect(try await first.recent("clerk-1", window: .seconds(1)).count == 0, "none within a 1 s window after 1.2 s")
        try await first.clear("clerk-1")
        #expect(try await second.recent("clerk-1", window: window).count == 0, "forgotten on both")
        #expect(try await first.recent("clerk-2", window: window).count == 1, "another login's stay")
    }

    @Test("in memory: failures within the window counted, older ones dropped, cleared on success")
    func localFailures() {
        let start = ContinuousClock.now
        let now = Mutex(start)
        let failures = LocalSignInFailures(clock: { now.withLock { $0 } })
        let window = Duration.seconds(900)
        for minute in 0..<3 {
            now.withLock { $0 = start + .seconds(60 * minute) }
            failures.fail("clerk-1", window: window)
        }
        now.withLock { $0 = start + .seconds(300) }
        let seen = failures.recent("clerk-1", window: window)
        #expect(seen.count == 3)
        #expect(seen.oldestAge == .seconds(300))
        now.withLock { $0 = start + .seconds(930) }
        #expect(failures.recent("clerk-1", window: window).count == 2, "the first left the window")
        failures.clear("clerk-1")
        #expect(failures.recent("clerk-1", window: window).count == 0)
    }
}
