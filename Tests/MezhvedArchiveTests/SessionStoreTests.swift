import Foundation
import MezhvedPostgres
import MezhvedTestSupport
import Synchronization
import Testing

@testable import MezhvedArchive

/// The web workplace's sessions on both stores: kept by digest, resumed while fresh, ended on
/// request, after their idle timeout and beyond the capacity (the longest idle first). On
/// PostgreSQL a second node (a second store on the same schema, its own pool) sees a session the
/// first started and ends it for both; on the filesystem store one process serves the archive and
/// the sessions are that process's.
@Suite struct SessionStoreTests {
    static func session(_ name: String) -> StoredSession {
        StoredSession(
            digest: ArchiveDigest.sha256Hex(Array("id of \(name) \(UUID())".utf8)), name: name, role: "clerk",
            csrfToken: "csrf-\(name)-\(UUID().uuidString)")
    }

    @Test("start, resume, end: the session comes back as it was started, and not after it ended", arguments: StoreKind.allCases)
    func startResumeEnd(_ store: StoreKind) async throws {
        guard try store.available() else { return }
        let archive = try await ArchiveFixtures.makeArchive(store)
        let sessions = archive.store.sessions
        let clerk = Self.session("clerk-desk")
        try await sessions.start(clerk, idleTimeout: .seconds(60), capacity: 100)
        #expect(try await sessions.resume(digest: clerk.digest, idleTimeout: .seconds(60)) == clerk)
        #expect(try await sessions.digests() == [clerk.digest])
        #expect(try await sessions.resume(digest: Self.session("nobody").digest, idleTimeout: .seconds(60)) == nil)
        try await sessions.end(digest: clerk.digest)
        #expect(try await sessions.resume(digest: clerk.digest, idleTimeout: .seconds(60)) == nil)
        #expect(try await sessions.digests().isEmpty)
    }

    @Test("a session idle past its timeout is ended; one in use is not (the filesystem's, on a clock the test moves)")
    func idleTimeoutLocal() async throws {
        let start = ContinuousClock.now
        let now = Mutex(start)
        let sessions = LocalSessionStore(clock: { now.withLock { $0 } })
        let used = Self.session("used")
        let left = Self.session("left")
        sessions.start(used, idleTimeout: .seconds(60), capacity: 100)
        sessions.start(left, idleTimeout: .seconds(60), capacity: 100)
        for minute in 1...3 {
            now.withLock { $0 = start + .seconds(50 * minute) }
            #expect(sessions.resume(digest: used.digest, idleTimeout: .seconds(60)) == used, "a session in use stays")
        }
        #expect(sessions.resume(digest: left.digest, idleTimeout: .seconds(60)) == nil, "150 s without a request")
        #expect(sessions.digests() == [used.digest], "the idle one is gone from the store")
    }

    @Test("a session idle past its timeout is ended (PostgreSQL, on the database's clock)")
    func idleTimeoutPostgres() async throws {
        guard try StoreKind.postgres.available() else { return }
        let archive = try await ArchiveFixtures.makeArchive(.postgres)
        let sessions = archive.store.sessions
        let left = Self.session("left")
        let kept = Self.session("kept")
        try await sessions.start(left, idleTimeout: .seconds(1), capacity: 100)
        try await sessions.start(kept, idleTimeout: .seconds(1), capacity: 100)
        // However long the machine makes this sleep, it is at least 1.5 s: both are past 1 s idle.
        try await Task.sleep(for: .milliseconds(1500))
        #expect(try await sessions.resume(digest: left.digest, idleTimeout: .seconds(1)) == nil, "idle past its timeout")
        #expect(try await sessions.resume(digest: kept.digest, idleTimeout: .seconds(3600)) == kept, "within a longer timeout it stays")
        #expect(try await sessions.digests() == [kept.digest], "the idle one is gone from the table")
    }

    @Test("beyond the capacity the longest idle session goes first", arguments: StoreKind.allCases)
    func capacity(_ store: StoreKind) async throws {
        guard try store.available() else { return }
        let archive = try await ArchiveFixtures.makeArchive(store)
        let sessions = archive.store.sessions
        let people = (1...4).map { Self.session("person-\($0)") }
        for person in people.prefix(3) {
            try await sessions.start(person, idleTimeout: .seconds(60), capacity: 3)
            try await Task.sleep(for: .milliseconds(5))
        }
        // The first is used again: the second is now the longest idle.
        #expect(try await sessions.resume(digest: people[0].digest, idleTimeout: .seconds(60)) == people[0])
        try await sessions.start(people[3], idleTimeout: .seconds(60), capacity: 3)
        #expect(Set(try await sessions.digests()) == Set([people[0], people[2], people[3]].map(\.digest)))
    }

    @Test("on PostgreSQL a session started on one node is resumed and ended on another; the filesystem's are its process's")
    func sharedAcrossNodes() async throws {
        for store in StoreKind.allCases {
            guard try store.available() else { continue }
            let archive = try await ArchiveFixtures.makeArchive(store)
            let other = try await archive.reopen()
            let clerk = Self.session("clerk-desk")
            try await archive.store.sessions.start(clerk, idleTimeout: .seconds(60), capacity: 100)
            let elsewhere = try await other.sessions.resume(digest: clerk.digest, idleTimeout: .seconds(60))
            switch store {
            case .postgres:
                #expect(elsewhere == clerk, "the second node sees the session")
                try await other.sessions.end(digest: clerk.digest)
                #expect(try await archive.store.sessions.resume(digest: clerk.digest, idleTimeout: .seconds(60)) == nil)
                (other as? PostgresStorage)?.close()
            case .filesystem:
                #expect(elsewhere == nil, "another process's store does not share this one's sessions")
                #expect(try await archive.store.sessions.resume(digest: clerk.digest, idleTimeout: .seconds(60)) == clerk)
            }
        }
    }
}
